package jcapi

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"

	"github.com/adjc/adjc/secret"
)

// SystemUsers lists v1 system users (GET /systemusers), sorted by id.
func (c *Client) SystemUsers(ctx context.Context, opts ListOptions) iter.Seq2[SystemUser, error] {
	return paginate(ctx, "system users", "/systemusers", opts.limit(), func(ctx context.Context, skip, limit int) ([]SystemUser, int, error) {
		if err := opts.check(); err != nil {
			return nil, 0, err
		}
		var page v1Page[SystemUser]
		_, err := c.do(ctx, call{method: "GET", base: c.v1, path: "/systemusers", query: opts.v1Query(skip, limit), out: &page})
		return page.items("GET", "/systemusers", err)
	})
}

// Search is the body of POST /search/systemusers (components.schemas.search).
type Search struct {
	// Filter is {"and": [...]} or {"or": [...]} of {field: value} terms.
	Filter map[string]any `json:"filter,omitempty"`
	// SearchFilter is {"searchTerm": "...", "fields": ["username", ...]}.
	SearchFilter map[string]any `json:"searchFilter,omitempty"`
	Fields       string         `json:"fields,omitempty"`
}

// SearchSystemUsers pages POST /search/systemusers with limit=100.
func (c *Client) SearchSystemUsers(ctx context.Context, s Search) iter.Seq2[SystemUser, error] {
	return paginate(ctx, "system users (search)", "/search/systemusers", PageSize, func(ctx context.Context, skip, limit int) ([]SystemUser, int, error) {
		var page v1Page[SystemUser]
		q := url.Values{"limit": {fmt.Sprint(limit)}, "skip": {fmt.Sprint(skip)}}
		_, err := c.do(ctx, call{method: "POST", base: c.v1, path: "/search/systemusers", query: q, body: s, out: &page})
		return page.items("POST", "/search/systemusers", err)
	})
}

// GetSystemUser reads one user.
func (c *Client) GetSystemUser(ctx context.Context, id string) (SystemUser, error) {
	var u SystemUser
	if _, err := c.do(ctx, call{method: "GET", base: c.v1, path: "/systemusers/" + url.PathEscape(id), out: &u}); err != nil {
		return SystemUser{}, fmt.Errorf("jcapi: get system user %s: %w", id, err)
	}
	return u, nil
}

// SystemUserByUsername finds the user with exactly this username; the error
// matches [ErrNotFound] when there is none.
func (c *Client) SystemUserByUsername(ctx context.Context, username string) (SystemUser, error) {
	return c.userBy(ctx, "username", username)
}

// SystemUserByEmail finds the user with exactly this email; the error
// matches [ErrNotFound] when there is none.
func (c *Client) SystemUserByEmail(ctx context.Context, email string) (SystemUser, error) {
	return c.userBy(ctx, "email", email)
}

func (c *Client) userBy(ctx context.Context, field, value string) (SystemUser, error) {
	users, err := c.FindSystemUsers(ctx, field, value)
	if err != nil {
		return SystemUser{}, err
	}
	if len(users) == 0 {
		return SystemUser{}, fmt.Errorf("jcapi: system user with %s %q: %w", field, value, ErrNotFound)
	}
	return users[0], nil
}

// FindSystemUsers returns the users whose field ("username" or "email")
// equals value exactly. It asks POST /search/systemusers with the value in
// the JSON body ({"filter": {"and": [{field: value}]}}, the spec's exact
// search), never in a query filter, so any character — a comma included —
// is safe; the answer is matched again on the client.
func (c *Client) FindSystemUsers(ctx context.Context, field, value string) ([]SystemUser, error) {
	get := map[string]func(SystemUser) string{
		"username": func(u SystemUser) string { return u.Username },
		"email":    func(u SystemUser) string { return u.Email },
	}[field]
	if get == nil {
		return nil, fmt.Errorf("jcapi: find system users by %q: only username and email are supported", field)
	}
	s := Search{Filter: map[string]any{"and": []any{map[string]any{field: value}}}}
	var out []SystemUser
	for u, err := range c.SearchSystemUsers(ctx, s) {
		if err != nil {
			return nil, err
		}
		if get(u) == value {
			out = append(out, u)
		}
	}
	return out, nil
}

// CreateSystemUser creates u (POST /systemusers); username and email are
// required. Read-only fields are dropped. If the response is lost, the user
// is looked up by username, then email, before the create is retried, so a
// retry never makes a duplicate.
func (c *Client) CreateSystemUser(ctx context.Context, u SystemUser) (SystemUser, error) {
	u.ID, u.Created, u.Organization, u.CreationSource, u.PasswordDate = "", "", "", "", ""
	u.PasswordExpired, u.PasswordExpirationDate = nil, ""
	var out SystemUser
	cl := call{method: "POST", base: c.v1, path: "/systemusers", body: u, out: &out,
		beforeRetry: func(ctx context.Context, _ error) (bool, error) {
			for _, f := range []struct{ field, value string }{{"username", u.Username}, {"email", u.Email}} {
				if f.value == "" {
					continue
				}
				found, err := c.userBy(ctx, f.field, f.value)
				if err == nil {
					c.log.Info("create retried: user already created", "user", u.Username, "jc_id", found.ID)
					out = found
					return true, nil
				}
				if !errors.Is(err, ErrNotFound) {
					return true, err
				}
			}
			return false, nil
		}}
	if _, err := c.do(ctx, cl); err != nil {
		return SystemUser{}, fmt.Errorf("jcapi: create system user %s: %w", u.Username, err)
	}
	return out, nil
}

// UpdateSystemUser changes the fields set in upd (PUT /systemusers/{id}).
func (c *Client) UpdateSystemUser(ctx context.Context, id string, upd SystemUserUpdate) (SystemUser, error) {
	var out SystemUser
	if _, err := c.do(ctx, call{method: "PUT", base: c.v1, path: "/systemusers/" + url.PathEscape(id), body: upd, out: &out}); err != nil {
		return SystemUser{}, fmt.Errorf("jcapi: update system user %s: %w", id, err)
	}
	return out, nil
}

// DeleteSystemUser deletes a user. A retried delete that finds the user gone
// counts as done.
func (c *Client) DeleteSystemUser(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: "DELETE", base: c.v1, path: "/systemusers/" + url.PathEscape(id),
		retryOK: func(status int) bool { return status == 404 }})
	if err != nil {
		return fmt.Errorf("jcapi: delete system user %s: %w", id, err)
	}
	return nil
}

// SetPassword sets a user's password through PUT /systemusers/{id} with
// fullValidationDetails=password, so a policy rejection is an *[APIError]
// whose FieldViolations name every rule the password broke.
func (c *Client) SetPassword(ctx context.Context, id string, password secret.Secret) error {
	body := map[string]string{"password": password.Reveal()}
	q := url.Values{"fullValidationDetails": {"password"}}
	if _, err := c.do(ctx, call{method: "PUT", base: c.v1, path: "/systemusers/" + url.PathEscape(id), query: q, body: body}); err != nil {
		return fmt.Errorf("jcapi: set password of system user %s: %w", id, err)
	}
	return nil
}

// ForceSetPassword sets a password through POST /systemusers/{id}/password
// (the admin reset); a rejection carries one message, no field details.
func (c *Client) ForceSetPassword(ctx context.Context, id string, password secret.Secret) error {
	body := map[string]string{"password": password.Reveal()}
	if _, err := c.do(ctx, call{method: "POST", base: c.v1, path: "/systemusers/" + url.PathEscape(id) + "/password", body: body}); err != nil {
		return fmt.Errorf("jcapi: force-set password of system user %s: %w", id, err)
	}
	return nil
}

// SuspendSystemUser suspends a user (POST /systemusers/{id}/state/suspend,
// whose body must be empty).
func (c *Client) SuspendSystemUser(ctx context.Context, id string) error {
	// The spec declares no x-org-id on this path (nor on .../activate).
	if _, err := c.do(ctx, call{method: "POST", base: c.v1, path: "/systemusers/" + url.PathEscape(id) + "/state/suspend", noOrgHeader: true}); err != nil {
		return fmt.Errorf("jcapi: suspend system user %s: %w", id, err)
	}
	return nil
}

// ActivateSystemUser activates a staged user or lifts a suspension
// (POST /systemusers/{id}/state/activate). Whether JumpCloud mails the user
// is the caller's explicit choice: the operation's description ("Email
// Flag") says an empty body sends a Welcome email (to a user with a
// password) or an Activation email (to one without), {"email": true} does
// the same, and {"email": false} suppresses it. jcapi always sends the
// flag, never an empty body.
func (c *Client) ActivateSystemUser(ctx context.Context, id string, sendEmail bool) error {
	var out any
	body := map[string]bool{"email": sendEmail}
	if _, err := c.do(ctx, call{method: "POST", base: c.v1, path: "/systemusers/" + url.PathEscape(id) + "/state/activate", body: body, out: &out, noOrgHeader: true}); err != nil {
		return fmt.Errorf("jcapi: activate system user %s: %w", id, err)
	}
	return nil
}
