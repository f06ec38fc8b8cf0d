package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/planfile"
	"github.com/adjc/adjc/reconcile"
	"github.com/spf13/cobra"
)

// ImportOptions is what `adjc import` needs.
type ImportOptions struct {
	IO        *output.Streams
	Config    func() (*config.Config, error)
	Printer   func() *output.Printer
	ReadState ReadStateFunc
	Now       func() time.Time

	Yes      bool
	PlanFile string
	// LockWait is --lock-wait: how long to wait for another writer of the
	// same domain before giving up with nothing applied.
	LockWait     time.Duration
	Concurrency  int
	AllowDeletes int
	policy       policyFlags
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
required when there are changes. Removals (user deletes and suspensions,
group, membership and admin removals) spend an hourly budget shared by every
adjc run on the domain: up to --max-deletes always, or --max-delete-percent of
the managed users when that is more. Over it, the removals are held, the rest
is applied, and import exits 3 saying how to release them (--allow-deletes N
after review, or 'adjc approve N' for the scheduler).
--plan applies exactly a plan saved by 'adjc diff --out', and refuses it if
AD or JumpCloud changed since it was made.

Users import creates get no activation or welcome email from JumpCloud
unless welcome_email is true (--welcome-email, $ADJC_WELCOME_EMAIL); the
plan summary and the question before applying say which. A user an earlier
run left STAGED is activated the same way.

Managed users' delegatedAuthority follows delegated_authority
(--delegated-authority, $ADJC_DELEGATED_AUTHORITY): follow, the default,
sets it while the AD domain object's delegationState is ENABLED and clears
it while DISABLED; always sets it; never leaves it. The plan summary says
which and why.

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
	fs.IntVar(&opts.AllowDeletes, "allow-deletes", 0, "removals this run may make beyond the hourly budget (after reviewing them)")
	addLockWait(fs, &opts.LockWait)
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
	if opts.AllowDeletes < 0 {
		return Usagef("invalid --allow-deletes %d: want 0 or more", opts.AllowDeletes)
	}
	var saved *planfile.File
	if opts.PlanFile != "" {
		sp, err := readPlan(opts.PlanFile, pipeline.Import)
		if err != nil {
			return err
		}
		saved = &sp
	}
	cfg, d, err := configDomain(opts.Config)
	if err != nil {
		return err
	}
	if d.Mode == config.ModeJCAuthority {
		return Usagef("domain %s is in mode %s: JumpCloud is the authority, so import would overwrite it", d.Name, d.Mode)
	}
	if saved != nil {
		if err := checkPlanFor(opts.PlanFile, *saved, d, pipeline.Import); err != nil {
			return err
		}
	}
	w, err := lockDomain(ctx, opts.IO, cfg, d, opts.LockWait)
	if err != nil {
		return err
	}
	defer w.release()
	st, err := opts.ReadState(ctx, cfg, d)
	if err != nil {
		return authHint(err)
	}
	if st.Close != nil {
		defer st.Close()
	}
	var plan reconcile.Plan
	if saved != nil {
		if now := reconcile.Fingerprint(reconcile.ToJumpCloud, st.Directory, st.Cloud); now != saved.Plan.Fingerprint {
			return fmt.Errorf("plan %s is stale: AD or JumpCloud changed since it was made (fingerprint %s, now %s); nothing was applied: run 'adjc diff --out %s' again and review it",
				opts.PlanFile, short(saved.Plan.Fingerprint), short(now), opts.PlanFile)
		}
		plan = saved.Plan
	} else {
		if plan, err = planState(ctx, reconcile.ToJumpCloud, st, pol); err != nil {
			return authHint(err)
		}
	}

	printer := opts.Printer()
	view, err := budgetView(d.Name, plan, pipeline.ApplyArgs{Policy: pol, Ledger: w.ledger(), Allow: opts.AllowDeletes}, opts.Now)
	if err != nil {
		return err
	}
	view = view.WithWelcomeEmail(d.WelcomeEmail).WithDelegation(st.Delegation)
	if printer.Format != output.FormatJSON {
		if err := printer.Print(view); err != nil {
			return err
		}
	}
	if plan.Empty() {
		if printer.Format == output.FormatJSON {
			return printer.Print(pipeline.NewResult(view, nil))
		}
		return nil
	}
	res, err := applyPlan(ctx, plan, applyArgs{
		IO: opts.IO, Now: opts.Now, AuditLog: cfg.AuditLog, Domain: d.Name, Yes: opts.Yes,
		Direction: pipeline.Import, Threshold: pol, Concurrency: opts.Concurrency, Target: st.Target,
		Ledger: w.ledger(), Allow: opts.AllowDeletes,
		Notice: pipeline.EmailNotice(plan, d.WelcomeEmail),
	})
	if res == nil {
		return err
	}
	if perr := printer.Print(pipeline.NewResult(view, res.Outcomes)); perr != nil {
		return perr
	}
	return err
}

func short(fp string) string {
	if len(fp) > 19 {
		return fp[:19] + "…"
	}
	return fp
}
