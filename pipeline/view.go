package pipeline

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/reconcile"
)

// View is a plan as every command shows it, in either direction: the same
// JSON shape for `diff -o json`, `import -o json` and `sync -o json`
// (golden-tested), and the same table with the direction's labels.
type View struct {
	Domain      string              `json:"domain"`
	Direction   reconcile.Direction `json:"direction"`
	Fingerprint string              `json:"fingerprint"`
	Managed     int                 `json:"managed_users"`
	Summary     Summary             `json:"summary"`
	Budget      BudgetStatus        `json:"budget"`
	// WelcomeEmail is the welcome_email setting an import applies its
	// creates under; absent when the plan is not applied by import.
	WelcomeEmail *bool `json:"welcome_email,omitempty"`
	// Delegation is what an import does with managed users'
	// delegatedAuthority, and why; absent outside import plans.
	Delegation *DelegationNote    `json:"delegated_authority,omitempty"`
	Changes    []reconcile.Change `json:"changes"`
	Skipped    []reconcile.Skip   `json:"skipped"`

	dir Direction
}

// Summary counts a plan's changes by action.
type Summary struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Delete  int `json:"delete"`
	Adopt   int `json:"adopt"`
	Skipped int `json:"skipped"`
}

// NewView returns the view of p for domain. A plan of an unknown direction
// is shown with the import labels; [planfile] refuses such a file first.
func NewView(domain string, p reconcile.Plan) View {
	d, err := For(p.Direction)
	if err != nil {
		d = Import
	}
	v := View{
		Domain: domain, Direction: p.Direction, Fingerprint: p.Fingerprint, Managed: p.Managed,
		Changes: p.Changes, Skipped: p.Skipped, dir: d,
	}
	if v.Changes == nil {
		v.Changes = []reconcile.Change{}
	}
	if v.Skipped == nil {
		v.Skipped = []reconcile.Skip{}
	}
	for _, c := range p.Changes {
		switch c.Action {
		case reconcile.Create:
			v.Summary.Create++
		case reconcile.Update:
			v.Summary.Update++
		case reconcile.Delete:
			v.Summary.Delete++
		case reconcile.Adopt:
			v.Summary.Adopt++
		}
	}
	v.Summary.Skipped = len(p.Skipped)
	return v
}

// WithBudget returns v with what its removals would meet ([Preview]).
func (v View) WithBudget(b BudgetStatus) View {
	v.Budget = b
	return v
}

// budgetLine says, under a plan whose removals would be held, what would
// happen and how to release them; "" otherwise.
func (v View) budgetLine() string {
	b := v.Budget
	if !b.WouldHold {
		return ""
	}
	return fmt.Sprintf("%s would hold %d %s (%d already made in the budget window, allowance %d) and apply the rest; after review: %s",
		v.dir.Command, b.Removals, plural(b.Removals, "removal", "removals"), b.Spent, b.Allowance, b.Release)
}

// Line is the one-line summary printed under the table.
func (v View) Line() string {
	if len(v.Changes) == 0 {
		// AD is named by its domain: "JumpCloud matches example.com",
		// "example.com matches JumpCloud".
		to, from := v.dir.To, v.dir.From
		if v.dir.Dir == reconcile.ToAD {
			to = v.Domain
		} else {
			from = v.Domain
		}
		return fmt.Sprintf("No changes: %s matches %s. %d skipped.", to, from, v.Summary.Skipped)
	}
	line := fmt.Sprintf("Plan: %d to create, %d to update, %d to delete, %d to adopt. %d skipped.",
		v.Summary.Create, v.Summary.Update, v.Summary.Delete, v.Summary.Adopt, v.Summary.Skipped)
	if e := v.emailLine(); e != "" {
		line += " " + e + "."
	}
	if m := v.markersLine(); m != "" {
		line += " " + m + "."
	}
	if v.Delegation != nil && v.Direction == reconcile.ToJumpCloud {
		line += " " + v.Delegation.Line() + "."
	}
	return line
}

// Table is -o plain: one tab-separated row per change (action word, kind,
// object, reason, fields), then the summary line last. The summary stays,
// and stays last, because scripts match it ('^Plan: ', '^No changes'), and
// a script that wants only the rows can drop the last line.
func (v View) Table() output.Table {
	t := output.Table{}
	for _, c := range v.Changes {
		t.AddStrings(c.Action.Name(), string(c.Kind), c.Key, c.Reason, v.fieldsText(c))
	}
	t.AddStrings(v.Line())
	return t
}

// ActionStyle is how each action is coloured in tables.
var ActionStyle = map[reconcile.Action]output.Style{
	reconcile.Create: output.Added,
	reconcile.Update: output.Changed,
	reconcile.Delete: output.Removed,
	reconcile.Adopt:  output.Changed,
}

// Report is the table format: the title, the changes, what cannot be
// synced and why, and the summary line.
func (v View) Report(s *output.Streams) error {
	s.WriteLine(output.Header, fmt.Sprintf("Plan for %s (%s → %s), %s", v.Domain, v.dir.From, v.dir.To,
		output.Plural(v.Managed, "managed user", "managed users")))
	if len(v.Changes) > 0 {
		t := output.Table{Headers: []string{"", "KIND", "OBJECT", "REASON", "FIELDS"}}
		for _, c := range v.Changes {
			t.AddRow(output.S(ActionStyle[c.Action], c.Action.String()), output.C(string(c.Kind)),
				output.C(c.Key), output.C(c.Reason), output.C(v.fieldsText(c)))
		}
		// On a terminal the fields give way first, so no row is wider
		// than the screen (--detailed wraps them instead), and the rows
		// come grouped by kind under a total per kind.
		t.SetDetails(4)
		if err := s.WriteGroups(t, 1, kindTotal); err != nil {
			return err
		}
	}
	if len(v.Skipped) > 0 {
		fmt.Fprintln(s.Out)
		s.WriteLine(output.Header, v.dir.SkippedTitle)
		t := output.Table{Headers: []string{"KIND", "OBJECT", "REASON"}}
		for _, k := range v.Skipped {
			t.AddRow(output.S(output.Warn, string(k.Kind)), output.C(k.Key), output.C(k.Reason))
		}
		t.SetDetails(2)
		if err := s.WriteTable(t); err != nil {
			return err
		}
	}
	fmt.Fprintln(s.Out)
	s.WriteLine(output.Plain, v.Line())
	if l := v.budgetLine(); l != "" {
		s.WriteLine(output.Warn, l)
	}
	return nil
}

// kindTotal is the line above each kind's rows on a terminal:
// "users: 3 to create, 1 to update".
func kindTotal(g output.Group) string {
	var counts []output.Count
	for _, a := range []reconcile.Action{reconcile.Create, reconcile.Update, reconcile.Delete, reconcile.Adopt} {
		counts = append(counts, output.Count{N: output.CountRows(g.Rows, 0, a.String()), What: "to " + a.Name()})
	}
	return output.TotalLine(g.Key+"s", counts...)
}

// fieldsText renders a change's fields with the direction's names:
// "email=a@x" for a create, "suspended: false → true" for an update.
func (v View) fieldsText(c reconcile.Change) string {
	parts := make([]string, 0, len(c.Fields))
	for _, f := range c.Fields {
		name := v.dir.FieldName(f.Name)
		if c.Action == reconcile.Create || f.Old == "" {
			parts = append(parts, name+"="+quoteIfNeeded(f.New))
		} else {
			parts = append(parts, name+": "+quoteIfNeeded(f.Old)+" → "+quoteIfNeeded(f.New))
		}
	}
	return strings.Join(parts, ", ")
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " ,\t\"") {
		return strconv.Quote(s)
	}
	return s
}

// Result is what import and sync print after applying: the plan and every
// outcome.
type Result struct {
	Plan     View                `json:"plan"`
	Applied  int                 `json:"applied"`
	Failed   int                 `json:"failed"`
	Skipped  int                 `json:"skipped"`
	Outcomes []reconcile.Outcome `json:"outcomes"`
}

// NewResult counts the outcomes; nil outcomes (an empty plan) print as []
// in JSON.
func NewResult(plan View, outcomes []reconcile.Outcome) Result {
	r := Result{Plan: plan, Outcomes: outcomes}
	if r.Outcomes == nil {
		r.Outcomes = []reconcile.Outcome{}
	}
	for _, o := range r.Outcomes {
		switch o.Status {
		case reconcile.StatusApplied:
			r.Applied++
		case reconcile.StatusFailed:
			r.Failed++
		case reconcile.StatusSkipped:
			r.Skipped++
		}
	}
	return r
}

func (r Result) line() string {
	return fmt.Sprintf("Applied %d, failed %d, skipped %d of %s.", r.Applied, r.Failed, r.Skipped, output.Plural(len(r.Outcomes), "change", "changes"))
}

// Table is -o plain: the result line.
func (r Result) Table() output.Table {
	t := output.Table{}
	t.AddStrings(r.line())
	return t
}

// Report lists the changes that did not apply, then the result line.
func (r Result) Report(s *output.Streams) error {
	t := output.Table{Headers: []string{"", "KIND", "OBJECT", "OUTCOME", "WHY"}}
	for _, o := range r.Outcomes {
		if o.Status == reconcile.StatusApplied {
			continue
		}
		st := output.Warn
		if o.Status == reconcile.StatusFailed {
			st = output.Fail
		}
		t.AddRow(output.S(ActionStyle[o.Change.Action], o.Change.Action.String()), output.C(string(o.Change.Kind)),
			output.C(o.Change.Key), output.S(st, string(o.Status)), output.C(o.Reason))
	}
	t.SetDetails(4)
	if len(t.Rows) > 0 {
		fmt.Fprintln(s.Out)
		s.WriteLine(output.Header, "Not applied:")
		if err := s.WriteTable(t); err != nil {
			return err
		}
	}
	fmt.Fprintln(s.Out)
	return s.WriteLine(output.Plain, r.line())
}
