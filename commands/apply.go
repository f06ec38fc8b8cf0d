package commands

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
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
	Yes       bool
	Direction pipeline.Direction
	Threshold reconcile.Policy
	// Ledger carries the removal budget across runs; Allow is --allow-deletes.
	Ledger pipeline.Ledger
	Allow  int
	// Concurrency overrides the direction's default when above 0.
	Concurrency int
	Target      reconcile.Target
	// Notice is said before the consent question (import: what JumpCloud
	// mails the users it creates); "" for none.
	Notice string
}

// applyPlan is what import and sync do once a plan that is not empty has
// been shown: [pipeline.Apply] with consent asked on a terminal (or --yes
// required off one) and progress shown on a terminal.
func applyPlan(ctx context.Context, plan reconcile.Plan, a applyArgs) (*reconcile.Result, error) {
	conc := a.Concurrency
	if conc < 1 {
		conc = a.Direction.Concurrency
	}
	prog := newProgress(a.IO, len(plan.Changes))
	res, err := pipeline.Apply(ctx, plan, pipeline.ApplyArgs{
		Domain: a.Domain, AuditLog: a.AuditLog, Now: a.Now, Policy: a.Threshold,
		Concurrency: conc, Target: a.Target, Ledger: a.Ledger, Allow: a.Allow,
		Consent: func(n int) error {
			if a.Yes {
				return nil
			}
			if !a.IO.CanPrompt() {
				return Usagef("refusing to apply %d changes without confirmation: review the plan, then run again with --yes", n)
			}
			q := a.Direction.Question(n, a.Domain)
			if a.Notice != "" {
				q = a.Notice + ".\n" + q
			}
			ok, err := confirm(a.IO, q)
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintln(a.IO.ErrOut, "Nothing was applied.")
				return &SilentError{}
			}
			return nil
		},
		OnOutcome: func(reconcile.Outcome) { prog.step() },
	})
	prog.done()
	if err != nil {
		return res, authHint(err)
	}
	return res, nil
}

// confirm asks a yes/no question on stderr and reads the answer from stdin.
func confirm(io *output.Streams, question string) (bool, error) {
	fmt.Fprint(io.ErrOut, output.Safe(question))
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
