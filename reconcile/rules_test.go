package reconcile_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/adjc/adjc/reconcile"
)

// TestMapping: which translation rules adjc honours, what it says about
// the others, and that the configuration wins where the two disagree.
func TestMapping(t *testing.T) {
	t.Parallel()
	both := []string{"CREATE", "UPDATE"}
	rule := func(id, src, dst, dir, typ string, on ...string) reconcile.TranslationRule {
		return reconcile.TranslationRule{ID: id, Source: src, Destination: dst, Direction: dir, SourceType: typ, AppliedOn: on}
	}
	tests := []struct {
		name       string
		configured []string
		rules      []reconcile.TranslationRule
		mapped     []string
		notes      []string // substrings, one per note, in order
	}{
		{name: "nothing", mapped: nil},
		{name: "config only", configured: []string{"manager", "department"}, mapped: []string{"department", "manager"}},
		{name: "rule adds a field", configured: []string{"department"},
			rules:  []reconcile.TranslationRule{rule("r1", "title", "jobTitle", "IMPORT", "PATH", both...)},
			mapped: []string{"department", "jobTitle"}},
		{name: "unspecified direction and AD names ignoring case", rules: []reconcile.TranslationRule{rule("r1", "TelephoneNumber", "phoneNumbers", "UNSPECIFIED", "", "UPDATE")},
			mapped: []string{"phoneNumbers"}},
		{name: "a field every import carries", rules: []reconcile.TranslationRule{rule("r1", "givenName", "firstname", "IMPORT", "PATH", "CREATE")}},
		{name: "create only", rules: []reconcile.TranslationRule{rule("r1", "department", "department", "IMPORT", "PATH", "CREATE")},
			notes: []string{"r1 not honoured: applied on CREATE only"}},
		{name: "create only, named in the config", configured: []string{"department"},
			rules:  []reconcile.TranslationRule{rule("r1", "department", "department", "IMPORT", "PATH")},
			mapped: []string{"department"}},
		{name: "template", rules: []reconcile.TranslationRule{rule("r1", "{{.title}}", "jobTitle", "IMPORT", "GOLANG_TEMPLATE", both...)},
			notes: []string{"source type GOLANG_TEMPLATE"}},
		{name: "other source, config wins", configured: []string{"department"},
			rules:  []reconcile.TranslationRule{rule("r1", "physicalDeliveryOfficeName", "department", "IMPORT", "PATH", both...)},
			mapped: []string{"department"}, notes: []string{"the configuration wins"}},
		{name: "other source", rules: []reconcile.TranslationRule{rule("r1", "physicalDeliveryOfficeName", "department", "IMPORT", "PATH", both...)},
			notes: []string{"adjc maps department from department only"}},
		{name: "unknown field", rules: []reconcile.TranslationRule{rule("r1", "info", "costCenter", "IMPORT", "PATH", both...)},
			notes: []string{"costCenter is not a field adjc maps into JumpCloud"}},
		{name: "export of a synced field", rules: []reconcile.TranslationRule{rule("r1", "lastname", "sn", "EXPORT", "PATH", both...)}},
		{name: "export of an opt-in field", rules: []reconcile.TranslationRule{rule("r1", "department", "department", "EXPORT", "PATH", both...)},
			notes: []string{"does not write department: opt-in fields are import-only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mapped, notes := reconcile.Mapping(tt.configured, tt.rules)
			if !slices.Equal(mapped, tt.mapped) {
				t.Errorf("Mapping() mapped = %v, want %v", mapped, tt.mapped)
			}
			if len(notes) != len(tt.notes) {
				t.Fatalf("Mapping() notes = %+v, want %d", notes, len(tt.notes))
			}
			for i, n := range notes {
				if n.Kind != reconcile.KindRule || !strings.Contains(n.Reason, tt.notes[i]) {
					t.Errorf("note %d = %+v, want kind %s and %q", i, n, reconcile.KindRule, tt.notes[i])
				}
			}
		})
	}
}
