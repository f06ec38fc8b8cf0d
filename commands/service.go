package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/winservice"
	"github.com/spf13/cobra"
)

// ServiceOptions is what `adjc service …` needs.
type ServiceOptions struct {
	IO     *output.Streams
	Config func() (*config.Config, error)
	Logger *slog.Logger

	Name             string
	What             string
	ScheduleArgs     []string
	PasswordSyncArgs []string
	LogFile          string
	Manual           bool
	Timeout          time.Duration
	verbosity        int
	logFormat        string
}

// serviceWhat lists what --what takes.
var serviceWhat = []string{"schedule", "password-sync", "both"}

func newServiceCmd(f *Factory) *cobra.Command {
	opts := &ServiceOptions{IO: f.IO, Config: f.Config, Logger: f.Logger}
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Run adjc as a native Windows service (install, start, stop, status, uninstall)",
		Long: `Service registers adjc with the Windows Service Control Manager and drives
it, so schedule and the password filter's pipe server (password-sync) run
at boot without a service wrapper. One service process runs schedule,
password-sync or both (--what). A stop (adjc service stop, sc stop, the
Services console, or shutdown) lets the current schedule run finish, then
the service reports Stopped; a failure stops it with adjc's exit status
as its exit code, and the service manager restarts it (5 s, 30 s, then
every 5 minutes).

The service runs as LocalSystem (the password pipe admits only SYSTEM)
with the command line 'adjc service run --config FILE …': every setting,
secrets included (as *_file), must come from the config file; install
refuses settings given by environment variables or flags, which the
service would not see. It logs to --log-file (default: adjc-service.log
in the state folder).

On Linux use systemd: scripts/adjc.service (schedule) and
scripts/adjc-password-sync.service (README: "Running as a service").`,
		Args: cobra.NoArgs,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&opts.Name, "name", "adjc", "service name")
	pf.DurationVar(&opts.Timeout, "timeout", 10*time.Minute, "how long start, stop and uninstall wait (a stop waits for the current run)")

	install := &cobra.Command{
		Use:   "install",
		Short: "Register the adjc service (automatic start, LocalSystem, restart on failure)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.verbosity, _ = cmd.Flags().GetCount("verbose")
			opts.logFormat, _ = cmd.Flags().GetString("log-format")
			return runServiceInstall(f, opts)
		},
	}
	fs := install.Flags()
	fs.StringVar(&opts.What, "what", "schedule", "what the service runs: schedule, password-sync or both")
	fs.StringArrayVar(&opts.ScheduleArgs, "schedule-arg", nil, "a flag for schedule, e.g. --schedule-arg=--watch (repeat for each)")
	fs.StringArrayVar(&opts.PasswordSyncArgs, "password-sync-arg", nil, "a flag for password-sync, e.g. --password-sync-arg=--retry-for=10m")
	fs.StringVar(&opts.LogFile, "log-file", "", "the service's log file (default <state_dir>/adjc-service.log)")
	fs.BoolVar(&opts.Manual, "manual", false, "start only when asked, not at boot")
	mustComplete(install, "what", serviceWhat...)

	run := &cobra.Command{
		Use:    "run",
		Short:  "What the service manager runs (not for a console)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServiceRun(f, opts)
		},
	}
	rf := run.Flags()
	rf.StringVar(&opts.What, "what", "schedule", "schedule, password-sync or both")
	rf.StringArrayVar(&opts.ScheduleArgs, "schedule-arg", nil, "a flag for schedule")
	rf.StringArrayVar(&opts.PasswordSyncArgs, "password-sync-arg", nil, "a flag for password-sync")
	rf.StringVar(&opts.LogFile, "log-file", "", "log to this file (appended)")

	simple := func(use, short string, do func(context.Context, *ServiceOptions) error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeoutCause(cmd.Context(), opts.Timeout, fmt.Errorf("--timeout %s passed", opts.Timeout))
			defer cancel()
			return do(ctx, opts)
		}}
	}
	cmd.AddCommand(install, run,
		simple("uninstall", "Stop the service (its current run finishes) and remove it", runServiceUninstall),
		simple("start", "Start the service and wait until it runs", runServiceStart),
		simple("stop", "Stop the service, after its current run, and wait until it has", runServiceStop),
		simple("status", "Say whether the service is installed and running", runServiceStatus))
	return cmd
}

// serviceWork parses the flags the service hands to schedule and
// password-sync with those commands' own flag sets, and returns the work
// the service runs: their run functions, side by side for "both".
func serviceWork(f *Factory, opts *ServiceOptions) (func(context.Context) error, error) {
	if !slices.Contains(serviceWhat, opts.What) {
		return nil, Usagef("--what %q: use schedule, password-sync or both", opts.What)
	}
	var works []func(context.Context) error
	if opts.What != "password-sync" {
		var so *ScheduleOptions
		c := newScheduleCmd(f, func(_ context.Context, o *ScheduleOptions) error { so = o; return nil })
		if err := parseSubFlags(c, "--schedule-arg", opts.ScheduleArgs); err != nil {
			return nil, err
		}
		works = append(works, func(ctx context.Context) error { return runSchedule(ctx, so) })
	} else if len(opts.ScheduleArgs) > 0 {
		return nil, Usagef("--schedule-arg with --what password-sync: the service runs no schedule")
	}
	if opts.What != "schedule" {
		var po *PasswordSyncOptions
		c := newPasswordSyncCmd(f, func(_ context.Context, o *PasswordSyncOptions) error { po = o; return nil })
		if err := parseSubFlags(c, "--password-sync-arg", opts.PasswordSyncArgs); err != nil {
			return nil, err
		}
		if po.Source == "stdin" {
			return nil, Usagef("--password-sync-arg=--source=stdin: a service has no stdin; use pipe (Windows) or samba")
		}
		works = append(works, func(ctx context.Context) error { return runPasswordSync(ctx, po) })
	} else if len(opts.PasswordSyncArgs) > 0 {
		return nil, Usagef("--password-sync-arg with --what schedule: the service runs no password-sync")
	}
	if len(works) == 1 {
		return works[0], nil
	}
	return func(ctx context.Context) error {
		// Either one ending (a failure, most likely) ends the other, so
		// the service stops and the service manager restarts both.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		errs := make(chan error, len(works))
		for _, w := range works {
			go func() {
				err := w(ctx)
				cancel()
				errs <- err
			}()
		}
		var all []error
		for range works {
			all = append(all, <-errs)
		}
		return errors.Join(all...)
	}, nil
}

// parseSubFlags parses args with c's flags and runs c's RunE (which
// captures its options; it does not run the command).
func parseSubFlags(c *cobra.Command, flag string, args []string) error {
	if err := c.ParseFlags(args); err != nil {
		return Usagef("%s %q: %v (flags of 'adjc %s')", flag, args, err, c.Name())
	}
	if rest := c.Flags().Args(); len(rest) > 0 {
		return Usagef("%s %q: %q is not a flag of 'adjc %s'", flag, args, rest[0], c.Name())
	}
	if err := c.ValidateFlagGroups(); err != nil {
		return Usagef("%s: %v", flag, err)
	}
	return c.RunE(c, nil)
}

// serviceCarried are the settings install writes on the service's command
// line, as absolute paths; every other setting must be in the file.
var serviceCarried = []string{"config", "state_dir", "audit_log"}

func runServiceInstall(f *Factory, opts *ServiceOptions) error {
	if _, err := serviceWork(f, opts); err != nil {
		return err
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if cfg.File == "" {
		return WithHint(Usagef("no config file: the service reads every setting from one"),
			`pass --config C:\ProgramData\adjc\config.yaml (or set $ADJC_CONFIG) to install`)
	}
	var outside []string
	for _, s := range cfg.Settings() {
		if (s.Source.Kind == config.KindEnv || s.Source.Kind == config.KindFlag) && !slices.Contains(serviceCarried, s.Key) {
			outside = append(outside, fmt.Sprintf("%s (%s)", s.Key, s.Source))
		}
	}
	if len(outside) > 0 {
		return WithHint(Usagef("the service would not see %s", strings.Join(outside, ", ")),
			"put these settings in the config file (a secret as its *_file setting, in a file only LocalSystem and administrators can read)")
	}
	if cfg.StateDir == "" {
		return Usagef("no state folder: set state_dir in the config file (schedule keeps its lock and state there)")
	}
	abs := func(p string) (string, error) {
		a, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("make %s absolute: %w", p, err)
		}
		return a, nil
	}
	args := []string{"service", "run", "--name", opts.Name, "--what", opts.What}
	logFile := opts.LogFile
	if logFile == "" {
		logFile = filepath.Join(cfg.StateDir, "adjc-service.log")
	}
	for _, kv := range [][2]string{{"--config", cfg.File}, {"--state-dir", cfg.StateDir}, {"--audit-log", cfg.AuditLog}, {"--log-file", logFile}} {
		if kv[1] == "" {
			continue
		}
		p, err := abs(kv[1])
		if err != nil {
			return err
		}
		args = append(args, kv[0], p)
	}
	for _, a := range opts.ScheduleArgs {
		args = append(args, "--schedule-arg="+a)
	}
	for _, a := range opts.PasswordSyncArgs {
		args = append(args, "--password-sync-arg="+a)
	}
	if opts.verbosity > 0 {
		args = append(args, "-"+strings.Repeat("v", opts.verbosity))
	}
	if opts.logFormat == "json" {
		args = append(args, "--log-format", "json")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find adjc's own path: %w", err)
	}
	warn, err := winservice.Install(winservice.Spec{Name: opts.Name, DisplayName: "adjc (Active Directory ⇄ JumpCloud)",
		Description: "Imports Active Directory into JumpCloud, syncs it back, and delivers captured password changes (adjc " + opts.What + ").",
		Exe:         exe, Args: args, Manual: opts.Manual})
	if err != nil {
		return err
	}
	for _, w := range warn {
		opts.Logger.Warn("service " + opts.Name + ": " + w)
	}
	start := "automatic start"
	if opts.Manual {
		start = "manual start"
	}
	fmt.Fprintf(opts.IO.Out, "installed service %s (%s, LocalSystem, runs %s, logs to %s)\nstart it: adjc service start\n", opts.Name, start, opts.What, logFile)
	return nil
}

func runServiceRun(f *Factory, opts *ServiceOptions) error {
	log := opts.Logger.With("service", opts.Name)
	// Everything that can fail happens inside the work, once the service
	// manager is connected: a failure then stops the service with an exit
	// code, where a failure before would look like a hung start.
	work := func(ctx context.Context) error {
		if f.logs != nil {
			if opts.LogFile != "" {
				if err := os.MkdirAll(filepath.Dir(opts.LogFile), 0o700); err != nil {
					return fmt.Errorf("--log-file: %w", err)
				}
				lf, err := os.OpenFile(opts.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
				if err != nil {
					return fmt.Errorf("--log-file: %w", err)
				}
				defer lf.Close()
				f.logs.setOutput(lf)
				defer f.logs.setOutput(opts.IO.ErrOut)
			}
			f.logs.atLeastInfo()
		}
		scm, _ := winservice.IsService()
		log.Info("service starting", "what", opts.What, "scm_detected", scm)
		run, err := serviceWork(f, opts)
		if err == nil {
			err = run(ctx)
		}
		if err != nil {
			log.Error("service stopped with an error", "err", err, "exit_code", ExitCode(err))
			return err
		}
		log.Info("service stopped")
		return nil
	}
	return winservice.Run(opts.Name, work, func(err error) uint32 { return uint32(ExitCode(err)) })
}

func runServiceUninstall(ctx context.Context, opts *ServiceOptions) error {
	if err := winservice.Uninstall(ctx, opts.Name); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "removed service %s\n", opts.Name)
	return nil
}

func runServiceStart(ctx context.Context, opts *ServiceOptions) error {
	already, err := winservice.Start(ctx, opts.Name)
	if err != nil {
		return err
	}
	if already {
		fmt.Fprintf(opts.IO.Out, "service %s was running already\n", opts.Name)
		return nil
	}
	fmt.Fprintf(opts.IO.Out, "service %s is running\n", opts.Name)
	return nil
}

func runServiceStop(ctx context.Context, opts *ServiceOptions) error {
	already, err := winservice.Stop(ctx, opts.Name)
	if err != nil {
		return err
	}
	if already {
		fmt.Fprintf(opts.IO.Out, "service %s was not running\n", opts.Name)
		return nil
	}
	fmt.Fprintf(opts.IO.Out, "service %s stopped\n", opts.Name)
	return nil
}

func runServiceStatus(_ context.Context, opts *ServiceOptions) error {
	info, err := winservice.Query(opts.Name)
	if err != nil {
		return err
	}
	if !info.Installed {
		fmt.Fprintf(opts.IO.Out, "service %s: not installed\n", opts.Name)
		return nil
	}
	account := info.Account
	if account == "" || strings.EqualFold(account, "LocalSystem") {
		account = "LocalSystem"
	}
	fmt.Fprintf(opts.IO.Out, "service %s: %s\nstart: %s\naccount: %s\ncommand: %s\n", opts.Name, info.State, info.StartType, account, info.CommandLine)
	if info.State == winservice.Stopped {
		fmt.Fprintf(opts.IO.Out, "last exit code: %d\n", info.ExitCode)
	}
	return nil
}
