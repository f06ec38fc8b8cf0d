package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"
)

// Defaults for [Options].
const (
	DefaultInterval   = 90 * time.Second // the seeds' agents poll every 90 s
	DefaultDebounce   = 250 * time.Millisecond
	DefaultMinBackoff = 5 * time.Second
	DefaultMaxBackoff = 5 * time.Minute
)

// TriggerKind says why a run started.
type TriggerKind string

// The triggers of a run.
const (
	// TriggerStart is the first run, right after the scheduler starts.
	TriggerStart TriggerKind = "start"
	// TriggerInterval is a run on the interval: a full reconcile.
	TriggerInterval TriggerKind = "interval"
	// TriggerRetry is a full run after a backoff delay.
	TriggerRetry TriggerKind = "retry"
	// TriggerWatch is a run for objects a change notification reported.
	TriggerWatch TriggerKind = "watch"
)

// Trigger tells a [RunFunc] why it runs and, for a watch run, what changed.
type Trigger struct {
	Kind TriggerKind
	// Users and Groups are the objectGUIDs the watcher saw change, sorted
	// and without duplicates (watch runs only).
	Users, Groups []string
	// Members maps the objectGUID of a group whose members, and nothing
	// else, changed to the DNs of the members added or removed, sorted and
	// without duplicates (watch runs only).
	Members map[string][]string
	// Deleted are the objectGUIDs of objects DirSync reported deleted
	// (tombstones), sorted and without duplicates; only an account that
	// may list CN=Deleted Objects is shown them.
	Deleted []string
	// Full is set on a watch run when the watcher could not tell what
	// changed (it reconnected and may have missed notifications).
	Full bool
	// Since is when the first change of a watch run was seen; the run's
	// end minus Since is the propagation latency.
	Since time.Time
	// Cookie is the DirSync cookie after the changes of a watch run: the
	// run saves it once it applied (or held) its plan, not before.
	Cookie []byte
	// Takeover is set, with Full, on the first run of a leadership term:
	// the run may continue from the group's shared state (a delta against
	// the last full read the previous leader left) instead of reading
	// everything.
	Takeover bool
}

// Targeted reports whether the run may limit itself to Users and Groups.
// Every other run must read everything (level-based, STYLE §3).
func (t Trigger) Targeted() bool {
	return t.Kind == TriggerWatch && !t.Full && len(t.Users)+len(t.Groups)+len(t.Members)+len(t.Deleted) > 0
}

// Event is one batch of changes from a watcher (see package adwatch).
type Event struct {
	Users, Groups []string
	// Members maps a group whose members alone changed to the DNs of the
	// members added or removed.
	Members map[string][]string
	// Deleted are objects reported deleted (DirSync tombstones).
	Deleted []string
	// Full asks for a full run: changes may have been missed.
	Full bool
	// At is when the change was seen; the receive time when zero.
	At time.Time
	// Cookie is the DirSync cookie after these changes, nil when unknown.
	Cookie []byte
}

// RunFunc is the work: import, sync or both, for one domain. It returns what
// it did, also when it fails part-way (a *reconcile.PartialError).
type RunFunc func(ctx context.Context, t Trigger) (Summary, error)

// Record is what the scheduler knows about one finished run.
type Record struct {
	Trigger  Trigger
	Started  time.Time
	Duration time.Duration
	Summary  Summary
	// Err is why the run failed; nil on success.
	Err error
	// Paused is set when the run was skipped because the domain is
	// deactivated.
	Paused bool
	// RetryIn is the backoff delay before the next attempt, when Err made
	// the scheduler back off.
	RetryIn time.Duration
	// Latency is the propagation latency of a watch run that applied
	// changes: from the first change seen to the end of the run.
	Latency time.Duration
}

// Options configure a [Scheduler]. Run is required.
type Options struct {
	// Domain names the domain in logs and metrics.
	Domain string
	// Interval between full runs; [DefaultInterval] when zero.
	Interval time.Duration
	// Run is the work.
	Run RunFunc
	// Paused, when set, is asked before every run whether the domain is
	// deactivated in JumpCloud (the seeds' "Deactivate"); an error counts as
	// a failed run.
	Paused func(ctx context.Context) (bool, error)
	// Events, when set, delivers changes from a watcher (watch mode): a
	// targeted run starts Debounce after the first change of a burst was
	// seen (its Event.At), so the watcher's own work counts towards it.
	// When it is closed the scheduler goes on polling.
	Events <-chan Event
	// Debounce gathers a burst of changes into one run; [DefaultDebounce]
	// when zero.
	Debounce time.Duration
	// MinBackoff and MaxBackoff bound the delay before retrying a run that
	// could not reach AD or JumpCloud; defaults [DefaultMinBackoff] and
	// [DefaultMaxBackoff].
	MinBackoff, MaxBackoff time.Duration
	// Unreachable says whether an error means AD or JumpCloud could not be
	// reached, which starts the backoff; [IsUnreachable] when nil.
	Unreachable func(error) bool
	// Clock is the real clock when nil; tests pass a fake one.
	Clock clockwork.Clock
	// Logger receives one line per run; nil discards.
	Logger *slog.Logger
	// Metrics, when set, is updated after every run.
	Metrics *Metrics
	// Store, when set, records the last run and last success.
	Store StateStore
	// OnRun, when set, is called after every run with its record.
	OnRun func(Record)
	// Leader, when set, makes this scheduler one of a group (package ha):
	// gocron asks it before each interval run, and every run (interval,
	// watch, retry) starts only after it proved leadership, under a context
	// that ends when leadership does. Nil: the scheduler runs alone.
	Leader Leader
	// Elected, with Leader, starts a full run at once each time a value
	// arrives: this instance just became leader and must not wait for the
	// next interval.
	Elected <-chan struct{}
}

// Leader is what a scheduler in a group needs from the election; it
// includes gocron v2's Elector.
type Leader interface {
	// IsLeader returns nil when this instance leads now and proved it;
	// otherwise an error wrapping [ErrNotLeader].
	IsLeader(ctx context.Context) error
	// Lead returns a context that ends when leadership does.
	Lead(ctx context.Context) (context.Context, context.CancelFunc)
	// Leader reports without a round trip whether this instance leads.
	Leader() bool
	// Term identifies the current leadership (it changes with every
	// election won); 0 while following.
	Term() int64
}

// Scheduler runs a [RunFunc] on an interval and on changes. Create it with
// [New]; call [Scheduler.Run] once.
type Scheduler struct {
	opts  Options
	clock clockwork.Clock
	log   *slog.Logger

	// running holds a token for the whole of a run, whatever triggered it,
	// so runs never overlap. A channel rather than a mutex: waiting on it is
	// durably blocking, which testing/synctest needs to see the scheduler idle.
	running chan struct{}

	mu          sync.Mutex // guards the fields below
	stopping    bool
	ran         bool // the first interval-job run (the start run) happened
	paused      bool
	term        int64 // the leadership term of the last run as leader
	failures    int   // consecutive runs that could not reach AD or JumpCloud
	downSince   time.Time
	retryAt     time.Time
	retry       clockwork.Timer
	started     time.Time
	lastSuccess time.Time
}

// New checks opts and returns a scheduler.
func New(opts Options) (*Scheduler, error) {
	if opts.Run == nil {
		return nil, errors.New("schedule: no run function")
	}
	if opts.Interval < 0 || opts.Debounce < 0 || opts.MinBackoff < 0 || opts.MaxBackoff < 0 {
		return nil, errors.New("schedule: negative duration")
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Debounce == 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	opts.MaxBackoff = max(opts.MaxBackoff, opts.MinBackoff)
	if opts.Unreachable == nil {
		opts.Unreachable = IsUnreachable
	}
	s := &Scheduler{opts: opts, clock: opts.Clock, log: opts.Logger, running: make(chan struct{}, 1)}
	if s.clock == nil {
		s.clock = clockwork.NewRealClock()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("domain", opts.Domain)
	if opts.Store != nil {
		s.lastSuccess = opts.Store.State().LastSuccess
	}
	return s, nil
}

// Run starts the schedule and blocks until ctx is done, then stops
// gracefully: no new run starts, the current run finishes (its context is
// not cancelled by ctx), and Run returns nil. It returns an error only when
// the schedule cannot be set up.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	s.started = s.clock.Now()
	s.mu.Unlock()
	// Runs outlive ctx: a stop lets the current change, and the run, finish.
	runCtx := context.WithoutCancel(ctx)

	gopts := []gocron.SchedulerOption{gocron.WithClock(s.clock)}
	if s.opts.Leader != nil {
		// Followers skip interval runs; fire checks again for every trigger.
		gopts = append(gopts, gocron.WithDistributedElector(s.opts.Leader))
	}
	gs, err := gocron.NewScheduler(gopts...)
	if err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	_, err = gs.NewJob(
		gocron.DurationJob(s.opts.Interval),
		gocron.NewTask(func() { s.tick(runCtx) }),
		gocron.WithName("reconcile "+s.opts.Domain),
		gocron.WithStartAt(gocron.WithStartImmediately()),
		// A run longer than the interval makes gocron skip the ticks that
		// fall inside it instead of queueing them.
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
	)
	if err != nil {
		_ = gs.Shutdown()
		return fmt.Errorf("schedule: %w", err)
	}
	var watching sync.WaitGroup
	if s.opts.Events != nil {
		watching.Go(func() { s.watch(ctx, runCtx) })
	}
	if s.opts.Elected != nil {
		watching.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-s.opts.Elected:
					// The start or a watch run may have come first.
					if !s.ranInTerm() {
						s.fire(runCtx, Trigger{Kind: TriggerStart})
					}
				}
			}
		})
	}
	s.log.Info("schedule started", "interval", s.opts.Interval, "watch", s.opts.Events != nil)
	gs.Start()

	<-ctx.Done()
	s.mu.Lock()
	s.stopping = true
	if s.retry != nil {
		s.retry.Stop()
	}
	s.mu.Unlock()
	select {
	case s.running <- struct{}{}:
	default:
		s.log.Info("stopping after the current run")
		s.running <- struct{}{}
	}
	<-s.running
	watching.Wait()
	// No run is in progress, and any that gocron starts now returns at once.
	if err := gs.Shutdown(); err != nil {
		s.log.Warn("scheduler shutdown", "error", err)
	}
	s.log.Info("schedule stopped")
	return nil
}

// tick is the interval job: the start run, then a full run every interval
// unless a backoff is waiting for its retry.
func (s *Scheduler) tick(ctx context.Context) {
	s.mu.Lock()
	kind := TriggerInterval
	if !s.ran {
		kind, s.ran = TriggerStart, true
	}
	backingOff := s.failures > 0 && s.clock.Now().Before(s.retryAt)
	s.mu.Unlock()
	if backingOff {
		s.log.Debug("run skipped: backing off", "trigger", kind)
		return
	}
	if kind == TriggerStart && s.opts.Leader != nil && s.ranInTerm() {
		// Elected before the schedule started: that run was the start run.
		return
	}
	s.fire(ctx, Trigger{Kind: kind})
}

// fire runs t unless the scheduler is stopping; it waits for a run in
// progress first.
func (s *Scheduler) fire(ctx context.Context, t Trigger) {
	s.running <- struct{}{}
	defer func() { <-s.running }()
	s.mu.Lock()
	stopping := s.stopping
	backingOff := t.Kind == TriggerWatch && s.failures > 0
	s.mu.Unlock()
	if stopping {
		return
	}
	if backingOff {
		// The retry is a full run and will see this change too.
		s.log.Debug("watch run skipped: backing off", "users", len(t.Users), "groups", len(t.Groups))
		return
	}
	if l := s.opts.Leader; l != nil {
		if err := l.IsLeader(ctx); err != nil {
			s.log.Debug("run skipped: not the leader", "trigger", t.Kind, "reason", err)
			return
		}
		if term := l.Term(); !s.setTerm(term) {
			// Changes seen while following were not applied here: the
			// first run of a term reads everything, or continues from
			// the shared state the last leader left (Takeover).
			t.Full, t.Takeover = true, true
		}
		var cancel context.CancelFunc
		ctx, cancel = l.Lead(ctx)
		defer cancel()
	}
	s.execute(ctx, t)
}

// execute runs t once; the caller holds the running token.
func (s *Scheduler) execute(ctx context.Context, t Trigger) {
	start := s.clock.Now()
	rec := Record{Trigger: t, Started: start}
	if s.opts.Paused != nil {
		paused, err := s.opts.Paused(ctx)
		if err != nil {
			rec.Err = fmt.Errorf("check whether the domain is active: %w", err)
			s.finish(rec)
			return
		}
		s.setPaused(paused)
		if paused {
			rec.Paused = true
			s.finish(rec)
			return
		}
	}
	rec.Summary, rec.Err = s.opts.Run(ctx, t)
	s.finish(rec)
}

// setTerm records a run in leadership term and says whether one ran in
// it before.
func (s *Scheduler) setTerm(term int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	same := s.term == term
	s.term = term
	return same
}

// ranInTerm reports whether a run as leader happened in the current term.
func (s *Scheduler) ranInTerm() bool {
	term := s.opts.Leader.Term()
	s.mu.Lock()
	defer s.mu.Unlock()
	return term != 0 && s.term == term
}

func (s *Scheduler) setPaused(paused bool) {
	s.mu.Lock()
	was := s.paused
	s.paused = paused
	s.mu.Unlock()
	switch {
	case paused && !was:
		s.log.Warn("domain paused ('adjc schedule resume' resumes it): runs skipped")
	case !paused && was:
		s.log.Info("domain resumed: runs again")
	}
	s.opts.Metrics.setPaused(paused)
}

// finish records a run: backoff state, the run's log line, metrics, store.
func (s *Scheduler) finish(rec Record) {
	now := s.clock.Now()
	rec.Duration = now.Sub(rec.Started)
	if rec.Trigger.Kind == TriggerWatch && !rec.Trigger.Since.IsZero() && rec.Err == nil && rec.Summary.Applied > 0 {
		rec.Latency = now.Sub(rec.Trigger.Since)
	}

	s.mu.Lock()
	switch {
	case rec.Err != nil && s.opts.Unreachable(rec.Err):
		if s.failures == 0 {
			s.downSince = rec.Started
		}
		s.failures++
		rec.RetryIn = s.backoff(s.failures)
		s.retryAt = now.Add(rec.RetryIn)
		if s.retry != nil {
			s.retry.Stop()
		}
		if !s.stopping {
			s.retry = s.clock.AfterFunc(rec.RetryIn, func() {
				s.fire(context.WithoutCancel(context.Background()), Trigger{Kind: TriggerRetry})
			})
		}
	case s.failures > 0 && !rec.Paused:
		// AD and JumpCloud answered (even if the run failed otherwise).
		s.log.Info("reachable again", "down_for", now.Sub(s.downSince).Round(time.Millisecond), "failed_runs", s.failures)
		s.failures, s.retryAt, s.downSince = 0, time.Time{}, time.Time{}
		if s.retry != nil {
			s.retry.Stop()
			s.retry = nil
		}
	}
	if rec.Err == nil && !rec.Paused {
		s.lastSuccess = now
	}
	s.mu.Unlock()

	s.logRun(rec)
	s.opts.Metrics.observe(rec, now)
	if st := s.opts.Store; st != nil {
		err := st.Update(func(state *State) {
			state.LastRun = newRunState(rec)
			if rec.Err == nil && !rec.Paused {
				state.LastSuccess = now
			}
		})
		if err != nil {
			s.log.Warn("state not saved", "error", err)
		}
	}
	if s.opts.OnRun != nil {
		s.opts.OnRun(rec)
	}
}

// backoff returns the delay after n consecutive unreachable runs:
// MinBackoff doubling each time, capped at MaxBackoff.
func (s *Scheduler) backoff(n int) time.Duration {
	d := s.opts.MinBackoff
	for i := 1; i < n && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.opts.MaxBackoff)
}

func (s *Scheduler) logRun(rec Record) {
	attrs := []any{
		"trigger", rec.Trigger.Kind,
		"duration", rec.Duration.Round(time.Millisecond),
	}
	if rec.Trigger.Kind == TriggerWatch {
		// targeted says what the run did, not what the trigger allowed.
		attrs = append(attrs, "changed_users", len(rec.Trigger.Users), "changed_groups", len(rec.Trigger.Groups)+len(rec.Trigger.Members))
		if n := len(rec.Trigger.Deleted); n > 0 {
			attrs = append(attrs, "deleted", n) // tombstones DirSync reported, in scope or not
		}
		attrs = append(attrs, "targeted", rec.Summary.Targeted)
		if rec.Summary.FullReason != "" {
			attrs = append(attrs, "full_reason", rec.Summary.FullReason)
		}
	}
	if rec.Paused {
		s.log.Debug("run skipped: domain paused", attrs...)
		return
	}
	attrs = append(attrs, "planned", rec.Summary.Planned, "applied", rec.Summary.Applied,
		"failed", rec.Summary.Failed, "skipped", rec.Summary.Skipped, "jumpcloud_calls", rec.Summary.Calls)
	if rec.Trigger.Kind != TriggerWatch && rec.Summary.FullReason != "" {
		attrs = append(attrs, "full_reason", rec.Summary.FullReason)
	}
	if c := rec.Summary.Changes(); c != "" {
		attrs = append(attrs, "changes", c)
	}
	if rec.Latency > 0 {
		attrs = append(attrs, "propagation_latency", rec.Latency.Round(time.Millisecond))
	}
	if rec.Err != nil {
		attrs = append(attrs, "error", rec.Err)
		if rec.RetryIn > 0 {
			attrs = append(attrs, "retry_in", rec.RetryIn)
		}
		s.log.Warn("run failed", attrs...)
		return
	}
	s.log.Info("run finished", append(attrs, "kind", rec.Summary.Kind())...)
}

// Health says whether the schedule is healthy: a run succeeded within
// maxAge (counted from the start until the first success), or the domain
// is deliberately paused. The message says why, in words.
func (s *Scheduler) Health(maxAge time.Duration) (bool, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if s.paused {
		return true, "ok: paused, the domain is deactivated in JumpCloud"
	}
	if s.opts.Leader != nil && !s.opts.Leader.Leader() {
		// A follower runs nothing; it is healthy while it can take over,
		// which it cannot without reaching etcd.
		if r, ok := s.opts.Leader.(interface{ Ready() (bool, string) }); ok {
			if ready, why := r.Ready(); !ready {
				return false, "follower not ready to take over: " + why
			}
		}
		return true, "ok: follower, ready to take over"
	}
	if s.lastSuccess.IsZero() {
		if s.started.IsZero() || now.Sub(s.started) <= maxAge {
			return true, "ok: starting, no run finished yet"
		}
		return false, fmt.Sprintf("no successful run since the start %s ago", now.Sub(s.started).Round(time.Second))
	}
	age := now.Sub(s.lastSuccess)
	if age > maxAge {
		return false, fmt.Sprintf("last successful run %s ago (threshold %s)", age.Round(time.Second), maxAge)
	}
	return true, fmt.Sprintf("ok: last successful run %s ago", age.Round(time.Second))
}
