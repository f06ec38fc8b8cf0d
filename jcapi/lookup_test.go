package jcapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
)

// queryLog records the raw query of every request a client sends.
type queryLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	qs   []string
}

func (l *queryLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.qs = append(l.qs, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	l.mu.Unlock()
	return l.next.RoundTrip(r)
}

// noCommaFilter fails the test if any request put a comma in a filter.
func (l *queryLog) noCommaFilter(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, q := range l.qs {
		_, raw, _ := strings.Cut(q, "?")
		for _, kv := range strings.Split(raw, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if strings.HasPrefix(k, "filter") && (strings.Contains(v, ",") || strings.Contains(strings.ToUpper(v), "%2C")) {
				assert.Failf(t, "a filter holds a comma", "%s", q)
			}
		}
	}
}

// TestLookupWithCommas finds each kind of object by a value holding a comma
// and checks no request carried that value in a filter: users by username
// and email (search body), groups by name (paged list, matched here), AD
// domains by DN (paged list, matched here).
func TestLookupWithCommas(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	log := &queryLog{next: f.vt}
	c := f.client(t, testKey, jcapi.WithHTTPClient(&http.Client{Transport: log}))
	ctx := t.Context()

	plain, err := f.emu.AddUser(f.org, jcapi.SystemUser{Username: "smith", Email: "smith@example.com"})
	require.NoError(t, err)
	comma, err := f.emu.AddUser(f.org, jcapi.SystemUser{Username: "smith,jr", Email: `"smith,jr"@example.com`})
	require.NoError(t, err)
	g1, err := f.emu.AddUserGroup(f.org, jcapi.UserGroup{Name: `R&D, "Café" 中文组`})
	require.NoError(t, err)
	_, err = f.emu.AddUserGroup(f.org, jcapi.UserGroup{Name: `R&D`})
	require.NoError(t, err)
	ad2, err := f.emu.AddActiveDirectory(f.org, "DC=corp,DC=example,DC=com")
	require.NoError(t, err)

	t.Run("user by username", func(t *testing.T) {
		u, err := c.SystemUserByUsername(ctx, "smith,jr")
		require.NoError(t, err)
		assert.Equal(t, comma.ID, u.ID)
		u, err = c.SystemUserByUsername(ctx, "smith")
		require.NoError(t, err)
		assert.Equal(t, plain.ID, u.ID)
		_, err = c.SystemUserByUsername(ctx, "smith,")
		require.ErrorIs(t, err, jcapi.ErrNotFound)
	})
	t.Run("user by email", func(t *testing.T) {
		u, err := c.SystemUserByEmail(ctx, `"smith,jr"@example.com`)
		require.NoError(t, err)
		assert.Equal(t, comma.ID, u.ID)
		_, err = c.SystemUserByEmail(ctx, "jr@example.com")
		require.ErrorIs(t, err, jcapi.ErrNotFound)
	})
	t.Run("group by name", func(t *testing.T) {
		g, err := c.UserGroupByName(ctx, `R&D, "Café" 中文组`)
		require.NoError(t, err)
		assert.Equal(t, g1.ID, g.ID)
		g, err = c.UserGroupByName(ctx, "R&D")
		require.NoError(t, err)
		assert.Equal(t, "R&D", g.Name)
		_, err = c.UserGroupByName(ctx, `R&D, "Café"`)
		require.ErrorIs(t, err, jcapi.ErrNotFound)
	})
	t.Run("AD domain by DN", func(t *testing.T) {
		ad, err := c.ActiveDirectoryByDomain(ctx, "dc=corp,dc=example,dc=com")
		require.NoError(t, err)
		assert.Equal(t, ad2.ID, ad.ID)
		ad, err = c.ActiveDirectoryByDomain(ctx, "DC=example,DC=com")
		require.NoError(t, err)
		assert.Equal(t, f.ad.ID, ad.ID)
		_, err = c.ActiveDirectoryByDomain(ctx, "DC=example")
		require.ErrorIs(t, err, jcapi.ErrNotFound)
	})
	t.Run("a comma in a list filter is refused before sending", func(t *testing.T) {
		n := f.emu.TotalCalls()
		_, err := jcapi.Collect(c.UserGroups(ctx, jcapi.ListOptions{Filter: []string{"name:eq:Sales, EMEA"}}))
		require.ErrorIs(t, err, jcapi.ErrCommaInFilter)
		_, err = jcapi.Collect(c.SystemUsers(ctx, jcapi.ListOptions{Filter: []string{"username:$eq:a,b"}}))
		require.ErrorIs(t, err, jcapi.ErrCommaInFilter)
		assert.Equal(t, n, f.emu.TotalCalls(), "no request was sent")
	})
	log.noCommaFilter(t)
}

// TestFilterForm checks the wire form of filters and sort: v2 filters in
// repeated filter= keys, v2 sort by the v2 id field, v1 sort by _id.
func TestFilterForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	log := &queryLog{next: f.vt}
	c := f.client(t, testKey, jcapi.WithHTTPClient(&http.Client{Transport: log}))
	ctx := t.Context()
	_, err := jcapi.Collect(c.UserGroups(ctx, jcapi.ListOptions{Filter: []string{"name:ne:a", "name:ne:b"}}))
	require.NoError(t, err)
	_, err = jcapi.Collect(c.SystemUsers(ctx, jcapi.ListOptions{Filter: []string{"username:$eq:a"}}))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"GET /api/v2/usergroups?filter=name:ne:a&filter=name:ne:b&limit=100&skip=0&sort=id",
		"GET /api/systemusers?filter=username:$eq:a&limit=100&skip=0&sort=_id",
	}, log.qs)
}

// TestActivateEmailChoice: the client's sendEmail decides whether the
// emulator's outbox gets a message, and the body is the documented one.
func TestActivateEmailChoice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	u, err := f.emu.AddUser(f.org, jcapi.SystemUser{Username: "staged", Email: "staged@example.com", State: jcapi.StateStaged})
	require.NoError(t, err)
	require.NoError(t, f.c.ActivateSystemUser(ctx, u.ID, false))
	assert.Empty(t, f.emu.Outbox(f.org), "sendEmail=false sends nothing")
	require.NoError(t, f.c.SuspendSystemUser(ctx, u.ID))
	require.NoError(t, f.c.ActivateSystemUser(ctx, u.ID, true))
	out := f.emu.Outbox(f.org)
	require.Len(t, out, 1)
	assert.Equal(t, "staged@example.com", out[0].To)
	assert.Equal(t, u.ID, out[0].UserID)
}

// TestActiveDirectoryEnums: a domain object reads back in every state the
// spec's enums allow (active-directory.delegationState and .useCase), set
// through the emulator's seed API or the client, and an unknown value is
// refused. Nothing may assume one friendly default.
func TestActiveDirectoryEnums(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	for _, st := range []string{"ENABLED", "PENDING", "DISABLED"} {
		_, err := f.emu.UpdateActiveDirectory(f.org, f.ad.ID, jcapi.ActiveDirectory{DelegationState: st})
		require.NoError(t, err)
		ad, err := f.c.GetActiveDirectory(ctx, f.ad.ID)
		require.NoError(t, err)
		assert.Equal(t, st, ad.DelegationState)
		ad, err = f.c.ActiveDirectoryByDomain(ctx, f.ad.Domain)
		require.NoError(t, err)
		assert.Equal(t, st, ad.DelegationState)
	}
	for _, uc := range []string{"UNSET", "TWOWAYSYNC", "JCASAUTHORITY", "ADASAUTHORITY"} {
		ad, err := f.c.UpdateActiveDirectory(ctx, f.ad.ID, jcapi.ActiveDirectory{UseCase: uc})
		require.NoError(t, err)
		assert.Equal(t, uc, ad.UseCase)
	}
	_, err := f.emu.UpdateActiveDirectory(f.org, f.ad.ID, jcapi.ActiveDirectory{DelegationState: "DEACTIVATED"})
	require.Error(t, err)
}
