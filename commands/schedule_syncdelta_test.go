package commands

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
	"github.com/adjc/adjc/secret"
)

// mirrorDomain is an AD that already holds b: the plan from it is empty.
func mirrorDomain(b reconcile.Cloud) reconcile.Directory {
	d := reconcile.Directory{Container: "CN=Users,DC=example,DC=com"}
	for i, u := range b.Users {
		d.Users = append(d.Users, reconcile.ADUser{GUID: guid(500 + i), DN: "CN=" + u.Username + "," + d.Container, Username: u.Username,
			GivenName: u.Firstname, Surname: u.Lastname, Mail: u.Email, Disabled: u.Suspended, SID: "S-1-5-21-1-2-3-" + string(rune('a'+i))})
	}
	return d
}

// TestScheduledSyncDeltaTicks walks a scheduled syncer through its ticks
// against the emulator's Directory Insights: a tick where nothing bound
// changed makes one JumpCloud call and reads nothing in AD; a change to a
// bound user re-reads that user alone; changes to unbound users are passed
// over; no entitlement, 'full-now', the full interval and an old cursor
// make a tick full, and say so.
func TestScheduledSyncDeltaTicks(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	srv := jcemu.New(jcemu.WithClock(clock))
	org := srv.AddOrg("o")
	if err := srv.AddAPIKey("k", org); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	jc, err := jcapi.New(ts.URL+"/api", secret.New("k"), jcapi.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	ad, err := srv.AddActiveDirectory(org, "DC=example,DC=com")
	if err != nil {
		t.Fatal(err)
	}
	bound, err := srv.AddUser(org, jcapi.SystemUser{Username: "bound", Email: "bound@example.com", Firstname: "B", Lastname: "One"})
	if err != nil {
		t.Fatal(err)
	}
	free, err := srv.AddUser(org, jcapi.SystemUser{Username: "free", Email: "free@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Bind(org, ad.ID, jcapi.TypeUser, bound.ID); err != nil {
		t.Fatal(err)
	}
	advance(time.Minute) // the seeding's events are indexed

	full, parts := 0, [][]string{}
	opts := &ScheduleOptions{
		Logger: slog.New(slog.DiscardHandler), Now: clock,
		JumpCloud: func(*config.Config) (*jcapi.Client, error) { return jc, nil },
		SyncState: func(ctx context.Context, _ *config.Config, d *config.Domain) (*State, error) {
			full++
			b, err := adapter.ReadBound(ctx, jc, d.JumpCloudDomainID)
			if err != nil {
				return nil, err
			}
			return &State{Domain: d, Cloud: b, Directory: mirrorDomain(b)}, nil
		},
		ReadSyncAD: func(_ context.Context, _ *config.Config, d *config.Domain, b reconcile.Cloud) (*State, error) {
			var ids []string
			for _, u := range b.Users {
				ids = append(ids, u.ID)
			}
			parts = append(parts, ids)
			return &State{Domain: d, Cloud: b, Directory: mirrorDomain(b)}, nil
		},
	}
	stateDir := t.TempDir()
	store, err := schedule.OpenStore(stateDir, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{AuditLog: filepath.Join(t.TempDir(), "audit.jsonl"), StateDir: stateDir}
	d := &config.Domain{Name: "example.com", Mode: config.ModeJCAuthority, JumpCloudDomainID: ad.ID}
	sy := &scheduledSyncer{opts: opts, cfg: cfg, d: d, pol: reconcile.DefaultPolicy(), store: store,
		deltas: true, fullInterval: time.Hour, overlap: DefaultEventOverlap, takeFullRequest: true}
	ctx := t.Context()
	if _, err := sy.run(ctx, schedule.Trigger{Kind: schedule.TriggerStart}, false); err != nil {
		t.Fatal(err)
	}
	step := func(name, wantKind, wantReason string) schedule.Summary {
		t.Helper()
		advance(30 * time.Second)
		fulls, calls, nparts := full, srv.TotalCalls(), len(parts)
		sum, err := sy.run(ctx, schedule.Trigger{Kind: schedule.TriggerInterval}, false)
		if err != nil {
			t.Fatalf("%s: run() = %v", name, err)
		}
		if sum.Kind() != wantKind || !strings.Contains(sum.FullReason, wantReason) {
			t.Errorf("%s: kind %s full_reason %q, want %s %q", name, sum.Kind(), sum.FullReason, wantKind, wantReason)
		}
		if (wantKind == "full") != (full == fulls+1) {
			t.Errorf("%s: %d full reads, want kind %s", name, full-fulls, wantKind)
		}
		if strings.HasPrefix(name, "nothing") && (srv.TotalCalls()-calls != 1 || len(parts) != nparts) {
			t.Errorf("%s: %d JumpCloud calls and %d AD reads, want 1 and 0", name, srv.TotalCalls()-calls, len(parts)-nparts)
		}
		return sum
	}
	step("nothing changed", "delta", "")

	if _, err := jc.UpdateSystemUser(ctx, bound.ID, jcapi.SystemUserUpdate{Lastname: jcapi.String("Two")}); err != nil {
		t.Fatal(err)
	}
	if sum := step("a bound user changed", "delta", ""); !sum.Targeted || len(parts) != 1 || len(parts[0]) != 1 || parts[0][0] != bound.ID {
		t.Errorf("a bound user changed: targeted=%v, AD reads for %v, want one for %s", sum.Targeted, parts, bound.ID)
	}
	if _, err := jc.UpdateSystemUser(ctx, free.ID, jcapi.SystemUserUpdate{Lastname: jcapi.String("Two")}); err != nil {
		t.Fatal(err)
	}
	step("nothing bound changed", "delta", "")

	// Import binds each user it creates: a delta, not a full read.
	if err := jc.BindUser(ctx, ad.ID, free.ID); err != nil {
		t.Fatal(err)
	}
	if sum := step("a user bound", "delta", ""); !sum.Targeted || len(parts) != 2 || len(parts[1]) != 1 || parts[1][0] != free.ID {
		t.Errorf("a user bound: targeted=%v, AD reads for %v, want one for %s", sum.Targeted, parts, free.ID)
	}
	if err := jc.UnbindUser(ctx, ad.ID, free.ID); err != nil {
		t.Fatal(err)
	}
	step("a user unbound", "delta", "")
	if _, err := jc.UpdateSystemUser(ctx, free.ID, jcapi.SystemUserUpdate{Lastname: jcapi.String("Three")}); err != nil {
		t.Fatal(err)
	}
	step("nothing bound changed after the unbind", "delta", "")

	if err := srv.SetInsights(org, false); err != nil {
		t.Fatal(err)
	}
	step("no entitlement", "full", "directory insights events unavailable")
	if err := srv.SetInsights(org, true); err != nil {
		t.Fatal(err)
	}
	step("entitlement back", "full", "unavailable")
	step("nothing changed again", "delta", "")

	if err := schedule.RequestFull(stateDir, "example.com", clock()); err != nil {
		t.Fatal(err)
	}
	step("full-now", "full", "full-now")
	advance(time.Hour)
	step("full interval", "full", "full interval")
	if err := store.Update(func(s *schedule.State) { s.EventCursor.Time = clock().Add(-25 * time.Hour) }); err != nil {
		t.Fatal(err)
	}
	step("an old cursor", "full", "event cursor")
	step("nothing changed at last", "delta", "")
}
