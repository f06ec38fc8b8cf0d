package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
	"github.com/adjc/adjc/schedule/adwatch"
	"github.com/jonboulle/clockwork"
	"github.com/spf13/cobra"
)

// minInterval keeps a typo (--interval 1s) from hammering the DC and
// JumpCloud's rate limit; watch mode is the way to react faster.
const minInterval = 10 * time.Second

// ScheduleOptions is what `adjc schedule` needs.
type ScheduleOptions struct {
	IO        *output.Streams
	Config    func() (*config.Config, error)
	Logger    *slog.Logger
	Now       func() time.Time
	ReadState ReadStateFunc
	SyncState ReadStateFunc
	JumpCloud func(*config.Config) (*jcapi.Client, error)
	// Watch opens the change stream of a domain (adwatch over the domain's
	// LDAP settings); tests replace it.
	Watch func(ctx context.Context, d *config.Domain, store schedule.StateStore) (<-chan schedule.Event, error)
	// Poll opens DirSync polling of a domain for delta ticks (adwatch.Poller
	// over the domain's LDAP settings); nil makes every tick full.
	Poll func(ctx context.Context, d *config.Domain, store schedule.StateStore) (*adwatch.Poller, error)
	// Since asks DirSync once what changed since a cookie (adwatch.Since):
	// a new leader's catch-up; nil makes a new leader's first run full.
	Since func(ctx context.Context, d *config.Domain, cookie []byte) (schedule.Event, error)
	// ReadFresh re-reads the AD users a watch event names, and the
	// JumpCloud users they concern, against the last full read, for a
	// targeted run; it returns the target to apply the plan through and a
	// function that releases its connections. nil makes every run full.
	ReadFresh func(ctx context.Context, cfg *config.Config, d *config.Domain, snap *adapter.Snapshot, ch adapter.Changed) (reconcile.Fresh, reconcile.Target, func(), error)
	// ReadCloud re-reads JumpCloud after a full run changed it, so the
	// cached state targeted runs start from is what the run left; nil
	// leaves no cache after a full run that applied changes.
	ReadCloud func(ctx context.Context, cfg *config.Config, d *config.Domain) (reconcile.Cloud, error)
	// Password is the password delivery run beside the schedule when the
	// domain's password_sync is set (--password-sync).
	Password *PasswordSyncOptions
	// ReadSyncAD reads the AD side of a sync for a few bound objects (a
	// sync delta tick); nil makes every sync tick full.
	ReadSyncAD func(ctx context.Context, cfg *config.Config, d *config.Domain, b reconcile.Cloud) (*State, error)
	// Ready, when set, is called once the schedule (and the metrics
	// listener, at its real address) is up; tests use it.
	Ready func(metricsAddr string)
	// Clock and OnRun, when set, are the scheduler's clock and its
	// after-run hook (schedule.Options), and OnStart is called as a run
	// starts: tests drive ticks with a fake clock and wait for each run
	// instead of sleeping.
	Clock   clockwork.Clock
	OnRun   func(schedule.Record)
	OnStart func(schedule.Trigger) // called as each run's work starts

	Interval     time.Duration
	FullInterval time.Duration
	WatchChanges bool
	MetricsAddr  string
	HealthMaxAge time.Duration
	Import, Sync bool
	Concurrency  int
	NoUnsuspend  bool
	policy       policyFlags
	// ledger is the domain's state store once the lock is held: every run
	// spends the one removal budget.
	ledger pipeline.Ledger
	// With ha.etcd set: instance names this process in audit lines, and
	// fence proves leadership right before a plan is applied.
	instance string
	fence    func(context.Context) error
	// infoLogs raises the log level to info unless -v or -vv chose it:
	// schedule logs its start and one line per run by default.
	infoLogs func()
}

func newScheduleCmd(f *Factory, runF func(context.Context, *ScheduleOptions) error) *cobra.Command {
	opts := &ScheduleOptions{IO: f.IO, Config: f.Config, Logger: f.Logger, Now: f.Now, infoLogs: func() {
		if f.logs != nil {
			f.logs.atLeastInfo()
		}
	},
		ReadState: readState(f), SyncState: readSyncState(f), JumpCloud: f.JumpCloud, Watch: watchDomain(f),
		ReadFresh: readFresh(f), ReadCloud: readCloud(f), Poll: pollDomain(f), Password: newPasswordSyncOptions(f),
		ReadSyncAD: readSyncAD(f), Since: sinceDomain(f)}
	fullNow := false
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run import and sync every 90 seconds, or as AD changes, until stopped",
		Long: `Schedule does the agents' job continuously: it runs import (AD → JumpCloud)
and/or sync (JumpCloud → AD), as the domain's mode allows, at start and then
every --interval, never two runs at once. Plans are applied without asking,
as the agents do; the deletion threshold (--max-deletes, --max-delete-percent)
still stops a run that would delete or suspend too much, and every applied
change goes to the audit log. Each run logs one line (use -v to see them,
--log-format json for a collector).

With --watch, Active Directory change notifications start a run within a
second of a change (bursts are gathered); the interval run goes on as the
safety net. A DC without notifications falls back to polling. A watch run
for changed users (disable, enable, rename, names, email, added to or
removed from a group in scope or in the admins group) re-reads only those
users, on both sides, and plans them against the last full read; groups
outside the JumpCloud and admins groups' nests are passed over. A group in
scope renamed or nested differently, a deleted object, a reconnect of the
watch (changes may have been missed) or more changed users than a full read
costs to re-read (at least 50; about two thirds of a full read's JumpCloud
calls, as a full run that applies reads JumpCloud twice) makes it a full run, as does a scope or membership that moved
unannounced. The run's
log line says targeted=true or why it was full (full_reason).

Without --watch, sync (JumpCloud → AD) ticks are delta runs too: they read
JumpCloud's Directory Insights events since the last tick and re-read only
the bound users and groups those name (a tick where none changed makes one
call). Without the Directory Insights entitlement, or when events are
missing, not understood or too many, a tick reads everything and its log
line says why (full_reason).

While AD or JumpCloud cannot be reached, runs are retried after a growing
delay (5 s doubling to 5 min). While the domain is paused ('adjc schedule
pause', undone by 'adjc schedule resume'), runs are skipped; the process keeps
going. Nothing else pauses it: no JumpCloud field is read as a pause.

One scheduler per domain per host: a lock in the state folder refuses a
second one. The state folder also keeps the DirSync cookie and the last run.

With --password-sync (password_sync: true, $ADJC_PASSWORD_SYNC), run on the
DC, the same process also delivers each password change the DC accepts to
JumpCloud, exactly as 'adjc password-sync' does (its flags here are
--password-sync-source, --password-sync-smb-conf, --password-sync-retry-for
and so on), under the same lock, audit log and metrics endpoint.

SIGINT or SIGTERM stops after the current run and the password delivery in
flight (exit 0); a second one exits at once. --metrics-addr serves
Prometheus metrics on /metrics and /healthz, which fails (503) when the
last successful run is older than --health-max-age.

EXIT STATUS
  0 after a stop, 1 when the schedule cannot start (another scheduler holds
  the domain, the metrics address is taken), 2 for a usage or configuration
  error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if fullNow {
				return requestFullNow(f)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSchedule(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&fullNow, "full-now", false, "do not start: ask the scheduler running for the domain for a full reconcile at its next tick ('adjc schedule full-now')")
	fs.DurationVar(&opts.Interval, "interval", schedule.DefaultInterval, "time between full runs (at least 10s)")
	fs.BoolVar(&opts.WatchChanges, "watch", false, "also run as soon as AD reports a change (change notifications)")
	fs.DurationVar(&opts.FullInterval, "full-interval", time.Hour, "without --watch, ticks are delta runs (DirSync: only what changed) and a full reconcile runs this often")
	fs.StringVar(&opts.MetricsAddr, "metrics-addr", "", "serve /metrics and /healthz on this address, e.g. 127.0.0.1:9464")
	fs.DurationVar(&opts.HealthMaxAge, "health-max-age", 0, "/healthz fails when the last successful run is older (default 3 intervals)")
	fs.BoolVar(&opts.Import, "import", false, "run only import (AD → JumpCloud); default: what the domain's mode allows")
	fs.BoolVar(&opts.Sync, "sync", false, "run only sync (JumpCloud → AD); default: what the domain's mode allows")
	fs.IntVar(&opts.Concurrency, "concurrency", 4, "JumpCloud changes in flight at once during import")
	fs.BoolVar(&opts.NoUnsuspend, "no-unsuspend", false, "sync never re-enables an AD account disabled because its JumpCloud user was suspended")
	opts.policy.add(cmd)
	opts.Password.addFlags(fs, "password-sync-")
	cmd.MarkFlagsMutuallyExclusive("import", "sync")
	cmd.AddCommand(newScheduleStatusCmd(f, nil), newSchedulePauseCmd(f, true), newSchedulePauseCmd(f, false), newScheduleFullNowCmd(f))
	return cmd
}

func runSchedule(ctx context.Context, opts *ScheduleOptions) error {
	if opts.infoLogs != nil {
		opts.infoLogs()
	}
	if opts.Interval < minInterval {
		return Usagef("invalid --interval %s: want %s or more", opts.Interval, minInterval)
	}
	if opts.HealthMaxAge < 0 {
		return Usagef("invalid --health-max-age %s", opts.HealthMaxAge)
	}
	if opts.HealthMaxAge == 0 {
		opts.HealthMaxAge = 3 * opts.Interval
	}
	if opts.Concurrency < 1 {
		return Usagef("invalid --concurrency %d: want 1 or more", opts.Concurrency)
	}
	pol, err := opts.policy.policy()
	if err != nil {
		return err
	}
	cfg, d, err := configDomain(opts.Config)
	if err != nil {
		return err
	}
	doImport, doSync, err := scheduleDirections(d, opts.Import, opts.Sync)
	if err != nil {
		return err
	}
	if cfg.StateDir == "" {
		return Usagef("no state folder: set state_dir (or $ADJC_STATE_DIR, $XDG_STATE_HOME, $HOME): schedule keeps its lock and state there")
	}
	if cfg.AuditLog == "" {
		return errors.New("no audit log path: set audit_log, state_dir or $HOME so applied changes can be recorded")
	}
	if d.PasswordSync {
		if err := schedulePasswordSync(cfg, d, opts.Password); err != nil {
			return err
		}
	}
	log := opts.Logger.With("domain", d.Name)

	lock, err := schedule.AcquireLock(cfg.StateDir, d.Name)
	if err != nil {
		return err
	}
	defer lock.Release()
	stopFullNow := onFullNowSignal(func() {
		if err := schedule.RequestFull(cfg.StateDir, d.Name, opts.Now()); err != nil {
			log.Warn("full reconcile asked for by signal, but the request was not saved", "error", err)
			return
		}
		log.Info("full reconcile asked for by signal: the next tick reads everything")
	})
	defer stopFullNow()
	store, err := schedule.OpenStore(cfg.StateDir, d.Name)
	if err != nil {
		return err
	}

	// Every run, full or targeted, import or sync, spends the one removal
	// budget the store keeps, as one-shot commands do.
	opts.ledger = store
	var state schedule.StateStore = store
	imp := &scheduledImporter{opts: opts, cfg: cfg, d: d, pol: pol}
	var group *haGroup
	if cfg.HA.Enabled() {
		// One leader per domain across hosts: the shared state, the budget
		// and the fencing live in etcd; the local lock still guards this
		// host's state folder (approvals, audit log).
		group, err = joinHA(ctx, cfg, d, opts.Logger)
		if err != nil {
			return err
		}
		defer group.close()
		state = group.store
		opts.ledger = group.store.WithApprovals(store)
		opts.instance = group.elector.Instance()
		opts.fence = group.elector.IsLeader
		imp.shareWith(group.store, opts.Since, d, snapshotFingerprint(cfg, d, pol), opts.FullInterval)
	}
	syn := &scheduledSyncer{opts: opts, cfg: cfg, d: d, pol: pol, store: state, overlap: DefaultEventOverlap, takeFullRequest: true}
	// The watch and the poller read the cookie saved; each run saves the
	// one it consumed once it applied (saveCookie).
	tap := &cookieTap{StateStore: state}
	imp.position = tap.position
	sopts := schedule.Options{
		Domain: d.Name, Interval: opts.Interval, Logger: opts.Logger, Store: state, Clock: opts.Clock, OnRun: opts.OnRun,
		Run: func(ctx context.Context, t schedule.Trigger) (sum schedule.Summary, err error) {
			// Every JumpCloud request of the run, on any client, retries
			// included: the run's cost in the API's request budget.
			ctx, calls := jcapi.CountCalls(ctx)
			defer func() { sum.Calls = calls.N() }()
			if opts.OnStart != nil {
				opts.OnStart(t)
			}
			delta, fullAsked := true, false // the run kind is delta when every part is
			if doImport {
				s, err := imp.run(ctx, t)
				sum, delta = sum.Add(s), s.Kind() == "delta"
				fullAsked = strings.Contains(s.FullReason, "full-now")
				if err != nil {
					return sum, fmt.Errorf("import: %w", err)
				}
			}
			if doSync {
				s, err := syn.run(ctx, t, fullAsked)
				sum, delta = sum.Add(s), delta && s.Kind() == "delta"
				if err != nil {
					return sum, fmt.Errorf("sync: %w", err)
				}
			}
			sum.Delta = delta
			return sum, nil
		},
	}
	sopts.Run = sharedRun(sopts.Run, imp, tap, state, group, log)
	sopts.Paused = domainPaused(cfg, d)
	if group != nil {
		sopts.Leader, sopts.Elected = group.elector, group.elected
		sopts.Paused = group.paused(cfg, d, sopts.Paused)
	}
	if opts.MetricsAddr != "" {
		sopts.Metrics = schedule.NewMetrics(d.Name)
		if group != nil {
			sopts.Metrics.Register(group.elector.Collector())
		}
	}
	// The watcher holds the state store until its channel closes: every way
	// out below stops it and waits, so the lock is never released under it.
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	waitWatch := func() {
		stopWatch()
		if sopts.Events != nil { // nil without --watch: ranging would block forever
			for range sopts.Events {
			}
		}
	}
	// Without --watch, interval ticks are delta runs when the DC offers
	// DirSync: the watch and the poller would each move the one cookie, so
	// it is one or the other. In a group, a new leader's first run
	// continues from the shared full read and cookie (resume).
	if !opts.WatchChanges && doImport && opts.Poll != nil && opts.FullInterval > 0 {
		p, err := opts.Poll(ctx, d, tap)
		switch {
		case errors.Is(err, adwatch.ErrNoDirSync):
			log.Warn("the domain controller offers no dirsync: every tick reads everything", "interval", opts.Interval)
		case err != nil:
			log.Warn("dirsync polling unavailable: every tick reads everything", "error", authHint(err))
		default:
			defer p.Close()
			imp.delta, imp.fullInterval = p, opts.FullInterval
			log.Info("ticks are delta runs", "full_interval", opts.FullInterval)
		}
	}
	if !opts.WatchChanges && doSync && group == nil && opts.ReadSyncAD != nil && opts.FullInterval > 0 {
		// Sync ticks are delta runs from Directory Insights events; a
		// tick that cannot be one (no entitlement, events late or not
		// understood) reads everything and says why.
		syn.deltas, syn.fullInterval, syn.takeFullRequest = true, opts.FullInterval, imp.delta == nil
		log.Info("sync ticks are delta runs from directory insights events", "full_interval", opts.FullInterval)
	}
	if opts.WatchChanges {
		events, err := opts.Watch(watchCtx, d, tap)
		switch {
		case errors.Is(err, adwatch.ErrUnsupported):
			log.Warn("the domain controller offers no change notifications: polling every interval", "interval", opts.Interval)
		case err != nil:
			return fmt.Errorf("watch domain %s: %w", d.Name, authHint(err))
		default:
			sopts.Events = events
		}
	}
	if group != nil {
		defer imp.readyCatchUp(ctx, d, state)()
	}
	s, err := schedule.New(sopts)
	if err != nil {
		waitWatch()
		return err
	}

	metricsAddr := ""
	if sopts.Metrics != nil {
		ln, err := net.Listen("tcp", opts.MetricsAddr)
		if err != nil {
			waitWatch()
			return fmt.Errorf("metrics: %w", err)
		}
		metricsAddr = ln.Addr().String()
		srv := &http.Server{Handler: schedule.Handler(sopts.Metrics, s, opts.HealthMaxAge), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server stopped", "error", err)
			}
		}()
		defer srv.Close()
		log.Info("serving metrics", "addr", metricsAddr)
	}
	var pw *passwordService
	if d.PasswordSync {
		if pw, err = startPasswordSync(ctx, opts.Password, cfg, d, passwordMetrics(sopts.Metrics, d)); err != nil {
			waitWatch()
			return err
		}
	}
	if opts.Ready != nil {
		opts.Ready(metricsAddr)
	}
	err = alongside(ctx, pw, s.Run)
	waitWatch()
	return err
}

// scheduleDirections decides which directions run: what --import or --sync
// asks for, else everything the domain's mode allows.
func scheduleDirections(d *config.Domain, onlyImport, onlySync bool) (doImport, doSync bool, err error) {
	canImport := d.Mode != config.ModeJCAuthority
	canSync := d.Mode != config.ModeADAuthority
	switch {
	case onlyImport && !canImport:
		return false, false, Usagef("domain %s is in mode %s: JumpCloud is the authority, so import would overwrite it", d.Name, d.Mode)
	case onlySync && !canSync:
		return false, false, forbidWrite(d, "write to it (sync)")
	case onlyImport:
		return true, false, nil
	case onlySync:
		return false, true, nil
	}
	return canImport, canSync, nil
}

func applyScheduled(ctx context.Context, opts *ScheduleOptions, cfg *config.Config, d *config.Domain, plan reconcile.Plan, t reconcile.Target, concurrency int, thr reconcile.Policy) (schedule.Summary, error) {
	sum, _, err := applyScheduledResult(ctx, opts, cfg, d, plan, t, concurrency, thr)
	return sum, err
}

// applyScheduledResult is applyScheduled that also returns each change's
// outcome: [pipeline.Apply] with no one to ask.
func applyScheduledResult(ctx context.Context, opts *ScheduleOptions, cfg *config.Config, d *config.Domain, plan reconcile.Plan, t reconcile.Target, concurrency int, thr reconcile.Policy) (schedule.Summary, reconcile.Result, error) {
	if plan.Empty() {
		return schedule.Summary{}, reconcile.Result{}, nil
	}
	args := pipeline.ApplyArgs{
		Domain: d.Name, AuditLog: cfg.AuditLog, Now: opts.Now, Policy: thr, Concurrency: concurrency, Target: t,
		Ledger: opts.ledger, Instance: opts.instance,
	}
	if opts.fence != nil {
		// Fencing: the last moment before any write, prove this instance
		// still leads; a deposed leader applies nothing.
		args.Consent = func(int) error { return opts.fence(ctx) }
	}
	res, err := pipeline.Apply(ctx, plan, args)
	if res == nil {
		return schedule.Summary{Planned: len(plan.Changes), Skipped: len(plan.Changes)}, reconcile.Result{}, err
	}
	return schedule.Summarize(plan, *res), *res, err
}

// domainPaused asks, before every run, whether the operator paused the
// domain ('adjc schedule pause'). adjc pauses only when told: no JumpCloud
// field is documented as the console's "Deactivate", and delegationState (the
// password delegation of the instance) can read DISABLED on a tenant that
// never enabled delegation, so it is shown by preflight and never obeyed.
func domainPaused(cfg *config.Config, d *config.Domain) func(context.Context) (bool, error) {
	return func(context.Context) (bool, error) {
		paused, _, err := schedule.PausedSince(cfg.StateDir, d.Name)
		return paused, err
	}
}
