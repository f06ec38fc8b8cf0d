package ldapx_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/secret"
)

// refusingDC stands in front of the lab DC like a DC (or an LDAP proxy)
// that lacks some controls. paging: "refuse" answers a paged search with
// unavailableCriticalExtension; "ignore" drops the control and, when
// sizeLimit > 0, stops after that many entries with sizeLimitExceeded, as
// Windows does with an unpaged search past MaxPageSize. notify and dirSync
// answer unavailableCriticalExtension to those controls.
type refusingDC struct {
	ldap.Client
	paging          string
	sizeLimit       int
	notify, dirSync bool
}

func errCritical(oid string) error {
	return ldap.NewError(ldap.LDAPResultUnavailableCriticalExtension, fmt.Errorf("critical extension %s is unavailable", oid))
}

func (d *refusingDC) SearchAsync(ctx context.Context, req *ldap.SearchRequest, bufferSize int) ldap.Response {
	if d.notify && ldap.FindControl(req.Controls, ldap.ControlTypeMicrosoftNotification) != nil {
		return &failedResponse{err: errCritical(ldap.ControlTypeMicrosoftNotification)}
	}
	if ldap.FindControl(req.Controls, ldap.ControlTypePaging) == nil {
		return d.Client.SearchAsync(ctx, req, bufferSize)
	}
	switch d.paging {
	case "refuse":
		return &failedResponse{err: errCritical(ldap.ControlTypePaging)}
	case "ignore":
		unpaged := *req
		unpaged.Controls = slices.DeleteFunc(slices.Clone(req.Controls), func(c ldap.Control) bool {
			return c.GetControlType() == ldap.ControlTypePaging
		})
		return &cappedResponse{Response: d.Client.SearchAsync(ctx, &unpaged, bufferSize), limit: d.sizeLimit}
	}
	return d.Client.SearchAsync(ctx, req, bufferSize)
}

func (d *refusingDC) DirSync(req *ldap.SearchRequest, flags, maxAttrCount int64, cookie []byte) (*ldap.SearchResult, error) {
	if d.dirSync {
		return nil, errCritical(ldap.ControlTypeDirSync)
	}
	return d.Client.DirSync(req, flags, maxAttrCount, cookie)
}

type failedResponse struct{ err error }

func (r *failedResponse) Entry() *ldap.Entry       { return nil }
func (r *failedResponse) Referral() string         { return "" }
func (r *failedResponse) Controls() []ldap.Control { return nil }
func (r *failedResponse) Err() error               { return r.err }
func (r *failedResponse) Next() bool               { return false }

// cappedResponse ends a search with sizeLimitExceeded after limit entries.
type cappedResponse struct {
	ldap.Response
	limit, n int
	err      error
}

func (r *cappedResponse) Next() bool {
	if r.limit > 0 && r.n >= r.limit {
		r.err = ldap.NewError(ldap.LDAPResultSizeLimitExceeded, errors.New("size limit exceeded"))
		return false
	}
	if !r.Response.Next() {
		return false
	}
	if r.Response.Entry() != nil {
		r.n++
	}
	return true
}

func (r *cappedResponse) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Response.Err()
}

// TestPagingRefused: a DC that refuses the paged-results control, or
// ignores it and stops at its size limit, fails the read with an error
// naming the control and what to do — never a partial list. One that
// ignores it and answers everything is read whole.
func TestPagingRefused(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ou := l.TempOU(t)
	admin := dialLab(t, l, l.Admin)
	for i := range 5 {
		name := fmt.Sprintf("pg%d", i)
		if _, err := admin.CreateUser(t.Context(), ldapx.NewUser{Container: ou, SAMAccountName: name + ouSuffix(ou),
			Password: secret.New("Pag1ng-Refused-" + name)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		dc        refusingDC
		wantUsers int // 0: an error
		wantText  string
	}{
		{name: "refused", dc: refusingDC{paging: "refuse"}},
		{name: "ignored at the size limit", dc: refusingDC{paging: "ignore", sizeLimit: 3}, wantText: "stopped after 3 entries"},
		{name: "ignored, all answered", dc: refusingDC{paging: "ignore"}, wantUsers: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dc := tt.dc
			c := dialLab(t, l, l.Import, func(c ldap.Client) ldap.Client { dc.Client = c; return &dc })
			users, err := c.Users(t.Context(), ou)
			if tt.wantUsers > 0 {
				if err != nil || len(users) != tt.wantUsers {
					t.Fatalf("Users() = %d users, %v; want %d", len(users), err, tt.wantUsers)
				}
				return
			}
			if err == nil || users != nil {
				t.Fatalf("Users() = %d users, nil error; want an error and no users", len(users))
			}
			if !errors.Is(err, ldapx.ErrUnsupportedControl) || !strings.Contains(err.Error(), ldapx.OIDPaging) ||
				!strings.Contains(err.Error(), tt.wantText) || ldapx.Hint(err) == "" {
				t.Errorf("Users() error = %q (hint %q); want ErrUnsupportedControl naming %s and %q, with a hint", err, ldapx.Hint(err), ldapx.OIDPaging, tt.wantText)
			}
		})
	}
}

// ouSuffix is a short unique tail for names in ou (sAMAccountName is unique
// in the whole domain).
func ouSuffix(ou string) string {
	rdn, _, _ := strings.Cut(ou, ",")
	return rdn[max(0, len(rdn)-8):]
}

// TestNotificationAndDirSyncRefused: a DC that refuses DirSync fails it
// with an error naming the control; one that advertises notifications but
// refuses the search stops the watch with such an error instead of
// reconnecting (each reconnect would start a full run) forever.
func TestNotificationAndDirSyncRefused(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	wrap := func(c ldap.Client) ldap.Client { return &refusingDC{Client: c, notify: true, dirSync: true} }

	c := dialLab(t, l, l.Import, wrap)
	_, _, err := c.DirSync(t.Context(), nil, ldapx.DirSyncOptions{ObjectSecurity: true})
	if !errors.Is(err, ldapx.ErrUnsupportedControl) || !strings.Contains(err.Error(), ldapx.OIDDirSync) {
		t.Errorf("DirSync() = %v, want ErrUnsupportedControl naming %s", err, ldapx.OIDDirSync)
	}

	o := labOptions(l, l.Import)
	o.Wrap = wrap
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	w, err := ldapx.Watch(ctx, o, ldapx.WatchOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatalf("Watch() = %v", err)
	}
	for ev := range w.Events() {
		t.Fatalf("Watch() sent %+v; want the watch to stop without reconnecting", ev)
	}
	if ctx.Err() != nil {
		t.Fatalf("the watch did not stop")
	}
	if err := w.Err(); !errors.Is(err, ldapx.ErrUnsupportedControl) || !strings.Contains(err.Error(), ldapx.OIDNotification) {
		t.Errorf("Watch().Err() = %v, want ErrUnsupportedControl naming %s", err, ldapx.OIDNotification)
	}
}
