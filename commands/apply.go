package commands

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/reconcile"
)

// progressMin is the plan length from which import and sync show progress
// on a terminal: shorter runs finish before a bar would be read.
const progressMin = 50

// applyArgs is what [applyPlan] needs besides the plan: import and sync
// differ only in these.
type applyArgs struct {
	IO  *output.Streams
	Now func() time.Time
	// AuditLog is the JSON-lines file every outcome is appended to.
	AuditLog string
	Domain   string
	// Yes is --yes: apply without asking.
	Yes bool
	// Question is asked on a terminal when Yes is not set, e.g. "Apply these
	// 3 changes to JumpCloud? [y/N] ".
	Question string
	// Threshold is checked before anything is applied, and again by Apply.
	Threshold   reconcile.Policy
	Concurrency int
	Target      reconcile.Target
}

// applyPlan is what import and sync do once a plan that is not empty has
// been shown: refuse it whole when it exceeds the threshold, ask for consent
// (or require --yes off a terminal), then apply it, recording each outcome
// in the audit log and showing progress on a terminal.
//
// A nil result means nothing was applied and err says why. Otherwise err is
// Apply's (with a hint for credentials) or, failing that, the audit log's:
// the caller reports the result first, then returns err.
func applyPlan(ctx context.Context, plan reconcile.Plan, a applyArgs) (*reconcile.Result, error) {
	if over, msg := plan.ExceedsThreshold(a.Threshold); over {
		return nil, errors.New(msg)
	}
	if !a.Yes {
		if !a.IO.CanPrompt() {
			return nil, Usagef("refusing to apply %d changes without confirmation: review the plan, then run again with --yes", len(plan.Changes))
		}
		ok, err := confirm(a.IO, a.Question)
		if err != nil {
			return nil, err
		}
		if !ok {
			fmt.Fprintln(a.IO.ErrOut, "Nothing was applied.")
			return nil, &SilentError{}
		}
	}
	if a.AuditLog == "" {
		return nil, errors.New("no audit log path: set audit_log, state_dir or $HOME so applied changes can be recorded")
	}
	audit, err := openAuditLog(a.AuditLog, a.Domain, a.Now)
	if err != nil {
		return nil, err
	}
	prog := newProgress(a.IO, len(plan.Changes))
	thr := a.Threshold
	res, applyErr := reconcile.Apply(ctx, plan, a.Target, reconcile.ApplyOptions{
		Concurrency: a.Concurrency,
		Policy:      &thr,
		OnOutcome: func(o reconcile.Outcome) {
			audit.record(o)
			prog.step()
		},
	})
	prog.done()
	auditErr := audit.close()
	if applyErr != nil {
		return &res, authHint(applyErr)
	}
	return &res, auditErr
}

// confirm asks a yes/no question on stderr and reads the answer from stdin.
func confirm(io *output.Streams, question string) (bool, error) {
	fmt.Fprint(io.ErrOut, question)
	line, err := bufio.NewReader(io.In).ReadString('\n')
	if err != nil && line == "" {
		return false, fmt.Errorf("read confirmation: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// applyResult is what import and sync print after applying: the plan (a
// [planView] or a [syncView]) and every outcome.
type applyResult[V any] struct {
	Plan     V                   `json:"plan"`
	Applied  int                 `json:"applied"`
	Failed   int                 `json:"failed"`
	Skipped  int                 `json:"skipped"`
	Outcomes []reconcile.Outcome `json:"outcomes"`
}

// newApplyResult counts the outcomes; nil outcomes (an empty plan) print
// as [] in JSON.
func newApplyResult[V any](plan V, outcomes []reconcile.Outcome) applyResult[V] {
	r := applyResult[V]{Plan: plan, Outcomes: outcomes}
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

func (r applyResult[V]) line() string {
	return fmt.Sprintf("Applied %d, failed %d, skipped %d of %d changes.", r.Applied, r.Failed, r.Skipped, len(r.Outcomes))
}

// Table is -o plain: the result line.
func (r applyResult[V]) Table() output.Table {
	t := output.Table{}
	t.AddStrings(r.line())
	return t
}

// Report lists the changes that did not apply, then the result line.
func (r applyResult[V]) Report(s *output.Streams) error {
	t := output.Table{Headers: []string{"", "KIND", "OBJECT", "OUTCOME", "WHY"}}
	for _, o := range r.Outcomes {
		if o.Status == reconcile.StatusApplied {
			continue
		}
		st := output.Warn
		if o.Status == reconcile.StatusFailed {
			st = output.Fail
		}
		t.AddRow(output.S(actionStyle[o.Change.Action], o.Change.Action.String()), output.C(string(o.Change.Kind)),
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

// progress writes "applying n/total" on stderr when it is a terminal and
// the plan is long; otherwise it does nothing.
type progress struct {
	io       *output.Streams
	n, total int
	on       bool
}

func newProgress(io *output.Streams, total int) *progress {
	return &progress{io: io, total: total, on: io.IsStderrTTY() && total >= progressMin}
}

func (p *progress) step() {
	p.n++
	if p.on && (p.n%10 == 0 || p.n == p.total) {
		fmt.Fprintf(p.io.ErrOut, "\rapplying %d/%d (%d%%)", p.n, p.total, p.n*100/p.total)
	}
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.io.ErrOut)
	}
}
