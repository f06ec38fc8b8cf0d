package pipeline

import (
	"fmt"

	"github.com/adjc/adjc/reconcile"
)

// DelegationNote says what an import does with managed users'
// `delegatedAuthority` and why, for the plan summary and `-o json`.
type DelegationNote struct {
	// Setting is delegated_authority: follow, always or never.
	Setting string `json:"setting"`
	// Effect is set, clear or leave.
	Effect string `json:"effect"`
	// Why names what decided it.
	Why string `json:"why"`
}

// Delegation turns the delegated_authority setting into what an import does
// with the `delegatedAuthority` of the users it manages. delegationState is
// the AD domain object adID's (v2 active-directory.delegationState:
// ENABLED, PENDING or DISABLED), read only for follow: the console's
// password delegation switch for the domain. Without a domain object there
// is nothing to name: nothing is written and the note is empty (no plan
// shows it).
func Delegation(setting, delegationState, adID string) (reconcile.Delegation, DelegationNote) {
	if adID == "" {
		return reconcile.DelegationLeave, DelegationNote{}
	}
	n := DelegationNote{Setting: setting}
	d := reconcile.DelegationLeave
	switch {
	case setting == "always":
		d, n.Why = reconcile.DelegationSet, "delegated_authority: always"
	case setting == "never":
		n.Why = "delegated_authority: never"
	case delegationState == "ENABLED":
		d, n.Why = reconcile.DelegationSet, "the AD domain object's delegationState is ENABLED"
	case delegationState == "DISABLED":
		d, n.Why = reconcile.DelegationClear, "the AD domain object's delegationState is DISABLED"
	default:
		// PENDING: the console is changing it; the next run follows
		// whichever state it settles on.
		n.Why = fmt.Sprintf("the AD domain object's delegationState is %q, neither ENABLED nor DISABLED", delegationState)
	}
	n.Effect = map[reconcile.Delegation]string{reconcile.DelegationSet: "set", reconcile.DelegationClear: "clear", reconcile.DelegationLeave: "leave"}[d]
	return d, n
}

// Line is the note as the plan summary says it.
func (n DelegationNote) Line() string {
	return fmt.Sprintf("delegatedAuthority %s (%s)", n.EffectText(), n.Why)
}

// EffectText says the effect in words: "set on managed users".
func (n DelegationNote) EffectText() string {
	return map[string]string{
		"set":   "set on managed users",
		"clear": "cleared on managed users",
		"leave": "left as it is",
	}[n.Effect]
}

// WithDelegation returns v stating what its import does with
// delegatedAuthority.
func (v View) WithDelegation(n DelegationNote) View {
	if n.Setting != "" {
		v.Delegation = &n
	}
	return v
}

// markersLine counts the user updates that only add or repair AD-managed
// markers: on the first run after an upgrade every managed user has one,
// which would otherwise read as unexplained churn.
func (v View) markersLine() string {
	if v.Direction != reconcile.ToJumpCloud {
		return ""
	}
	n := 0
	for _, c := range v.Changes {
		if c.Kind == reconcile.KindUser && c.Action == reconcile.Update && reconcile.MarkersOnly(c) {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%s only gain or repair AD-managed markers (one-time after an upgrade)", plural(n, "1 user", thousands(n)+" users"))
}
