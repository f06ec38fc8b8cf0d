package jcemu_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/secret"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestEventPerChange: every user, group, membership and binding change
// made through the API or the seeding hooks records one event of the real
// type, and POST /events shows it only once the ingestion lag has passed.
func TestEventPerChange(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}
	s := jcemu.New(jcemu.WithClock(clk.now)) // default lag
	org := s.AddOrg("o")
	require.NoError(t, s.AddAPIKey("k", org))
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := jcapi.New(srv.URL+"/api", secret.New("k"), jcapi.WithRateLimit(0, 0))
	require.NoError(t, err)
	ctx := context.Background()

	ad, err := s.AddActiveDirectory(org, "DC=example,DC=com")
	require.NoError(t, err)
	seeded, err := s.AddUser(org, jcapi.SystemUser{Username: "seed", Email: "seed@example.com"})
	require.NoError(t, err)
	u, err := c.CreateSystemUser(ctx, jcapi.SystemUser{Username: "api", Email: "api@example.com"})
	require.NoError(t, err)
	_, err = c.UpdateSystemUser(ctx, u.ID, jcapi.SystemUserUpdate{Firstname: jcapi.String("A")})
	require.NoError(t, err)
	_, err = c.UpdateSystemUser(ctx, u.ID, jcapi.SystemUserUpdate{Firstname: jcapi.String("A")}) // no change: no event
	require.NoError(t, err)
	require.NoError(t, c.SuspendSystemUser(ctx, u.ID))
	require.NoError(t, c.ActivateSystemUser(ctx, u.ID, false))
	g, err := c.CreateUserGroup(ctx, jcapi.UserGroup{Name: "G"})
	require.NoError(t, err)
	_, err = c.UpdateUserGroup(ctx, g.ID, jcapi.UserGroup{Name: "G2"})
	require.NoError(t, err)
	require.NoError(t, c.AddUserGroupMember(ctx, g.ID, u.ID))
	require.NoError(t, s.AddMember(org, g.ID, seeded.ID))
	require.NoError(t, c.RemoveUserGroupMember(ctx, g.ID, u.ID))
	require.NoError(t, c.BindUserGroup(ctx, ad.ID, g.ID))
	require.NoError(t, s.Bind(org, ad.ID, "user", u.ID))
	require.NoError(t, c.DeleteUserGroup(ctx, g.ID))
	require.NoError(t, c.DeleteSystemUser(ctx, u.ID))

	want := []string{"user_create", "user_create", "user_update", "user_suspended", "user_unsuspended",
		"group_create", "group_update", "association_change", "association_change", "association_change",
		"association_change", "association_change", "group_delete", "user_delete"}
	var got []string
	for _, e := range s.Events(org) {
		got = append(got, e.EventType)
	}
	assert.Equal(t, want, got)

	q := jcapi.EventQuery{Service: []string{"all"}, Start: clk.now().Add(-time.Hour)}
	evs, _, err := c.AllEvents(ctx, q, 0)
	require.NoError(t, err)
	assert.Empty(t, evs, "visible before the lag (%s)", jcemu.DefaultInsightsLag)
	clk.add(jcemu.DefaultInsightsLag)
	evs, _, err = c.AllEvents(ctx, q, 0)
	require.NoError(t, err)
	assert.Len(t, evs, len(want))
}

// TestEventsStrict: the events endpoint refuses what its spec does not
// allow, and what adjc does not send, with a message naming it.
func TestEventsStrict(t *testing.T) {
	t.Parallel()
	s := jcemu.New()
	org := s.AddOrg("o")
	require.NoError(t, s.AddAPIKey("k", org))
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name, query, body string
		hdr               map[string]string
		status            int
		msg               string
	}{
		{"ok", "", `{"service":["directory"],"start_time":"2026-01-01T00:00:00Z"}`, nil, 200, ""},
		{"no service", "", `{"start_time":"2026-01-01T00:00:00Z"}`, nil, 400, "service is required"},
		{"unknown service", "", `{"service":["everything"],"start_time":"2026-01-01T00:00:00Z"}`, nil, 400, `invalid service "everything"`},
		{"no start", "", `{"service":["all"]}`, nil, 400, "start_time is required"},
		{"bad start", "", `{"service":["all"],"start_time":"yesterday"}`, nil, 400, "not an RFC 3339 time"},
		{"future start", "", `{"service":["all"],"start_time":"` + future + `"}`, nil, 400, "in the future"},
		{"end before start", "", `{"service":["all"],"start_time":"2026-01-02T00:00:00Z","end_time":"2026-01-01T00:00:00Z"}`, nil, 400, "before start_time"},
		{"unsupported field", "", `{"service":["all"],"start_time":"2026-01-01T00:00:00Z","q":"x"}`, nil, 400, `field "q"`},
		{"limit too big", "", `{"service":["all"],"start_time":"2026-01-01T00:00:00Z","limit":10001}`, nil, 400, "limit must be"},
		{"bad sort", "", `{"service":["all"],"start_time":"2026-01-01T00:00:00Z","sort":"up"}`, nil, 400, "sort must be"},
		{"bad search_after", "", `{"service":["all"],"start_time":"2026-01-01T00:00:00Z","search_after":["x"]}`, nil, 400, "search_after must be"},
		{"query parameter", "?limit=5", `{"service":["all"],"start_time":"2026-01-01T00:00:00Z"}`, nil, 400, "query parameter limit"},
		{"undeclared header", "", `{"service":["all"],"start_time":"2026-01-01T00:00:00Z"}`, map[string]string{"x-provider-id": "p"}, 400, "header x-provider-id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/insights/directory/v1/events"+tt.query, strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("x-api-key", "k")
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tt.hdr {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tt.status, resp.StatusCode, "%s", b)
			if tt.msg != "" {
				var m struct{ Message string }
				require.NoError(t, json.Unmarshal(b, &m))
				assert.Contains(t, m.Message, tt.msg)
			} else {
				assert.Equal(t, "1000", resp.Header.Get("X-Limit"))
			}
		})
	}
}
