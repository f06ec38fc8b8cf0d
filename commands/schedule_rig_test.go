package commands

import (
	"context"
	"log/slog"
	"math"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
)

// tickRig runs `adjc schedule` (runSchedule, as the command does) on a fake
// clock: each tick is one Advance of the interval, and the rig waits for
// the run's record (ScheduleOptions.OnRun), so ticks are driven one at a
// time and nothing waits on real time. The state folder and audit log are
// the rig's own, whatever the config says.
type tickRig struct {
	tb       testing.TB
	clock    *clockwork.FakeClock
	interval time.Duration
	state    string
	domain   string
	logs     *logLines
	ran      chan schedule.Record
	started  chan struct{}
	cancel   context.CancelFunc
	done     chan error
	// start is the record of the start run (full).
	start schedule.Record
	// forceTargeted makes delta ticks re-read changed users one by one
	// however many they are (the benchmark's other way of a bulk change).
	forceTargeted atomic.Bool
}

// startTickRig starts the schedule of cfgFile's one domain with args (e.g.
// --import, --full-interval) and an interval of 10 s, and returns after the
// start run.
func startTickRig(tb testing.TB, cfgFile string, args ...string) *tickRig {
	tb.Helper()
	dir := tb.TempDir()
	ios, _, _, _ := output.Test()
	env := map[string]string{config.EnvConfig: cfgFile, "HOME": dir}
	f := NewFactory(ios, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	f.logs.set(1, "text")
	f.IO.ErrOut = tbWriter{tb}
	r := &tickRig{tb: tb, clock: clockwork.NewFakeClockAt(time.Now()), interval: 10 * time.Second,
		state: filepath.Join(dir, "state"), logs: &logLines{w: tbWriter{tb}},
		ran: make(chan schedule.Record, 16), started: make(chan struct{}, 16), done: make(chan error, 1)}
	f.Logger = slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	f.Now = r.clock.Now
	f.Config = func() (*config.Config, error) {
		cfg, err := config.Load(config.LoadOptions{LookupEnv: f.LookupEnv})
		if err != nil {
			return nil, err
		}
		cfg.StateDir, cfg.AuditLog = r.state, filepath.Join(dir, "audit.jsonl")
		if len(cfg.Domains) > 0 {
			r.domain = cfg.Domains[0].Name
		}
		return cfg, nil
	}
	cmd := newScheduleCmd(f, func(ctx context.Context, o *ScheduleOptions) error {
		o.Clock = r.clock
		if read := o.ReadFresh; read != nil {
			o.ReadFresh = func(ctx context.Context, cfg *config.Config, d *config.Domain, snap *adapter.Snapshot, ch adapter.Changed) (reconcile.Fresh, reconcile.Target, func(), error) {
				if snap != nil && r.forceTargeted.Load() {
					// A full read that took ever so many calls: no change
					// is too large to re-read one by one.
					calls := snap.ReadCalls
					snap.ReadCalls = math.MaxInt32
					defer func() { snap.ReadCalls = calls }()
				}
				return read(ctx, cfg, d, snap, ch)
			}
		}
		o.OnRun = func(rec schedule.Record) { r.ran <- rec }
		o.OnStart = func(schedule.Trigger) { r.started <- struct{}{} }
		return runSchedule(ctx, o)
	})
	cmd.SetArgs(append([]string{"--interval", r.interval.String()}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	tb.Cleanup(r.stop)
	go func() { r.done <- cmd.ExecuteContext(ctx) }()
	r.start = r.wait()
	<-r.started
	return r
}

// wait returns the next run's record.
func (r *tickRig) wait() schedule.Record {
	r.tb.Helper()
	select {
	case rec := <-r.ran:
		return rec
	case err := <-r.done:
		r.done <- err
		r.tb.Fatalf("schedule stopped: %v", err)
	}
	return schedule.Record{}
}

// tick moves the clock to the next interval run and returns its record and
// how long it took in real time (from the tick to the end of its run).
//
// OnRun is called inside gocron's task, just before it returns: a tick that
// comes in that gap finds the job still running and is skipped
// (singleton mode) and rescheduled one interval on. So when no run starts
// within a while of a tick, the clock moves on one more interval. The wait
// is a guard against that race, not a measurement.
func (r *tickRig) tick() (schedule.Record, time.Duration) {
	r.tb.Helper()
	for range 5 {
		// gocron has armed its timer for the next run once it waits on the clock.
		if err := r.clock.BlockUntilContext(r.tb.Context(), 1); err != nil {
			r.tb.Fatal(err)
		}
		start := time.Now()
		r.clock.Advance(r.interval)
		select {
		case <-r.started:
			return r.wait(), time.Since(start)
		case err := <-r.done:
			r.done <- err
			r.tb.Fatalf("schedule stopped: %v", err)
		case <-time.After(2 * time.Second):
			r.tb.Logf("no run 2 s after a tick (skipped while the last run was finishing): one more interval")
		}
	}
	r.tb.Fatalf("no run after 5 ticks")
	return schedule.Record{}, 0
}

// requestFull asks for a full reconcile at the next tick, as 'adjc schedule
// full-now' does.
func (r *tickRig) requestFull() {
	r.tb.Helper()
	if err := schedule.RequestFull(r.state, r.domain, r.clock.Now()); err != nil {
		r.tb.Fatal(err)
	}
}

func (r *tickRig) stop() {
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
	case <-time.After(time.Minute): // a hung run must not hang the test binary
		r.tb.Errorf("schedule did not stop within a minute")
	}
}
