package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/reconcile/reconciletest"
	"github.com/adjc/adjc/schedule"
)

// targetedFixture is a scheduled importer over an in-memory JumpCloud and
// an AD the test edits; it counts full and targeted reads.
type targetedFixture struct {
	ad        reconcile.Directory
	mem       *reconciletest.Memory
	im        *scheduledImporter
	full      int
	fresh     [][]string
	freshErr  error
	cloudRead int
}

func newTargetedFixture(t *testing.T) *targetedFixture {
	t.Helper()
	x := &targetedFixture{mem: reconciletest.NewMemory(reconcile.Cloud{})}
	for i, name := range []string{"alice", "bob", "carol"} {
		x.ad.Users = append(x.ad.Users, reconcile.ADUser{GUID: guid(i + 1), Username: name, GivenName: name, Surname: "S", Mail: name + "@example.com"})
	}
	x.ad.Users[2].Disabled = true // never imported while disabled
	x.ad.Groups = []reconcile.ADGroup{{GUID: guid(100), Name: "Eng", Members: []string{guid(1), guid(2), guid(3)}}}
	opts := &ScheduleOptions{
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }, Concurrency: 1,
		ReadState: func(context.Context, *config.Config, *config.Domain) (*State, error) {
			x.full++
			return &State{Directory: x.ad, Cloud: x.mem.Cloud(), Target: x.mem, Index: &adapter.Index{}}, nil
		},
		ReadCloud: func(context.Context, *config.Config, *config.Domain) (reconcile.Cloud, error) {
			x.cloudRead++
			return x.mem.Cloud(), nil
		},
		ReadFresh: func(_ context.Context, _ *config.Config, _ *config.Domain, snap *adapter.Snapshot, ch adapter.Changed) (reconcile.Fresh, reconcile.Target, func(), error) {
			users := slices.Concat(ch.Users, ch.Deleted) // a deleted user is in x.ad no more
			for _, dns := range ch.Members {
				users = append(users, dns...) // the fixture's member DNs are GUIDs
			}
			x.fresh = append(x.fresh, users)
			if x.freshErr != nil {
				return reconcile.Fresh{}, nil, nil, x.freshErr
			}
			return x.freshFor(snap, users), x.mem, func() {}, nil
		},
	}
	cfg := &config.Config{AuditLog: filepath.Join(t.TempDir(), "audit.jsonl")}
	pol := reconcile.DefaultPolicy()
	x.im = &scheduledImporter{opts: opts, cfg: cfg, d: &config.Domain{Name: "example.com"}, pol: pol}
	return x
}

// freshFor is what adapter.ReadFresh would read about users: JumpCloud
// users by the ids snap has for their anchors, and by username and email.
func (x *targetedFixture) freshFor(snap *adapter.Snapshot, users []string) reconcile.Fresh {
	f := reconcile.Fresh{GUIDs: users, Groups: map[string][]string{}, CloudGroups: map[string][]string{}}
	cloud := x.mem.Cloud()
	byID := map[string]reconcile.CloudUser{}
	for _, cu := range cloud.Users {
		byID[cu.ID] = cu
	}
	add := func(cu reconcile.CloudUser) {
		if slices.ContainsFunc(f.CloudUsers, func(c reconcile.CloudUser) bool { return c.ID == cu.ID }) {
			return
		}
		f.CloudUsers = append(f.CloudUsers, cu)
		for _, g := range cloud.Groups {
			if slices.Contains(g.Members, cu.ID) {
				f.CloudGroups[cu.ID] = append(f.CloudGroups[cu.ID], g.ID)
			}
		}
	}
	// The ids the state kept has for the users (the full read, with what
	// targeted runs since created and deleted), as adapter.ReadFresh asks.
	for _, id := range snap.Base().AnchoredTo(users) {
		if now, ok := byID[id]; ok {
			add(now)
		} else {
			f.Gone = append(f.Gone, id)
		}
	}
	for _, u := range x.ad.Users {
		if !slices.Contains(users, u.GUID) {
			continue
		}
		f.Users = append(f.Users, u)
		for _, g := range x.ad.Groups {
			if slices.Contains(g.Members, u.GUID) {
				f.Groups[u.GUID] = append(f.Groups[u.GUID], g.GUID)
			}
		}
		for _, cu := range cloud.Users {
			if strings.EqualFold(cu.Username, u.Username) || strings.EqualFold(cu.Email, u.Mail) {
				add(cu)
			}
		}
	}
	return f
}

func (x *targetedFixture) user(name string) reconcile.CloudUser {
	for _, u := range x.mem.Cloud().Users {
		if u.Username == name {
			return u
		}
	}
	return reconcile.CloudUser{}
}

// TestScheduledImportTargeted walks a scheduled importer through the runs
// a watch produces: which are targeted, which fall back to a full read and
// why, and that each leaves JumpCloud as a full run would.
func TestScheduledImportTargeted(t *testing.T) {
	t.Parallel()
	x := newTargetedFixture(t)
	ctx := t.Context()
	watch := func(users ...string) schedule.Trigger {
		return schedule.Trigger{Kind: schedule.TriggerWatch, Users: users}
	}
	step := func(name string, tr schedule.Trigger, wantTargeted bool, wantReason string) schedule.Summary {
		t.Helper()
		full, fresh := x.full, len(x.fresh)
		sum, err := x.im.run(ctx, tr)
		if err != nil {
			t.Fatalf("%s: run() = %v", name, err)
		}
		if sum.Targeted != wantTargeted || !strings.Contains(sum.FullReason, wantReason) || (wantReason == "") != (sum.FullReason == "") {
			t.Errorf("%s: run() targeted=%v full_reason=%q, want %v %q", name, sum.Targeted, sum.FullReason, wantTargeted, wantReason)
		}
		if wantTargeted && x.full != full {
			t.Errorf("%s: a targeted run read everything", name)
		}
		if !wantTargeted && x.full != full+1 {
			t.Errorf("%s: a full run did not read everything", name)
		}
		if wantTargeted && len(x.fresh) != fresh+1 {
			t.Errorf("%s: a targeted run did not re-read its users", name)
		}
		// Whatever the kind of run, a full plan now has nothing to do.
		if again := reconcile.Diff(reconcile.ToJumpCloud, x.ad, x.mem.Cloud(), x.im.pol); !again.Empty() {
			t.Errorf("%s: after the run a full Diff plans %v", name, again.Changes)
		}
		return sum
	}

	step("start", schedule.Trigger{Kind: schedule.TriggerStart}, false, "")
	if x.cloudRead != 1 {
		t.Errorf("JumpCloud read again %d times after the start run applied changes, want 1", x.cloudRead)
	}
	aliceID := x.user("alice").ID

	x.ad.Users[0].Disabled = true
	step("disable", watch(guid(1)), true, "")
	if !x.user("alice").Suspended {
		t.Error("alice not suspended by the targeted run")
	}
	x.ad.Users[0].Disabled = false
	step("re-enable", watch(guid(1)), true, "")
	x.ad.Users[0].Username = "alice2"
	step("rename", watch(guid(1)), true, "")
	if got := x.user("alice2").ID; got != aliceID {
		t.Errorf("renamed user id = %q, want %q (the same JumpCloud user)", got, aliceID)
	}
	if got := x.fresh[len(x.fresh)-1]; !slices.Equal(got, []string{guid(1)}) {
		t.Errorf("ReadFresh users = %v, want alice only", got)
	}

	// bob leaves scope (the watch names him as a member removed from Eng):
	// deleted by default policy, in a targeted run.
	x.ad.Users = slices.Delete(x.ad.Users, 1, 2)
	x.ad.Groups[0].Members = slices.DeleteFunc(x.ad.Groups[0].Members, func(m string) bool { return m == guid(2) })
	step("leaves scope", schedule.Trigger{Kind: schedule.TriggerWatch, Members: map[string][]string{guid(100): {guid(2)}}}, true, "")
	if x.user("bob").ID != "" {
		t.Error("bob not deleted by the targeted run")
	}
	step("after a delete", watch(guid(1)), true, "")

	step("reconnect", schedule.Trigger{Kind: schedule.TriggerWatch, Users: []string{guid(2)}, Full: true}, false, "reconnected")
	x.freshErr = fmt.Errorf("%w: group Eng in scope changed", adapter.ErrFullRun)
	x.ad.Groups[0].Members = x.ad.Groups[0].Members[:1] // carol leaves Eng
	step("group change", schedule.Trigger{Kind: schedule.TriggerWatch, Groups: []string{guid(100)}}, false, "group Eng in scope changed")
	x.freshErr = nil

	// Enabling carol creates her: the cache no longer knows who holds her
	// anchor, so the next watch run reads everything.
	x.ad.Users[1].Disabled = false // carol, now second
	step("create", watch(guid(3)), true, "")
	if x.user("carol").ID == "" {
		t.Error("carol not created by the targeted run")
	}
	// The cache knows carol's new JumpCloud id: renamed with a new email
	// (nothing left to find her by), she is updated, not created twice.
	carolID := x.user("carol").ID
	x.ad.Users[1].Username, x.ad.Users[1].Mail = "caroline", "caroline@example.com"
	step("after a create", watch(guid(3)), true, "")
	if got := x.user("caroline").ID; got != carolID || len(x.mem.Cloud().Users) != 2 {
		t.Errorf("carol renamed after her create: id %q (want %q), %d JumpCloud users (want 2)", got, carolID, len(x.mem.Cloud().Users))
	}
	// A failed change leaves the cache behind: the next run is full.
	x.ad.Users[0].GivenName = "Alicia"
	x.mem.Hook = func(context.Context, reconciletest.Call) error { return errors.New("jumpcloud said no") }
	if _, err := x.im.run(ctx, watch(guid(1))); err == nil || x.im.cache != nil {
		t.Errorf("run() with a failing change = %v, cache %v; want an error and no cache", err, x.im.cache != nil)
	}
	x.mem.Hook = nil
	step("after a failure", watch(guid(1)), false, "no full read")
	step("cache back", watch(guid(1)), true, "")

	// The interval run is always full.
	step("interval", schedule.Trigger{Kind: schedule.TriggerInterval}, false, "")

	// A read failure is the run's error, and the cache is dropped.
	x.freshErr = errors.New("domain controller unavailable")
	if _, err := x.im.run(ctx, watch(guid(1))); err == nil || x.im.cache != nil {
		t.Errorf("run() with a failing read = %v, cache %v; want the error and no cache", err, x.im.cache != nil)
	}
}

// TestScheduledImportTargetedThreshold: a targeted plan spends the same
// removal budget as a full run, so suspending more users than it allows is
// held as in a full run.
func TestScheduledImportTargetedThreshold(t *testing.T) {
	t.Parallel()
	x := newTargetedFixture(t)
	x.im.pol.MaxDeletes = 1
	if _, err := x.im.run(t.Context(), schedule.Trigger{Kind: schedule.TriggerStart}); err != nil {
		t.Fatal(err)
	}
	x.ad.Users[0].Disabled, x.ad.Users[1].Disabled = true, true
	_, err := x.im.run(t.Context(), schedule.Trigger{Kind: schedule.TriggerWatch, Users: []string{guid(1), guid(2)}})
	if err == nil || !strings.Contains(err.Error(), "held 2 removals") {
		t.Errorf("targeted run suspending 2 of 2 with max 1 = %v, want the removals held", err)
	}
	if x.user("alice").Suspended || x.user("bob").Suspended {
		t.Error("held suspensions were applied")
	}
	if x.full != 1 || len(x.fresh) != 1 {
		t.Errorf("%d full and %d targeted reads, want the start run and one targeted", x.full, len(x.fresh))
	}
}

// fakeDelta is a deltaSource that returns the next queued event.
type fakeDelta struct {
	events []schedule.Event
	err    error
	polls  int
}

func (f *fakeDelta) Poll(context.Context) (schedule.Event, error) {
	f.polls++
	if f.err != nil || len(f.events) == 0 {
		return schedule.Event{}, f.err
	}
	ev := f.events[0]
	f.events = f.events[1:]
	return ev, nil
}

// TestScheduledImportDeltaTicks: without --watch, interval ticks cost what
// changed: a tick where DirSync reports nothing reads nothing else (no AD
// scope read, no JumpCloud call); a tick naming a user re-reads only that
// user, a deletion only what it removes; the full interval, DirSync unsure
// of what changed or failing, or 'schedule full-now' make a tick full, and a full run finds nothing left to do.
func TestScheduledImportDeltaTicks(t *testing.T) {
	t.Parallel()
	x := newTargetedFixture(t)
	ctx := t.Context()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	x.im.opts.Now = func() time.Time { return now }
	x.im.cfg.StateDir = t.TempDir()
	d := &fakeDelta{}
	x.im.delta, x.im.fullInterval = d, time.Hour
	tick := schedule.Trigger{Kind: schedule.TriggerInterval}
	if _, err := x.im.run(ctx, schedule.Trigger{Kind: schedule.TriggerStart}); err != nil {
		t.Fatal(err)
	}
	if x.full != 1 {
		t.Fatalf("start run: %d full reads, want 1", x.full)
	}
	step := func(name string, wantKind string, wantReason string) schedule.Summary {
		t.Helper()
		full, fresh, calls := x.full, len(x.fresh), len(x.mem.Calls())
		sum, err := x.im.run(ctx, tick)
		if err != nil {
			t.Fatalf("%s: run() = %v", name, err)
		}
		if sum.Kind() != wantKind || !strings.Contains(sum.FullReason, wantReason) {
			t.Errorf("%s: kind %s full_reason %q, want %s %q", name, sum.Kind(), sum.FullReason, wantKind, wantReason)
		}
		if wantKind == "delta" && x.full != full {
			t.Errorf("%s: a delta tick read everything", name)
		}
		if wantKind == "full" && x.full != full+1 {
			t.Errorf("%s: a full tick did not read everything", name)
		}
		if name == "nothing changed" && (len(x.fresh) != fresh || len(x.mem.Calls()) != calls) {
			t.Errorf("%s: a no-op delta tick read %d users and made %d JumpCloud calls, want none", name, len(x.fresh)-fresh, len(x.mem.Calls())-calls)
		}
		if again := reconcile.Diff(reconcile.ToJumpCloud, x.ad, x.mem.Cloud(), x.im.pol); !again.Empty() {
			t.Errorf("%s: after the run a full Diff plans %v", name, again.Changes)
		}
		return sum
	}
	step("nothing changed", "delta", "")

	x.ad.Users[0].Surname = "Changed"
	d.events = []schedule.Event{{Users: []string{guid(1)}}}
	if sum := step("one user changed", "delta", ""); !sum.Targeted || sum.Applied != 1 {
		t.Errorf("one user changed: targeted=%v applied=%d, want a targeted run applying 1", sum.Targeted, sum.Applied)
	}

	// A deleted user (a tombstone DirSync shows an account that may list
	// CN=Deleted Objects) is a delta too: planned as out of scope.
	bob := x.ad.Users[1].GUID
	x.ad.Users = slices.Delete(x.ad.Users, 1, 2)
	for i := range x.ad.Groups {
		x.ad.Groups[i].Members = slices.DeleteFunc(x.ad.Groups[i].Members, func(m string) bool { return m == bob })
	}
	d.events = []schedule.Event{{Deleted: []string{bob}}}
	if sum := step("a deletion", "delta", ""); !sum.Targeted || sum.Applied == 0 {
		t.Errorf("a deletion: targeted=%v applied=%d, want a targeted run removing bob", sum.Targeted, sum.Applied)
	}

	d.events = []schedule.Event{{Full: true}}
	step("dirsync unsure", "full", "could not say what changed")

	d.err = errors.New("dirsync refused the cookie")
	step("dirsync failing", "full", "dirsync failed")
	d.err = nil

	if err := schedule.RequestFull(x.im.cfg.StateDir, x.im.d.Name, now); err != nil {
		t.Fatal(err)
	}
	step("full-now", "full", "full-now")
	step("after full-now", "delta", "")

	now = now.Add(time.Hour)
	step("full interval", "full", "full interval")
	step("after the full interval", "delta", "")
}

// TestDeltaTickCostsWhatChanged guards against a delta tick growing with
// the scope again, without timing it: among 3,000 users in scope, a tick
// after one user changed reads nothing in full (no AD scope read, no
// JumpCloud re-read), plans over that user and its JumpCloud user alone,
// and makes the one JumpCloud write; the next tick for another user works
// from the state the first left, still without a full read.
func TestDeltaTickCostsWhatChanged(t *testing.T) {
	t.Parallel()
	x := newTargetedFixture(t)
	for i := range 3000 {
		name := fmt.Sprintf("user%04d", i)
		x.ad.Users = append(x.ad.Users, reconcile.ADUser{GUID: guid(1000 + i), Username: name, GivenName: name, Surname: "S", Mail: name + "@example.com"})
		x.ad.Groups[0].Members = append(x.ad.Groups[0].Members, guid(1000+i))
	}
	ctx := t.Context()
	d := &fakeDelta{}
	x.im.delta, x.im.fullInterval = d, time.Hour
	if _, err := x.im.run(ctx, schedule.Trigger{Kind: schedule.TriggerStart}); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{17, 2345} {
		full, cloudRead, calls := x.full, x.cloudRead, len(x.mem.Calls())
		x.ad.Users[3+i].Surname = "Changed"
		d.events = []schedule.Event{{Users: []string{guid(1000 + i)}}}
		sum, err := x.im.run(ctx, schedule.Trigger{Kind: schedule.TriggerInterval})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Kind() != "delta" || sum.Applied != 1 {
			t.Fatalf("tick after user %d changed: kind %s applied %d (%s), want a delta applying 1", i, sum.Kind(), sum.Applied, sum.FullReason)
		}
		if x.full != full || x.cloudRead != cloudRead {
			t.Errorf("tick after user %d changed: %d full reads, %d JumpCloud re-reads, want none", i, x.full-full, x.cloudRead-cloudRead)
		}
		if n := len(x.mem.Calls()) - calls; n != 1 {
			t.Errorf("tick after user %d changed: %d JumpCloud writes, want 1", i, n)
		}
		if x.im.cache == nil {
			t.Fatalf("tick after user %d changed dropped the state it plans against", i)
		}
		if ad, jc := x.im.cache.Base().Planned(); ad != 1 || jc != 1 {
			t.Errorf("tick after user %d changed planned over %d AD and %d JumpCloud users, want 1 and 1", i, ad, jc)
		}
	}
	if again := reconcile.Diff(reconcile.ToJumpCloud, x.ad, x.mem.Cloud(), x.im.pol); !again.Empty() {
		t.Errorf("after the ticks a full Diff plans %v", again.Changes)
	}
}
