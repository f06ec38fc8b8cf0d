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
	Changes     []reconcile.Change  `json:"changes"`
	Skipped     []reconcile.Skip    `json:"skipped"`

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
	return fmt.Sprintf("Plan: %d to create, %d to update, %d to delete, %d to adopt. %d skipped.",
		v.Summary.Create, v.Summary.Update, v.Summary.Delete, v.Summary.Adopt, v.Summary.Skipped)
}

// Table is -o plain: the summary line alone, for scripts that only want to
// know whether and how much would change.
func (v View) Table() output.Table {
	t := output.Table{}
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
	fmt.Fprintf(s.Out, "%s\n", s.Style(output.Header,
		fmt.Sprintf("Plan for %s (%s → %s), %d managed users", v.Domain, v.dir.From, v.dir.To, v.Managed)))
	if len(v.Changes) > 0 {
		t := output.Table{Headers: []string{"", "KIND", "OBJECT", "REASON", "FIELDS"}}
		for _, c := range v.Changes {
			t.AddRow(output.S(ActionStyle[c.Action], c.Action.String()), output.C(string(c.Kind)),
				output.C(c.Key), output.C(c.Reason), output.C(v.fieldsText(c)))
		}
		if err := s.WriteTable(t); err != nil {
			return err
		}
	}
	if len(v.Skipped) > 0 {
		fmt.Fprintf(s.Out, "\n%s\n", s.Style(output.Header, v.dir.SkippedTitle))
		t := output.Table{Headers: []string{"KIND", "OBJECT", "REASON"}}
		for _, k := range v.Skipped {
			t.AddRow(output.S(output.Warn, string(k.Kind)), output.C(k.Key), output.C(k.Reason))
		}
		if err := s.WriteTable(t); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(s.Out, "\n%s\n", v.Line())
	return err
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
	return fmt.Sprintf("Applied %d, failed %d, skipped %d of %d changes.", r.Applied, r.Failed, r.Skipped, len(r.Outcomes))
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
	if len(t.Rows) > 0 {
		fmt.Fprintf(s.Out, "\n%s\n", s.Style(output.Header, "Not applied:"))
		if err := s.WriteTable(t); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(s.Out, "\n%s\n", r.line())
	return err
}
