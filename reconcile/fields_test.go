package reconcile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/reconcile"
)

// fieldsDoc renders the field table as docs/fields.md.
func fieldsDoc() string {
	var b strings.Builder
	b.WriteString("# Mapped fields\n\n")
	b.WriteString("Generated from `reconcile.Fields`, the one table of mapped fields, by\n`go test ./reconcile -run TestFieldsDoc -update`; do not edit by hand.\n\n")
	b.WriteString("| object | JumpCloud field (plan name) | AD attribute | AD → JumpCloud | JumpCloud → AD | required | compared | note |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	yes := func(v bool) string {
		if v {
			return "yes"
		}
		return ""
	}
	for _, f := range reconcile.Fields {
		cmp := "exactly"
		if f.Fold {
			cmp = "ignoring case"
		}
		fmt.Fprintf(&b, "| %s | `%s` | `%s` | %s | %s | %s | %s | %s |\n", f.Object, f.Name, f.AD, yes(f.Import), yes(f.Sync), yes(f.Required), cmp, f.Note)
	}
	return b.String()
}

// TestFieldsDoc: docs/fields.md is the field table, rendered.
func TestFieldsDoc(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "docs", "fields.md")
	got := fieldsDoc()
	if golden.Update() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Errorf("docs/fields.md is not the field table (%v): run go test ./reconcile -run TestFieldsDoc -update\n%s", err, got)
	}
}

// TestFieldTable: every entry names a field the plan uses, once per object,
// with an AD attribute and at least one direction.
func TestFieldTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, f := range reconcile.Fields {
		key := string(f.Object) + "/" + f.Name
		if seen[key] || f.AD == "" || (!f.Import && !f.Sync) || (f.Object != reconcile.KindUser && f.Object != reconcile.KindGroup) {
			t.Errorf("field %+v: repeated, without an AD attribute, a direction or a known object", f)
		}
		seen[key] = true
		if got, ok := reconcile.FieldByName(f.Object, f.Name); !ok || got.AD != f.AD {
			t.Errorf("FieldByName(%s, %s) = %+v, %v", f.Object, f.Name, got, ok)
		}
	}
	if got := reconcile.ADAttributes(reconcile.KindUser, true); !slices.Contains(got, "givenName") || slices.Contains(got, "member") {
		t.Errorf("ADAttributes(user, sync) = %v: want the attributes sync writes, not the admins group's member", got)
	}
}
