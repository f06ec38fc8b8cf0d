package ha_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/ha"
	"github.com/adjc/adjc/ha/etcdtest"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func openStore(t *testing.T, c *contender) *ha.Store {
	t.Helper()
	s, err := ha.OpenStore(t.Context(), c.client, c.el)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func countKeys(t *testing.T, cl *clientv3.Client, prefix string) int {
	t.Helper()
	resp, err := cl.Get(t.Context(), prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return int(resp.Count)
}

// TestSnapshotShared: a leader's full read, bigger than one etcd request,
// is read whole by the next leader; an unchanged read rewrites only its
// description; a new one replaces the old data; a follower writes nothing.
func TestSnapshotShared(t *testing.T) {
	srv := etcdtest.Start(t)
	a, b := start(t, srv, "a"), start(t, srv, "b")
	leader := waitLeader(t, 10*time.Second, a, b)
	follower := a
	if leader == a {
		follower = b
	}
	ls, fs := openStore(t, leader), openStore(t, follower)

	if _, ok, err := fs.LoadSnapshot(t.Context()); ok || err != nil {
		t.Fatalf("LoadSnapshot before any save = ok %v, %v; want none", ok, err)
	}
	data := make([]byte, 2<<20+12345) // random: gzip cannot shrink it below two chunks
	rand.Read(data)
	taken := time.Now().UTC().Truncate(time.Second)
	snap := ha.Snapshot{Fingerprint: "fp1", Cookie: []byte("cookie1"), Taken: taken, Data: data}
	if err := ls.SaveSnapshot(t.Context(), leader.name, snap); err != nil {
		t.Fatalf("SaveSnapshot as leader = %v", err)
	}
	chunks := "/test/adjc.lab/snapshot-data/"
	if n := countKeys(t, leader.client, chunks); n < 3 {
		t.Errorf("%d chunks under %s, want 3 or more for %d bytes", n, chunks, len(data))
	}
	got, ok, err := fs.LoadSnapshot(t.Context())
	if err != nil || !ok {
		t.Fatalf("LoadSnapshot = ok %v, %v", ok, err)
	}
	if got.Fingerprint != "fp1" || string(got.Cookie) != "cookie1" || !got.Taken.Equal(taken) || !bytes.Equal(got.Data, data) {
		t.Errorf("LoadSnapshot = %q %q %s, %d bytes; want what was saved", got.Fingerprint, got.Cookie, got.Taken, len(got.Data))
	}

	// The same read again: the description moves on, the data is kept.
	rev := func() int64 {
		resp, err := leader.client.Get(t.Context(), chunks, clientv3.WithPrefix())
		if err != nil {
			t.Fatal(err)
		}
		return resp.Kvs[0].ModRevision
	}
	before := rev()
	snap.Cookie, snap.Taken = []byte("cookie2"), taken.Add(time.Minute)
	if err := ls.SaveSnapshot(t.Context(), leader.name, snap); err != nil {
		t.Fatal(err)
	}
	if rev() != before {
		t.Errorf("an unchanged read rewrote its data")
	}
	if got, _, _ := fs.LoadSnapshot(t.Context()); string(got.Cookie) != "cookie2" {
		t.Errorf("cookie after the second save = %q, want cookie2", got.Cookie)
	}

	// A new, small read replaces the old data.
	snap.Data = []byte(`{"small":true}`)
	if err := ls.SaveSnapshot(t.Context(), leader.name, snap); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, leader.client, chunks); n != 1 {
		t.Errorf("%d chunks after a small read replaced a big one, want 1", n)
	}
	if got, _, _ := fs.LoadSnapshot(t.Context()); string(got.Data) != `{"small":true}` {
		t.Errorf("data after the third save = %q", got.Data)
	}

	if err := fs.SaveSnapshot(t.Context(), follower.name, ha.Snapshot{Fingerprint: "x", Cookie: []byte("c"), Data: []byte("{}")}); !errors.Is(err, schedule.ErrNotLeader) {
		t.Errorf("SaveSnapshot as follower = %v, want ErrNotLeader", err)
	}
	if got, _, _ := ls.LoadSnapshot(t.Context()); got.Fingerprint != "fp1" {
		t.Errorf("a follower's save changed the snapshot: fingerprint %q", got.Fingerprint)
	}
}

// TestApprovalsShared: 'adjc approve' on any host writes to etcd; the
// leader's ledger counts the releases and clears only those it counted.
func TestApprovalsShared(t *testing.T) {
	srv := etcdtest.Start(t)
	a := start(t, srv, "a")
	waitLeader(t, 10*time.Second, a)
	admin, err := ha.Dial(ha.Config{Endpoints: []string{srv.Endpoint}})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	dir := reconcile.Direction("import")
	for _, n := range []int{2, 3} {
		if _, err := ha.Approve(t.Context(), admin, "/test", "adjc.lab", dir, n, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ha.Approve(t.Context(), admin, "/test", "adjc.lab", "sync", 7, time.Now()); err != nil {
		t.Fatal(err)
	}
	led := openStore(t, a).WithApprovals(nil)
	if n, err := led.Approved(dir); err != nil || n != 5 {
		t.Fatalf("Approved(import) = %d, %v; want 5", n, err)
	}
	// A release made after the count survives the clear.
	if _, err := ha.Approve(t.Context(), admin, "/test", "adjc.lab", dir, 4, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := led.ClearApproved(dir); err != nil {
		t.Fatalf("ClearApproved = %v", err)
	}
	if n, err := led.Approved(dir); err != nil || n != 4 {
		t.Errorf("Approved(import) after the clear = %d, %v; want 4 (made after the count)", n, err)
	}
	if n, _ := led.Approved("sync"); n != 7 {
		t.Errorf("Approved(sync) = %d, want 7 (another direction)", n)
	}
}

// TestWriterLock: the group's writer lock keeps a one-shot command and the
// leader's runs apart; the one who waits learns who holds it; the budget
// written under the lock is fenced by it.
func TestWriterLock(t *testing.T) {
	srv := etcdtest.Start(t)
	a := start(t, srv, "a")
	waitLeader(t, 10*time.Second, a)
	cfg := ha.Config{Endpoints: []string{srv.Endpoint}, Prefix: "/test", LeaseTTL: testTTL}
	cl, err := ha.Dial(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	run := a.el.WriterLock() // the leader's, for a run
	if err := run.Lock(t.Context(), 0, nil); err != nil {
		t.Fatalf("leader's Lock = %v", err)
	}
	oneShot := ha.NewWriterLock(cl, cfg, "adjc.lab", "otherhost:42")
	var told string
	err = oneShot.Lock(t.Context(), 500*time.Millisecond, func(holder string) { told = holder })
	if !errors.Is(err, schedule.ErrLocked) || !strings.Contains(err.Error(), "a") || !strings.Contains(err.Error(), "/test/adjc.lab/writer") {
		t.Fatalf("one-shot Lock while the leader runs = %v; want ErrLocked naming the holder and the key", err)
	}
	if told != "held by a" {
		t.Errorf("waiting told %q, want %q", told, "held by a")
	}
	run.Unlock()
	if err := oneShot.Lock(t.Context(), 5*time.Second, nil); err != nil {
		t.Fatalf("one-shot Lock after the run = %v", err)
	}
	store, err := ha.OpenWriterStore(t.Context(), cl, cfg, "adjc.lab", oneShot)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Record("import", time.Now(), 2); err != nil {
		t.Errorf("Record under the writer lock = %v", err)
	}
	// The leader's next run waits for the one-shot to finish.
	got := make(chan error, 1)
	go func() { got <- run.Lock(t.Context(), 0, nil) }()
	select {
	case err := <-got:
		t.Fatalf("leader's Lock while a one-shot holds it returned %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	oneShot.Close()
	if err := <-got; err != nil {
		t.Fatalf("leader's Lock after the one-shot = %v", err)
	}
	run.Close()
	if err := store.Record("import", time.Now(), 1); !errors.Is(err, schedule.ErrNotLeader) {
		t.Errorf("Record after the lock was let go = %v, want ErrNotLeader", err)
	}
	if n, _ := openStore(t, a).Spent("import", time.Now().Add(-time.Hour)); n != 2 {
		t.Errorf("Spent = %d, want the 2 recorded under the lock", n)
	}
}

// TestFollowerReady: a follower is ready to take over while etcd answers
// it, not when it cannot reach etcd; ready again once etcd is back.
func TestFollowerReady(t *testing.T) {
	srv := etcdtest.Start(t)
	a, b := start(t, srv, "a"), start(t, srv, "b")
	leader := waitLeader(t, 10*time.Second, a, b)
	follower := a
	if leader == a {
		follower = b
	}
	if ok, why := follower.el.Ready(); !ok {
		t.Fatalf("follower Ready = false (%s) with etcd up", why)
	}
	srv.Stop()
	deadline := time.Now().Add(4 * testTTL)
	for {
		ok, why := follower.el.Ready()
		if !ok {
			if !strings.Contains(why, "etcd") {
				t.Errorf("not ready because %q; want it to name etcd", why)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("follower still ready %s after etcd stopped", 4*testTTL)
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.Start()
	deadline = time.Now().Add(60 * time.Second)
	for ok, _ := follower.el.Ready(); !ok; ok, _ = follower.el.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("follower not ready a minute after etcd came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
