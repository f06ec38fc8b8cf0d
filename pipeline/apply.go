package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/adjc/adjc/reconcile"
)

// ApplyArgs is what [Apply] needs besides the plan: the callers (import,
// sync, schedule's full and targeted runs) differ only in these.
type ApplyArgs struct {
	// Domain names the domain in the audit log.
	Domain string
	// Instance, when set, names the process of an HA group that applies
	// the plan, in every audit line.
	Instance string
	// AuditLog is the JSON-lines file every outcome is appended to.
	AuditLog string
	Now      func() time.Time
	// Policy holds the removal allowance, checked here and nowhere else.
	Policy reconcile.Policy
	// Ledger, when set, carries the budget across runs; without it each
	// run has the whole allowance.
	Ledger Ledger
	// Window is the budget window; 0 means [DefaultWindow].
	Window time.Duration
	// Allow is --allow-deletes: removals this run may make beyond the budget.
	Allow       int
	Concurrency int
	Target      reconcile.Target
	// Consent, when set, is asked once the plan is known to be within the
	// threshold and before anything is written; an error stops the run with
	// nothing applied. Unattended runs (schedule, --yes) leave it nil.
	Consent func(changes int) error
	// OnOutcome, when set, sees each outcome after it is audited (progress).
	OnOutcome func(reconcile.Outcome)
}

// ErrNoAuditLog stops a run that could not record what it applies.
var ErrNoAuditLog = errors.New("no audit log path: set audit_log, state_dir or $HOME so applied changes can be recorded")

// Apply is the one function that applies a plan. It checks the plan's
// removals against the destructive-change budget (once, for every trigger):
// over it, the removals are held and the rest is applied, and the error is
// a [*HeldError]. Then it asks for consent, opens the audit log, applies the
// plan through the target, records every outcome, and adds the removals
// applied to the ledger.
//
// A nil result means nothing was applied and err says why. Otherwise err
// joins reconcile.Apply's, the audit log's, the ledger's and the hold: the
// caller reports the result first, then returns err.
func Apply(ctx context.Context, plan reconcile.Plan, a ApplyArgs) (*reconcile.Result, error) {
	if plan.Empty() {
		return &reconcile.Result{}, nil
	}
	now := a.Now
	if now == nil {
		now = time.Now
	}
	budget, err := checkBudget(plan, a, now())
	if err != nil {
		return nil, err
	}
	var held error
	if budget.held != nil {
		plan, _ = plan.WithoutRemovals()
		held = budget.held
		if plan.Empty() {
			return &reconcile.Result{}, held
		}
	}
	if a.Consent != nil {
		if err := a.Consent(len(plan.Changes)); err != nil {
			return nil, err
		}
	}
	if a.AuditLog == "" {
		return nil, ErrNoAuditLog
	}
	audit, err := openAuditLog(a.AuditLog, a.Domain, now)
	if audit != nil {
		audit.instance = a.Instance
	}
	if err != nil {
		return nil, err
	}
	removed := 0
	res, applyErr := reconcile.Apply(ctx, plan, a.Target, reconcile.ApplyOptions{
		Concurrency: a.Concurrency,
		OnOutcome: func(o reconcile.Outcome) {
			audit.record(o)
			if o.Status == reconcile.StatusApplied && reconcile.IsRemoval(o.Change) {
				removed++
			}
			if a.OnOutcome != nil {
				a.OnOutcome(o)
			}
		},
	})
	auditErr := audit.close()
	var ledgerErr error
	if a.Ledger != nil && removed > 0 {
		if err := a.Ledger.Record(plan.Direction, now(), removed); err != nil {
			ledgerErr = fmt.Errorf("budget: %w", err)
		}
		if budget.usedApproval {
			if err := a.Ledger.ClearApproved(plan.Direction); err != nil && ledgerErr == nil {
				ledgerErr = fmt.Errorf("budget: %w", err)
			}
		}
	}
	return &res, errors.Join(applyErr, auditErr, ledgerErr, held)
}
