package adapter

import (
	"context"
	"errors"
	"fmt"
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
	// `external_dn` of a plan saved before plans carried it.
	dns map[string]string
	// WelcomeEmail is the operator's welcome_email setting: whether
	// JumpCloud mails each user adjc creates. Set it before Apply.
	WelcomeEmail bool
}

var _ reconcile.Target = (*JumpCloudTarget)(nil)

// NewJumpCloudTarget returns a target writing through c. dir is the
// directory the plan was computed from; its DNs fill `external_dn` when a
// plan (one saved by an older adjc) does not carry it.
func NewJumpCloudTarget(c *jcapi.Client, dir reconcile.Directory) *JumpCloudTarget {
	t := &JumpCloudTarget{client: c, dns: make(map[string]string, len(dir.Users))}
	for _, u := range dir.Users {
		t.dns[strings.ToLower(u.GUID)] = u.DN
	}
	return t
}

// CreateUser creates a system user carrying the anchor and the AD-managed
// markers. The user is created STAGED and then activated with the
// operator's choice of email (paths./systemusers/{id}/state/activate.post,
// "Email Flag": {"email": false} sends none), so whether people are mailed
// never rests on an org default; restrictedFields and delegatedAuthority
// follow in a request of their own (see [JumpCloudTarget.writeAuthority]),
// then the association with the AD domain object.
func (t *JumpCloudTarget) CreateUser(ctx context.Context, u reconcile.UserSpec) (string, error) {
	su := jcapi.SystemUser{
		Username:           u.Username,
		Email:              u.Email,
		Firstname:          u.Firstname,
		Lastname:           u.Lastname,
		State:              jcapi.StateStaged,
		Attributes:         []jcapi.Attribute{{Name: AnchorAttribute, Value: u.Anchor}},
		ExternalDN:         u.Markers.ExternalDN,
		ExternalSourceType: u.Markers.ExternalSourceType,
	}
	if su.ExternalDN == "" {
		if dn := t.dns[strings.ToLower(u.Anchor)]; dn != "" {
			su.ExternalDN, su.ExternalSourceType = dn, ExternalSourceType
		}
	}
	if u.Markers.ExternallyManaged {
		su.ExternallyManaged = jcapi.Bool(true)
	}
	if err := createAttrs(&su, u.Attrs); err != nil {
		return "", mark(err)
	}
	created, err := t.client.CreateSystemUser(ctx, su)
	if err != nil {
		id, ok := t.ownUser(ctx, u, err)
		if !ok {
			return "", mark(err)
		}
		created = jcapi.SystemUser{ID: id, State: jcapi.StateStaged}
		if cur, gerr := t.client.GetSystemUser(ctx, id); gerr == nil {
			created = cur
		}
	}
	if err := t.finishUser(ctx, created, u); err != nil {
		return created.ID, mark(fmt.Errorf("user %s created (id %s) but not finished: %w", u.Username, created.ID, err))
	}
	return created.ID, nil
}

// finishUser activates a user created STAGED, then writes what a create
// body cannot carry safely. Each step is idempotent, so a create retried
// after a run died half-way finishes the same way.
func (t *JumpCloudTarget) finishUser(ctx context.Context, cur jcapi.SystemUser, u reconcile.UserSpec) error {
	if cur.State == jcapi.StateStaged {
		if err := t.client.ActivateSystemUser(ctx, cur.ID, t.WelcomeEmail); err != nil {
			return err
		}
	}
	var restricted *[]reconcile.RestrictedField
	if len(u.Markers.Restricted) > 0 {
		restricted = &u.Markers.Restricted
	}
	var delegated *string
	if u.Markers.DelegatedAuthority != "" {
		delegated = &u.Markers.DelegatedAuthority
	}
	if err := t.writeAuthority(ctx, cur.ID, restricted, delegated); err != nil {
		return err
	}
	if u.BindTo != "" {
		return t.bind(ctx, u.BindTo, jcapi.TypeUser, cur.ID)
	}
	return nil
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
// endpoints, which change nothing else and send no e-mail. restrictedFields
// and delegatedAuthority go in a request after the others (see
// [JumpCloudTarget.writeAuthority]), then the association.
func (t *JumpCloudTarget) UpdateUser(ctx context.Context, id string, u reconcile.UserPatch) error {
	upd := jcapi.SystemUserUpdate{
		Username:           u.Username,
		Email:              u.Email,
		Firstname:          u.Firstname,
		Lastname:           u.Lastname,
		ExternalDN:         u.ExternalDN,
		ExternalSourceType: u.ExternalSourceType,
		ExternallyManaged:  u.ExternallyManaged,
	}
	// cur reads the user once, for the lists a PUT replaces whole.
	var read *jcapi.SystemUser
	cur := func() (jcapi.SystemUser, error) {
		if read == nil {
			u, err := t.client.GetSystemUser(ctx, id)
			if err != nil {
				return u, err
			}
			read = &u
		}
		return *read, nil
	}
	if err := updateAttrs(&upd, u.Attrs, cur); err != nil {
		return mark(err)
	}
	fields := upd != (jcapi.SystemUserUpdate{})
	if u.Anchor != nil {
		// PUT replaces the whole attributes list: keep the others.
		cur, err := cur()
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
		if dn := t.dns[strings.ToLower(*u.Anchor)]; dn != "" && upd.ExternalDN == nil {
			upd.ExternalDN, upd.ExternalSourceType = jcapi.String(dn), jcapi.String(ExternalSourceType)
		}
		fields = true
	}
	if fields {
		if _, err := t.client.UpdateSystemUser(ctx, id, upd); err != nil {
			return mark(err)
		}
	}
	if err := t.writeAuthority(ctx, id, u.Restricted, u.DelegatedAuthority); err != nil {
		return mark(err)
	}
	if u.BindTo != nil && *u.BindTo != "" {
		if err := t.bind(ctx, *u.BindTo, jcapi.TypeUser, id); err != nil {
			return mark(err)
		}
	}
	if u.Activate {
		// A user an earlier run created STAGED and could not activate:
		// the activation it missed, with the operator's email choice.
		if err := t.client.ActivateSystemUser(ctx, id, t.WelcomeEmail); err != nil {
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
				created, err = cur, nil
			}
		}
		if err != nil {
			return "", mark(err)
		}
	}
	if g.BindTo != "" {
		if err := t.bind(ctx, g.BindTo, jcapi.TypeUserGroup, created.ID); err != nil {
			return created.ID, mark(fmt.Errorf("group %s created (id %s) but not associated with the AD domain object: %w", g.Name, created.ID, err))
		}
	}
	return created.ID, nil
}

// UpdateGroup renames a group, records its anchor or associates it with the
// AD domain object. PUT replaces the group, so the current one is read first
// and its other fields kept.
func (t *JumpCloudTarget) UpdateGroup(ctx context.Context, id string, g reconcile.GroupPatch) error {
	if g.BindTo != nil && *g.BindTo != "" {
		if err := t.bind(ctx, *g.BindTo, jcapi.TypeUserGroup, id); err != nil {
			return mark(err)
		}
	}
	if g.Name == nil && g.Anchor == nil {
		return nil
	}
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
