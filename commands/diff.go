package commands

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
	"github.com/spf13/cobra"
)

// DiffOptions is what `adjc diff` needs.
type DiffOptions struct {
	IO        *output.Streams
	Config    func() (*config.Config, error)
	Printer   func() *output.Printer
	ReadState ReadStateFunc
	// SyncState reads the JumpCloud → AD side; nil shows import only.
	SyncState ReadStateFunc
	Now       func() time.Time
	// Log gets what was planned at info level (-v).
	Log *slog.Logger

	DetailedExitCode bool
	Out              string
	policy           policyFlags
}

func newDiffCmd(f *Factory, runF func(context.Context, *DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{IO: f.IO, Config: f.Config, Printer: f.Printer, ReadState: readState(f), SyncState: readSyncState(f), Now: f.Now, Log: f.Logger}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show the changes import would make, without making them",
		Long: `Diff reads the JumpCloud scope from Active Directory and every user and
group from JumpCloud, and shows the plan 'adjc import' would carry out:
+ create, ~ update (rename, suspend, unsuspend), - delete, > adopt an existing
JumpCloud user or group. It also lists what cannot be synced and why: users
without a username or email, privileged (adminCount=1) accounts, nesting
cycles, and passwords changed in JumpCloud after AD.

When the domain's mode lets sync write (two-way, jc-authority) and it has a
jumpcloud_domain_id, diff also shows the JumpCloud → AD plan 'adjc sync'
would carry out. With -o json the import plan's fields are at the top level
and the sync plan, with the same fields, is under "to_ad" (null when sync
does not apply).

--out saves the import plan (Active Directory → JumpCloud), once it has been
read and shown, with a fingerprint of the state it was computed from; 'adjc
import --plan' applies exactly that plan, or refuses if AD or JumpCloud has
changed since. The JumpCloud → AD plan is saved by 'adjc sync --out', which
works the same way and applies nothing.

-o plain prints one tab-separated row per change (action, kind, object,
reason, fields) and the summary line last.

EXIT STATUS
  0 on success (with --detailed-exitcode: and nothing to change),
  8 with --detailed-exitcode when there are changes, 1 on failure,
  2 for a usage or configuration error, 4 when AD or JumpCloud rejects the
  credentials, 130 when interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDiff(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&opts.DetailedExitCode, "detailed-exitcode", false, "exit 8 when changes are pending, 0 when there are none")
	fs.StringVar(&opts.Out, "out", "", "save the plan, with its fingerprint, to this file for 'adjc import --plan'")
	opts.policy.add(cmd)
	return cmd
}

func runDiff(ctx context.Context, opts *DiffOptions) error {
	pol, err := opts.policy.policy()
	if err != nil {
		return err
	}
	cfg, d, err := configDomain(opts.Config)
	if err != nil {
		return err
	}
	st, err := opts.ReadState(ctx, cfg, d)
	if err != nil {
		return authHint(err)
	}
	if st.Close != nil {
		defer st.Close()
	}
	plan, err := planState(ctx, reconcile.ToJumpCloud, st, pol)
	if err != nil {
		return authHint(err)
	}
	logPlan(opts.Log, d.Name, pipeline.Import, plan)
	pending := !plan.Empty()
	// The JumpCloud → AD direction too, when the mode lets sync write and
	// the domain is connected.
	var toAD *reconcile.Plan
	if opts.SyncState != nil && d.Mode != config.ModeADAuthority && d.JumpCloudDomainID != "" {
		sst, splan, err := SyncPlan(ctx, opts.SyncState, cfg, d, false)
		if err != nil {
			return err
		}
		if sst.Close != nil {
			defer sst.Close()
		}
		toAD = &splan
		logPlan(opts.Log, d.Name, pipeline.Sync, splan)
		pending = pending || !splan.Empty()
	}
	// Say whether import and sync would apply the removals or hold them,
	// from the same budget ledger they spend (read only).
	ledger := peekLedger(cfg, d)
	importView, err := budgetView(d.Name, plan, pipeline.ApplyArgs{Policy: pol, Ledger: ledger}, opts.Now)
	if err != nil {
		return err
	}
	importView = importView.WithWelcomeEmail(d.WelcomeEmail).WithDelegation(st.Delegation)
	var syncView *pipeline.View
	if toAD != nil {
		thr := reconcile.Policy{MaxDeletes: pol.MaxDeletes, MaxDeletePercent: pol.MaxDeletePercent}
		v, err := budgetView(d.Name, *toAD, pipeline.ApplyArgs{Policy: thr, Ledger: ledger}, opts.Now)
		if err != nil {
			return err
		}
		syncView = &v
	}
	printer := opts.Printer()
	if printer.Format == output.FormatJSON {
		if err := printer.Print(diffJSON{View: importView, ToAD: syncView}); err != nil {
			return err
		}
	} else {
		if err := printer.Print(importView); err != nil {
			return err
		}
		if syncView != nil {
			fmt.Fprintln(opts.IO.Out)
			if err := printer.Print(*syncView); err != nil {
				return err
			}
		}
	}
	if opts.Out != "" {
		// As 'sync --out': saved once the plan was read whole and shown.
		if err := savePlan(opts.IO, opts.Out, d, pol, plan, pipeline.Import); err != nil {
			return err
		}
		if toAD != nil && !toAD.Empty() {
			opts.IO.WriteErrLine("The JumpCloud → AD plan above is not saved; save it with: adjc sync --out FILE")
		}
	}
	if opts.DetailedExitCode && pending {
		return ErrChangesPending
	}
	return nil
}

// diffJSON is `diff -o json`: the import plan (Active Directory →
// JumpCloud) at the top level, as it was before sync existed, and the
// JumpCloud → AD plan in to_ad with the same fields — or null when the
// domain's mode (ad-authority) or a missing jumpcloud_domain_id rules sync
// out. The key is always there, so the shape does not depend on the mode.
type diffJSON struct {
	pipeline.View
	ToAD *pipeline.View `json:"to_ad"`
}

// logPlan logs a plan's counts at info level, so that `diff -v` says what
// it found even when the table is not read.
func logPlan(log *slog.Logger, domain string, dir pipeline.Direction, plan reconcile.Plan) {
	if log == nil {
		return
	}
	counts := map[reconcile.Action]int{}
	for _, c := range plan.Changes {
		counts[c.Action]++
	}
	log.Info("planned", "domain", domain, "direction", dir.Command,
		"create", counts[reconcile.Create], "update", counts[reconcile.Update],
		"delete", counts[reconcile.Delete], "adopt", counts[reconcile.Adopt],
		"removals", plan.Removals(), "skipped", len(plan.Skipped))
}
