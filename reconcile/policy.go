package reconcile

import (
	"fmt"
)

// Disposition is what happens to a managed JumpCloud user that AD no longer
// wants active.
type Disposition string

const (
	// DispositionSuspend sets JumpCloud `suspended`, keeping the user, its
	// bindings and its devices; undone when the user comes back.
	DispositionSuspend Disposition = "suspend"
	// DispositionDelete deletes the JumpCloud user and all its bindings.
	DispositionDelete Disposition = "delete"
)

// NoLimit disables a deletion limit in [Policy].
const NoLimit = -1

// Policy holds the operator's choices that change what [Diff] plans.
// The zero value is valid and strict: default dispositions and no deletions
// or suspensions allowed at all; start from [DefaultPolicy].
type Policy struct {
	// OnDisabled applies to a user disabled in AD (ACCOUNTDISABLE). Empty
	// means suspend, as the newer seed does (the older one deleted).
	OnDisabled Disposition `json:"on_disabled"`
	// OnRemoved applies to a managed user that left scope (removed from the
	// JumpCloud group, or deleted in AD). Empty means delete, as both seeds do.
	OnRemoved Disposition `json:"on_removed"`
	// MaxDeletes is how many users a plan may delete or suspend; [NoLimit]
	// for no limit.
	MaxDeletes int `json:"max_deletes"`
	// MaxDeletePercent is the same limit as a percentage of the managed
	// users; [NoLimit] for no limit. It always allows at least one, so a
	// small organisation can still lose a single user without an override.
	MaxDeletePercent int `json:"max_delete_percent"`
	// NestedAdmins also grants `sudo` to users reaching `JumpCloud Admins`
	// through nested groups; the seeds honour direct members only.
	NestedAdmins bool `json:"nested_admins"`
}

// DefaultPolicy returns the policy adjc uses when the operator sets nothing:
// suspend the disabled, delete the removed, and stop at 10 users or 10 %.
func DefaultPolicy() Policy {
	return Policy{
		OnDisabled:       DispositionSuspend,
		OnRemoved:        DispositionDelete,
		MaxDeletes:       10,
		MaxDeletePercent: 10,
	}
}

func (p Policy) onDisabled() Disposition {
	if p.OnDisabled == "" {
		return DispositionSuspend
	}
	return p.OnDisabled
}

func (p Policy) onRemoved() Disposition {
	if p.OnRemoved == "" {
		return DispositionDelete
	}
	return p.OnRemoved
}

// Validate reports a policy value [Diff] cannot honour.
func (p Policy) Validate() error {
	for _, d := range []Disposition{p.OnDisabled, p.OnRemoved} {
		switch d {
		case "", DispositionSuspend, DispositionDelete:
		default:
			return fmt.Errorf("reconcile: unknown disposition %q (want suspend or delete)", d)
		}
	}
	if p.MaxDeletes < NoLimit || p.MaxDeletePercent < NoLimit {
		return fmt.Errorf("reconcile: deletion limits must be %d (no limit) or more", NoLimit)
	}
	return nil
}

// Destructive returns how many users the plan deletes or newly suspends:
// what the deletion threshold counts.
func (p Plan) Destructive() int {
	n := 0
	for _, c := range p.Changes {
		if c.Kind != KindUser {
			continue
		}
		if c.Action == Delete {
			n++
			continue
		}
		if f, ok := c.Field(FieldSuspended); ok && f.New == "true" && f.Old != "true" {
			n++
		}
	}
	return n
}

// ExceedsThreshold reports whether the plan deletes or suspends more users
// than pol allows and, if so, a message saying what it would do and how to
// proceed. Over the threshold nothing may be applied (DESIGN: "nothing is
// half-applied"); [Apply] refuses such a plan when given the policy.
func (p Plan) ExceedsThreshold(pol Policy) (bool, string) {
	n := p.Destructive()
	if n == 0 {
		return false, ""
	}
	pct := 0
	if p.Managed > 0 {
		pct = (n*100 + p.Managed - 1) / p.Managed // round up: 1 of 3 is 34 %, not 33 %
	}
	overCount := pol.MaxDeletes != NoLimit && n > pol.MaxDeletes
	overPct := false
	if pol.MaxDeletePercent != NoLimit {
		allowed := p.Managed * pol.MaxDeletePercent / 100
		overPct = n > max(allowed, 1)
	}
	if !overCount && !overPct {
		return false, ""
	}
	return true, fmt.Sprintf(
		"plan deletes or suspends %d of %d managed users (%d%%), over the limit of %s; nothing was applied: review the plan, then re-run with --max-deletes %d --max-delete-percent %d to allow it",
		n, p.Managed, pct, limitText(pol), n, max(pct, 1))
}

func limitText(p Policy) string {
	count, pct := "no limit", "no limit"
	if p.MaxDeletes != NoLimit {
		count = fmt.Sprintf("%d users", p.MaxDeletes)
	}
	if p.MaxDeletePercent != NoLimit {
		pct = fmt.Sprintf("%d%%", p.MaxDeletePercent)
	}
	return count + " or " + pct
}
