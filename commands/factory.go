package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/preflight"
)

// Factory holds everything a command needs from outside the process. main
// builds the real one with [NewFactory]; tests build one of fakes.
//
// Config and Printer depend on the root command's flags, so [NewRootCmd]
// sets them when they are nil; a test may set them first to fake them.
// Commands copy these fields into their options when they are constructed,
// which is before flags are parsed: that is why they are functions.
type Factory struct {
	IO        *output.Streams             // output.System() in main, output.Test() in tests
	LookupEnv func(string) (string, bool) // os.LookupEnv in main, a map in tests
	Now       func() time.Time            // time.Now in main, a fixed instant in tests
	Logger    *slog.Logger                // stderr in main, discard in tests
	// BuildInfo is debug.ReadBuildInfo in main, a fixed value in tests.
	BuildInfo func() (*debug.BuildInfo, bool)
	// Config loads and validates the configuration once (lazily: --help and
	// completion never read files). Its error is a *config.ValidationError
	// for a configuration mistake (exit 2).
	Config func() (*config.Config, error)
	// Printer writes results in the format chosen by --output.
	Printer func() *output.Printer

	// JumpCloud returns a client for the configured JumpCloud API; it
	// resolves the API key, so call it only when the command needs it.
	JumpCloud func(*config.Config) (*jcapi.Client, error)
	// Directory dials and binds to the domain's controller as its bind
	// account; it resolves the bind password. The caller closes the
	// connection.
	Directory func(context.Context, *config.Domain) (*ldapx.Conn, error)
	// DirectoryFor is Directory for the commands of one direction: it
	// binds as import_bind or sync_bind when the domain sets one
	// (config.Domain.BindFor), else as bind.
	DirectoryFor func(context.Context, *config.Domain, config.Direction) (*ldapx.Conn, error)

	logs *logControl // nil when the Logger is not the one NewFactory made
	// state, when set, replaces reading AD and JumpCloud in diff and import:
	// tests use it to check plans and rendering against fixed states.
	state ReadStateFunc
	// syncState, when set, replaces reading them for the JumpCloud → AD
	// direction (sync, diff).
	syncState ReadStateFunc
	// lockWait, when above 0, replaces [lockWait] (tests wait less).
	lockWait time.Duration
	// bindCheck, when set, replaces connect's proof that an account binds
	// (tests without a domain controller).
	bindCheck func(context.Context, *config.Domain, config.Direction) error
}

// NewFactory returns the Factory main uses: the given streams and
// environment, the real clock and build info, and a logger on stderr whose
// level and format the root command sets from -v and --log-format.
func NewFactory(io *output.Streams, lookupEnv func(string) (string, bool)) *Factory {
	logger, logs := newLogger(io.ErrOut)
	return &Factory{
		IO:        io,
		LookupEnv: lookupEnv,
		Now:       time.Now,
		Logger:    logger,
		BuildInfo: debug.ReadBuildInfo,
		JumpCloud: func(cfg *config.Config) (*jcapi.Client, error) { return newJumpCloud(cfg, logger, io) },
		Directory: func(ctx context.Context, d *config.Domain) (*ldapx.Conn, error) {
			return dialDomain(ctx, d, d.Bind, d.BindPassword, logger)
		},
		DirectoryFor: func(ctx context.Context, d *config.Domain, dir config.Direction) (*ldapx.Conn, error) {
			a := d.BindFor(dir)
			return dialDomain(ctx, d, a.Bind, a.Password, logger)
		},
		logs: logs,
	}
}

// newJumpCloud builds the JumpCloud client from the configuration. On a
// terminal, each retry is said on stderr as it starts waiting, so an
// unreachable API is never a silent wait.
func newJumpCloud(cfg *config.Config, logger *slog.Logger, io *output.Streams) (*jcapi.Client, error) {
	key, err := cfg.JumpCloud.APIKey.Resolve()
	if err != nil {
		return nil, err
	}
	opts := []jcapi.Option{jcapi.WithLogger(logger), jcapi.WithRetryNotify(retryNotice(io))}
	if cfg.JumpCloud.OrgID != "" {
		opts = append(opts, jcapi.WithOrgID(cfg.JumpCloud.OrgID))
	}
	if loopback(cfg.JumpCloud.APIURL) {
		// A loopback API is the emulator (scripts/lab, tests) or a local
		// proxy: JumpCloud's request budget does not apply to it, and the
		// client-side limit would stretch a 1600-user import to minutes.
		opts = append(opts, jcapi.WithRateLimit(0, 0))
	}
	return jcapi.New(cfg.JumpCloud.APIURL, key, opts...)
}

// dialDomain connects to one configured domain and binds as bind, with
// the options preflight uses too (preflight.LDAPOptions): the same TLS
// settings and timeouts wherever adjc dials.
func dialDomain(ctx context.Context, d *config.Domain, bind string, password config.SecretRef, logger *slog.Logger) (*ldapx.Conn, error) {
	pw, err := password.Resolve()
	if err != nil {
		return nil, err
	}
	return ldapx.Dial(ctx, preflight.LDAPOptions(d, bind, pw, logger))
}

func loopback(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// Verbose reports whether -v or more was given, once the command line was
// parsed: errors then keep their package detail.
func (f *Factory) Verbose() bool {
	return f.logs != nil && f.logs.level.Level() <= slog.LevelInfo
}

// retryNotice returns the jcapi retry callback: one progress line on stderr
// per retry when stderr is a terminal, nothing otherwise (the debug log
// has every retry either way).
func retryNotice(io *output.Streams) func(jcapi.Retry) {
	return func(r jcapi.Retry) {
		if !io.IsStderrTTY() {
			return
		}
		// Clear a read progress line first (readProgress redraws it on
		// its next step), so the notice starts at the left margin.
		fmt.Fprint(io.ErrOut, "\r\x1b[K")
		io.WriteErrLine(retryLine(r))
	}
}

// retryLine says what failed and when the next try is, in the user's terms.
func retryLine(r jcapi.Retry) string {
	var ae *jcapi.APIError
	if errors.As(r.Err, &ae) {
		return fmt.Sprintf("JumpCloud answered %d to %s %s: retrying in %.1f s (retry %d of %d)", ae.Status, r.Method, r.Path, r.Delay.Seconds(), r.Attempt, r.Max)
	}
	return fmt.Sprintf("JumpCloud did not answer (%s): retrying in %.1f s (retry %d of %d)", jcapi.Unreachable(r.Err), r.Delay.Seconds(), r.Attempt, r.Max)
}
