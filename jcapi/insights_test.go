package jcapi_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/secret"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a settable clock for the emulator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// insightsFixture is an emulator with a settable clock and a client that
// validates every request against the Directory Insights spec.
func insightsFixture(t *testing.T, lag time.Duration) (*jcemu.Server, string, *jcapi.Client, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	emu := jcemu.New(jcemu.WithClock(clk.now), jcemu.WithInsightsLag(lag))
	org := emu.AddOrg("Example Org")
	require.NoError(t, emu.AddAPIKey(testKey, org))
	url := startServer(t, emu).URL + "/api"
	c, err := jcapi.New(url, secret.New(testKey), jcapi.WithHTTPClient(&http.Client{Transport: newValidatingTransport(t), Timeout: 10 * time.Second}),
		jcapi.WithRetry(1, time.Millisecond, time.Millisecond), jcapi.WithRateLimit(0, 0), jcapi.WithOrgID(org))
	require.NoError(t, err)
	return emu, org, c, clk
}

// TestEventsPagesAndLag: POST /events returns the changes made through the
// API, oldest first, only once the ingestion lag has passed, and pages
// with X-Search_after until X-Result-Count falls below X-Limit.
func TestEventsPagesAndLag(t *testing.T) {
	t.Parallel()
	emu, org, c, clk := insightsFixture(t, time.Minute)
	ctx := t.Context()
	start := clk.now()
	u, err := c.CreateSystemUser(ctx, jcapi.SystemUser{Username: "ev", Email: "ev@example.com"})
	require.NoError(t, err)
	g, err := c.CreateUserGroup(ctx, jcapi.UserGroup{Name: "Evs"})
	require.NoError(t, err)
	require.NoError(t, c.AddUserGroupMember(ctx, g.ID, u.ID))
	clk.add(time.Second)
	_, err = c.UpdateSystemUser(ctx, u.ID, jcapi.SystemUserUpdate{Lastname: jcapi.String("Renamed")})
	require.NoError(t, err)
	require.Len(t, emu.Events(org), 4)

	q := jcapi.EventQuery{Service: []string{jcapi.ServiceDirectory}, Start: start}
	got, _, err := c.AllEvents(ctx, q, 0)
	require.NoError(t, err)
	assert.Empty(t, got, "events must not be visible before the lag")

	clk.add(time.Minute)
	q.Limit = 1 // one page per event
	got, after, err := c.AllEvents(ctx, q, 0)
	require.NoError(t, err)
	var types []string
	for _, e := range got {
		types = append(types, e.EventType)
	}
	assert.Equal(t, []string{jcapi.EventUserCreate, jcapi.EventGroupCreate, jcapi.EventAssociationChange, jcapi.EventUserUpdate}, types)
	assert.NotEmpty(t, after)
	m := got[2].Association
	require.NotNil(t, m)
	assert.Equal(t, "add", m.Op)
	assert.Equal(t, jcapi.EventNode{Type: "user_group", ObjectID: g.ID}, m.Connection.From)
	assert.Equal(t, jcapi.EventNode{Type: "user", ObjectID: u.ID}, m.Connection.To)
	require.NotNil(t, got[3].Resource)
	assert.Equal(t, u.ID, got[3].Resource.ID)
	require.Len(t, got[3].Changes, 1)
	assert.Equal(t, "lastname", got[3].Changes[0].Field)

	// From the last page's token on, nothing is new.
	q.SearchAfter = after
	p, err := c.Events(ctx, q)
	require.NoError(t, err)
	assert.Empty(t, p.Events)

	// Too many: the caller learns it instead of getting a partial list.
	q.SearchAfter = nil
	_, _, err = c.AllEvents(ctx, q, 2)
	require.ErrorIs(t, err, jcapi.ErrTooManyEvents)
}

// TestEventsNotEntitled: an org without Directory Insights answers 402,
// which is an error a caller can fall back on.
func TestEventsNotEntitled(t *testing.T) {
	t.Parallel()
	emu, org, c, clk := insightsFixture(t, 0)
	require.NoError(t, emu.SetInsights(org, false))
	_, err := c.Events(t.Context(), jcapi.EventQuery{Service: []string{jcapi.ServiceDirectory}, Start: clk.now()})
	var ae *jcapi.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusPaymentRequired, ae.Status)
	assert.Contains(t, err.Error(), "not enabled")
}

// TestInsightsURL: the Directory Insights host of each region is the
// spec's servers entry; any other API URL serves it beside /api.
func TestInsightsURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://console.jumpcloud.com/api":    "https://api.jumpcloud.com/insights/directory/v1",
		"https://console.eu.jumpcloud.com/api": "https://api.eu.jumpcloud.com/insights/directory/v1",
		"http://127.0.0.1:8080/api":            "http://127.0.0.1:8080/insights/directory/v1",
	} {
		c, err := jcapi.New(in, secret.New("k"))
		require.NoError(t, err)
		assert.Equal(t, want, c.InsightsURL(), "New(%q).InsightsURL()", in)
	}
}
