package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/adjc/adjc/reconcile"
)

// ApplyArgs is what [Apply] needs besides the plan: the callers (import,
// sync, schedule's full and targeted runs) differ only in these.
type ApplyArgs struct {
	// Domain names the domain in the audit log.
	Domain string
	// AuditLog is the JSON-lines file every outcome is appended to.
	AuditLog string
	Now      func() time.Time
	// Policy holds the deletion threshold, checked here and nowhere else.
	Policy      reconcile.Policy
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

// Apply is the one function that applies a plan: it refuses a plan over the
// deletion threshold whole (a [*reconcile.ThresholdError]; DESIGN: "nothing
// is half-applied"), asks for consent, opens the audit log, applies the plan
// through the target, and records every outcome.
//
// A nil result means nothing was applied and err says why. Otherwise err is
// reconcile.Apply's or, failing that, the audit log's: the caller reports the
// result first, then returns err.
func Apply(ctx context.Context, plan reconcile.Plan, a ApplyArgs) (*reconcile.Result, error) {
	if plan.Empty() {
		return &reconcile.Result{}, nil
	}
	if over, msg := plan.ExceedsThreshold(a.Policy); over {
		return nil, &reconcile.ThresholdError{Message: msg}
	}
	if a.Consent != nil {
		if err := a.Consent(len(plan.Changes)); err != nil {
			return nil, err
		}
	}
	if a.AuditLog == "" {
		return nil, ErrNoAuditLog
	}
	now := a.Now
	if now == nil {
		now = time.Now
	}
	audit, err := openAuditLog(a.AuditLog, a.Domain, now)
	if err != nil {
		return nil, err
	}
	res, applyErr := reconcile.Apply(ctx, plan, a.Target, reconcile.ApplyOptions{
		Concurrency: a.Concurrency,
		OnOutcome: func(o reconcile.Outcome) {
			audit.record(o)
			if a.OnOutcome != nil {
				a.OnOutcome(o)
			}
		},
	})
	auditErr := audit.close()
	if applyErr != nil {
		return &res, applyErr
	}
	return &res, auditErr
}
