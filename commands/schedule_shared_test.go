package commands

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ha"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
)

// memShared is an HA group's shared full read, in memory.
type memShared struct {
	snap  *ha.Snapshot
	saves int
}

func (m *memShared) SaveSnapshot(_ context.Context, _ string, s ha.Snapshot) error {
	m.saves++
	m.snap = &s
	return nil
}

func (m *memShared) LoadSnapshot(context.Context) (ha.Snapshot, bool, error) {
	if m.snap == nil {
		return ha.Snapshot{}, false, nil
	}
	return *m.snap, true, nil
}

// TestResumeFromSharedRead: a leader shares its full read with the cookie
// read before it; a new leader's first run (Takeover) loads it, asks
// DirSync what changed since that cookie and plans only that, without a
// full read; it falls back to a full run, saying why, when the read is
// missing, from another configuration, stale, or a deletion happened.
func TestResumeFromSharedRead(t *testing.T) {
	t.Parallel()
	x := newTargetedFixture(t)
	ctx := t.Context()
	shared := &memShared{}
	var asked [][]byte
	since := schedule.Event{}
	sinceFn := func(_ context.Context, cookie []byte) (schedule.Event, error) {
		asked = append(asked, cookie)
		return since, nil
	}
	share := func(im *scheduledImporter, fp string) {
		im.shared, im.fingerprint, im.maxAge, im.since = shared, fp, time.Hour, sinceFn
		im.position = func() []byte { return []byte("c0") }
	}
	share(x.im, "fp")

	// The first leader's start run is full and shares what it read.
	if _, err := x.im.run(ctx, schedule.Trigger{Kind: schedule.TriggerStart, Full: true, Takeover: true}); err != nil {
		t.Fatal(err)
	}
	if shared.snap == nil || string(shared.snap.Cookie) != "c0" || shared.snap.Fingerprint != "fp" {
		t.Fatalf("shared after the first full run: %+v, want the read with cookie c0", shared.snap)
	}
	if string(x.im.consumed) != "c0" {
		t.Errorf("a full run consumed cookie %q, want c0 (read before it)", x.im.consumed)
	}

	// A new leader, another process: nothing in memory.
	next := func(fp string) *scheduledImporter {
		im := &scheduledImporter{opts: x.im.opts, cfg: x.im.cfg, d: x.im.d, pol: x.im.pol}
		share(im, fp)
		return im
	}
	takeover := schedule.Trigger{Kind: schedule.TriggerStart, Full: true, Takeover: true}
	x.ad.Users[0].GivenName = "Alicia"
	since = schedule.Event{Users: []string{guid(1)}, Cookie: []byte("c1")}
	im := next("fp")
	full := x.full
	sum, err := im.run(ctx, takeover)
	if err != nil {
		t.Fatalf("takeover run = %v", err)
	}
	if x.full != full || !sum.Delta || sum.FullReason != "" || sum.Applied != 1 {
		t.Errorf("takeover run: %d full reads, summary %+v; want a delta applying alice's change, no full read", x.full-full, sum)
	}
	if len(asked) != 1 || string(asked[0]) != "c0" || string(im.consumed) != "c1" {
		t.Errorf("dirsync asked from %q, consumed %q; want from c0 (the shared read's), consumed c1", asked, im.consumed)
	}
	if got := x.user("alice").Firstname; got != "Alicia" {
		t.Errorf("alice's firstname after the takeover = %q, want Alicia", got)
	}
	// The next watch run is targeted against what it loaded.
	x.ad.Users[0].GivenName = "Ali"
	if sum, err := im.run(ctx, schedule.Trigger{Kind: schedule.TriggerWatch, Users: []string{guid(1)}}); err != nil || !sum.Targeted {
		t.Errorf("watch run after the takeover = %+v, %v; want targeted", sum, err)
	}

	fallback := func(name string, prep func(), reason string) {
		t.Helper()
		prep()
		full := x.full
		sum, err := next("fp").run(ctx, takeover)
		if err != nil || x.full != full+1 || !strings.Contains(sum.FullReason, reason) {
			t.Errorf("%s: takeover = %v, %d full reads, full_reason %q; want a full run because %q", name, err, x.full-full, sum.FullReason, reason)
		}
	}
	saved := *shared.snap
	fallback("other config", func() { shared.snap.Fingerprint = "other" }, "another configuration")
	fallback("stale", func() { *shared.snap = saved; shared.snap.Taken = x.im.opts.Now().Add(-2 * time.Hour) }, "old (full interval 1h0m0s)")
	fallback("dirsync unsure", func() { *shared.snap = saved; since = schedule.Event{Full: true} }, "could not say what changed")
	fallback("missing", func() { shared.snap = nil }, "no full read shared")
}

// TestSaveCookie: a run saves the cookie it consumed only when it applied
// its plan or held part of it, never after a failure.
func TestSaveCookie(t *testing.T) {
	t.Parallel()
	store := &memStore{}
	if err := saveCookie(store, []byte("c1"), errors.New("jumpcloud down")); err != nil || store.st.DirSyncCookie != nil {
		t.Errorf("after a failed run: cookie %q, %v; want none saved", store.st.DirSyncCookie, err)
	}
	if err := saveCookie(store, []byte("c2"), &pipeline.HeldError{Held: 3, Direction: pipeline.Import}); err != nil || string(store.st.DirSyncCookie) != "c2" {
		t.Errorf("after a held run: cookie %q, %v; want c2", store.st.DirSyncCookie, err)
	}
	if err := saveCookie(store, []byte("c3"), nil); err != nil || string(store.st.DirSyncCookie) != "c3" {
		t.Errorf("after an applied run: cookie %q, %v; want c3", store.st.DirSyncCookie, err)
	}
	tap := &cookieTap{StateStore: store}
	if err := tap.Update(func(st *schedule.State) { st.DirSyncCookie = []byte("seen") }); err != nil || string(tap.position()) != "seen" || string(store.st.DirSyncCookie) != "c3" {
		t.Errorf("a cookie read: position %q, saved %q; want it kept in memory only", tap.position(), store.st.DirSyncCookie)
	}
}

type memStore struct{ st schedule.State }

func (m *memStore) State() schedule.State { return m.st.Clone() }
func (m *memStore) Update(f func(*schedule.State)) error {
	f(&m.st)
	return nil
}

// TestSnapshotFingerprint: hosts of a group that reach the DC differently
// share reads; another scope or policy does not.
func TestSnapshotFingerprint(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{}
	d := config.Domain{Name: "example.com", BaseDN: "DC=example,DC=com", JumpCloudGroup: "JumpCloud", LDAPURL: "ldaps://dc1"}
	pol := reconcile.DefaultPolicy()
	fp := snapshotFingerprint(cfg, &d, pol)
	other := d
	other.LDAPURL, other.Bind, other.CAFile, other.Index = "ldaps://dc2", "svc2@example.com", "/etc/other-ca.pem", 3
	if got := snapshotFingerprint(cfg, &other, pol); got != fp {
		t.Errorf("a host reaching another DC has another fingerprint")
	}
	other = d
	other.JumpCloudGroup = "JumpCloud Users"
	if snapshotFingerprint(cfg, &other, pol) == fp {
		t.Errorf("another JumpCloud group has the same fingerprint")
	}
	pol.MaxDeletes++
	if snapshotFingerprint(cfg, &d, pol) == fp {
		t.Errorf("another policy has the same fingerprint")
	}
}
