package jcapi_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/secret"
)

const testKey = "jcapi-test-key-0123456789abcdef"

// fixture is an emulator with one org, one key and one AD domain, and a
// client whose traffic is checked against the spec.
type fixture struct {
	emu *jcemu.Server
	url string
	org string
	ad  jcapi.ActiveDirectory
	c   *jcapi.Client
	vt  *validatingTransport
}

func newFixture(t testing.TB, opts ...jcapi.Option) *fixture {
	t.Helper()
	vt := newValidatingTransport(t)
	emu := jcemu.New(jcemu.WithClock(func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }))
	f := &fixture{emu: emu, vt: vt}
	f.org = emu.AddOrg("Example Org")
	require.NoError(t, emu.AddAPIKey(testKey, f.org))
	ad, err := emu.AddActiveDirectory(f.org, "DC=example,DC=com")
	require.NoError(t, err)
	f.ad = ad
	f.url = startServer(t, emu).URL + "/api"
	f.c = f.client(t, testKey, opts...)
	return f
}

// client builds a client for the fixture with fast retries and no rate limit.
func (f *fixture) client(t testing.TB, key string, opts ...jcapi.Option) *jcapi.Client {
	t.Helper()
	base := []jcapi.Option{
		jcapi.WithHTTPClient(&http.Client{Transport: f.vt, Timeout: 10 * time.Second}),
		jcapi.WithRetry(4, time.Millisecond, 4*time.Millisecond),
		jcapi.WithRateLimit(0, 0),
	}
	c, err := jcapi.New(f.url, secret.New(key), append(base, opts...)...)
	require.NoError(t, err)
	return c
}

func (f *fixture) seedUsers(t testing.TB, n int) []jcapi.SystemUser {
	t.Helper()
	out := make([]jcapi.SystemUser, n)
	for i := range n {
		u, err := f.emu.AddUser(f.org, jcapi.SystemUser{Username: fmt.Sprintf("user%05d", i), Email: fmt.Sprintf("user%05d@example.com", i), Firstname: "F", Lastname: fmt.Sprintf("L%d", i%7)})
		require.NoError(t, err)
		out[i] = u
	}
	return out
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, key, want string
	}{
		{"relative url", "/api", "k", "not an absolute URL"},
		{"bad scheme", "ftp://x/api", "k", "scheme must be http or https"},
		{"empty key", "https://console.jumpcloud.com/api", "", "empty API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := jcapi.New(tt.url, secret.New(tt.key))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestSystemUserLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	u, err := f.c.CreateSystemUser(ctx, jcapi.SystemUser{
		Username: "alice", Email: "alice@example.com", Firstname: "Alice", Lastname: "Liddell",
		Sudo: jcapi.Bool(false), ExternalDN: "CN=Alice,CN=Users,DC=example,DC=com", ExternalSourceType: "ActiveDirectory",
		Attributes:         []jcapi.Attribute{{Name: "objectGUID", Value: "b6a1…"}},
		RestrictedFields:   []jcapi.RestrictedField{{Field: "password", Type: jcapi.AuthorityActiveDirectory, ID: f.ad.ID}},
		DelegatedAuthority: &jcapi.DelegatedAuthority{Name: jcapi.DelegatedAuthorityActiveDirectory, ID: f.ad.ID},
	})
	require.NoError(t, err)
	assert.Len(t, u.ID, 24)
	assert.Equal(t, jcapi.StateActivated, u.State)
	assert.Equal(t, f.ad.ID, u.DelegatedAuthority.ID)
	assert.Equal(t, "2026-01-02T03:04:05Z", u.Created)

	got, err := f.c.SystemUserByUsername(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID)

	// Partial update: only the fields sent change; false is sent, not dropped.
	upd, err := f.c.UpdateSystemUser(ctx, u.ID, jcapi.SystemUserUpdate{Lastname: jcapi.String("Pleasance"), Sudo: jcapi.Bool(true), ClearDelegatedAuthority: true})
	require.NoError(t, err)
	assert.Equal(t, "Pleasance", upd.Lastname)
	assert.Equal(t, "Alice", upd.Firstname)
	assert.True(t, *upd.Sudo)
	assert.Nil(t, upd.DelegatedAuthority)
	upd, err = f.c.UpdateSystemUser(ctx, u.ID, jcapi.SystemUserUpdate{Sudo: jcapi.Bool(false)})
	require.NoError(t, err)
	require.NotNil(t, upd.Sudo)
	assert.False(t, *upd.Sudo)

	require.NoError(t, f.c.SetPassword(ctx, u.ID, secret.New("Tr1cky-Pass")))
	require.NoError(t, f.c.ForceSetPassword(ctx, u.ID, secret.New("An0ther-Pass")))
	got, err = f.c.GetSystemUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, "2026-01-02T03:04:05Z", got.PasswordDate)

	require.NoError(t, f.c.SuspendSystemUser(ctx, u.ID))
	got, _ = f.c.GetSystemUser(ctx, u.ID)
	assert.Equal(t, jcapi.StateSuspended, got.State)
	assert.True(t, *got.Suspended)
	require.NoError(t, f.c.ActivateSystemUser(ctx, u.ID, false))
	got, _ = f.c.GetSystemUser(ctx, u.ID)
	assert.Equal(t, jcapi.StateActivated, got.State)
	assert.False(t, *got.Suspended)

	// Suspension through PUT, as the import engine may do in one write.
	got, err = f.c.UpdateSystemUser(ctx, u.ID, jcapi.SystemUserUpdate{State: jcapi.String(jcapi.StateSuspended)})
	require.NoError(t, err)
	assert.True(t, *got.Suspended)

	require.NoError(t, f.c.DeleteSystemUser(ctx, u.ID))
	_, err = f.c.GetSystemUser(ctx, u.ID)
	require.ErrorIs(t, err, jcapi.ErrNotFound)
	assert.Empty(t, f.emu.Users(f.org))
}

func TestCreateDuplicateUsername(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedUsers(t, 1)
	_, err := f.c.CreateSystemUser(t.Context(), jcapi.SystemUser{Username: "USER00000", Email: "other@example.com"})
	// The spec answers a duplicate with 400 ("User already exists or Bad Request").
	require.ErrorIs(t, err, jcapi.ErrBadRequest)
	assert.ErrorContains(t, err, "already exists")
}

func TestPaging(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		users     int
		pageSize  int
		wantCalls int
	}{
		{"empty", 0, 0, 1},
		{"one short page", 7, 0, 1},
		{"exactly one page", 100, 0, 1}, // totalCount says we are done
		{"two pages", 101, 0, 2},
		{"many small pages", 95, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			seeded := f.seedUsers(t, tt.users)
			f.emu.ResetCalls()
			got, err := jcapi.Collect(f.c.SystemUsers(t.Context(), jcapi.ListOptions{PageSize: tt.pageSize}))
			require.NoError(t, err)
			require.Len(t, got, tt.users)
			for i := range got {
				assert.Equal(t, seeded[i].ID, got[i].ID)
			}
			assert.Equal(t, tt.wantCalls, f.emu.Calls()["GET /api/systemusers"])
		})
	}
}

func TestPagingV2(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	for i := range 205 {
		_, err := f.emu.AddUserGroup(f.org, jcapi.UserGroup{Name: fmt.Sprintf("group-%03d", i)})
		require.NoError(t, err)
	}
	f.emu.ResetCalls()
	groups, err := jcapi.Collect(f.c.UserGroups(ctx, jcapi.ListOptions{}))
	require.NoError(t, err)
	require.Len(t, groups, 205)
	assert.Equal(t, "group-204", groups[204].Name)
	assert.Equal(t, 3, f.emu.Calls()["GET /api/v2/usergroups"])
}

func TestFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedUsers(t, 30)
	for _, n := range []string{"Finance", "Finance EU", "Eng"} {
		_, err := f.emu.AddUserGroup(f.org, jcapi.UserGroup{Name: n})
		require.NoError(t, err)
	}
	users := []struct {
		name   string
		filter []string
		want   int
	}{
		{"eq", []string{"username:$eq:user00003"}, 1},
		{"ne", []string{"username:$ne:user00003"}, 29},
		{"in", []string{"username:$in:user00001|user00002|nobody"}, 2},
		{"sw", []string{"username:$sw:user0001"}, 10},
		{"gte", []string{"username:$gte:user00025"}, 5},
		{"and", []string{"lastname:$eq:L3", "username:$sw:user0001"}, 2},
		{"none", []string{"email:$eq:nobody@example.com"}, 0},
	}
	for _, tt := range users {
		t.Run("v1 "+tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := jcapi.Collect(f.c.SystemUsers(t.Context(), jcapi.ListOptions{Filter: tt.filter, PageSize: 3}))
			require.NoError(t, err)
			assert.Len(t, got, tt.want, "SystemUsers(filter %v)", tt.filter)
		})
	}
	groups := []struct {
		name   string
		filter []string
		want   []string
	}{
		{"eq", []string{"name:eq:Finance"}, []string{"Finance"}},
		{"search", []string{"name:search:fin"}, []string{"Finance", "Finance EU"}},
		{"ne and", []string{"name:ne:Eng", "name:ne:Finance"}, []string{"Finance EU"}},
		{"in", []string{"name:in:Eng|Finance"}, []string{"Finance", "Eng"}},
	}
	for _, tt := range groups {
		t.Run("v2 "+tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := jcapi.Collect(f.c.UserGroups(t.Context(), jcapi.ListOptions{Filter: tt.filter}))
			require.NoError(t, err)
			var names []string
			for _, g := range got {
				names = append(names, g.Name)
			}
			assert.Equal(t, tt.want, names, "UserGroups(filter %v)", tt.filter)
		})
	}
	t.Run("search endpoint", func(t *testing.T) {
		t.Parallel()
		got, err := jcapi.Collect(f.c.SearchSystemUsers(t.Context(), jcapi.Search{
			Filter: map[string]any{"and": []any{map[string]any{"lastname": "L2"}}},
		}))
		require.NoError(t, err)
		assert.Len(t, got, 4)
	})
}

func TestRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fault     jcemu.Fault
		wantCalls int
	}{
		{"429 twice", jcemu.Fault{Method: "GET", Path: "/api/systemusers", Status: 429, Times: 2}, 3},
		{"429 with Retry-After", jcemu.Fault{Method: "GET", Path: "/api/systemusers", Status: 429, RetryAfter: time.Second}, 2},
		{"500", jcemu.Fault{Method: "GET", Path: "/api/systemusers", Status: 500}, 2},
		{"503 three times", jcemu.Fault{Method: "GET", Path: "/api/systemusers", Status: 503, Times: 3}, 4},
		{"dropped connection", jcemu.Fault{Method: "GET", Path: "/api/systemusers", Drop: true}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var slept []time.Duration
			f := newFixture(t, jcapi.WithSleep(func(ctx context.Context, d time.Duration) error {
				slept = append(slept, d)
				return ctx.Err()
			}))
			f.seedUsers(t, 3)
			f.emu.ResetCalls()
			f.emu.FailNext(tt.fault)
			got, err := jcapi.Collect(f.c.SystemUsers(t.Context(), jcapi.ListOptions{}))
			require.NoError(t, err)
			assert.Len(t, got, 3)
			assert.Equal(t, tt.wantCalls, f.emu.TotalCalls())
			if tt.fault.RetryAfter > 0 {
				assert.Equal(t, []time.Duration{time.Second}, slept, "Retry-After honoured")
			}
		})
	}
}

func TestRetryGivesUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.emu.FailNext(jcemu.Fault{Path: "/api/systemusers/*", Status: 503, Times: 100})
	_, err := f.c.GetSystemUser(t.Context(), "65a0c0de0000000000000099")
	require.ErrorIs(t, err, jcapi.ErrServer)
	assert.Equal(t, 5, f.emu.TotalCalls(), "1 try + 4 retries")
}

func TestNoDuplicateCreate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	t.Run("user, response dropped", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.emu.FailNext(jcemu.Fault{Method: "POST", Path: "/api/systemusers", Drop: true})
		u, err := f.c.CreateSystemUser(ctx, jcapi.SystemUser{Username: "bob", Email: "bob@example.com"})
		require.NoError(t, err)
		assert.Equal(t, "bob", u.Username)
		require.Len(t, f.emu.Users(f.org), 1)
		assert.Equal(t, 1, f.emu.Calls()["POST /api/systemusers"], "found by lookup, not created twice")
	})
	t.Run("user, 502 before processing", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.emu.FailNext(jcemu.Fault{Method: "POST", Path: "/api/systemusers", Status: 502})
		_, err := f.c.CreateSystemUser(ctx, jcapi.SystemUser{Username: "bob", Email: "bob@example.com"})
		require.NoError(t, err)
		require.Len(t, f.emu.Users(f.org), 1)
	})
	t.Run("group, response dropped", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.emu.FailNext(jcemu.Fault{Method: "POST", Path: "/api/v2/usergroups", Drop: true})
		g, err := f.c.CreateUserGroup(ctx, jcapi.UserGroup{Name: "Eng"})
		require.NoError(t, err)
		assert.Len(t, g.ID, 24)
		require.Len(t, f.emu.UserGroups(f.org), 1)
	})
	t.Run("member add, response dropped", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		u := f.seedUsers(t, 1)[0]
		g, err := f.emu.AddUserGroup(f.org, jcapi.UserGroup{Name: "Eng"})
		require.NoError(t, err)
		f.emu.FailNext(jcemu.Fault{Method: "POST", Path: "/api/v2/usergroups/*/members", Drop: true})
		require.NoError(t, f.c.AddUserGroupMember(ctx, g.ID, u.ID), "the retry's 409 means the first attempt worked")
		assert.Equal(t, []string{u.ID}, f.emu.Members(f.org, g.ID))
	})
	t.Run("agent create is not retried after a lost response", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.emu.FailNext(jcemu.Fault{Method: "POST", Path: "/api/v2/activedirectories/*/agents", Drop: true})
		_, err := f.c.CreateAgent(ctx, f.ad.ID, jcapi.AgentSync)
		require.Error(t, err)
		assert.Len(t, f.emu.Agents(f.org, f.ad.ID), 1, "one agent made, none duplicated")
	})
}

func TestNoRetryOn4xx(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		is     error
	}{
		{"400", 400, jcapi.ErrBadRequest},
		{"401", 401, jcapi.ErrUnauthorized},
		{"403", 403, jcapi.ErrForbidden},
		{"404", 404, jcapi.ErrNotFound},
		{"409", 409, jcapi.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.emu.FailNext(jcemu.Fault{Status: tt.status, Times: 10})
			_, err := f.c.GetUserGroup(t.Context(), "65a0c0de0000000000000001")
			require.ErrorIs(t, err, tt.is)
			var ae *jcapi.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.status, ae.Status)
			assert.Equal(t, 1, f.emu.TotalCalls(), "no retry on %d", tt.status)
		})
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.emu.AddOrg("Second Org")
	require.NoError(t, f.emu.AddAPIKey("msp-key-0123456789", f.org, other))
	u, err := f.emu.AddUser(other, jcapi.SystemUser{Username: "carol", Email: "carol@example.com"})
	require.NoError(t, err)

	tests := []struct {
		name   string
		key    string
		org    string
		status int
		is     error
	}{
		{"wrong key", "not-a-key", "", 401, jcapi.ErrUnauthorized},
		{"single-org key, no x-org-id", testKey, "", 0, nil},
		{"single-org key, its org", testKey, f.org, 0, nil},
		{"single-org key, other org", testKey, other, 404, jcapi.ErrNotFound},
		{"multi-tenant key, no x-org-id", "msp-key-0123456789", "", 401, jcapi.ErrUnauthorized},
		{"multi-tenant key, x-org-id", "msp-key-0123456789", other, 0, nil},
		{"malformed x-org-id", testKey, "not-hex", 400, jcapi.ErrBadRequest},
		{"unknown org", testKey, "65a0c0deffffffffffffffff", 404, jcapi.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := f.client(t, tt.key, jcapi.WithOrgID(tt.org))
			users, err := jcapi.Collect(c.SystemUsers(t.Context(), jcapi.ListOptions{}))
			if tt.is == nil {
				require.NoError(t, err)
				if tt.org == other {
					require.Len(t, users, 1)
					assert.Equal(t, u.ID, users[0].ID)
				}
				return
			}
			require.ErrorIs(t, err, tt.is)
			var ae *jcapi.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.status, ae.Status)
		})
	}
	t.Run("x-org-id on the org list is refused", func(t *testing.T) {
		t.Parallel()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", f.url+"/organizations", nil)
		req.Header.Set("x-api-key", testKey)
		req.Header.Set("x-org-id", f.org)
		// Not through f.vt: the request breaks the spec on purpose.
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 403, resp.StatusCode)
	})
	t.Run("the path names the org, x-org-id is not sent", func(t *testing.T) {
		t.Parallel()
		c := f.client(t, "msp-key-0123456789", jcapi.WithOrgID(f.org))
		o, err := c.GetOrganization(t.Context(), other)
		require.NoError(t, err)
		assert.Equal(t, other, o.ID)
	})
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	require.NoError(t, f.emu.SetPasswordPolicy(f.org, "custom", jcapi.PasswordPolicy{
		EnableMinLength: true, MinLength: 12, NeedsUppercase: true, NeedsNumeric: true, NeedsSymbolic: true,
		EnableMaxHistory: true, MaxHistory: 3,
	}))
	u := f.seedUsers(t, 1)[0]

	compliance, p, err := f.c.PasswordPolicy(ctx)
	require.NoError(t, err)
	assert.Equal(t, "custom", compliance)
	assert.Equal(t, 12, p.MinLength)
	assert.True(t, p.NeedsSymbolic)

	err = f.c.SetPassword(ctx, u.ID, secret.New("short"))
	var ae *jcapi.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.Status)
	assert.Equal(t, "INVALID_ARGUMENT", ae.Code)
	assert.Equal(t, []jcapi.FieldViolation{
		{Field: "password", Description: "minLength"},
		{Field: "password", Description: "uppercase"},
		{Field: "password", Description: "number"},
		{Field: "password", Description: "specialCharacter"},
	}, ae.FieldViolations())
	assert.NotContains(t, err.Error(), "short", "the password never appears in an error")

	require.NoError(t, f.c.SetPassword(ctx, u.ID, secret.New("Correct-Horse-1")))
	err = f.c.SetPassword(ctx, u.ID, secret.New("Correct-Horse-1"))
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, []jcapi.FieldViolation{{Field: "password", Description: "passwordHistory"}}, ae.FieldViolations())

	// The admin reset endpoint gives one message, no details.
	err = f.c.ForceSetPassword(ctx, u.ID, secret.New("short"))
	require.ErrorAs(t, err, &ae)
	assert.Empty(t, ae.FieldViolations())
	assert.Contains(t, ae.Message, "minLength")
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	t.Run("during a slow call", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.emu.SetChaos(jcemu.Chaos{Latency: 5 * time.Second})
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := f.c.GetSystemUser(ctx, "65a0c0de0000000000000001")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 2*time.Second)
	})
	t.Run("during backoff", func(t *testing.T) {
		t.Parallel()
		// Cancel once the client is really in its backoff sleep, not after a
		// fixed delay: under load the first call may take longer than any delay.
		ctx, cancel := context.WithCancel(t.Context())
		inBackoff := make(chan struct{})
		sleep := func(ctx context.Context, d time.Duration) error {
			close(inBackoff)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
				return nil
			}
		}
		go func() { <-inBackoff; cancel() }()
		f := newFixture(t, jcapi.WithRetry(5, time.Hour, time.Hour), jcapi.WithSleep(sleep))
		f.emu.FailNext(jcemu.Fault{Status: 503})
		_, err := f.c.GetSystemUser(ctx, "65a0c0de0000000000000001")
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, f.emu.TotalCalls())
	})
	t.Run("already cancelled", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := jcapi.Collect(f.c.SystemUsers(ctx, jcapi.ListOptions{}))
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 0, f.emu.TotalCalls())
	})
}

func TestGroupsAndMembership(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	users := f.seedUsers(t, 3)

	g, err := f.c.CreateUserGroup(ctx, jcapi.UserGroup{Name: "Eng", Description: "engineers",
		Attributes: &jcapi.GroupAttributes{Sudo: &jcapi.GroupSudo{Enabled: true}}})
	require.NoError(t, err)
	assert.Equal(t, "user_group", g.Type)
	_, err = f.c.CreateUserGroup(ctx, jcapi.UserGroup{Name: "Eng"})
	require.ErrorIs(t, err, jcapi.ErrConflict)

	for _, u := range users {
		require.NoError(t, f.c.AddUserGroupMember(ctx, g.ID, u.ID))
	}
	require.ErrorIs(t, f.c.AddUserGroupMember(ctx, g.ID, users[0].ID), jcapi.ErrConflict)
	require.NoError(t, f.c.RemoveUserGroupMember(ctx, g.ID, users[1].ID))

	members, err := jcapi.Collect(f.c.UserGroupMembers(ctx, g.ID))
	require.NoError(t, err)
	require.Len(t, members, 2)
	assert.Equal(t, jcapi.GraphObject{ID: users[0].ID, Type: "user"}, members[0].To)

	membership, err := jcapi.Collect(f.c.UserGroupMembership(ctx, g.ID))
	require.NoError(t, err)
	require.Len(t, membership, 2)
	assert.Equal(t, users[2].ID, membership[1].ID)

	memberOf, err := jcapi.Collect(f.c.UserMemberOf(ctx, users[0].ID))
	require.NoError(t, err)
	require.Len(t, memberOf, 1)
	assert.Equal(t, g.ID, memberOf[0].ID)

	byName, err := f.c.UserGroupByName(ctx, "Eng")
	require.NoError(t, err)
	assert.Equal(t, g.ID, byName.ID)

	renamed, err := f.c.UpdateUserGroup(ctx, g.ID, jcapi.UserGroup{Name: "Engineering"})
	require.NoError(t, err)
	assert.Equal(t, "Engineering", renamed.Name)

	require.NoError(t, f.c.DeleteUserGroup(ctx, g.ID))
	_, err = f.c.GetUserGroup(ctx, g.ID)
	require.ErrorIs(t, err, jcapi.ErrNotFound)
}

func TestActiveDirectoryBindings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	users := f.seedUsers(t, 4)
	g, err := f.emu.AddUserGroup(f.org, jcapi.UserGroup{Name: "Sync"})
	require.NoError(t, err)
	require.NoError(t, f.emu.AddMember(f.org, g.ID, users[1].ID))
	require.NoError(t, f.emu.AddMember(f.org, g.ID, users[2].ID))

	ads, err := jcapi.Collect(f.c.ActiveDirectories(ctx, jcapi.ListOptions{}))
	require.NoError(t, err)
	require.Len(t, ads, 1)
	assert.Equal(t, f.ad.ID, ads[0].ID)

	require.NoError(t, f.c.BindUser(ctx, f.ad.ID, users[0].ID))
	require.NoError(t, f.c.BindUser(ctx, f.ad.ID, users[1].ID))
	require.NoError(t, f.c.BindUserGroup(ctx, f.ad.ID, g.ID))
	require.ErrorIs(t, f.c.BindUser(ctx, f.ad.ID, users[0].ID), jcapi.ErrConflict)

	bound, err := jcapi.Collect(f.c.ActiveDirectoryUsers(ctx, f.ad.ID, jcapi.ADUsersOptions{SyncStatus: true}))
	require.NoError(t, err)
	require.Len(t, bound, 3)
	assert.Equal(t, []string{users[0].ID, users[1].ID, users[2].ID}, []string{bound[0].ID, bound[1].ID, bound[2].ID})
	assert.True(t, bound[0].Direct())
	assert.Len(t, bound[1].Paths, 2, "directly and through the group")
	assert.False(t, bound[2].Direct(), "only through the group")

	groups, err := jcapi.Collect(f.c.ActiveDirectoryUserGroups(ctx, f.ad.ID, jcapi.ListOptions{}))
	require.NoError(t, err)
	require.Len(t, groups, 1)
	assert.Equal(t, g.ID, groups[0].ID)

	assoc, err := jcapi.Collect(f.c.ActiveDirectoryAssociations(ctx, f.ad.ID, jcapi.TypeUserGroup))
	require.NoError(t, err)
	require.Len(t, assoc, 1)
	gassoc, err := jcapi.Collect(f.c.UserGroupAssociations(ctx, g.ID, jcapi.TypeActiveDirectory))
	require.NoError(t, err)
	require.Len(t, gassoc, 1)
	assert.Equal(t, f.ad.ID, gassoc[0].To.ID)

	require.NoError(t, f.c.UnbindUserGroup(ctx, f.ad.ID, g.ID))
	bound, err = jcapi.Collect(f.c.ActiveDirectoryUsers(ctx, f.ad.ID, jcapi.ADUsersOptions{}))
	require.NoError(t, err)
	assert.Len(t, bound, 2)

	patched, err := f.c.UpdateActiveDirectory(ctx, f.ad.ID, jcapi.ActiveDirectory{UseCase: "TWOWAYSYNC", GroupsEnabled: jcapi.Bool(false)})
	require.NoError(t, err)
	assert.Equal(t, "TWOWAYSYNC", patched.UseCase)
	assert.False(t, *patched.GroupsEnabled)
}

func TestAgents(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	a, err := f.c.CreateAgent(ctx, f.ad.ID, jcapi.AgentSync)
	require.NoError(t, err)
	assert.NotEmpty(t, a.ConnectKey)
	assert.Equal(t, "unsealed", a.State)

	got, err := f.c.GetAgent(ctx, f.ad.ID, a.ID)
	require.NoError(t, err)
	assert.Empty(t, got.ConnectKey, "the connect key is shown once")

	reg, err := f.emu.RedeemConnectKey(a.ConnectKey, "dc1.example.com")
	require.NoError(t, err)
	assert.Equal(t, a.ID, reg.AgentID)
	_, err = f.emu.RedeemConnectKey(a.ConnectKey, "dc1.example.com")
	require.Error(t, err, "a connect key works once")

	agents, err := jcapi.Collect(f.c.ActiveDirectoryAgents(ctx, f.ad.ID))
	require.NoError(t, err)
	require.Len(t, agents, 1)
	assert.Equal(t, "active", agents[0].State)
	assert.Equal(t, "SYNC", agents[0].AgentType)

	require.NoError(t, f.c.DeleteAgent(ctx, f.ad.ID, a.ID))
	assert.Empty(t, f.emu.Agents(f.org, f.ad.ID))
}

func TestOrganizations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	orgs, err := jcapi.Collect(f.c.Organizations(t.Context()))
	require.NoError(t, err)
	require.Len(t, orgs, 1)
	assert.Equal(t, f.org, orgs[0].ID)
	o, err := f.c.CurrentOrganization(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "Example Org", o.DisplayName)
}

// TestSecretNeverLeaks drives failures with debug logging on and checks the
// key is in no log line and no error.
func TestSecretNeverLeaks(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	f := newFixture(t, jcapi.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	f.emu.FailNext(jcemu.Fault{Status: 503, Times: 2})
	f.emu.FailNext(jcemu.Fault{Drop: true})
	var errs []string
	_, err := f.c.GetSystemUser(t.Context(), "65a0c0de0000000000000001")
	errs = append(errs, fmt.Sprint(err), fmt.Sprintf("%+v %#v", err, err))
	bad := f.client(t, testKey+"-wrong")
	_, err = bad.GetSystemUser(t.Context(), "x")
	errs = append(errs, fmt.Sprint(err), fmt.Sprintf("%#v", bad))
	for _, s := range append(errs, logs.String()) {
		assert.NotContains(t, s, testKey)
	}
	assert.Contains(t, logs.String(), "jcapi retry")
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.c.GetSystemUser(t.Context(), "65a0c0de0000000000000042")
	require.Error(t, err)
	assert.Equal(t, "jcapi: get system user 65a0c0de0000000000000042: GET /systemusers/65a0c0de0000000000000042: 404 NOT_FOUND: user not found", err.Error())
	assert.False(t, strings.HasSuffix(err.Error(), "."))
}

// TestChaos runs a mixed workload against random 429/5xx and checks the
// end state is exactly what was asked for, with no duplicates.
func TestChaos(t *testing.T) {
	t.Parallel()
	f := newFixture(t, jcapi.WithRetry(12, time.Millisecond, 2*time.Millisecond))
	f.emu.SetChaos(jcemu.Chaos{Rate429: 0.2, Rate5xx: 0.2})
	ctx := t.Context()
	g, err := f.c.CreateUserGroup(ctx, jcapi.UserGroup{Name: "Chaos"})
	require.NoError(t, err)
	for i := range 20 {
		u, err := f.c.CreateSystemUser(ctx, jcapi.SystemUser{Username: fmt.Sprintf("c%02d", i), Email: fmt.Sprintf("c%02d@example.com", i)})
		require.NoError(t, err)
		require.NoError(t, f.c.AddUserGroupMember(ctx, g.ID, u.ID))
	}
	f.emu.SetChaos(jcemu.Chaos{})
	assert.Len(t, f.emu.Users(f.org), 20)
	assert.Len(t, f.emu.Members(f.org, g.ID), 20)
	assert.Len(t, f.emu.UserGroups(f.org), 1)
}
