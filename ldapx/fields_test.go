package ldapx

import (
	"slices"
	"strings"
	"testing"

	"github.com/adjc/adjc/reconcile"
)

// TestReadsEveryTableAttribute: what a user or group read asks AD for
// covers every attribute the field table says import carries (opt-in
// ones come from ScopeOptions.Attributes, which the adapter fills from
// the table). The admins flag (member) is read from the group.
func TestReadsEveryTableAttribute(t *testing.T) {
	t.Parallel()
	has := func(list []string, a string) bool {
		return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, a) })
	}
	for _, a := range reconcile.ADAttributes(reconcile.KindUser, false) {
		if !has(userAttrs, a) && !has(groupAttrs, a) {
			t.Errorf("the field table maps user attribute %s, which ldapx does not read", a)
		}
	}
	for _, a := range reconcile.ADAttributes(reconcile.KindGroup, false) {
		if !has(groupAttrs, a) {
			t.Errorf("the field table maps group attribute %s, which ldapx does not read", a)
		}
	}
}
