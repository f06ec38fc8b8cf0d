package pipeline

import (
	"fmt"
	"time"

	"github.com/adjc/adjc/reconcile"
)

// DefaultWindow is the budget window: removals are counted over the last
// hour, whatever triggered them.
const DefaultWindow = time.Hour

// Ledger remembers the removals ([reconcile.IsRemoval]) applied to one
// domain, per direction, so that the destructive-change budget holds across
// runs and triggers: a burst of small watch runs spends the same budget as
// one large import. schedule.Store keeps it in the state folder.
type Ledger interface {
	// Spent returns the removals recorded for dir since the given time.
	Spent(dir reconcile.Direction, since time.Time) (int, error)
	// Record adds n removals applied to dir at the given time.
	Record(dir reconcile.Direction, at time.Time, n int) error
	// Approved returns the removals an operator released with 'adjc
	// approve' and not yet used.
	Approved(dir reconcile.Direction) (int, error)
	// ClearApproved marks the released removals as used.
	ClearApproved(dir reconcile.Direction) error
}

// HeldError reports the removals a run held back because they would have
// spent more than the budget allows; the rest of the plan was applied. It
// exits 3, as a partly applied run does.
type HeldError struct {
	Domain    string
	Direction Direction
	// Held is how many removals were not applied.
	Held int
	// Spent is how many were already made in the window; Allowed is the
	// allowance (released removals included).
	Spent, Allowed int
	Window         time.Duration
	// All is set when the removals would take away every managed user:
	// held whatever the budget, since an AD scope or a JumpCloud listing
	// that reads as empty is far more often a misconfiguration than an
	// intent (the JumpCloud group renamed, a bind account losing rights).
	All bool
	// Needed is what the release ('--allow-deletes N', 'adjc approve N')
	// names: Held, or the whole shortfall when removals already made in
	// the window leave less room than that.
	Needed int
}

func (e *HeldError) Error() string {
	if e.All {
		return fmt.Sprintf("held %d %s in %s: they would remove every one of the %d managed users, which is more often a misconfiguration (an emptied or renamed scope group, a bind account that lost its rights) than an intent; the rest of the plan was applied. "+
			"Check the scope with 'adjc diff' and 'adjc preflight'; if it is meant, release them with '%s --allow-deletes %d' (or 'adjc approve %d%s' for the scheduler)",
			e.Held, plural(e.Held, "removal", "removals"), e.Direction.To, e.Allowed,
			"adjc "+e.Direction.Command, e.Needed, e.Needed, directionFlag(e.Direction))
	}
	return fmt.Sprintf("held %d %s (deletes, suspensions, group, membership and admin removals) in %s: with %d already made in the last %s that is over the budget of %d; the rest of the plan was applied. "+
		"Review them with 'adjc diff', then release them with '%s --allow-deletes %d' (or 'adjc approve %d%s' for the scheduler)",
		e.Held, plural(e.Held, "removal", "removals"), e.Direction.To, e.Spent, windowText(e.Window), e.Allowed,
		"adjc "+e.Direction.Command, e.Needed, e.Needed, directionFlag(e.Direction))
}

// windowText says a window in words: "hour", "30m0s".
func windowText(w time.Duration) string {
	if w == time.Hour {
		return "hour"
	}
	return w.String()
}

func directionFlag(d Direction) string {
	if d.Dir == reconcile.ToAD {
		return " --sync"
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// budgetCheck is what [Apply] decided about a plan's removals.
type budgetCheck struct {
	removals int
	held     *HeldError
	// usedApproval is set when released removals were needed.
	usedApproval bool
}

// checkBudget decides whether plan's removals fit the budget: the policy's
// allowance for the window, plus what the run allows (--allow-deletes),
// plus what an operator released, minus what was spent in the window.
func checkBudget(plan reconcile.Plan, a ApplyArgs, now time.Time) (budgetCheck, error) {
	b := budgetCheck{removals: plan.Removals()}
	allowed := a.Policy.Allowance(plan.Managed)
	if b.removals == 0 || allowed == reconcile.NoLimit {
		return b, nil
	}
	window := a.Window
	if window <= 0 {
		window = DefaultWindow
	}
	dir, err := For(plan.Direction)
	if err != nil {
		return b, err
	}
	spent, approved := 0, 0
	if a.Ledger != nil {
		if spent, err = a.Ledger.Spent(plan.Direction, now.Add(-window)); err != nil {
			return b, fmt.Errorf("budget: %w", err)
		}
	}
	users := 0
	for _, c := range plan.Changes {
		if c.Kind == reconcile.KindUser && reconcile.IsRemoval(c) {
			users++
		}
	}
	all := plan.Managed >= 2 && users >= plan.Managed
	if all {
		// Every managed user: nothing of the budget is free.
		allowed, spent = 0, 0
	}
	base := allowed
	allowed += max(a.Allow, 0)
	if spent+b.removals <= allowed {
		return b, nil
	}
	if a.Ledger != nil {
		if approved, err = a.Ledger.Approved(plan.Direction); err != nil {
			return b, fmt.Errorf("budget: %w", err)
		}
	}
	if spent+b.removals <= allowed+approved {
		b.usedApproval = true
		return b, nil
	}
	// The release names the removals held, which is enough on its own
	// while little was spent; after earlier removals in the window it must
	// cover the whole shortfall (--allow-deletes does not add up across
	// runs), or the run it suggests would be held again.
	b.held = &HeldError{Domain: a.Domain, Direction: dir, Held: b.removals, Spent: spent, Allowed: allowed + approved, Window: window, All: all,
		Needed: max(b.removals, spent+b.removals-base-approved)}
	if all {
		b.held.Allowed = plan.Managed
	}
	return b, nil
}

// BudgetStatus is what a plan's removals would meet: shown by every plan
// view, so that `diff` says whether import or sync would apply them or hold
// them, and how to release them.
type BudgetStatus struct {
	// Removals is how many changes of the plan take access away.
	Removals int `json:"removals"`
	// Spent is how many were made in the window; Allowance is the budget
	// for it (-1: no limit), released removals included.
	Spent     int `json:"spent"`
	Allowance int `json:"allowance"`
	// WindowSeconds is the budget window.
	WindowSeconds float64 `json:"window_seconds"`
	// WouldHold is true when applying now would hold the removals.
	WouldHold bool `json:"would_hold"`
	// Release is the command that would let them through, when held.
	Release string `json:"release,omitempty"`
}

// Preview returns what [Apply] would decide about plan's removals with a,
// reading the ledger only.
func Preview(plan reconcile.Plan, a ApplyArgs, now time.Time) (BudgetStatus, error) {
	window := a.Window
	if window <= 0 {
		window = DefaultWindow
	}
	st := BudgetStatus{Removals: plan.Removals(), Allowance: a.Policy.Allowance(plan.Managed), WindowSeconds: window.Seconds()}
	b, err := checkBudget(plan, a, now)
	if err != nil {
		return st, err
	}
	if b.held != nil {
		st.Spent, st.Allowance, st.WouldHold = b.held.Spent, b.held.Allowed, true
		st.Release = fmt.Sprintf("adjc %s --allow-deletes %d", b.held.Direction.Command, b.held.Needed)
	} else if a.Ledger != nil && st.Removals > 0 {
		if st.Spent, err = a.Ledger.Spent(plan.Direction, now.Add(-window)); err != nil {
			return st, fmt.Errorf("budget: %w", err)
		}
	}
	return st, nil
}
