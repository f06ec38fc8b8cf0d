package commands

import (
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
	"github.com/spf13/cobra"
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
}

func defaultSource() string {
	if runtime.GOOS == "windows" {
		return "pipe"
	}
	return "samba"
}

func newPasswordSyncCmd(f *Factory, runF func(context.Context, *PasswordSyncOptions) error) *cobra.Command {
	opts := &PasswordSyncOptions{IO: f.IO, Config: f.Config, JumpCloud: f.JumpCloud, Directory: func(ctx context.Context, d *config.Domain) (*ldapx.Conn, error) {
		return f.DirectoryFor(ctx, d, config.DirectionImport)
	},
		Logger: f.Logger, Now: f.Now, LookupEnv: f.LookupEnv}
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
first. Transient failures are retried from memory for --retry-for; the
password is never written to disk, logged or put in the audit log, which
records each outcome. --metrics-addr serves adjc_password_sync_total{result}.

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
	fs := cmd.Flags()
	fs.StringVar(&opts.Source, "source", defaultSource(), "where changes come from: samba, pipe or stdin")
	fs.StringVar(&opts.CaptureDir, "capture-dir", "", "folder for the socket, hook and samba-tool cache (default <state_dir>/password-sync)")
	fs.StringVar(&opts.SMBConf, "smb-conf", "", "smb.conf of the Samba DC, when not the default one")
	fs.StringVar(&opts.SambaTool, "samba-tool", "samba-tool", "samba-tool executable")
	fs.StringVar(&opts.PipeName, "pipe-name", `\\.\pipe\adjc-password-sync`, "named pipe the filter DLL writes to (Windows)")
	fs.DurationVar(&opts.RetryFor, "retry-for", 5*time.Minute, "how long a change is retried while JumpCloud or AD is unreachable")
	fs.StringVar(&opts.MetricsAddr, "metrics-addr", "", "serve /metrics on this address, e.g. 127.0.0.1:9465")
	fs.StringSliceVar(&opts.NeverTouch, "never-touch", nil, "sAMAccountNames whose password changes are never delivered")

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
	switch opts.Source {
	case "samba", "pipe", "stdin":
	default:
		return Usagef("--source %q: use samba, pipe or stdin", opts.Source)
	}
	if opts.RetryFor <= 0 {
		return Usagef("--retry-for must be positive, e.g. 5m")
	}
	cfg, d, err := configDomain(opts.Config)
	if err != nil {
		return err
	}
	if d.Mode == config.ModeJCAuthority {
		return WithHint(Usagef("domain %s is in jc-authority mode: JumpCloud is the authority for passwords, so adjc does not copy them from AD", d.Name),
			"set mode: ad-authority or two-way for this domain")
	}
	if cfg.AuditLog == "" {
		return Usagef("no audit_log: password-sync records every outcome; set audit_log or state_dir")
	}
	dir := opts.CaptureDir
	if dir == "" && opts.Source == "samba" {
		if cfg.StateDir == "" {
			return Usagef("no state_dir for the capture folder: set state_dir or --capture-dir")
		}
		dir = filepath.Join(cfg.StateDir, "password-sync")
	}
	jc, err := opts.JumpCloud(cfg)
	if err != nil {
		return err
	}
	log := opts.Logger.With("domain", d.Name)
	// Fail at start, not at the first change, when AD is unreachable or the
	// credentials are wrong; the connection is then kept for delivery.
	first, err := opts.Directory(ctx, d)
	if err != nil {
		return authHint(fmt.Errorf("domain %s: %w", d.Name, err))
	}
	root := d.RootContainer
	group, err := first.FindGroup(ctx, root, d.JumpCloudGroup)
	if err != nil {
		first.Close()
		return fmt.Errorf("domain %s: the scope group %q in %s: %w", d.Name, d.JumpCloudGroup, root, err)
	}
	// The never-touch set a plan obeys, plus --never-touch for this service.
	nt, err := adapter.ReadNeverTouch(ctx, first, adapter.NeverTouchOptions{Scope: d.BaseDN, RootContainer: root,
		Binds: d.Binds(), JumpCloudGroup: d.JumpCloudGroup, AdminsGroup: d.AdminsGroup,
		Entries: append(slices.Clone(d.NeverTouch), opts.NeverTouch...)})
	if err != nil {
		first.Close()
		return fmt.Errorf("domain %s: %w", d.Name, err)
	}

	audit, err := pwsync.OpenAuditLog(cfg.AuditLog, d.Name, opts.Now)
	if err != nil {
		first.Close()
		return err
	}
	defer audit.Close()
	var metrics *pwsync.Metrics
	if opts.MetricsAddr != "" {
		metrics = pwsync.NewMetrics(d.Name)
	}
	handed := false
	deliverer := pwsync.New(pwsync.Options{
		Directory: func(ctx context.Context) (*ldapx.Conn, error) {
			if !handed {
				handed = true
				return first, nil
			}
			return opts.Directory(ctx, d)
		},
		JumpCloud:    jc,
		ScopeGroupDN: group.DN,
		NeverTouch:   nt,
		RetryFor:     opts.RetryFor,
		Logger:       log,
		Now:          opts.Now,
		OnOutcome: func(o pwsync.Outcome) {
			metrics.Observe(o)
			audit.Record(o)
			pwsync.LogOutcome(log, o)
		},
	})

	// Read the policy now: it proves the API key, and the first filter
	// request (150 ms to answer) then need not wait for JumpCloud.
	if err := deliverer.Warm(ctx); err != nil {
		first.Close()
		return authHint(err)
	}
	if metrics != nil {
		ln, err := net.Listen("tcp", opts.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		srv := &http.Server{Handler: metrics.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		log.Info("serving metrics", "addr", ln.Addr().String())
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	delivered := make(chan error, 1)
	go func() { delivered <- deliverer.Run(ctx) }()
	log.Info("password sync started", "source", opts.Source, "scope_group", group.DN)
	var srcErr error
	switch opts.Source {
	case "stdin":
		srcErr = pwsync.ReadStream(ctx, opts.IO.In, deliverer)
	case "samba":
		self, err := os.Executable()
		if err != nil {
			srcErr = fmt.Errorf("find the adjc executable for the samba-tool hook: %w", err)
			break
		}
		srcErr = pwsync.RunSamba(ctx, pwsync.SambaOptions{SambaTool: opts.SambaTool, SMBConf: opts.SMBConf, Dir: dir,
			Self: self, Logger: log, Now: opts.Now}, deliverer)
	case "pipe":
		srcErr = pwsync.RunPipe(ctx, pwsync.PipeOptions{Name: opts.PipeName, Logger: log}, deliverer)
	}
	// The source ended (end of stdin, a signal, or a failure): deliver what
	// is queued, unless a signal asked to stop, then report.
	deliverer.Close()
	err = <-delivered
	if srcErr != nil {
		return srcErr
	}
	if err != nil {
		return err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return nil
}
