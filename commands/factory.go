package commands

import (
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/output"
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

	// JumpCloud func(*config.Config) (*jcapi.Client, error)             — added with jcapi
	// Directory func(context.Context, *config.Domain) (*ldapx.Conn, error) — added with ldapx

	logs *logControl // nil when the Logger is not the one NewFactory made
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
		logs:      logs,
	}
}
