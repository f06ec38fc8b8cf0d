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

// Policy holds the operator's choices that change what [Diff] plans, in
// both directions: OnDisabled, OnRemoved and NestedAdmins are read by the
// import direction ([ToJumpCloud]), TwoWay and Unsuspend by the sync
// direction ([ToAD]), and the deletion limits by the pipeline in both.
// The zero value is valid and strict: default dispositions, no deletions
// or suspensions allowed at all, and no re-enabling; start from
// [DefaultPolicy].
type Policy struct {
	// OnDisabled applies to a user disabled in AD (ACCOUNTDISABLE). Empty
	// means suspend, as the newer seed does (the older one deleted).
	OnDisabled Disposition `json:"on_disabled"`
	// OnRemoved applies to a managed user that left scope (removed from the
	// JumpCloud group, or deleted in AD). Empty means delete, as both seeds do.
	OnRemoved Disposition `json:"on_removed"`
	// MaxDeletes is how many removals ([IsRemoval]) the domain may make in
	// one direction within the budget window whatever its size; [NoLimit]
	// for no limit. See [Policy.Allowance].
	MaxDeletes int `json:"max_deletes"`
	// MaxDeletePercent raises that allowance to this percentage of the
	// managed users when that is more; [NoLimit] to use MaxDeletes alone.
	MaxDeletePercent int `json:"max_delete_percent"`
	// NestedAdmins also grants `sudo` to users reaching `JumpCloud Admins`
	// through nested groups; the seeds honour direct members only.
	NestedAdmins bool `json:"nested_admins"`
	// TwoWay is set in the two-way mode, where `import` runs too. Then each
	// object has one authority, so no field ever ping-pongs: an object
	// mirrored from AD (one with an anchor) is AD's, and sync writes none of
	// its fields or memberships — only `sync password` may set its password;
	// a JumpCloud-only object is JumpCloud's, and sync writes it. Without
	// TwoWay (jc-authority mode) JumpCloud wins every field of every object.
	TwoWay bool `json:"two_way,omitempty"`
	// Unsuspend re-enables an AD account when its JumpCloud user is active.
	// The seeds write only the suspension (seed 002: "JumpCloud only writes
	// back a suspend status to AD"); adjc re-enables too unless this is off.
	Unsuspend bool `json:"unsuspend,omitempty"`
}

// DefaultPolicy returns the policy adjc uses when the operator sets nothing:
// suspend the disabled, delete the removed, and hold removals beyond 10 (or
// 10 % of the managed users, when that is more) per budget window; towards
// AD, the jc-authority mode with re-enable on.
func DefaultPolicy() Policy {
	return Policy{
		OnDisabled:       DispositionSuspend,
		OnRemoved:        DispositionDelete,
		MaxDeletes:       10,
		MaxDeletePercent: 10,
		Unsuspend:        true,
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

// IsRemoval reports whether c takes access away, which the destructive-change
// budget counts (DESIGN "Safety rules"): a user deleted or newly
// suspended/disabled, a group deleted, a membership removed, an admin flag
// revoked — in either direction.
func IsRemoval(c Change) bool {
	if c.Action == Delete {
		return true
	}
	if c.Kind == KindUser {
		if f, ok := c.Field(FieldSuspended); ok && f.New == "true" && f.Old != "true" {
			return true
		}
	}
	return false
}

// Removals returns how many changes of the plan take access away
// ([IsRemoval]).
func (p Plan) Removals() int {
	n := 0
	for _, c := range p.Changes {
		if IsRemoval(c) {
			n++
		}
	}
	return n
}

// WithoutRemovals returns the plan with every removal taken out, and the
// removals: what a run over its budget still applies, and what it holds.
// Nothing kept depends on a removal, since removals come last in every
// apply order.
func (p Plan) WithoutRemovals() (Plan, []Change) {
	keep := p
	keep.Changes = nil
	var held []Change
	for _, c := range p.Changes {
		if IsRemoval(c) {
			held = append(held, c)
		} else {
			keep.Changes = append(keep.Changes, c)
		}
	}
	return keep, held
}

// Allowance is how many removals pol lets one domain and direction make in
// one budget window without an operator's release: never fewer than
// MaxDeletes (small changes never block), and up to MaxDeletePercent of the
// managed users beyond that, so a large organisation is not stopped by an
// ordinary day. [NoLimit] for MaxDeletes means no limit at all;
// for MaxDeletePercent it means MaxDeletes alone counts.
func (pol Policy) Allowance(managed int) int {
	if pol.MaxDeletes == NoLimit {
		return NoLimit
	}
	allowed := pol.MaxDeletes
	if pol.MaxDeletePercent != NoLimit {
		allowed = max(allowed, managed*pol.MaxDeletePercent/100)
	}
	return allowed
}
