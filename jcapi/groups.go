package jcapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"strings"
)

// UserGroups lists v2 user groups (GET /usergroups).
func (c *Client) UserGroups(ctx context.Context, opts ListOptions) iter.Seq2[UserGroup, error] {
	return paginate(ctx, "user groups", "/v2/usergroups", opts.limit(), v2List[UserGroup](c, "/usergroups", opts, true, nil))
}

// GetUserGroup reads one group.
func (c *Client) GetUserGroup(ctx context.Context, id string) (UserGroup, error) {
	var g UserGroup
	if _, err := c.do(ctx, call{method: "GET", base: c.v2, path: "/usergroups/" + url.PathEscape(id), out: &g}); err != nil {
		return UserGroup{}, fmt.Errorf("jcapi: get user group %s: %w", id, err)
	}
	return g, nil
}

// UserGroupByName finds the group with exactly this name; the error matches
// [ErrNotFound] when there is none. A comma-free name is looked up with
// filter=name:eq:…; a name holding a comma (which the API would split,
// see [ErrCommaInFilter]) by paging the whole list and matching here.
func (c *Client) UserGroupByName(ctx context.Context, name string) (UserGroup, error) {
	opts := ListOptions{Filter: []string{"name:eq:" + name}}
	if strings.Contains(name, ",") {
		opts = ListOptions{}
	}
	for g, err := range c.UserGroups(ctx, opts) {
		if err != nil {
			return UserGroup{}, err
		}
		if g.Name == name {
			return g, nil
		}
	}
	return UserGroup{}, fmt.Errorf("jcapi: user group %q: %w", name, ErrNotFound)
}

// CreateUserGroup creates g (POST /usergroups, 201). If the response is
// lost, the group is looked up by name before the create is retried.
func (c *Client) CreateUserGroup(ctx context.Context, g UserGroup) (UserGroup, error) {
	g.ID, g.Type = "", ""
	g.Other = withoutReadOnly(g.Other)
	var out UserGroup
	cl := call{method: "POST", base: c.v2, path: "/usergroups", body: g, out: &out,
		beforeRetry: func(ctx context.Context, _ error) (bool, error) {
			found, err := c.UserGroupByName(ctx, g.Name)
			if err == nil {
				c.log.Info("create retried: group already created", "group", g.Name, "jc_id", found.ID)
				out = found
				return true, nil
			}
			if !errors.Is(err, ErrNotFound) {
				return true, err
			}
			return false, nil
		}}
	if _, err := c.do(ctx, cl); err != nil {
		return UserGroup{}, fmt.Errorf("jcapi: create user group %s: %w", g.Name, err)
	}
	return out, nil
}

// UpdateUserGroup replaces a group (PUT /usergroups/{id}); name is required.
func (c *Client) UpdateUserGroup(ctx context.Context, id string, g UserGroup) (UserGroup, error) {
	g.ID, g.Type = "", ""
	g.Other = withoutReadOnly(g.Other)
	var out UserGroup
	if _, err := c.do(ctx, call{method: "PUT", base: c.v2, path: "/usergroups/" + url.PathEscape(id), body: g, out: &out}); err != nil {
		return UserGroup{}, fmt.Errorf("jcapi: update user group %s: %w", id, err)
	}
	return out, nil
}

// DeleteUserGroup deletes a group; a retried delete that finds it gone counts as done.
func (c *Client) DeleteUserGroup(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: "DELETE", base: c.v2, path: "/usergroups/" + url.PathEscape(id),
		retryOK: func(status int) bool { return status == 404 }})
	if err != nil {
		return fmt.Errorf("jcapi: delete user group %s: %w", id, err)
	}
	return nil
}

// UserGroupMembers lists a group's direct members (GET /usergroups/{id}/members).
func (c *Client) UserGroupMembers(ctx context.Context, groupID string) iter.Seq2[GraphConnection, error] {
	// This operation takes no sort parameter in the spec.
	return paginate(ctx, "user group members", "/v2/usergroups/"+groupID+"/members", PageSize,
		v2List[GraphConnection](c, "/usergroups/"+url.PathEscape(groupID)+"/members", ListOptions{}, false, nil))
}

// UserGroupMembership lists the users in a group, with the paths that put
// them there (GET /usergroups/{id}/membership).
func (c *Client) UserGroupMembership(ctx context.Context, groupID string) iter.Seq2[GraphObjectWithPaths, error] {
	return paginate(ctx, "user group membership", "/v2/usergroups/"+groupID+"/membership", PageSize,
		v2List[GraphObjectWithPaths](c, "/usergroups/"+url.PathEscape(groupID)+"/membership", ListOptions{}, true, nil))
}

// UserMemberOf lists the groups a user belongs to (GET /users/{id}/memberof).
func (c *Client) UserMemberOf(ctx context.Context, userID string) iter.Seq2[GraphObjectWithPaths, error] {
	return paginate(ctx, "user member-of", "/v2/users/"+userID+"/memberof", PageSize,
		v2List[GraphObjectWithPaths](c, "/users/"+url.PathEscape(userID)+"/memberof", ListOptions{}, true, nil))
}

// AddUserGroupMember adds a user to a group.
func (c *Client) AddUserGroupMember(ctx context.Context, groupID, userID string) error {
	return c.graphOp(ctx, "/usergroups/"+url.PathEscape(groupID)+"/members", GraphOperation{Op: OpAdd, Type: TypeUser, ID: userID})
}

// RemoveUserGroupMember removes a user from a group.
func (c *Client) RemoveUserGroupMember(ctx context.Context, groupID, userID string) error {
	return c.graphOp(ctx, "/usergroups/"+url.PathEscape(groupID)+"/members", GraphOperation{Op: OpRemove, Type: TypeUser, ID: userID})
}

// UserGroupAssociations lists what a group is bound to; targets (e.g.
// "active_directory") is required by the spec.
func (c *Client) UserGroupAssociations(ctx context.Context, groupID string, targets ...string) iter.Seq2[GraphConnection, error] {
	extra := url.Values{"targets": {strings.Join(targets, ",")}}
	return paginate(ctx, "user group associations", "/v2/usergroups/"+groupID+"/associations", PageSize,
		v2List[GraphConnection](c, "/usergroups/"+url.PathEscape(groupID)+"/associations", ListOptions{}, false, extra))
}

// UpdateUserGroupAssociation adds, updates or removes one association of a group.
func (c *Client) UpdateUserGroupAssociation(ctx context.Context, groupID string, op GraphOperation) error {
	return c.graphOp(ctx, "/usergroups/"+url.PathEscape(groupID)+"/associations", op)
}

// graphOp posts a GraphOperation (204). A retried add answered 409 or a
// retried remove answered 404 means the lost first attempt did the work.
func (c *Client) graphOp(ctx context.Context, path string, op GraphOperation) error {
	ok := func(status int) bool {
		return (op.Op == OpAdd && status == 409) || (op.Op == OpRemove && status == 404)
	}
	if _, err := c.do(ctx, call{method: "POST", base: c.v2, path: path, body: op, retryOK: ok}); err != nil {
		return fmt.Errorf("jcapi: %s %s %s via %s: %w", op.Op, op.Type, op.ID, path, err)
	}
	return nil
}

// withoutReadOnly returns the fields of a read group that a UserGroupPost or
// UserGroupPut body may carry: those the API computes are dropped.
func withoutReadOnly(other map[string]json.RawMessage) map[string]json.RawMessage {
	if len(other) == 0 {
		return other
	}
	out := maps.Clone(other)
	for _, k := range []string{"organizationObjectId", "suggestionCounts", "memberQueryErrorFlags"} {
		delete(out, k)
	}
	return out
}
