package jcapi

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strings"
)

// ActiveDirectories lists AD instances (GET /activedirectories). A domain
// DN holds commas, so it cannot be a filter value: use
// [Client.ActiveDirectoryByDomain].
func (c *Client) ActiveDirectories(ctx context.Context, opts ListOptions) iter.Seq2[ActiveDirectory, error] {
	return paginate(ctx, "active directories", "/v2/activedirectories", opts.limit(), v2List[ActiveDirectory](c, "/activedirectories", opts, true, nil))
}

// ActiveDirectoryByDomain finds the AD instance for domain (a DN such as
// DC=example,DC=com), compared case-insensitively as DNs are. The DN's
// commas rule out a filter (see [ErrCommaInFilter]), and an org has few AD
// instances, so the whole list is paged and matched here. The error matches
// [ErrNotFound] when there is none.
func (c *Client) ActiveDirectoryByDomain(ctx context.Context, domain string) (ActiveDirectory, error) {
	for ad, err := range c.ActiveDirectories(ctx, ListOptions{}) {
		if err != nil {
			return ActiveDirectory{}, err
		}
		if strings.EqualFold(ad.Domain, domain) {
			return ad, nil
		}
	}
	return ActiveDirectory{}, fmt.Errorf("jcapi: active directory %q: %w", domain, ErrNotFound)
}

// GetActiveDirectory reads one AD instance.
func (c *Client) GetActiveDirectory(ctx context.Context, id string) (ActiveDirectory, error) {
	var ad ActiveDirectory
	if _, err := c.do(ctx, call{method: "GET", base: c.v2, path: "/activedirectories/" + url.PathEscape(id), out: &ad}); err != nil {
		return ActiveDirectory{}, fmt.Errorf("jcapi: get active directory %s: %w", id, err)
	}
	return ad, nil
}

// CreateActiveDirectory creates an AD instance for ad.Domain (201). A lost
// response is followed by a lookup by domain before the retry.
func (c *Client) CreateActiveDirectory(ctx context.Context, ad ActiveDirectory) (ActiveDirectory, error) {
	body := ActiveDirectory{Domain: ad.Domain, UseCase: ad.UseCase, GroupsEnabled: ad.GroupsEnabled, DelegationState: ad.DelegationState}
	var out ActiveDirectory
	cl := call{method: "POST", base: c.v2, path: "/activedirectories", body: body, out: &out,
		beforeRetry: func(ctx context.Context, _ error) (bool, error) {
			found, err := c.ActiveDirectoryByDomain(ctx, ad.Domain)
			switch {
			case err == nil:
				out = found
				return true, nil
			case errors.Is(err, ErrNotFound):
				return false, nil
			}
			return true, err
		}}
	if _, err := c.do(ctx, cl); err != nil {
		return ActiveDirectory{}, fmt.Errorf("jcapi: create active directory %s: %w", ad.Domain, err)
	}
	return out, nil
}

// UpdateActiveDirectory patches an AD instance (PATCH /activedirectories/{id});
// only non-empty fields are sent, in the schema's camelCase.
func (c *Client) UpdateActiveDirectory(ctx context.Context, id string, ad ActiveDirectory) (ActiveDirectory, error) {
	body := ActiveDirectory{Domain: ad.Domain, UseCase: ad.UseCase, GroupsEnabled: ad.GroupsEnabled, DelegationState: ad.DelegationState}
	var out ActiveDirectory
	if _, err := c.do(ctx, call{method: "PATCH", base: c.v2, path: "/activedirectories/" + url.PathEscape(id), body: body, out: &out}); err != nil {
		return ActiveDirectory{}, fmt.Errorf("jcapi: update active directory %s: %w", id, err)
	}
	return out, nil
}

// DeleteActiveDirectory deletes an AD instance.
func (c *Client) DeleteActiveDirectory(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: "DELETE", base: c.v2, path: "/activedirectories/" + url.PathEscape(id),
		retryOK: func(status int) bool { return status == 404 }})
	if err != nil {
		return fmt.Errorf("jcapi: delete active directory %s: %w", id, err)
	}
	return nil
}

// ActiveDirectoryAssociations lists the direct bindings of an AD instance;
// targets is "user", "user_group" or both (the spec requires it).
func (c *Client) ActiveDirectoryAssociations(ctx context.Context, adID string, targets ...string) iter.Seq2[GraphConnection, error] {
	if len(targets) == 0 {
		targets = []string{TypeUser, TypeUserGroup}
	}
	extra := url.Values{"targets": {strings.Join(targets, ",")}}
	return paginate(ctx, "active directory associations", "/v2/activedirectories/"+adID+"/associations", PageSize,
		v2List[GraphConnection](c, "/activedirectories/"+url.PathEscape(adID)+"/associations", ListOptions{}, false, extra))
}

// UpdateActiveDirectoryAssociation binds (OpAdd) or unbinds (OpRemove) a
// user or user group to an AD instance.
func (c *Client) UpdateActiveDirectoryAssociation(ctx context.Context, adID string, op GraphOperation) error {
	return c.graphOp(ctx, "/activedirectories/"+url.PathEscape(adID)+"/associations", op)
}

// BindUser binds a user to an AD instance.
func (c *Client) BindUser(ctx context.Context, adID, userID string) error {
	return c.UpdateActiveDirectoryAssociation(ctx, adID, GraphOperation{Op: OpAdd, Type: TypeUser, ID: userID})
}

// UnbindUser removes a user's direct binding to an AD instance.
func (c *Client) UnbindUser(ctx context.Context, adID, userID string) error {
	return c.UpdateActiveDirectoryAssociation(ctx, adID, GraphOperation{Op: OpRemove, Type: TypeUser, ID: userID})
}

// BindUserGroup binds a user group to an AD instance.
func (c *Client) BindUserGroup(ctx context.Context, adID, groupID string) error {
	return c.UpdateActiveDirectoryAssociation(ctx, adID, GraphOperation{Op: OpAdd, Type: TypeUserGroup, ID: groupID})
}

// UnbindUserGroup removes a group's binding to an AD instance.
func (c *Client) UnbindUserGroup(ctx context.Context, adID, groupID string) error {
	return c.UpdateActiveDirectoryAssociation(ctx, adID, GraphOperation{Op: OpRemove, Type: TypeUserGroup, ID: groupID})
}

// ADUsersOptions narrows [Client.ActiveDirectoryUsers].
type ADUsersOptions struct {
	ListOptions
	// SyncStatus asks for syncStatus and externalId per user.
	SyncStatus bool
}

// ActiveDirectoryUsers lists the users bound to an AD instance, directly or
// through a bound group (GET /activedirectories/{id}/users).
func (c *Client) ActiveDirectoryUsers(ctx context.Context, adID string, opts ADUsersOptions) iter.Seq2[GraphObjectWithPaths, error] {
	var extra url.Values
	if opts.SyncStatus {
		extra = url.Values{"syncStatus": {"true"}}
	}
	// This traversal takes no sort parameter in the spec.
	return paginate(ctx, "active directory users", "/v2/activedirectories/"+adID+"/users", opts.limit(),
		v2List[GraphObjectWithPaths](c, "/activedirectories/"+url.PathEscape(adID)+"/users", opts.ListOptions, false, extra))
}

// ActiveDirectoryUserGroups lists the user groups bound to an AD instance
// (GET /activedirectories/{id}/usergroups).
func (c *Client) ActiveDirectoryUserGroups(ctx context.Context, adID string, opts ListOptions) iter.Seq2[GraphObjectWithPaths, error] {
	return paginate(ctx, "active directory user groups", "/v2/activedirectories/"+adID+"/usergroups", opts.limit(),
		v2List[GraphObjectWithPaths](c, "/activedirectories/"+url.PathEscape(adID)+"/usergroups", opts, false, nil))
}

// ActiveDirectoryAgents lists the agents registered for an AD instance.
func (c *Client) ActiveDirectoryAgents(ctx context.Context, adID string) iter.Seq2[Agent, error] {
	return paginate(ctx, "active directory agents", "/v2/activedirectories/"+adID+"/agents", PageSize,
		v2List[Agent](c, "/activedirectories/"+url.PathEscape(adID)+"/agents", ListOptions{}, true, nil))
}

// CreateAgent registers an agent of agentType ([AgentSync] or [AgentImport])
// and returns it with its one-time ConnectKey. It is not retried after a lost
// response, since nothing distinguishes the new agent from the others; the
// caller sees the error and may list agents to clean up.
func (c *Client) CreateAgent(ctx context.Context, adID, agentType string) (Agent, error) {
	var out Agent
	cl := call{method: "POST", base: c.v2, path: "/activedirectories/" + url.PathEscape(adID) + "/agents",
		body: map[string]string{"agentType": agentType}, out: &out,
		beforeRetry: func(_ context.Context, lastErr error) (bool, error) { return true, lastErr }}
	if _, err := c.do(ctx, cl); err != nil {
		return Agent{}, fmt.Errorf("jcapi: create %s agent for active directory %s: %w", agentType, adID, err)
	}
	if out.ConnectKey == "" {
		return Agent{}, fmt.Errorf("jcapi: create agent for active directory %s: %w", adID, errors.New("response has no connectKey"))
	}
	return out, nil
}

// GetAgent reads one agent (never with its connect key).
func (c *Client) GetAgent(ctx context.Context, adID, agentID string) (Agent, error) {
	var out Agent
	if _, err := c.do(ctx, call{method: "GET", base: c.v2, path: "/activedirectories/" + url.PathEscape(adID) + "/agents/" + url.PathEscape(agentID), out: &out}); err != nil {
		return Agent{}, fmt.Errorf("jcapi: get agent %s: %w", agentID, err)
	}
	return out, nil
}

// DeleteAgent deletes an agent registration (204).
func (c *Client) DeleteAgent(ctx context.Context, adID, agentID string) error {
	_, err := c.do(ctx, call{method: "DELETE", base: c.v2, path: "/activedirectories/" + url.PathEscape(adID) + "/agents/" + url.PathEscape(agentID),
		retryOK: func(status int) bool { return status == 404 }})
	if err != nil {
		return fmt.Errorf("jcapi: delete agent %s: %w", agentID, err)
	}
	return nil
}
