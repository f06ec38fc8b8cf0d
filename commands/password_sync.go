package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pwsync"
	"github.com/adjc/adjc/schedule"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// PasswordSyncOptions is what `adjc password-sync` needs.
type PasswordSyncOptions struct {
	IO        *output.Streams
	Config    func() (*config.Config, error)
	JumpCloud func(*config.Config) (*jcapi.Client, error)
	Directory func(context.Context, *config.Domain) (*ldapx.Conn, error)
	Logger    *slog.Logger
	Now       func() time.Time
	LookupEnv func(string) (string, bool)

	Source      string
	CaptureDir  string
	SMBConf     string
	SambaTool   string
	PipeName    string
	RetryFor    time.Duration
	MetricsAddr string
	NeverTouch  []string
	// flagPrefix is what addFlags put before the flag names, for errors.
	flagPrefix string
}

func defaultSource() string {
	if runtime.GOOS == "windows" {
		return "pipe"
	}
	return "samba"
}

// newPasswordSyncOptions is the delivery's outside world, for `adjc
// password-sync` and for `adjc schedule` with password_sync set.
func newPasswordSyncOptions(f *Factory) *PasswordSyncOptions {
	return &PasswordSyncOptions{IO: f.IO, Config: f.Config, JumpCloud: f.JumpCloud, Directory: func(ctx context.Context, d *config.Domain) (*ldapx.Conn, error) {
		return f.DirectoryFor(ctx, d, config.DirectionImport)
	}, Logger: f.Logger, Now: f.Now, LookupEnv: f.LookupEnv}
}

// addFlags registers the delivery's flags, their names prefixed (schedule
// says --password-sync-retry-for where password-sync says --retry-for).
func (o *PasswordSyncOptions) addFlags(fs *pflag.FlagSet, prefix string) {
	o.flagPrefix = prefix
	fs.StringVar(&o.Source, prefix+"source", defaultSource(), "where password changes come from: samba, pipe or stdin")
	fs.StringVar(&o.CaptureDir, prefix+"capture-dir", "", "folder for the socket, hook and samba-tool cache (default <state_dir>/password-sync)")
	fs.StringVar(&o.SMBConf, prefix+"smb-conf", "", "smb.conf of the Samba DC, when not the default one")
	fs.StringVar(&o.SambaTool, prefix+"samba-tool", "samba-tool", "samba-tool executable")
	fs.StringVar(&o.PipeName, prefix+"pipe-name", `\\.\pipe\adjc-password-sync`, "named pipe the filter DLL writes to (Windows)")
	fs.DurationVar(&o.RetryFor, prefix+"retry-for", 5*time.Minute, "how long a password change is retried while JumpCloud or AD is unreachable")
	fs.StringSliceVar(&o.NeverTouch, prefix+"never-touch", nil, "sAMAccountNames whose password changes are never delivered")
}

func newPasswordSyncCmd(f *Factory, runF func(context.Context, *PasswordSyncOptions) error) *cobra.Command {
	opts := newPasswordSyncOptions(f)
	cmd := &cobra.Command{
		Use:   "password-sync",
		Short: "Deliver password changes caught on the domain controller to JumpCloud",
		Long: `Password-sync runs until stopped (SIGINT/SIGTERM), taking each password
change that a domain controller accepted and setting the same password on
the JumpCloud user that mirrors the account (the one whose adjcObjectGUID
is the account's objectGUID). Run it on the DC itself, as root (Samba) or
as a service running as LocalSystem (Windows).

Sources (--source):
  samba  run 'samba-tool user syncpasswords --decrypt-samba-gpg' and take
         changes from its --script hook over a Unix socket (0600, same uid).
         Needs 'password hash gpg key ids' in smb.conf and the key in
         $GNUPGHOME (README: "Password sync on Samba").
  pipe   serve the named pipe \\.\pipe\adjc-password-sync for the password
         filter DLL (Windows; README: "Password sync on Windows").
  stdin  read framed changes from stdin (the wire format of package pwsync),
         deliver them, and exit at end of input.

Each change is delivered only for an account that is a (nested) member of
the domain's JumpCloud group, is not privileged (adminCount=1), is not a
well-known account, adjc's bind account or on --never-touch, and whose
JumpCloud user exists; its password is checked against JumpCloud's policy
first. Transient failures are retried from memory for --retry-for, then
given up (result gave_up, a warning, an audit line); the password is never
written to disk, logged or put in the audit log, which records each outcome
(kind password, as 'adjc sync password' writes it). A stop finishes the
delivery in flight. --metrics-addr serves adjc_password_sync_total{result}.
'adjc schedule --password-sync' runs the same delivery inside the scheduler.

EXIT STATUS
  0 when stopped by a signal or at the end of stdin, 1 on a failure to
  start, 2 for a usage error (a jc-authority domain: JumpCloud holds the
  passwords there), 4 when AD or JumpCloud rejects adjc's credentials.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPasswordSync(cmd.Context(), opts)
		},
	}
	opts.addFlags(cmd.Flags(), "")
	cmd.Flags().StringVar(&opts.MetricsAddr, "metrics-addr", "", "serve /metrics on this address, e.g. 127.0.0.1:9465")

	hook := &cobra.Command{
		Use:    "samba-hook",
		Short:  "Hand one change from samba-tool to the running password-sync (run by samba-tool)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := pwsync.SambaHook(opts.IO.In, opts.IO.Out, opts.LookupEnv); err != nil {
				return &SilentError{Err: err}
			}
			return nil
		},
	}
	cmd.AddCommand(hook)
	return cmd
}

func runPasswordSync(ctx context.Context, opts *PasswordSyncOptions) error {
	cfg, d, err := configDomain(opts.Config)
	if err != nil {
		return err
	}
	if err := opts.check(cfg, d); err != nil {
		return err
	}
	var metrics *pwsync.Metrics
	if opts.MetricsAddr != "" {
		metrics = pwsync.NewMetrics(d.Name)
	}
	pw, err := startPasswordSync(ctx, opts, cfg, d, metrics)
	if err != nil {
		return err
	}
	if metrics != nil {
		ln, err := net.Listen("tcp", opts.MetricsAddr)
		if err != nil {
			pw.abandon()
			return fmt.Errorf("metrics: %w", err)
		}
		srv := &http.Server{Handler: metrics.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		pw.log.Info("serving metrics", "addr", ln.Addr().String())
	}
	return pw.run(ctx)
}

// check validates the delivery's settings for d, before any network call.
func (opts *PasswordSyncOptions) check(cfg *config.Config, d *config.Domain) error {
	switch opts.Source {
	case "samba", "pipe", "stdin":
	default:
		return Usagef("--%ssource %q: use samba, pipe or stdin", opts.flagPrefix, opts.Source)
	}
	if opts.RetryFor <= 0 {
		return Usagef("--%sretry-for must be positive, e.g. 5m", opts.flagPrefix)
	}
	if d.Mode == config.ModeJCAuthority {
		return WithHint(Usagef("domain %s is in jc-authority mode: JumpCloud is the authority for passwords, so adjc does not copy them from AD", d.Name),
			"set mode: ad-authority or two-way for this domain")
	}
	if cfg.AuditLog == "" {
		return Usagef("no audit_log: password-sync records every outcome; set audit_log or state_dir")
	}
	if opts.CaptureDir == "" && opts.Source == "samba" && cfg.StateDir == "" {
		return Usagef("no state_dir for the capture folder: set state_dir or --%scapture-dir", opts.flagPrefix)
	}
	return nil
}

// passwordService is the delivery of captured passwords for one domain,
// connected and ready: `adjc password-sync` runs it alone, `adjc schedule`
// beside its runs ([alongside]), the same code either way.
type passwordService struct {
	opts      *PasswordSyncOptions
	log       *slog.Logger
	dir       string
	group     string
	deliverer *pwsync.Deliverer
	audit     *pwsync.AuditLog
	first     *ldapx.Conn // until the deliverer takes it
	handed    bool
}

// startPasswordSync connects to AD and JumpCloud for d (failing now, not at
// the first change, when either is unreachable or refuses the credentials)
// and opens the audit log; metrics may be nil. Call opts.check first.
func startPasswordSync(ctx context.Context, opts *PasswordSyncOptions, cfg *config.Config, d *config.Domain, metrics *pwsync.Metrics) (*passwordService, error) {
	dir := opts.CaptureDir
	if dir == "" && opts.Source == "samba" {
		dir = filepath.Join(cfg.StateDir, "password-sync")
	}
	jc, err := opts.JumpCloud(cfg)
	if err != nil {
		return nil, err
	}
	p := &passwordService{opts: opts, log: opts.Logger.With("domain", d.Name), dir: dir}
	// The connection that proves AD now is kept for delivery.
	p.first, err = opts.Directory(ctx, d)
	if err != nil {
		return nil, authHint(fmt.Errorf("domain %s: %w", d.Name, err))
	}
	root := d.RootContainer
	group, err := p.first.FindGroup(ctx, root, d.JumpCloudGroup)
	if err != nil {
		p.first.Close()
		return nil, fmt.Errorf("domain %s: the scope group %q in %s: %w", d.Name, d.JumpCloudGroup, root, err)
	}
	p.group = group.DN
	// The never-touch set a plan obeys, plus --never-touch for this service.
	nt, err := adapter.ReadNeverTouch(ctx, p.first, adapter.NeverTouchOptions{Scope: d.BaseDN, RootContainer: root,
		Binds: d.Binds(), JumpCloudGroup: d.JumpCloudGroup, AdminsGroup: d.AdminsGroup,
		Entries: append(slices.Clone(d.NeverTouch), opts.NeverTouch...)})
	if err != nil {
		p.first.Close()
		return nil, fmt.Errorf("domain %s: %w", d.Name, err)
	}
	p.audit, err = pwsync.OpenAuditLog(cfg.AuditLog, d.Name, opts.Now)
	if err != nil {
		p.first.Close()
		return nil, err
	}
	p.deliverer = pwsync.New(pwsync.Options{
		Directory: func(ctx context.Context) (*ldapx.Conn, error) {
			if !p.handed {
				p.handed = true
				return p.first, nil
			}
			return opts.Directory(ctx, d)
		},
		JumpCloud:    jc,
		ScopeGroupDN: group.DN,
		NeverTouch:   nt,
		RetryFor:     opts.RetryFor,
		Logger:       p.log,
		Now:          opts.Now,
		OnOutcome: func(o pwsync.Outcome) {
			metrics.Observe(o)
			p.audit.Record(o)
			pwsync.LogOutcome(p.log, o)
		},
	})
	// Read the policy now: it proves the API key, and the first filter
	// request (150 ms to answer) then need not wait for JumpCloud.
	if err := p.deliverer.Warm(ctx); err != nil {
		p.abandon()
		return nil, authHint(err)
	}
	return p, nil
}

// abandon releases a service that will not run.
func (p *passwordService) abandon() {
	if !p.handed {
		p.first.Close()
	}
	_ = p.audit.Close()
}

// run takes changes from the source and delivers them until ctx ends (a
// stop: the delivery in flight is finished, changes still queued are
// dropped and reported) or the source ends (end of stdin: what is queued
// is delivered first).
func (p *passwordService) run(ctx context.Context) error {
	opts := p.opts
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	delivered := make(chan error, 1)
	go func() { delivered <- p.deliverer.Run(ctx) }()
	p.log.Info("password sync started", "source", opts.Source, "scope_group", p.group)
	var srcErr error
	switch opts.Source {
	case "stdin":
		srcErr = pwsync.ReadStream(ctx, opts.IO.In, p.deliverer)
	case "samba":
		self, err := os.Executable()
		if err != nil {
			srcErr = fmt.Errorf("find the adjc executable for the samba-tool hook: %w", err)
			break
		}
		srcErr = pwsync.RunSamba(ctx, pwsync.SambaOptions{SambaTool: opts.SambaTool, SMBConf: opts.SMBConf, Dir: p.dir,
			Self: self, Logger: p.log, Now: opts.Now}, p.deliverer)
	case "pipe":
		srcErr = pwsync.RunPipe(ctx, pwsync.PipeOptions{Name: opts.PipeName, Logger: p.log}, p.deliverer)
	}
	p.deliverer.Close()
	err := <-delivered
	if !p.handed && p.first != nil { // no change came: the deliverer never took it
		p.first.Close()
	}
	if aerr := p.audit.Close(); aerr != nil {
		p.log.Warn("audit log", "error", aerr)
	}
	return errors.Join(srcErr, err)
}

// schedulePasswordSync checks password_sync for `adjc schedule`, before any
// network call.
func schedulePasswordSync(cfg *config.Config, d *config.Domain, opts *PasswordSyncOptions) error {
	if cfg.HA.Enabled() {
		// Changes are caught on one DC, by the process running there; a
		// leader elsewhere could not take them, and a follower must not
		// drop them. One 'adjc password-sync' per capturing DC is the way.
		return WithHint(Usagef("password_sync with ha.etcd: each DC's changes must be delivered on that DC, whichever scheduler leads"),
			"run 'adjc password-sync' on the DC instead, and schedule without password_sync")
	}
	return opts.check(cfg, d)
}

// passwordMetrics is the delivery's metrics, served by the schedule's
// endpoint; nil without one.
func passwordMetrics(m *schedule.Metrics, d *config.Domain) *pwsync.Metrics {
	if m == nil {
		return nil
	}
	pm := pwsync.NewMetrics(d.Name)
	for _, c := range pm.Collectors() {
		m.Register(c)
	}
	return pm
}

// alongside runs run (the schedule) and, when pw is set, the password
// delivery beside it, in one process with one lock, audit log and metrics
// endpoint: a stop (ctx) ends both, each finishing what it has in flight;
// a delivery that fails or ends on its own stops the schedule with that
// error, so that a service manager restarts the whole.
func alongside(ctx context.Context, pw *passwordService, run func(context.Context) error) error {
	if pw == nil {
		return run(ctx)
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	done := make(chan error, 1)
	go func() {
		err := pw.run(ctx)
		if ctx.Err() == nil {
			stop(fmt.Errorf("password sync stopped: %w", cmp.Or(err, errors.New("its source ended"))))
		}
		done <- err
	}()
	err := run(ctx)
	stop(nil)
	pwErr := <-done
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return errors.Join(err, pwErr)
}
