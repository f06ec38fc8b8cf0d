package schedule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/adjc/adjc/reconcile"
)

func TestStoreAtomic(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	s, err := OpenStore(dir, "ADJC.lab")
	if err != nil {
		t.Fatalf("OpenStore() = %v", err)
	}
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	err = s.Update(func(st *State) {
		st.DirSyncCookie = []byte{1, 2, 3}
		st.LastSuccess = at
		st.LastRun = newRunState(Record{Trigger: Trigger{Kind: TriggerWatch}, Started: at, Duration: time.Second, Err: errors.New("boom")})
	})
	if err != nil {
		t.Fatalf("Update() = %v", err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil || fi.Mode().Perm() != 0o600 || filepath.Base(s.Path()) != "adjc.lab.state.json" {
		t.Fatalf("state file %s: %v, mode %v; want 0600", s.Path(), err, fi.Mode())
	}
	if d, _ := os.Stat(dir); d.Mode().Perm() != 0o700 {
		t.Errorf("state folder mode %v, want 0700", d.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("state folder holds %v, want only the state file (no temp files)", entries)
	}
	again, err := OpenStore(dir, "adjc.lab")
	if err != nil {
		t.Fatalf("OpenStore() again = %v", err)
	}
	st := again.State()
	if string(st.DirSyncCookie) != "\x01\x02\x03" || !st.LastSuccess.Equal(at) || st.LastRun.Error != "boom" || st.LastRun.Trigger != TriggerWatch {
		t.Errorf("reloaded state = %+v", st)
	}
}

func TestStoreWriteFailureKeepsState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := OpenStore(dir, "d")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(st *State) { st.DirSyncCookie = []byte("old") }); err != nil {
		t.Fatal(err)
	}
	s.path = filepath.Join(dir, "missing", "d.state.json") // the folder is gone
	if err := s.Update(func(st *State) { st.DirSyncCookie = []byte("new") }); err == nil {
		t.Fatal("Update() into a missing folder = nil, want an error")
	}
	if got := string(s.State().DirSyncCookie); got != "old" {
		t.Errorf("cookie after a failed write = %q, want old", got)
	}
}

func TestStoreRejectsOtherVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "d.state.json"), []byte(`{"version":99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(dir, "d"); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("OpenStore(version 99) = %v, want a version error", err)
	}
}

func TestLockContention(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := AcquireLock(dir, "adjc.lab")
	if err != nil {
		t.Fatalf("AcquireLock() = %v", err)
	}
	_, err = AcquireLock(dir, "ADJC.LAB")
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second AcquireLock() = %v, want ErrLocked naming this process", err)
	}
	other, err := AcquireLock(dir, "other.lab")
	if err != nil {
		t.Fatalf("AcquireLock(other domain) = %v, want it free", err)
	}
	if err := first.Release(); err != nil {
		t.Fatalf("Release() = %v", err)
	}
	third, err := AcquireLock(dir, "adjc.lab")
	if err != nil {
		t.Fatalf("AcquireLock() after release = %v", err)
	}
	third.Release()
	other.Release()
	if err := (*Lock)(nil).Release(); err != nil {
		t.Errorf("nil Release() = %v", err)
	}
}

// TestMetricsEndpoint runs a scheduler for real (on a fake clock, waiting on
// its OnRun), then scrapes /metrics and /healthz over HTTP.
func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	m := NewMetrics("adjc.lab")
	store, err := OpenStore(t.TempDir(), "adjc.lab")
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan Record, 4)
	calls := 0
	s, err := New(Options{
		Domain: "adjc.lab", Interval: time.Hour, Clock: clock, Metrics: m, Store: store,
		Run: func(context.Context, Trigger) (Summary, error) {
			calls++
			if calls == 2 {
				return Summary{}, fmt.Errorf("read: %w", &netError{})
			}
			return Summary{Planned: 3, Applied: 3, Calls: 7, ByKind: []Count{
				{Kind: reconcile.KindMembership, Action: reconcile.Create, N: 1},
				{Kind: reconcile.KindUser, Action: reconcile.Update, N: 2},
			}}, nil
		},
		OnRun: func(r Record) { ran <- r },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-ran // the start run

	srv := httptest.NewServer(Handler(m, s, 10*time.Minute))
	t.Cleanup(srv.Close)
	body, code := get(t, srv.URL+"/metrics")
	for _, want := range []string{
		`adjc_runs_total{domain="adjc.lab",result="success",trigger="start"} 1`,
		`adjc_changes_applied_total{action="create",domain="adjc.lab",kind="membership"} 1`,
		`adjc_changes_applied_total{action="update",domain="adjc.lab",kind="user"} 2`,
		`adjc_last_success_timestamp_seconds{domain="adjc.lab"} 1.7487792e+09`,
		`adjc_paused{domain="adjc.lab"} 0`,
		`adjc_run_duration_seconds_count{domain="adjc.lab"} 1`,
		`# TYPE adjc_propagation_latency_seconds histogram`,
		`adjc_jumpcloud_calls_total{domain="adjc.lab",kind="full"} 7`,
		`adjc_run_jumpcloud_calls_bucket{domain="adjc.lab",kind="full",le="3"} 0`,
		`adjc_run_jumpcloud_calls_bucket{domain="adjc.lab",kind="full",le="10"} 1`,
		`go_goroutines`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET /metrics = %d, lacks %q:\n%s", code, want, body)
		}
	}
	if body, code := get(t, srv.URL+"/healthz"); code != 200 || body != "ok: last successful run 0s ago\n" {
		t.Errorf("GET /healthz = %d %q, want 200", code, body)
	}

	// An hour later the interval run fails: the endpoint turns unhealthy.
	clock.BlockUntilContext(t.Context(), 1)
	clock.Advance(time.Hour)
	<-ran
	body, code = get(t, srv.URL+"/healthz")
	if code != http.StatusServiceUnavailable || body != "last successful run 1h0m0s ago (threshold 10m0s)\n" {
		t.Errorf("GET /healthz = %d %q, want 503", code, body)
	}
	body, _ = get(t, srv.URL+"/metrics")
	if !strings.Contains(body, `adjc_run_failures_total{cause="unreachable",domain="adjc.lab"} 1`) {
		t.Errorf("GET /metrics lacks the failure:\n%s", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := store.State(); st.LastRun == nil || st.LastRun.Error == "" || st.LastSuccess.IsZero() {
		t.Errorf("stored state = %+v, want the failed run and the earlier success", st)
	}
}

func get(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), resp.StatusCode
}

// TestStateDirMadePrivate: an existing state_dir with a looser mode is
// 0700 once a store or lock is opened in it (issue 14.8).
func TestStateDirMadePrivate(t *testing.T) {
	t.Parallel()
	for _, open := range []func(dir string) error{
		func(dir string) error { _, err := OpenStore(dir, "example.com"); return err },
		func(dir string) error {
			l, err := AcquireLock(dir, "example.com")
			if err == nil {
				l.Release()
			}
			return err
		},
	} {
		dir := filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := open(dir); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("state_dir mode after open = %v, %v; want 0700", st.Mode().Perm(), err)
		}
	}
}
