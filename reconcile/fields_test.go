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
	b.WriteString("| object | JumpCloud field (plan name) | AD attribute | AD → JumpCloud | JumpCloud → AD | required | opt-in | restricted to AD | compared | note |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
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
		fmt.Fprintf(&b, "| %s | `%s` | `%s` | %s | %s | %s | %s | %s | %s | %s |\n", f.Object, f.Name, f.AD, yes(f.Import), yes(f.Sync), yes(f.Required), yes(f.OptIn), yes(f.Restrict), cmp, f.Note)
	}
	b.WriteString(optInDoc)
	return b.String()
}

const optInDoc = `
## Opt-in fields

An opt-in field is carried only when the operator asks for it, in
` + "`field_mapping`" + ` (flag ` + "`--field-mapping`" + `, variable ` + "`ADJC_FIELD_MAPPING`" + `): a list of
JumpCloud field names or AD attributes from the table, or ` + "`translation-rules`" + `.
Without it adjc reads, compares and writes none of them, and makes no
request about them: plans, fingerprints and requests are what they were.

Opt-in fields are import-only (AD → JumpCloud): ` + "`sync`" + ` never writes them to
AD. AD is their only source, so JumpCloud's value follows AD's, an empty
AD attribute clearing it. The fields marked "restricted to AD" join the
imported users' ` + "`restrictedFields`" + ` (read-only in the console) when mapped;
` + "`manager`" + ` cannot be, as the spec's restrictedField enum does not list it.

` + "`manager`" + ` holds the JumpCloud id of the manager's JumpCloud user, only when
adjc imports the manager too; otherwise it is unset and the plan says why.
A manager created by the same plan has no id yet: it is set on the next
run, and the plan says so.

## Translation rules

JumpCloud keeps the console's attribute mapping for an AD domain as
translation rules (` + "`GET /v2/activedirectories/{id}/translation-rules`" + `). With
` + "`translation-rules`" + ` in ` + "`field_mapping`" + `, adjc reads them for the domain and
honours each rule that is one line of the table above: direction IMPORT or
UNSPECIFIED, source type PATH, source the AD attribute, destination the
JumpCloud field, applied on UPDATE (adjc keeps fields in step on every
run). A rule for a field every import carries, or one field_mapping names,
is honoured already; an EXPORT rule is honoured when it is a field ` + "`sync`" + `
writes. Every other rule is listed in ` + "`diff`" + ` and ` + "`preflight`" + ` with the reason
it is not honoured. Reading the rules is a request of its own, so it is
opt-in too; with it, the change watch follows every opt-in attribute, as
the console may change the rules at any time.

Precedence: the configuration wins. A field ` + "`field_mapping`" + ` names is mapped
from the table's AD attribute whatever a rule says; a rule that maps the
same JumpCloud field from another source is not honoured, and says so. A
rule adds the fields the configuration does not name.
`

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
