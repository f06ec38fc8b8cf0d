package pipeline

import (
	"testing"

	"github.com/adjc/adjc/reconcile"
)

func TestDelegation(t *testing.T) {
	t.Parallel()
	const ad = "5f0000000000000000000ad1"
	tests := []struct {
		setting, state, adID string
		want                 reconcile.Delegation
		line                 string
	}{
		{"follow", "ENABLED", ad, reconcile.DelegationSet, "delegatedAuthority set on managed users (the AD domain object's delegationState is ENABLED)"},
		{"follow", "DISABLED", ad, reconcile.DelegationClear, "delegatedAuthority cleared on managed users (the AD domain object's delegationState is DISABLED)"},
		{"follow", "PENDING", ad, reconcile.DelegationLeave, `delegatedAuthority left as it is (the AD domain object's delegationState is "PENDING", neither ENABLED nor DISABLED)`},
		{"always", "DISABLED", ad, reconcile.DelegationSet, "delegatedAuthority set on managed users (delegated_authority: always)"},
		{"never", "ENABLED", ad, reconcile.DelegationLeave, "delegatedAuthority left as it is (delegated_authority: never)"},
	}
	if got, note := Delegation("always", "", ""); got != reconcile.DelegationLeave || note != (DelegationNote{}) {
		t.Errorf("Delegation without a domain object = %q, %+v; want leave and no note", got, note)
	}
	for _, tt := range tests {
		got, note := Delegation(tt.setting, tt.state, tt.adID)
		if got != tt.want || note.Line() != tt.line || note.Setting != tt.setting {
			t.Errorf("Delegation(%q, %q, %q) = %q, %+v; want %q, %q", tt.setting, tt.state, tt.adID, got, note, tt.want, tt.line)
		}
	}
}

// TestSummaryMarkersAndDelegation: the summary line counts the users whose
// only change is AD-managed markers (the one-time update after an upgrade)
// and says what happens to delegatedAuthority and why.
func TestSummaryMarkersAndDelegation(t *testing.T) {
	t.Parallel()
	marker := func(key string) reconcile.Change {
		return reconcile.Change{Action: reconcile.Update, Kind: reconcile.KindUser, Key: key,
			Fields: []reconcile.FieldChange{{Name: reconcile.FieldExternallyManaged, Old: "false", New: "true"}}}
	}
	rename := reconcile.Change{Action: reconcile.Update, Kind: reconcile.KindUser, Key: "bob",
		Fields: []reconcile.FieldChange{{Name: reconcile.FieldUsername, Old: "bob", New: "rob"}, {Name: reconcile.FieldExternalDN, Old: "a", New: "b"}}}
	plan := reconcile.Plan{Direction: reconcile.ToJumpCloud, Changes: []reconcile.Change{marker("alice"), marker("carol"), rename}}
	_, note := Delegation("follow", "ENABLED", "5f0000000000000000000ad1")
	got := NewView("example.com", plan).WithDelegation(note).Line()
	want := "Plan: 0 to create, 3 to update, 0 to delete, 0 to adopt. 0 skipped. 2 users only gain or repair AD-managed markers (one-time after an upgrade). delegatedAuthority set on managed users (the AD domain object's delegationState is ENABLED)."
	if got != want {
		t.Errorf("Line() = %q, want %q", got, want)
	}
}

// TestActivationLine: activations of users left STAGED are announced with
// the email choice, as creates are.
func TestActivationLine(t *testing.T) {
	t.Parallel()
	staged := reconcile.Change{Action: reconcile.Update, Kind: reconcile.KindUser, Key: "carol",
		Fields: []reconcile.FieldChange{{Name: reconcile.FieldState, Old: reconcile.StateStaged, New: reconcile.StateActivated}}}
	create := reconcile.Change{Action: reconcile.Create, Kind: reconcile.KindUser, Key: "dave"}
	plan := reconcile.Plan{Direction: reconcile.ToJumpCloud, Changes: []reconcile.Change{create, staged}}
	want := "1 user will be created; an activation email is sent to each (welcome_email: true). 1 user left STAGED will be activated; an activation email is sent to each (welcome_email: true)"
	if got := EmailNotice(plan, true); got != want {
		t.Errorf("EmailNotice() = %q, want %q", got, want)
	}
	if got := NewView("example.com", plan).WithWelcomeEmail(false).Line(); got != "Plan: 1 to create, 1 to update, 0 to delete, 0 to adopt. 0 skipped. 1 user will be created; no activation email is sent (welcome_email: false). 1 user left STAGED will be activated; no activation email is sent (welcome_email: false)." {
		t.Errorf("Line() = %q", got)
	}
}
