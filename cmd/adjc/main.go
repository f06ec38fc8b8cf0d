// Command adjc imports Active Directory users and groups into JumpCloud and
// syncs JumpCloud back to Active Directory. See `adjc --help`.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/adjc/adjc/commands"
	"github.com/adjc/adjc/output"
)

func main() {
	os.Exit(commands.ExitCode(run()))
}

// run builds the real Factory, runs the command line and reports its error
// once. Only this package touches os.Args, os.Environ and the signals.
func run() error {
	if path := os.Getenv("ADJC_CPUPROFILE"); path != "" {
		// Undocumented, for profiling a whole process (scripts/bench's
		// noop-cycle): where a run's time goes, start to exit.
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	// SIGTERM too: `schedule` runs under service managers that stop with it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal cancels ctx (schedule then finishes its current run);
	// restoring the default action lets a second one end the process at once.
	context.AfterFunc(ctx, stop)
	ios := output.System(os.LookupEnv)
	f := commands.NewFactory(ios, os.LookupEnv)
	err := commands.Execute(ctx, f, os.Args[1:])
	printError(ios.ErrOut, err, f.Verbose())
	return err
}

// printError reports err once, escaped: an error can quote what a server or
// a directory sent (a DN, a JumpCloud message, a name with ESC or U+202E in
// it), and stderr is a terminal as often as stdout is.
func printError(w io.Writer, err error, detail bool) {
	var b strings.Builder
	commands.PrintErrorDetail(&b, err, detail)
	_, _ = io.WriteString(w, output.SafeLines(b.String())) // nowhere left to report a failure
}
