package adapter

import (
	"context"
	"errors"
	"strings"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/reconcile"
)

// JumpCloudTarget carries out an AD → JumpCloud plan through a
// [jcapi.Client]. It implements [reconcile.Target] and is safe for concurrent
// use, as the client is.
type JumpCloudTarget struct {
	client *jcapi.Client
	// dns maps an objectGUID to the DN read with the plan's directory, for
	// `external_dn`; a plan does not carry DNs, which change on a move.
	dns map[string]string
}

var _ reconcile.Target = (*JumpCloudTarget)(nil)

// NewJumpCloudTarget returns a target writing through c. dir is the
// directory the plan was computed from; its DNs fill `external_dn` on the
// users adjc creates or updates (nothing else is taken from it).
func NewJumpCloudTarget(c *jcapi.Client, dir reconcile.Directory) *JumpCloudTarget {
	t := &JumpCloudTarget{client: c, dns: make(map[string]string, len(dir.Users))}
	for _, u := range dir.Users {
		t.dns[strings.ToLower(u.GUID)] = u.DN
	}
	return t
}

// CreateUser creates a system user carrying the anchor.
func (t *JumpCloudTarget) CreateUser(ctx context.Context, u reconcile.UserSpec) (string, error) {
	su := jcapi.SystemUser{
		Username:   u.Username,
		Email:      u.Email,
		Firstname:  u.Firstname,
		Lastname:   u.Lastname,
		Attributes: []jcapi.Attribute{{Name: AnchorAttribute, Value: u.Anchor}},
	}
	if dn := t.dns[strings.ToLower(u.Anchor)]; dn != "" {
		su.ExternalDN, su.ExternalSourceType = dn, ExternalSourceType
	}
	created, err := t.client.CreateSystemUser(ctx, su)
	if err != nil {
		if id, ok := t.ownUser(ctx, u, err); ok {
			return id, nil
		}
		return "", mark(err)
	}
	return created.ID, nil
}

// ownUser tells a create refused because the username exists (400 or 409)
// apart from a real conflict: when the existing user carries this very
// anchor, it is adjc's own earlier create whose run died before it could
// record the result (killed mid-apply, or the response was lost after the
// next run had read JumpCloud), so the create has in fact happened.
func (t *JumpCloudTarget) ownUser(ctx context.Context, u reconcile.UserSpec, err error) (string, bool) {
	if u.Anchor == "" || !(errors.Is(err, jcapi.ErrBadRequest) || errors.Is(err, jcapi.ErrConflict)) {
		return "", false
	}
	cur, lerr := t.client.SystemUserByUsername(ctx, u.Username)
	if lerr != nil || !strings.EqualFold(userAnchor(cur), u.Anchor) {
		return "", false
	}
	return cur.ID, true
}

// UpdateUser changes the fields set in u. Suspension goes through the state
// endpoints, which change nothing else and send no e-mail.
func (t *JumpCloudTarget) UpdateUser(ctx context.Context, id string, u reconcile.UserPatch) error {
	upd := jcapi.SystemUserUpdate{
		Username:  u.Username,
		Email:     u.Email,
		Firstname: u.Firstname,
		Lastname:  u.Lastname,
	}
	fields := upd != (jcapi.SystemUserUpdate{})
	if u.Anchor != nil {
		// PUT replaces the whole attributes list: keep the others.
		cur, err := t.client.GetSystemUser(ctx, id)
		if err != nil {
			return mark(err)
		}
		attrs := []jcapi.Attribute{{Name: AnchorAttribute, Value: *u.Anchor}}
		for _, a := range cur.Attributes {
			if a.Name != AnchorAttribute {
				attrs = append(attrs, a)
			}
		}
		upd.Attributes = &attrs
		if dn := t.dns[strings.ToLower(*u.Anchor)]; dn != "" {
			upd.ExternalDN, upd.ExternalSourceType = jcapi.String(dn), jcapi.String(ExternalSourceType)
		}
		fields = true
	}
	if fields {
		if _, err := t.client.UpdateSystemUser(ctx, id, upd); err != nil {
			return mark(err)
		}
	}
	if u.Suspended != nil {
		var err error
		if *u.Suspended {
			err = t.client.SuspendSystemUser(ctx, id)
		} else {
			// Lifting a suspension is no welcome: no activation email.
			err = t.client.ActivateSystemUser(ctx, id, false)
		}
		if err != nil {
			return mark(err)
		}
	}
	return nil
}

// DeleteUser deletes a system user.
func (t *JumpCloudTarget) DeleteUser(ctx context.Context, id string) error {
	return mark(t.client.DeleteSystemUser(ctx, id))
}

// SetAdmin sets `sudo`, shown as "Global Administrator/Sudo" in the console.
func (t *JumpCloudTarget) SetAdmin(ctx context.Context, id string, admin bool) error {
	_, err := t.client.UpdateSystemUser(ctx, id, jcapi.SystemUserUpdate{Sudo: jcapi.Bool(admin)})
	return mark(err)
}

// CreateGroup creates a user group whose description carries the anchor.
func (t *JumpCloudTarget) CreateGroup(ctx context.Context, g reconcile.GroupSpec) (string, error) {
	created, err := t.client.CreateUserGroup(ctx, jcapi.UserGroup{Name: g.Name, Description: GroupDescription(g.Anchor)})
	if err != nil {
		// As for users (ownUser): a group of that name carrying this anchor
		// is adjc's own earlier create.
		if g.Anchor != "" && (errors.Is(err, jcapi.ErrBadRequest) || errors.Is(err, jcapi.ErrConflict)) {
			if cur, lerr := t.client.UserGroupByName(ctx, g.Name); lerr == nil && strings.EqualFold(GroupAnchor(cur.Description), g.Anchor) {
				return cur.ID, nil
			}
		}
		return "", mark(err)
	}
	return created.ID, nil
}

// UpdateGroup renames a group or records its anchor. PUT replaces the group,
// so the current one is read first and its other fields kept.
func (t *JumpCloudTarget) UpdateGroup(ctx context.Context, id string, g reconcile.GroupPatch) error {
	cur, err := t.client.GetUserGroup(ctx, id)
	if err != nil {
		return mark(err)
	}
	put := jcapi.UserGroup{
		Name: cur.Name, Description: cur.Description, Email: cur.Email,
		MembershipMethod: cur.MembershipMethod, Attributes: cur.Attributes, Other: cur.Other,
	}
	if g.Name != nil {
		put.Name = *g.Name
	}
	if g.Anchor != nil {
		put.Description = GroupDescription(*g.Anchor)
	}
	_, err = t.client.UpdateUserGroup(ctx, id, put)
	return mark(err)
}

// DeleteGroup deletes a user group.
func (t *JumpCloudTarget) DeleteGroup(ctx context.Context, id string) error {
	return mark(t.client.DeleteUserGroup(ctx, id))
}

// AddMember binds a user to a group. JumpCloud answers 409 when the user is
// already a member (a retried call, or a change made since the plan): the
// plan's intent holds, so that counts as done.
func (t *JumpCloudTarget) AddMember(ctx context.Context, groupID, userID string) error {
	err := t.client.AddUserGroupMember(ctx, groupID, userID)
	if errors.Is(err, jcapi.ErrConflict) {
		return nil
	}
	return mark(err)
}

// RemoveMember unbinds a user from a group; a binding already gone (404)
// counts as done, as for [JumpCloudTarget.AddMember].
func (t *JumpCloudTarget) RemoveMember(ctx context.Context, groupID, userID string) error {
	err := t.client.RemoveUserGroupMember(ctx, groupID, userID)
	if errors.Is(err, jcapi.ErrNotFound) {
		return nil
	}
	return mark(err)
}

// terminalError marks an error after which [reconcile.Apply] stops: with a
// rejected API key every further call would fail the same way.
type terminalError struct{ err error }

func (e *terminalError) Error() string  { return e.err.Error() }
func (e *terminalError) Unwrap() error  { return e.err }
func (e *terminalError) Terminal() bool { return true }

// mark returns err, marked terminal when it is an authentication failure.
func mark(err error) error {
	if err != nil && errors.Is(err, jcapi.ErrUnauthorized) {
		return &terminalError{err: err}
	}
	return err
}
