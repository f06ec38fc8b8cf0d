package commands

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/reconcile"
	"github.com/spf13/cobra"
)

// progressMin is the plan length from which import shows progress on a
// terminal: shorter runs finish before a bar would be read.
const progressMin = 50

// ImportOptions is what `adjc import` needs.
type ImportOptions struct {
	IO        *output.Streams
	Config    func() (*config.Config, error)
	Printer   func() *output.Printer
	ReadState ReadStateFunc
	Now       func() time.Time

	Yes         bool
	PlanFile    string
	Concurrency int
	policy      policyFlags
}

func newImportCmd(f *Factory, runF func(context.Context, *ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{IO: f.IO, Config: f.Config, Printer: f.Printer, ReadState: readState(f), Now: f.Now}
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import Active Directory users and groups into JumpCloud",
		Long: `Import does the AD Import agent's job once: it reads the JumpCloud scope
from Active Directory and JumpCloud's users and groups, shows the plan (as
'adjc diff' does), asks for confirmation, applies it, and prints the result.
Every applied change is appended to the audit log (audit_log) as one JSON line.

On a terminal import asks before changing anything; elsewhere --yes is
required when there are changes. A plan that deletes or suspends more users
than --max-deletes or --max-delete-percent allows is not applied at all.
--plan applies exactly a plan saved by 'adjc diff --out', and refuses it if
AD or JumpCloud changed since it was made.

EXIT STATUS
  0 on success, 1 on failure (nothing applied), 2 for a usage or
  configuration error, 3 when some changes failed (the others were applied),
  4 when AD or JumpCloud rejects the credentials, 130 when interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runImport(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&opts.Yes, "yes", "y", false, "apply without asking (required when not on a terminal)")
	fs.StringVar(&opts.PlanFile, "plan", "", "apply exactly the plan saved by 'adjc diff --out' to this file")
	fs.IntVar(&opts.Concurrency, "concurrency", 4, "JumpCloud changes in flight at once")
	opts.policy.add(cmd)
	return cmd
}

func runImport(ctx context.Context, opts *ImportOptions) error {
	pol, err := opts.policy.policy()
	if err != nil {
		return err
	}
	if opts.Concurrency < 1 {
		return Usagef("invalid --concurrency %d: want 1 or more", opts.Concurrency)
	}
	var saved *savedPlan
	if opts.PlanFile != "" {
		sp, err := readPlan(opts.PlanFile)
		if err != nil {
			return err
		}
		saved = &sp
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	d, err := oneDomain(cfg)
	if err != nil {
		return err
	}
	if d.Mode == config.ModeJCAuthority {
		return Usagef("domain %s is in mode %s: JumpCloud is the authority, so import would overwrite it", d.Name, d.Mode)
	}
	if saved != nil {
		if err := checkPlanFor(opts.PlanFile, *saved, d, reconcile.ToJumpCloud, "adjc diff --out"); err != nil {
			return err
		}
	}
	st, err := opts.ReadState(ctx, cfg, d)
	if err != nil {
		return authHint(err)
	}
	if st.Close != nil {
		defer st.Close()
	}
	var plan reconcile.Plan
	if saved != nil {
		if now := reconcile.Fingerprint(st.Directory, st.Cloud); now != saved.Plan.Fingerprint {
			return fmt.Errorf("plan %s is stale: AD or JumpCloud changed since it was made (fingerprint %s, now %s); nothing was applied: run 'adjc diff --out %s' again and review it",
				opts.PlanFile, short(saved.Plan.Fingerprint), short(now), opts.PlanFile)
		}
		plan = saved.Plan
	} else {
		plan = reconcile.Diff(st.Directory, st.Cloud, pol)
	}

	printer := opts.Printer()
	view := newPlanView(d.Name, plan)
	if printer.Format != output.FormatJSON {
		if err := printer.Print(view); err != nil {
			return err
		}
	}
	if plan.Empty() {
		if printer.Format == output.FormatJSON {
			return printer.Print(importResult{Plan: view, Outcomes: []reconcile.Outcome{}})
		}
		return nil
	}
	if over, msg := plan.ExceedsThreshold(pol); over {
		return errors.New(msg)
	}
	if !opts.Yes {
		if !opts.IO.CanPrompt() {
			return Usagef("refusing to apply %d changes without confirmation: review the plan, then run again with --yes", len(plan.Changes))
		}
		ok, err := confirmApply(opts.IO, fmt.Sprintf("Apply these %d changes to JumpCloud? [y/N] ", len(plan.Changes)))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(opts.IO.ErrOut, "Nothing was applied.")
			return &SilentError{}
		}
	}

	if cfg.AuditLog == "" {
		return errors.New("no audit log path: set audit_log, state_dir or $HOME so applied changes can be recorded")
	}
	audit, err := openAuditLog(cfg.AuditLog, d.Name, opts.Now)
	if err != nil {
		return err
	}
	prog := newProgress(opts.IO, len(plan.Changes))
	res, applyErr := reconcile.Apply(ctx, plan, st.Target, reconcile.ApplyOptions{
		Concurrency: opts.Concurrency,
		Policy:      &pol,
		OnOutcome: func(o reconcile.Outcome) {
			audit.record(o)
			prog.step()
		},
	})
	prog.done()
	auditErr := audit.close()

	result := importResult{Plan: view, Outcomes: res.Outcomes}
	result.count()
	if err := printer.Print(result); err != nil {
		return err
	}
	if applyErr != nil {
		return authHint(applyErr)
	}
	return auditErr
}

func short(fp string) string {
	if len(fp) > 19 {
		return fp[:19] + "…"
	}
	return fp
}

// confirmApply asks a yes/no question on stderr and reads the answer from stdin.
func confirmApply(io *output.Streams, question string) (bool, error) {
	fmt.Fprint(io.ErrOut, question)
	line, err := bufio.NewReader(io.In).ReadString('\n')
	if err != nil && line == "" {
		return false, fmt.Errorf("read confirmation: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// importResult is what import prints after applying.
type importResult struct {
	Plan     planView            `json:"plan"`
	Applied  int                 `json:"applied"`
	Failed   int                 `json:"failed"`
	Skipped  int                 `json:"skipped"`
	Outcomes []reconcile.Outcome `json:"outcomes"`
}

func (r *importResult) count() {
	for _, o := range r.Outcomes {
		switch o.Status {
		case reconcile.StatusApplied:
			r.Applied++
		case reconcile.StatusFailed:
			r.Failed++
		case reconcile.StatusSkipped:
			r.Skipped++
		}
	}
}

func (r importResult) line() string {
	return fmt.Sprintf("Applied %d, failed %d, skipped %d of %d changes.", r.Applied, r.Failed, r.Skipped, len(r.Outcomes))
}

// Table is -o plain: the result line.
func (r importResult) Table() output.Table {
	t := output.Table{}
	t.AddStrings(r.line())
	return t
}

// Report lists the changes that did not apply, then the result line.
func (r importResult) Report(s *output.Streams) error {
	t := output.Table{Headers: []string{"", "KIND", "OBJECT", "OUTCOME", "WHY"}}
	for _, o := range r.Outcomes {
		if o.Status == reconcile.StatusApplied {
			continue
		}
		st := output.Warn
		if o.Status == reconcile.StatusFailed {
			st = output.Fail
		}
		t.AddRow(output.S(actionStyle[o.Change.Action], o.Change.Action.String()), output.C(string(o.Change.Kind)),
			output.C(o.Change.Key), output.S(st, string(o.Status)), output.C(o.Reason))
	}
	if len(t.Rows) > 0 {
		fmt.Fprintf(s.Out, "\n%s\n", s.Style(output.Header, "Not applied:"))
		if err := s.WriteTable(t); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(s.Out, "\n%s\n", r.line())
	return err
}

// progress writes "applying n/total" on stderr when it is a terminal and
// the plan is long; otherwise it does nothing.
type progress struct {
	io       *output.Streams
	n, total int
	on       bool
}

func newProgress(io *output.Streams, total int) *progress {
	return &progress{io: io, total: total, on: io.IsStderrTTY() && total >= progressMin}
}

func (p *progress) step() {
	p.n++
	if p.on && (p.n%10 == 0 || p.n == p.total) {
		fmt.Fprintf(p.io.ErrOut, "\rapplying %d/%d (%d%%)", p.n, p.total, p.n*100/p.total)
	}
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.io.ErrOut)
	}
}
