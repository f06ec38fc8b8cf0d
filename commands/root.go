package commands

import (
	"context"
	"errors"
	"sync"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/output"
	"github.com/spf13/cobra"
)

// rootState is what the root command's flags and hooks share with [Execute].
type rootState struct {
	output    string
	noColor   bool
	verbosity int
	logFormat string

	format output.Format
	// detailed is --detailed: tables wrap long values instead of cutting them.
	detailed bool
	started  bool // the root's PersistentPreRunE ran: flags and args were accepted
}

// NewRootCmd returns the adjc command tree bound to f. It fills f.Config
// and f.Printer when they are nil.
func NewRootCmd(f *Factory) *cobra.Command {
	cmd, _ := newRoot(f)
	return cmd
}

func newRoot(f *Factory) (*cobra.Command, *rootState) {
	st := &rootState{format: output.FormatTable}
	cmd := &cobra.Command{
		Use:   "adjc",
		Short: "Sync Active Directory and JumpCloud",
		Long: `adjc imports users and groups from Active Directory into JumpCloud and syncs
JumpCloud users, groups and passwords back to Active Directory. It replaces
JumpCloud's AD Import and AD Sync agents with one binary that runs anywhere,
once from a shell or on a schedule, and shows every change before making it.

Configuration comes from flags, ADJC_* variables and a YAML file, in that
order; see 'adjc help config-file' and 'adjc help environment'.
` + exitStatusSection,
		SilenceUsage:  true,
		SilenceErrors: true,
		// A bare "adjc" prints help; "adjc bogus" is an unknown command (exit 2).
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			st.started = true
			format, err := output.ParseFormat(st.output)
			if err != nil {
				return &UsageError{Err: err}
			}
			st.format = format
			if st.logFormat != "text" && st.logFormat != "json" {
				return Usagef("invalid log format %q: want text or json", st.logFormat)
			}
			if st.noColor {
				f.IO.SetColorEnabled(false)
			}
			if st.detailed {
				f.IO.SetDetailed(true)
			}
			if f.logs != nil {
				f.logs.set(st.verbosity, st.logFormat)
			}
			return nil
		},
	}
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{Err: err, Usage: c.UseLine(), Path: c.CommandPath()}
	})

	pf := cmd.PersistentFlags()
	pf.StringVarP(&st.output, "output", "o", string(output.FormatTable), "output format: table, json or plain")
	pf.BoolVar(&st.noColor, "no-color", false, "never use colour (also: $NO_COLOR)")
	pf.BoolVar(&st.detailed, "detailed", false, "on a terminal, wrap long values in tables instead of shortening them to fit the width")
	pf.CountVarP(&st.verbosity, "verbose", "v", "log more: -v for info, -vv for debug (logs go to stderr)")
	pf.StringVar(&st.logFormat, "log-format", "text", "log format: text or json")
	config.AddFlags(pf)
	mustComplete(cmd, "output", output.Formats()...)
	mustComplete(cmd, "log-format", "text", "json")
	mustComplete(cmd, config.FlagMode, string(config.ModeADAuthority), string(config.ModeTwoWay), string(config.ModeJCAuthority))
	mustComplete(cmd, config.FlagRegion, config.RegionNames()...)

	if f.Config == nil {
		f.Config = sync.OnceValues(func() (*config.Config, error) {
			opts := config.LoadOptions{Flags: pf, LookupEnv: f.LookupEnv, Stdin: f.IO.In}
			if f.IO.CanPrompt() {
				opts.Prompt = f.IO.ReadSecret
			}
			return config.Load(opts)
		})
	}
	if f.Printer == nil {
		f.Printer = func() *output.Printer { return output.NewPrinter(f.IO, st.format) }
	}

	cmd.AddCommand(
		newVersionCmd(f, nil),
		newConfigCmd(f),
		newDiffCmd(f, nil),
		newImportCmd(f, nil),
		newSyncCmd(f, nil),
		newConnectCmd(f, nil),
		newPreflightCmd(f, nil),
		newScheduleCmd(f, nil),
		newApproveCmd(f, nil),
		newPasswordSyncCmd(f, nil),
		newServiceCmd(f),
	)
	for _, t := range helpTopics() {
		cmd.AddCommand(t)
	}
	return cmd, st
}

func mustComplete(cmd *cobra.Command, flag string, values ...string) {
	err := cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
	if err != nil {
		panic(err) // a programming error: the flag is not defined
	}
}

// Execute runs the command line args against f under ctx and returns the
// command's error, classified: anything cobra rejects before the command
// starts (an unknown command or flag, wrong arguments, a missing required
// flag) becomes a *[UsageError]. It prints nothing itself; main reports the
// error with [PrintError] and exits with [ExitCode].
func Execute(ctx context.Context, f *Factory, args []string) error {
	root, st := newRoot(f)
	return execute(ctx, root, st, args)
}

// execute is [Execute] on a built tree; tests replace a verb in it with
// the one its constructor builds around their runF.
func execute(ctx context.Context, root *cobra.Command, st *rootState, args []string) error {
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return nil
	}
	var usage *UsageError
	if errors.As(err, &usage) {
		if usage.Usage == "" && cmd != nil {
			usage.Usage, usage.Path = cmd.UseLine(), cmd.CommandPath()
		}
		return err
	}
	if !st.started {
		u := &UsageError{Err: err}
		if cmd != nil {
			u.Usage, u.Path = cmd.UseLine(), cmd.CommandPath()
		}
		return u
	}
	return err
}

// exitStatusSection ends the Long help of commands that only succeed or fail.
const exitStatusSection = `
EXIT STATUS
  0 on success, 1 on failure, 2 for a usage or configuration error,
  130 when interrupted. 'adjc help exit-codes' lists them all.`
