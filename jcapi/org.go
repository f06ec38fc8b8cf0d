package jcapi

import (
	"context"
	"fmt"
	"iter"
	"net/url"
)

// Organizations lists the organizations the API key can see (GET /organizations).
func (c *Client) Organizations(ctx context.Context) iter.Seq2[Organization, error] {
	return paginate(ctx, "organizations", "/organizations", PageSize, func(ctx context.Context, skip, limit int) ([]Organization, int, error) {
		var page v1Page[Organization]
		q := url.Values{"limit": {fmt.Sprint(limit)}, "skip": {fmt.Sprint(skip)}}
		// The org list is not org-scoped: the emulator, like the documented
		// rule "403 ID included on unsupported route", rejects x-org-id here.
		_, err := c.do(ctx, call{method: "GET", base: c.v1, path: "/organizations", query: q, out: &page, noOrgHeader: true})
		return page.items("GET", "/organizations", err)
	})
}

// GetOrganization reads one organization with its settings.
func (c *Client) GetOrganization(ctx context.Context, id string) (Organization, error) {
	var o Organization
	// The spec declares no x-org-id here: the org is in the path.
	if _, err := c.do(ctx, call{method: "GET", base: c.v1, path: "/organizations/" + url.PathEscape(id), out: &o, noOrgHeader: true}); err != nil {
		return Organization{}, fmt.Errorf("jcapi: get organization %s: %w", id, err)
	}
	return o, nil
}

// CurrentOrganization reads the organization the client works in: the one
// from [WithOrgID], else the key's only organization.
func (c *Client) CurrentOrganization(ctx context.Context) (Organization, error) {
	id := c.orgID
	if id == "" {
		orgs, err := Collect(c.Organizations(ctx))
		if err != nil {
			return Organization{}, err
		}
		if len(orgs) != 1 {
			return Organization{}, fmt.Errorf("jcapi: the API key sees %d organizations: set an org id", len(orgs))
		}
		id = orgs[0].ID
	}
	return c.GetOrganization(ctx, id)
}

// PasswordPolicy returns the current org's password compliance mode (custom,
// pci3 or windows) and its custom policy, which applies only in custom mode.
func (c *Client) PasswordPolicy(ctx context.Context) (compliance string, policy PasswordPolicy, err error) {
	o, err := c.CurrentOrganization(ctx)
	if err != nil {
		return "", PasswordPolicy{}, err
	}
	if o.Settings == nil {
		return "", PasswordPolicy{}, nil
	}
	if o.Settings.PasswordPolicy != nil {
		policy = *o.Settings.PasswordPolicy
	}
	return o.Settings.PasswordCompliance, policy, nil
}
