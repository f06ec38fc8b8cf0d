package ha_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/ha"
	"github.com/adjc/adjc/ha/etcdtest"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// testTTL is the lease TTL of these tests: the shortest allowed, so a
// failover takes seconds, not tens of them.
const testTTL = ha.MinLeaseTTL

// contender is one instance of the group, with its own client as a
// separate process would have.
type contender struct {
	name   string
	client *clientv3.Client
	el     *ha.Elector
	stop   context.CancelFunc
	done   chan error
}

func start(t *testing.T, srv *etcdtest.Server, name string) *contender {
	t.Helper()
	cfg := ha.Config{Endpoints: []string{srv.Endpoint}, Prefix: "/test", LeaseTTL: testTTL}
	cl, err := ha.Dial(cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	el, err := ha.NewElector(cl, ha.ElectorOptions{Config: cfg, Domain: "adjc.lab", Instance: name})
	if err != nil {
		t.Fatalf("NewElector: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &contender{name: name, client: cl, el: el, stop: cancel, done: make(chan error, 1)}
	go func() { c.done <- el.Run(ctx) }()
	t.Cleanup(func() {
		c.stop()
		<-c.done
		c.client.Close()
	})
	return c
}

// waitLeader waits up to limit for exactly one of cs to prove leadership
// and returns it.
func waitLeader(t *testing.T, limit time.Duration, cs ...*contender) *contender {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var leaders []*contender
		for _, c := range cs {
			if c.el.IsLeader(t.Context()) == nil {
				leaders = append(leaders, c)
			}
		}
		switch len(leaders) {
		case 1:
			return leaders[0]
		case 0:
		default:
			t.Fatalf("%d leaders at once: %s and %s", len(leaders), leaders[0].name, leaders[1].name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no leader among %d contenders within %s", len(cs), limit)
	return nil
}

func TestElectionOneLeader(t *testing.T) {
	srv := etcdtest.Start(t)
	cs := []*contender{start(t, srv, "a"), start(t, srv, "b"), start(t, srv, "c")}
	leader := waitLeader(t, 10*time.Second, cs...)
	for _, c := range cs {
		err := c.el.IsLeader(t.Context())
		if c == leader {
			if err != nil {
				t.Errorf("%s.IsLeader() = %v, want nil (the leader)", c.name, err)
			}
			continue
		}
		if !errors.Is(err, schedule.ErrNotLeader) {
			t.Errorf("%s.IsLeader() = %v, want ErrNotLeader", c.name, err)
		}
	}
	st := waitStatus(t, cs[0].client, func(st ha.Status) bool { return len(st.Members) == 3 && st.Leader != "" })
	if st.Leader != leader.name {
		t.Errorf("Status.Leader = %q, want %q", st.Leader, leader.name)
	}
	var names []string
	for _, m := range st.Members {
		names = append(names, m.Instance)
		if m.LeaseGranted != testTTL {
			t.Errorf("member %s LeaseGranted = %s, want %s", m.Instance, m.LeaseGranted, testTTL)
		}
	}
	if got := strings.Join(names, ","); got != "a,b,c" {
		t.Errorf("Status members = %s, want a,b,c", got)
	}
}

func waitStatus(t *testing.T, cl *clientv3.Client, ok func(ha.Status) bool) ha.Status {
	t.Helper()
	var st ha.Status
	var err error
	for range 200 {
		st, err = ha.ReadStatus(t.Context(), cl, "/test", "adjc.lab")
		if err == nil && ok(st) {
			return st
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("ReadStatus = %+v, %v; not the status wanted", st, err)
	return st
}

// TestMain doubles as a contender process for TestKillFailover: with
// ADJC_HA_HELPER set, the test binary campaigns until it is killed.
func TestMain(m *testing.M) {
	if name := os.Getenv("ADJC_HA_HELPER"); name != "" {
		os.Exit(helper(name, os.Getenv("ADJC_HA_ENDPOINT")))
	}
	os.Exit(m.Run())
}

func helper(name, endpoint string) int {
	cfg := ha.Config{Endpoints: []string{endpoint}, Prefix: "/test", LeaseTTL: testTTL}
	cl, err := ha.Dial(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	el, err := ha.NewElector(cl, ha.ElectorOptions{Config: cfg, Domain: "adjc.lab", Instance: name})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := el.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestKillFailover: a leader process killed with SIGKILL (no resign, no
// revoke) is replaced once its lease expires on etcd's side: within the TTL
// plus 2 s, the bound (etcd checks expiry every 500 ms).
func TestKillFailover(t *testing.T) {
	srv := etcdtest.Start(t)
	procs := map[string]*exec.Cmd{}
	for _, name := range []string{"a", "b", "c"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "ADJC_HA_HELPER="+name, "ADJC_HA_ENDPOINT="+srv.Endpoint)
		cmd.Stderr = os.Stderr
		etcdtest.DieWithParent(cmd)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[name] = cmd
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	admin, err := ha.Dial(ha.Config{Endpoints: []string{srv.Endpoint}})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	st := waitStatus(t, admin, func(st ha.Status) bool { return len(st.Members) == 3 && !st.LeaderSince.IsZero() })
	old := st.Leader
	if err := procs[old].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = procs[old].Wait()
	var next ha.Status
	for {
		next, err = ha.ReadStatus(t.Context(), admin, "/test", "adjc.lab")
		if err == nil && next.Leader != "" && next.Leader != old {
			break
		}
		if time.Since(killed) > testTTL+2*time.Second {
			t.Fatalf("no new leader %s after SIGKILL of %s (status %+v, %v)", time.Since(killed), old, next, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%s killed; %s leader after %s (TTL %s)", old, next.Leader, time.Since(killed).Round(time.Millisecond), testTTL)
}

// TestResignOnStop: a graceful stop hands over at once (no TTL wait).
func TestResignOnStop(t *testing.T) {
	srv := etcdtest.Start(t)
	a, b := start(t, srv, "a"), start(t, srv, "b")
	old := waitLeader(t, 10*time.Second, a, b)
	old.stop()
	if err := <-old.done; err != nil {
		t.Fatalf("Run after stop = %v, want nil", err)
	}
	old.done <- nil // for the cleanup
	other := a
	if old == a {
		other = b
	}
	waitLeader(t, testTTL, other)
}

// TestEtcdGone: a leader that loses etcd stops counting itself leader
// before its lease could expire (TTL minus margin after the last
// keepalive), refuses fenced writes, and leads again when etcd is back.
func TestEtcdGone(t *testing.T) {
	srv := etcdtest.Start(t)
	a := start(t, srv, "a")
	waitLeader(t, 10*time.Second, a)
	store, err := ha.OpenStore(t.Context(), a.client, a.el)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Update(func(st *schedule.State) { st.DirSyncCookie = []byte("c1") }); err != nil {
		t.Fatalf("Update as leader = %v", err)
	}
	stopped := time.Now()
	srv.Stop()
	for a.el.Leader() {
		if time.Since(stopped) > testTTL {
			t.Fatalf("still leader %s after etcd stopped (TTL %s)", time.Since(stopped), testTTL)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("leadership dropped %s after etcd stopped (TTL %s)", time.Since(stopped).Round(time.Millisecond), testTTL)
	if err := a.el.IsLeader(t.Context()); !errors.Is(err, schedule.ErrNotLeader) {
		t.Errorf("IsLeader without etcd = %v, want ErrNotLeader", err)
	}
	if err := store.Update(func(st *schedule.State) { st.DirSyncCookie = []byte("c2") }); !errors.Is(err, schedule.ErrNotLeader) {
		t.Errorf("Update without leadership = %v, want ErrNotLeader", err)
	}
	srv.Start()
	waitLeader(t, 30*time.Second, a)
	if got := string(store.State().DirSyncCookie); got != "c1" {
		t.Errorf("cookie after etcd came back = %q, want c1", got)
	}
}

// TestSharedStateAcrossLeaders: what one leader stored, the next reads;
// the deposed one can no longer write.
func TestSharedStateAcrossLeaders(t *testing.T) {
	srv := etcdtest.Start(t)
	a, b := start(t, srv, "a"), start(t, srv, "b")
	first := waitLeader(t, 10*time.Second, a, b)
	second := a
	if first == a {
		second = b
	}
	s1, err := ha.OpenStore(t.Context(), first.client, first.el)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := ha.OpenStore(t.Context(), second.client, second.el)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Update(func(st *schedule.State) { st.DirSyncCookie = []byte("follower") }); !errors.Is(err, schedule.ErrNotLeader) {
		t.Errorf("follower Update = %v, want ErrNotLeader", err)
	}
	started := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	err = s1.Update(func(st *schedule.State) {
		st.DirSyncCookie = []byte{1, 2, 3}
		st.LastSuccess = started
		st.LastRun = &schedule.RunState{Trigger: schedule.TriggerWatch, Started: started}
		st.Removals = append(st.Removals, schedule.Removal{Direction: reconcile.ToJumpCloud, At: started, N: 2})
	})
	if err != nil {
		t.Fatalf("leader Update = %v", err)
	}

	// Depose the first leader behind its back: revoke its lease elsewhere.
	admin, err := ha.Dial(ha.Config{Endpoints: []string{srv.Endpoint}})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	resp, err := admin.Get(t.Context(), "/test/adjc.lab/election/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
	if err != nil || len(resp.Kvs) == 0 {
		t.Fatalf("election keys: %v, %d", err, len(resp.Kvs))
	}
	if _, err := admin.Revoke(t.Context(), clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	if err := s1.Update(func(st *schedule.State) { st.DirSyncCookie = []byte("stale") }); !errors.Is(err, schedule.ErrNotLeader) {
		t.Errorf("deposed leader's Update = %v, want ErrNotLeader", err)
	}
	waitLeader(t, 10*time.Second, second)
	got := s2.State()
	if string(got.DirSyncCookie) != "\x01\x02\x03" || !got.LastSuccess.Equal(started) || got.LastRun == nil ||
		!got.LastRun.Started.Equal(started) || len(got.Removals) != 1 || got.Domain != "adjc.lab" {
		t.Errorf("state read by the new leader = %+v, want the first leader's", got)
	}
	if err := s2.Update(func(st *schedule.State) { st.DirSyncCookie = []byte("c2") }); err != nil {
		t.Errorf("new leader Update = %v", err)
	}
	if string(s1.State().DirSyncCookie) != "c2" {
		t.Errorf("old leader does not read the new leader's write")
	}
}

// TestLeadCancelsOnLoss: the context of a run in progress ends when
// leadership does, with a cause wrapping ErrNotLeader.
func TestLeadCancelsOnLoss(t *testing.T) {
	srv := etcdtest.Start(t)
	a := start(t, srv, "a")
	waitLeader(t, 10*time.Second, a)
	ctx, cancel := a.el.Lead(t.Context())
	defer cancel()
	srv.Stop()
	<-ctx.Done()
	if err := context.Cause(ctx); !errors.Is(err, schedule.ErrNotLeader) {
		t.Errorf("Cause = %v, want ErrNotLeader", err)
	}
	// A follower's Lead context is done at once.
	ctx2, cancel2 := a.el.Lead(t.Context())
	defer cancel2()
	<-ctx2.Done()
	srv.Start()
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  ha.Config
		want string // substring of the error; "" for valid
	}{
		{"ok", ha.Config{Endpoints: []string{"https://etcd1:2379"}}, ""},
		{"ok ttl", ha.Config{Endpoints: []string{"http://127.0.0.1:2379"}, LeaseTTL: 15 * time.Second}, ""},
		{"no endpoints", ha.Config{}, "ha.etcd.endpoints: empty"},
		{"bad endpoint", ha.Config{Endpoints: []string{"etcd1:2379"}}, "not an http(s)://host:port URL"},
		{"cert without key", ha.Config{Endpoints: []string{"https://e:2379"}, CertFile: "c.pem"}, "set both or neither"},
		{"short ttl", ha.Config{Endpoints: []string{"https://e:2379"}, LeaseTTL: time.Second}, "ha.etcd.lease_ttl"},
		{"fractional ttl", ha.Config{Endpoints: []string{"https://e:2379"}, LeaseTTL: 7500 * time.Millisecond}, "whole seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLeaderGauge(t *testing.T) {
	srv := etcdtest.Start(t)
	a := start(t, srv, "a")
	waitLeader(t, 10*time.Second, a)
	b := start(t, srv, "b")
	for _, tt := range []struct {
		c    *contender
		want float64
	}{{a, 1}, {b, 0}} {
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(tt.c.el.Collector())
		mfs, err := reg.Gather()
		if err != nil || len(mfs) != 1 || mfs[0].GetName() != "adjc_leader" {
			t.Fatalf("Gather() = %v, %v; want adjc_leader", mfs, err)
		}
		if got := mfs[0].GetMetric()[0].GetGauge().GetValue(); got != tt.want {
			t.Errorf("adjc_leader of %s = %v, want %v", tt.c.name, got, tt.want)
		}
	}
}

// TestTLS: with https endpoints the client verifies the server against
// ca_file and presents its certificate; without the CA (system pool) or
// without a client certificate etcd is not reached.
func TestTLS(t *testing.T) {
	srv := etcdtest.StartTLS(t)
	ok := ha.Config{Endpoints: []string{srv.Endpoint}, CAFile: srv.CAFile, CertFile: srv.CertFile, KeyFile: srv.KeyFile, Prefix: "/test"}
	tests := []struct {
		name   string
		cfg    ha.Config
		wantOK bool
	}{
		{"verified with client certificate", ok, true},
		{"system pool does not know the CA", ha.Config{Endpoints: ok.Endpoints, CertFile: ok.CertFile, KeyFile: ok.KeyFile}, false},
		{"no client certificate", ha.Config{Endpoints: ok.Endpoints, CAFile: ok.CAFile}, false},
		{"name not in the certificate", ha.Config{Endpoints: []string{strings.Replace(srv.Endpoint, "127.0.0.1", "localhost", 1)},
			CAFile: ok.CAFile, CertFile: ok.CertFile, KeyFile: ok.KeyFile}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, err := ha.Dial(tt.cfg)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
			defer cancel()
			_, err = cl.Put(ctx, "/test/probe", "x")
			if gotOK := err == nil; gotOK != tt.wantOK {
				t.Errorf("Put over TLS = %v, want success %v", err, tt.wantOK)
			}
		})
	}
	bad := ok
	bad.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := ha.Dial(bad); err == nil || !strings.Contains(err.Error(), "ha.etcd.ca_file") {
		t.Errorf("Dial with a missing ca_file = %v, want an error naming ha.etcd.ca_file", err)
	}
}

// TestPause: the group's pause flag is set and cleared from any client,
// without leadership, and lives outside the election prefix (a key there
// would block the next campaign).
func TestPause(t *testing.T) {
	srv := etcdtest.Start(t)
	a := start(t, srv, "a")
	waitLeader(t, 10*time.Second, a)
	op, err := ha.Dial(ha.Config{Endpoints: []string{srv.Endpoint}})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	at := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	if err := ha.Pause(t.Context(), op, "/test", "adjc.lab", at); err != nil {
		t.Fatal(err)
	}
	paused, since, err := ha.PausedSince(t.Context(), a.client, "/test", "adjc.lab")
	if err != nil || !paused || !since.Equal(at) {
		t.Errorf("PausedSince = %v %v %v, want true %v", paused, since, err, at)
	}
	b := start(t, srv, "b")
	a.stop()
	waitLeader(t, 10*time.Second, b)
	if err := ha.Resume(t.Context(), op, "/test", "adjc.lab"); err != nil {
		t.Fatal(err)
	}
	if paused, _, err := ha.PausedSince(t.Context(), b.client, "/test", "adjc.lab"); err != nil || paused {
		t.Errorf("PausedSince after Resume = %v, %v; want false", paused, err)
	}
}
