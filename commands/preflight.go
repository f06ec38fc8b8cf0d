package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/preflight"
)

// PreflightOptions are the inputs of `adjc preflight`.
type PreflightOptions struct {
	IO      *output.Streams
	Config  func() (*config.Config, error)
	Printer func() *output.Printer
	Now     func() time.Time
	Logger  *slog.Logger
	// Gather reads the facts; preflight.Gather, or a fake in tests.
	Gather func(context.Context, preflight.Input) preflight.Facts

	Strict  bool
	Verbose bool // -v: list the users and groups behind each count
	// SambaConf is --smb-conf: the smb.conf the password-capture check reads.
	SambaConf string
}

func newPreflightCmd(f *Factory, runF func(context.Context, *PreflightOptions) error) *cobra.Command {
	opts := &PreflightOptions{IO: f.IO, Config: f.Config, Printer: f.Printer, Now: f.Now, Logger: f.Logger, Gather: preflight.Gather}
	cmd := &cobra.Command{
		Use:   "preflight",
		Short: "Check every prerequisite before installing or scheduling adjc",
		Long: `Check, without changing anything in Active Directory or JumpCloud, everything
JumpCloud's AD Integration guides ask for before installation:

  config     the configuration is valid; each secret is set, where from, mode 0600
  ldap       the DC answers over LDAPS or StartTLS (plaintext fails); its
             certificate is trusted, names the host and is not about to expire;
             the service account binds
  account    the service account is in no privileged group, is not named
             JumpCloud, is not in the JumpCloud group, has no adminCount, has a
             password that never expires, can read users, and (two-way and
             jc-authority) may create users, reset passwords and write the
             synced attributes and group members, as AD itself reports
  directory  the JumpCloud and admins groups exist in the Root User container;
             the Root DN is ASCII; users in scope that are privileged, lack a
             username or email, or sit elsewhere; groups over 1000 members;
             nesting cycles
  jumpcloud  the API is reached over HTTPS, the key and org id are right, the
             AD domain object matches the Root DN and is active
  passwords  AD's and JumpCloud's minimum length and complexity agree
  conflicts  Microsoft Entra Connect or Cloud Sync accounts in the domain
  clock      this host's clock is within 5 minutes of the DC's

Each check is PASS, WARN, FAIL or SKIP (not run because an earlier one
failed), with a reason and a fix. With -v the users and groups behind each
count are listed. Secrets are described ("set (file …)"), never shown.

EXIT STATUS
  0 when nothing failed (with --strict: nothing failed or warned), 1 otherwise,
  2 for a usage or configuration error, 130 when interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if v, err := cmd.Flags().GetCount("verbose"); err == nil {
				opts.Verbose = v > 0
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPreflight(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "fail on warnings too")
	cmd.Flags().StringVar(&opts.SambaConf, "smb-conf", preflight.DefaultSambaConf, "on a Samba DC, the smb.conf whose 'password hash gpg key ids' password capture needs")
	return cmd
}

func runPreflight(ctx context.Context, opts *PreflightOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		var invalid *config.ValidationError
		if !errors.As(err, &invalid) {
			return err
		}
		// Show the problems as a failed check; the status stays 2.
		if perr := opts.Printer().Print(newPreflightView(preflight.Invalid(err), opts)); perr != nil {
			return perr
		}
		return &SilentError{Err: err}
	}
	d, err := oneDomain(cfg)
	if err != nil {
		return err
	}
	facts := opts.Gather(ctx, preflight.Input{Config: cfg, Domain: d, Now: opts.Now, Logger: opts.Logger, SambaConf: opts.SambaConf})
	if err := ctx.Err(); err != nil {
		return err
	}
	view := newPreflightView(preflight.Evaluate(facts), opts)
	if err := opts.Printer().Print(view); err != nil {
		return err
	}
	if !view.OK {
		return &SilentError{} // the report said why
	}
	return nil
}

// preflightView is the report as printed. Its JSON is `adjc preflight -o
// json`: {domain, mode, ok, strict, summary, checks: [{area, name, status,
// reason, fix, details}]}.
type preflightView struct {
	Domain  string            `json:"domain"`
	Mode    string            `json:"mode"`
	OK      bool              `json:"ok"`
	Strict  bool              `json:"strict"`
	Summary preflightSummary  `json:"summary"`
	Checks  []preflight.Check `json:"checks"`

	verbose bool
}

type preflightSummary struct {
	Pass int `json:"pass"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

func newPreflightView(r preflight.Report, opts *PreflightOptions) preflightView {
	checks := r.Checks
	if checks == nil {
		checks = []preflight.Check{}
	}
	return preflightView{
		Domain: r.Domain, Mode: r.Mode, OK: r.OK(opts.Strict), Strict: opts.Strict, Checks: checks,
		Summary: preflightSummary{Pass: r.Count(preflight.Pass), Warn: r.Count(preflight.Warn),
			Fail: r.Count(preflight.Fail), Skip: r.Count(preflight.Skip)},
		verbose: opts.Verbose,
	}
}

var statusStyle = map[preflight.Status]output.Style{
	preflight.Pass: output.Pass,
	preflight.Warn: output.Warn,
	preflight.Fail: output.Fail,
	preflight.Skip: output.Muted,
}

// Table is -o plain: one check per line, area, name, status, reason, fix.
func (v preflightView) Table() output.Table {
	t := output.Table{Headers: []string{"AREA", "CHECK", "STATUS", "REASON", "FIX"}}
	for _, c := range v.Checks {
		t.AddRow(output.C(string(c.Area)), output.C(c.Name), output.S(statusStyle[c.Status], string(c.Status)),
			output.C(c.Reason), output.C(c.Fix))
	}
	t.SetDetails(4)
	return t
}

// Report is the table format: checks grouped by area, each with its status,
// reason and fix; the details of a failure (all details with -v); then the
// verdict.
func (v preflightView) Report(s *output.Streams) error {
	var b strings.Builder
	title := "Preflight"
	if v.Domain != "" {
		title = fmt.Sprintf("Preflight for %s (mode %s)", v.Domain, v.Mode)
	}
	b.WriteString(s.Style(output.Header, title) + "\n")
	width := 0
	for _, c := range v.Checks {
		width = max(width, len(c.Name))
	}
	indent := strings.Repeat(" ", 2+4+2+width+2)
	area := preflight.Area("")
	for _, c := range v.Checks {
		if c.Area != area {
			area = c.Area
			b.WriteString("\n" + s.Style(output.Header, string(area)) + "\n")
		}
		fmt.Fprintf(&b, "  %s  %-*s  %s\n", s.Style(statusStyle[c.Status], string(c.Status)), width, output.Safe(c.Name), output.Safe(c.Reason))
		if c.Fix != "" && c.Status != preflight.Pass {
			b.WriteString(indent + s.Style(output.Muted, "fix: "+c.Fix) + "\n")
		}
		// Details back a failure, so they are always shown for one; the
		// names behind a count wait for -v.
		if v.verbose || c.Status == preflight.Fail {
			for _, d := range c.Details {
				b.WriteString(indent + s.Style(output.Muted, "· "+d) + "\n")
			}
		}
	}
	b.WriteString("\n" + v.verdict(s) + "\n")
	_, err := fmt.Fprint(s.Out, b.String())
	return err
}

func (v preflightView) verdict(s *output.Streams) string {
	n := v.Summary
	counts := fmt.Sprintf("%s: %d passed, %s, %d failed, %d skipped",
		output.Plural(len(v.Checks), "check", "checks"), n.Pass, output.Plural(n.Warn, "warning", "warnings"), n.Fail, n.Skip)
	switch {
	case !v.OK && n.Fail == 0:
		return counts + " — " + s.Style(output.Fail, "not ready (--strict counts warnings)")
	case !v.OK:
		return counts + " — " + s.Style(output.Fail, "not ready: fix the failures above")
	case n.Warn > 0:
		return counts + " — " + s.Style(output.Warn, "ready, but read the warnings")
	}
	return counts + " — " + s.Style(output.Pass, "ready")
}
