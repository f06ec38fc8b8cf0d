package pipeline_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
)

// schema lists every JSON path of v with the JSON type found there, arrays
// as [], so two documents with the same shape give the same list.
func schema(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(path string, x any)
	walk = func(path string, x any) {
		switch x := x.(type) {
		case map[string]any:
			seen[path+" object"] = true
			for k, v := range x {
				walk(path+"."+k, v)
			}
		case []any:
			seen[path+" array"] = true
			for _, v := range x {
				walk(path+"[]", v)
			}
		case float64:
			seen[path+" number"] = true
		default:
			seen[fmt.Sprintf("%s %T", path, x)] = true
		}
	}
	walk("", doc)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// plan returns a plan in direction d with one change of each action.
func plan(d reconcile.Direction) reconcile.Plan {
	ref := &reconcile.Ref{Anchor: "a", ID: "i", Name: "n"}
	p := reconcile.Plan{Version: reconcile.PlanVersion, Direction: d, Fingerprint: "sha256:00", Managed: 3,
		Skipped: []reconcile.Skip{{Kind: reconcile.KindUser, Key: "root", Reason: "privileged"}}}
	for _, a := range []reconcile.Action{reconcile.Create, reconcile.Update, reconcile.Delete, reconcile.Adopt} {
		p.Changes = append(p.Changes, reconcile.Change{Action: a, Kind: reconcile.KindUser, Key: "k", Reason: "r", User: ref,
			Fields: []reconcile.FieldChange{{Name: reconcile.FieldEmail, Old: "o", New: "n"}}})
	}
	return p
}

// TestViewSchema: one plan, one JSON shape, whichever direction it goes
// (diff -o json, import -o json and sync -o json all print a View); the
// shape itself is golden, since it is an API.
func TestViewSchema(t *testing.T) {
	t.Parallel()
	toJC := schema(t, pipeline.NewView("example.com", plan(reconcile.ToJumpCloud)))
	toAD := schema(t, pipeline.NewView("example.com", plan(reconcile.ToAD)))
	if !slices.Equal(toJC, toAD) {
		t.Errorf("View JSON shape differs by direction:\nAD → JumpCloud: %v\nJumpCloud → AD: %v", toJC, toAD)
	}
	res := schema(t, pipeline.NewResult(pipeline.NewView("example.com", plan(reconcile.ToAD)), []reconcile.Outcome{{Status: reconcile.StatusApplied, Change: plan(reconcile.ToAD).Changes[0]}}))
	golden.Assert(t, []byte(strings.Join(toJC, "\n")+"\n\n"+strings.Join(res, "\n")+"\n"), "pipeline/view_schema.txt")
}

// TestViewPlain: -o plain is one tab-separated row per change (action
// word, kind, object, reason, fields, with a tab in a value escaped), then
// the summary line last, which scripts match; an empty plan is the
// summary alone.
func TestViewPlain(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, d := range []reconcile.Direction{reconcile.ToJumpCloud, reconcile.ToAD} {
		p := plan(d)
		p.Changes[0].Reason = "new\tin AD"
		ios, _, out, _ := output.Test()
		if err := output.NewPrinter(ios, output.FormatPlain).Print(pipeline.NewView("example.com", p)); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "--- %s\n%s", d, out)
		empty := plan(d)
		empty.Changes = nil
		ios, _, out, _ = output.Test()
		if err := output.NewPrinter(ios, output.FormatPlain).Print(pipeline.NewView("example.com", empty)); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "--- %s, empty\n%s", d, out)
	}
	golden.Assert(t, []byte(b.String()), "pipeline/view_plain.txt")
}

// TestViewPasswordDrift: password drift that reconcile.Diff finds (AD newer
// than JumpCloud, JumpCloud without a password, JumpCloud newer) is shown
// by the one plan view, table and JSON, as a skip with the fix; it is not
// a change, so the plan stays empty.
func TestViewPasswordDrift(t *testing.T) {
	t.Parallel()
	at := func(day int) time.Time { return time.Date(2026, 3, day, 9, 0, 0, 0, time.UTC) }
	ad := func(name string, set time.Time) reconcile.ADUser {
		return reconcile.ADUser{GUID: "guid-" + name, Username: name, Mail: name + "@example.com", PwdLastSet: set}
	}
	jc := func(name string, set time.Time) reconcile.CloudUser {
		return reconcile.CloudUser{ID: "id-" + name, Anchor: "guid-" + name, Username: name, Email: name + "@example.com", PasswordDate: set,
			Markers: reconcile.Markers{ExternalSourceType: reconcile.SourceActiveDirectory, ExternallyManaged: true}}
	}
	dir := reconcile.Directory{Users: []reconcile.ADUser{
		ad("alice", at(2)), ad("bob", at(2)), ad("carol", at(2)), ad("dave", at(2)),
	}}
	cloud := reconcile.Cloud{Users: []reconcile.CloudUser{
		jc("alice", at(1)),                            // changed in AD, not delivered
		jc("bob", time.Time{}),                        // JumpCloud has no password
		jc("carol", at(3)),                            // changed in JumpCloud
		jc("dave", at(2).Add(reconcile.PasswordSkew)), // the same change, within the skew
	}}
	p := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy())
	if !p.Empty() {
		t.Fatalf("Diff() changes = %v, want none: drift is not a change", p.Changes)
	}
	v := pipeline.NewView("example.com", p)
	var b strings.Builder
	for _, f := range []output.Format{output.FormatTable, output.FormatJSON} {
		ios, _, out, _ := output.Test()
		if err := output.NewPrinter(ios, f).Print(v); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "--- %s\n%s", f, out)
	}
	golden.Assert(t, []byte(b.String()), "pipeline/view_password_drift.txt")
}
