package schedule

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
)

// These tests drive gocron with a clockwork fake clock (gocron.WithClock)
// inside a testing/synctest bubble: synctest.Wait returns once every
// goroutine of the scheduler is blocked, so "nothing else ran" is a fact,
// not a sleep. No assertion depends on real time.

// run is one call of the fake RunFunc: when, relative to the start, and why.
type run struct {
	At      time.Duration
	Trigger TriggerKind
}

func (r run) String() string { return fmt.Sprintf("%s@%v", r.Trigger, r.At) }

// harness runs a Scheduler on a fake clock and records its runs.
type harness struct {
	t     *testing.T
	clock *clockwork.FakeClock
	t0    time.Time
	s     *Scheduler
	logs  bytes.Buffer

	mu       sync.Mutex
	runs     []run
	triggers []Trigger
	records  []Record

	cancel context.CancelFunc
	done   chan error
}

// start builds and starts a scheduler whose Run is work (which may block);
// it must be called inside synctest.Test.
func start(t *testing.T, opts Options, work RunFunc) *harness {
	t.Helper()
	h := &harness{t: t, clock: clockwork.NewFakeClock(), done: make(chan error, 1)}
	h.t0 = h.clock.Now()
	opts.Clock = h.clock
	opts.Logger = slog.New(slog.NewTextHandler(&syncWriter{w: &h.logs, mu: &h.mu}, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	opts.Run = func(ctx context.Context, tr Trigger) (Summary, error) {
		h.mu.Lock()
		h.runs = append(h.runs, run{At: h.clock.Since(h.t0), Trigger: tr.Kind})
		h.triggers = append(h.triggers, tr)
		h.mu.Unlock()
		if work == nil {
			return Summary{}, nil
		}
		return work(ctx, tr)
	}
	opts.OnRun = func(r Record) {
		h.mu.Lock()
		h.records = append(h.records, r)
		h.mu.Unlock()
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	h.s = s
	ctx, cancel := context.WithCancel(t.Context())
	h.cancel = cancel
	go func() { h.done <- s.Run(ctx) }()
	synctest.Wait()
	return h
}

// advance moves the fake clock forward one second at a time, letting the
// scheduler settle after each step.
func (h *harness) advance(d time.Duration) {
	step := time.Second
	for d > 0 {
		s := min(step, d)
		h.clock.Advance(s)
		synctest.Wait()
		d -= s
	}
}

func (h *harness) stop() {
	h.t.Helper()
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("Run() = %v, want nil after a stop", err)
	}
}

func (h *harness) gotRuns() []run {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.runs)
}

func (h *harness) log() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.logs.String()
}

type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func wantRuns(t *testing.T, got []run, want ...run) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("runs = %v, want %v", got, want)
	}
}

func TestStartImmediatelyThenInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Options{Domain: "adjc.lab", Interval: 90 * time.Second}, nil)
		wantRuns(t, h.gotRuns(), run{0, TriggerStart})
		h.advance(89 * time.Second)
		wantRuns(t, h.gotRuns(), run{0, TriggerStart})
		h.advance(time.Second)
		h.advance(180 * time.Second)
		wantRuns(t, h.gotRuns(), run{0, TriggerStart}, run{90 * time.Second, TriggerInterval},
			run{180 * time.Second, TriggerInterval}, run{270 * time.Second, TriggerInterval})
		h.stop()
		if got := h.log(); strings.Count(got, `msg="run finished"`) != 4 || !strings.Contains(got, `domain=adjc.lab trigger=interval duration=0s planned=0 applied=0 failed=0 skipped=0`) {
			t.Errorf("log lacks one line per run:\n%s", got)
		}
	})
}

func TestDefaultInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Options{}, nil)
		h.advance(DefaultInterval)
		wantRuns(t, h.gotRuns(), run{0, TriggerStart}, run{90 * time.Second, TriggerInterval})
		h.stop()
	})
}

// TestNoOverlap holds the start run for 35 s on a 10 s interval: the ticks
// inside it are skipped, not queued, and runs resume on the interval.
func TestNoOverlap(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var active, most int
		var mu sync.Mutex
		h := start(t, Options{Interval: 10 * time.Second}, func(context.Context, Trigger) (Summary, error) {
			mu.Lock()
			active++
			most = max(most, active)
			first := most == 1 && release != nil
			mu.Unlock()
			if first {
				<-release
			}
			mu.Lock()
			active--
			mu.Unlock()
			return Summary{}, nil
		})
		h.advance(35 * time.Second)
		wantRuns(t, h.gotRuns(), run{0, TriggerStart})
		mu.Lock()
		close(release)
		release = nil
		mu.Unlock()
		synctest.Wait()
		h.advance(25 * time.Second)
		wantRuns(t, h.gotRuns(), run{0, TriggerStart}, run{40 * time.Second, TriggerInterval},
			run{50 * time.Second, TriggerInterval}, run{60 * time.Second, TriggerInterval})
		if most != 1 {
			t.Errorf("%d runs at once, want 1", most)
		}
		h.stop()
	})
}

// TestBackoffAndRecovery fails four runs as if the DC were down: retries
// come after 8, 16, 32 then 40 s (capped), interval ticks in between are
// skipped, and the recovery is logged once.
func TestBackoffAndRecovery(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var n int
		h := start(t, Options{Interval: 10 * time.Second, MinBackoff: 8 * time.Second, MaxBackoff: 40 * time.Second},
			func(context.Context, Trigger) (Summary, error) {
				n++
				if n <= 4 {
					return Summary{}, fmt.Errorf("read scope: %w", ldapx.ErrUnavailable)
				}
				return Summary{}, nil
			})
		h.advance(130 * time.Second)
		wantRuns(t, h.gotRuns(),
			run{0, TriggerStart},
			run{8 * time.Second, TriggerRetry},
			run{24 * time.Second, TriggerRetry},
			run{56 * time.Second, TriggerRetry},
			run{96 * time.Second, TriggerRetry}, // succeeds
			run{100 * time.Second, TriggerInterval},
			run{110 * time.Second, TriggerInterval},
			run{120 * time.Second, TriggerInterval},
			run{130 * time.Second, TriggerInterval},
		)
		var retryIn []time.Duration
		for _, r := range h.records {
			retryIn = append(retryIn, r.RetryIn)
		}
		if want := []time.Duration{8 * time.Second, 16 * time.Second, 32 * time.Second, 40 * time.Second, 0, 0, 0, 0, 0}; !slices.Equal(retryIn, want) {
			t.Errorf("RetryIn = %v, want %v", retryIn, want)
		}
		h.stop()
		log := h.log()
		if c := strings.Count(log, "reachable again"); c != 1 {
			t.Errorf("recovery logged %d times, want once:\n%s", c, log)
		}
		if !strings.Contains(log, `msg="reachable again" domain="" down_for=1m36s failed_runs=4`) {
			t.Errorf("recovery line missing its facts:\n%s", log)
		}
		if !strings.Contains(log, `level=WARN msg="run failed" domain="" trigger=start duration=0s planned=0 applied=0 failed=0 skipped=0 jumpcloud_calls=0 error="read scope: the domain controller is unavailable" retry_in=8s`) {
			t.Errorf("failure line missing its facts:\n%s", log)
		}
	})
}

// TestOtherErrorsDoNotBackOff: a refused key is not an outage; the schedule
// keeps its interval.
func TestOtherErrorsDoNotBackOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Options{Interval: 10 * time.Second}, func(context.Context, Trigger) (Summary, error) {
			return Summary{}, fmt.Errorf("list users: %w", jcapi.ErrUnauthorized)
		})
		h.advance(20 * time.Second)
		wantRuns(t, h.gotRuns(), run{0, TriggerStart}, run{10 * time.Second, TriggerInterval}, run{20 * time.Second, TriggerInterval})
		h.stop()
	})
}

func TestPauseWhilePaused(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		paused := false
		setPaused := func(p bool) { mu.Lock(); paused = p; mu.Unlock() }
		h := start(t, Options{
			Interval: 10 * time.Second,
			Paused: func(context.Context) (bool, error) {
				mu.Lock()
				defer mu.Unlock()
				return paused, nil
			},
		}, nil)
		setPaused(true)
		h.advance(30 * time.Second)
		if ok, msg := h.s.Health(time.Second); !ok || !strings.Contains(msg, "paused") {
			t.Errorf("Health() while paused = %v %q, want healthy and paused", ok, msg)
		}
		setPaused(false)
		h.advance(10 * time.Second)
		wantRuns(t, h.gotRuns(), run{0, TriggerStart}, run{40 * time.Second, TriggerInterval})
		h.stop()
		log := h.log()
		if strings.Count(log, "domain paused (") != 1 || strings.Count(log, "domain resumed") != 1 {
			t.Errorf("pause and resume not logged once each:\n%s", log)
		}
	})
}

// TestPauseCheckUnreachable: the deactivation check is a JumpCloud call;
// when it cannot be made the run fails and backs off like any outage.
func TestPauseCheckUnreachable(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Options{
			Interval:   time.Hour,
			MinBackoff: 5 * time.Second,
			Paused: func(context.Context) (bool, error) {
				return false, fmt.Errorf("get active directory: %w", jcapi.ErrServer)
			},
		}, nil)
		h.advance(15 * time.Second)
		if len(h.gotRuns()) != 0 {
			t.Errorf("runs = %v, want none while JumpCloud is down", h.gotRuns())
		}
		var retries []time.Duration
		for _, r := range h.records {
			retries = append(retries, r.RetryIn)
		}
		if want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second}; !slices.Equal(retries, want) {
			t.Errorf("RetryIn = %v, want %v", retries, want)
		}
		h.stop()
	})
}

// TestGracefulStop stops in the middle of a run: the run goes on with a
// live context, Run returns nil only after it, and nothing runs after.
func TestGracefulStop(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var runCtx context.Context
		h := start(t, Options{Interval: 10 * time.Second}, func(ctx context.Context, _ Trigger) (Summary, error) {
			if runCtx == nil {
				runCtx = ctx
				<-release
			}
			return Summary{Applied: 1}, ctx.Err()
		})
		h.cancel()
		synctest.Wait()
		select {
		case err := <-h.done:
			t.Fatalf("Run() returned %v during a run", err)
		default:
		}
		if err := runCtx.Err(); err != nil {
			t.Errorf("run context = %v after a graceful stop, want live", err)
		}
		close(release)
		if err := <-h.done; err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
		h.advance(30 * time.Second)
		wantRuns(t, h.gotRuns(), run{0, TriggerStart})
		if len(h.records) != 1 || h.records[0].Err != nil {
			t.Errorf("records = %+v, want the one run finished without error", h.records)
		}
		if !strings.Contains(h.log(), "stopping after the current run") {
			t.Errorf("log does not say it waits for the run:\n%s", h.log())
		}
	})
}

// TestWatchDebounce sends a burst of changes: one targeted run covers them
// all, Debounce after the first, and its latency is measured from the first.
func TestWatchDebounce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		events := make(chan Event)
		h := start(t, Options{Interval: time.Hour, Events: events, Debounce: 250 * time.Millisecond},
			func(_ context.Context, tr Trigger) (Summary, error) {
				if tr.Kind == TriggerWatch {
					return Summary{Planned: 1, Applied: 1, ByKind: []Count{{Kind: reconcile.KindUser, Action: reconcile.Update, N: 1}}}, nil
				}
				return Summary{}, nil
			})
		first := h.clock.Now()
		events <- Event{Users: []string{"b"}}
		synctest.Wait()
		h.clock.Advance(100 * time.Millisecond)
		synctest.Wait()
		events <- Event{Users: []string{"a", "b"}, Groups: []string{"g"}}
		synctest.Wait()
		h.clock.Advance(149 * time.Millisecond)
		synctest.Wait()
		if n := len(h.gotRuns()); n != 1 {
			t.Fatalf("%d runs before the debounce ended, want only the start run", n)
		}
		h.clock.Advance(time.Millisecond)
		synctest.Wait()
		if len(h.triggers) != 2 {
			t.Fatalf("triggers = %+v, want start and one watch run", h.triggers)
		}
		got := h.triggers[1]
		want := Trigger{Kind: TriggerWatch, Users: []string{"a", "b"}, Groups: []string{"g"}, Since: first}
		if got.Kind != want.Kind || !slices.Equal(got.Users, want.Users) || !slices.Equal(got.Groups, want.Groups) || !got.Since.Equal(want.Since) || !got.Targeted() {
			t.Errorf("watch trigger = %+v, want %+v (targeted)", got, want)
		}
		if l := h.records[1].Latency; l != 250*time.Millisecond {
			t.Errorf("latency = %v, want 250ms", l)
		}
		// The watcher's own time (DirSync) counts towards the debounce:
		// a change seen 200ms ago runs 50ms after it arrives. Members of
		// several events are merged per group.
		events <- Event{Members: map[string][]string{"g": {"CN=b"}}, At: h.clock.Now().Add(-200 * time.Millisecond)}
		synctest.Wait()
		events <- Event{Members: map[string][]string{"g": {"CN=a", "CN=b"}, "h": {"CN=c"}}}
		synctest.Wait()
		h.clock.Advance(50 * time.Millisecond)
		synctest.Wait()
		if tr := h.triggers[len(h.triggers)-1]; len(h.triggers) != 3 || !tr.Targeted() ||
			!maps.EqualFunc(tr.Members, map[string][]string{"g": {"CN=a", "CN=b"}, "h": {"CN=c"}}, slices.Equal) {
			t.Errorf("triggers = %+v, want a targeted run for the members 50ms after they arrived", h.triggers)
		}
		// Deletions alone make a targeted run, merged and sorted.
		events <- Event{Deleted: []string{"y"}}
		synctest.Wait()
		events <- Event{Deleted: []string{"x", "y"}}
		synctest.Wait()
		h.clock.Advance(250 * time.Millisecond)
		synctest.Wait()
		if tr := h.triggers[len(h.triggers)-1]; len(h.triggers) != 4 || !tr.Targeted() || !slices.Equal(tr.Deleted, []string{"x", "y"}) {
			t.Errorf("triggers = %+v, want a targeted run for the deletions x and y", h.triggers)
		}
		// A reconnect asks for a full run; a closed stream leaves polling.
		events <- Event{Full: true}
		synctest.Wait()
		h.clock.Advance(250 * time.Millisecond)
		synctest.Wait()
		if tr := h.triggers[len(h.triggers)-1]; tr.Kind != TriggerWatch || tr.Targeted() {
			t.Errorf("trigger after reconnect = %+v, want a full watch run", tr)
		}
		close(events)
		synctest.Wait()
		h.advance(time.Hour)
		if r := h.gotRuns(); r[len(r)-1].Trigger != TriggerInterval {
			t.Errorf("runs = %v, want polling to go on after the watch ended", r)
		}
		h.stop()
		if !strings.Contains(h.log(), "propagation_latency=250ms") {
			t.Errorf("log lacks the latency:\n%s", h.log())
		}
	})
}

// TestWatchDuringBackoff drops watch runs while AD is unreachable: the next
// retry reads everything anyway.
func TestWatchDuringBackoff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		events := make(chan Event)
		down := true
		h := start(t, Options{Interval: time.Hour, Events: events, MinBackoff: 10 * time.Second},
			func(context.Context, Trigger) (Summary, error) {
				if down {
					return Summary{}, &netError{}
				}
				return Summary{}, nil
			})
		events <- Event{Users: []string{"a"}}
		synctest.Wait()
		h.advance(time.Second)
		down = false
		h.advance(9 * time.Second)
		wantRuns(t, h.gotRuns(), run{0, TriggerStart}, run{10 * time.Second, TriggerRetry})
		h.stop()
	})
}

type netError struct{}

func (*netError) Error() string   { return "dial tcp 127.0.0.1:636: connection refused" }
func (*netError) Timeout() bool   { return false }
func (*netError) Temporary() bool { return false }

func TestIsUnreachable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{fmt.Errorf("x: %w", ldapx.ErrUnavailable), true},
		{fmt.Errorf("x: %w", jcapi.ErrServer), true},
		{fmt.Errorf("x: %w", jcapi.ErrRateLimited), true},
		{fmt.Errorf("x: %w", &netError{}), true},
		{context.DeadlineExceeded, true},
		{fmt.Errorf("x: %w", jcapi.ErrUnauthorized), false},
		{fmt.Errorf("x: %w", ldapx.ErrInvalidCredentials), false},
		{errors.New("held 40 removals in JumpCloud: over the budget"), false},
		{errors.New("boom"), false},
	}
	for _, tt := range tests {
		if got := IsUnreachable(tt.err); got != tt.want {
			t.Errorf("IsUnreachable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fail := true
		h := start(t, Options{Interval: time.Minute}, func(context.Context, Trigger) (Summary, error) {
			if fail {
				return Summary{}, errors.New("refused")
			}
			return Summary{}, nil
		})
		if ok, msg := h.s.Health(2 * time.Minute); !ok {
			t.Errorf("Health() at start = %q, want healthy (grace period)", msg)
		}
		h.advance(3 * time.Minute)
		if ok, msg := h.s.Health(2 * time.Minute); ok || msg != "no successful run since the start 3m0s ago" {
			t.Errorf("Health() = %v %q, want unhealthy", ok, msg)
		}
		fail = false
		h.advance(time.Minute)
		if ok, msg := h.s.Health(2 * time.Minute); !ok || msg != "ok: last successful run 0s ago" {
			t.Errorf("Health() after a success = %v %q", ok, msg)
		}
		h.stop()
	})
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	plan := reconcile.Plan{Changes: []reconcile.Change{
		{Action: reconcile.Update, Kind: reconcile.KindUser, Key: "a"},
		{Action: reconcile.Update, Kind: reconcile.KindUser, Key: "b"},
		{Action: reconcile.Create, Kind: reconcile.KindMembership, Key: "g/a"},
		{Action: reconcile.Delete, Kind: reconcile.KindUser, Key: "c"},
	}}
	res := reconcile.Result{Outcomes: []reconcile.Outcome{
		{Change: plan.Changes[0], Status: reconcile.StatusApplied},
		{Change: plan.Changes[1], Status: reconcile.StatusApplied},
		{Change: plan.Changes[2], Status: reconcile.StatusFailed},
	}}
	got := Summarize(plan, res).Add(Summary{Planned: 1, Applied: 1, ByKind: []Count{{Kind: reconcile.KindGroup, Action: reconcile.Create, N: 1}}})
	if got.Planned != 5 || got.Applied != 3 || got.Failed != 1 || got.Skipped != 1 || got.Changes() != "group+1 user~2" {
		t.Errorf("Summarize().Add() = %+v (%q)", got, got.Changes())
	}
}

// fakeLeader is a Leader whose answer the test sets.
type fakeLeader struct {
	mu      sync.Mutex
	leading bool
	term    int64
	lost    chan struct{}
}

func (f *fakeLeader) Term() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.leading {
		return 0
	}
	return f.term
}

func (f *fakeLeader) set(leading bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lost == nil {
		f.lost = make(chan struct{})
	}
	if f.leading && !leading {
		close(f.lost)
		f.lost = make(chan struct{})
	}
	if !f.leading && leading {
		f.term++
	}
	f.leading = leading
}

func (f *fakeLeader) Leader() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leading
}

func (f *fakeLeader) IsLeader(context.Context) error {
	if !f.Leader() {
		return fmt.Errorf("fake: %w", ErrNotLeader)
	}
	return nil
}

func (f *fakeLeader) Lead(ctx context.Context) (context.Context, context.CancelFunc) {
	f.mu.Lock()
	lost := f.lost
	f.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-lost:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// TestFollowerRunsNothing: a follower skips interval and watch runs and is
// healthy; once elected it runs a full run at once, and its first watch run
// after following is full too.
func TestFollowerRunsNothing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := &fakeLeader{}
		l.set(false)
		events := make(chan Event)
		elected := make(chan struct{}, 1)
		h := start(t, Options{Interval: time.Minute, Events: events, Leader: l, Elected: elected}, nil)
		h.advance(3 * time.Minute)
		events <- Event{Users: []string{"a"}}
		synctest.Wait()
		h.advance(time.Second)
		if runs := h.gotRuns(); len(runs) != 0 {
			t.Fatalf("follower ran %v, want nothing", runs)
		}
		if ok, msg := h.s.Health(time.Minute); !ok || !strings.Contains(msg, "follower") {
			t.Errorf("follower Health = %v %q, want healthy follower", ok, msg)
		}
		l.set(true)
		elected <- struct{}{}
		synctest.Wait()
		if runs := h.gotRuns(); len(runs) != 1 || runs[0].Trigger != TriggerStart {
			t.Fatalf("runs after election = %v, want one start run at once", runs)
		}
		// A late election notice in a term that already ran does nothing.
		elected <- struct{}{}
		synctest.Wait()
		if runs := h.gotRuns(); len(runs) != 1 {
			t.Fatalf("runs after a second notice = %v, want still one", runs)
		}
		events <- Event{Users: []string{"b"}}
		synctest.Wait()
		h.advance(time.Second)
		if tr := h.triggers[len(h.triggers)-1]; tr.Kind != TriggerWatch || !tr.Targeted() {
			t.Errorf("watch trigger as leader = %+v, want a targeted one (already leading)", tr)
		}
		// Leadership lost and won back without an election notice: the
		// first watch run then reads everything.
		l.set(false)
		events <- Event{Users: []string{"c"}}
		synctest.Wait()
		h.advance(time.Second)
		l.set(true)
		events <- Event{Users: []string{"d"}}
		synctest.Wait()
		h.advance(time.Second)
		if tr := h.triggers[len(h.triggers)-1]; len(h.triggers) != 3 || !tr.Full || tr.Targeted() {
			t.Errorf("triggers = %+v, want the watch run after following to be full", h.triggers)
		}
		h.stop()
	})
}
