package pipeline_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/reconcile/reconciletest"
)

// deletes returns a cloud of n managed users and the plan that deletes the
// first k of them.
func deletes(n, k int) (reconcile.Cloud, reconcile.Plan) {
	var cloud reconcile.Cloud
	plan := reconcile.Plan{Version: reconcile.PlanVersion, Direction: reconcile.ToJumpCloud, Managed: n}
	for i := range n {
		u := reconcile.CloudUser{ID: fmt.Sprintf("u%02d", i), Username: fmt.Sprintf("user%02d", i), Anchor: fmt.Sprintf("guid-%02d", i)}
		cloud.Users = append(cloud.Users, u)
		if i < k {
			plan.Changes = append(plan.Changes, reconcile.Change{Action: reconcile.Delete, Kind: reconcile.KindUser, Key: u.Username,
				User: &reconcile.Ref{Anchor: u.Anchor, ID: u.ID}})
		}
	}
	return cloud, plan
}

// memLedger is a pipeline.Ledger in memory.
type memLedger struct {
	spent    []int
	approved int
}

func (l *memLedger) Spent(reconcile.Direction, time.Time) (int, error) {
	n := 0
	for _, s := range l.spent {
		n += s
	}
	return n, nil
}
func (l *memLedger) Record(_ reconcile.Direction, _ time.Time, n int) error {
	l.spent = append(l.spent, n)
	return nil
}
func (l *memLedger) Approved(reconcile.Direction) (int, error) { return l.approved, nil }
func (l *memLedger) ClearApproved(reconcile.Direction) error   { l.approved = 0; return nil }

// TestApplyHoldsOverBudget: removals over the budget are held, before
// consent is asked or a call made, with a *HeldError that names the release.
func TestApplyHoldsOverBudget(t *testing.T) {
	t.Parallel()
	cloud, plan := deletes(100, 11)
	mem := reconciletest.NewMemory(cloud)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	asked := false
	res, err := pipeline.Apply(t.Context(), plan, pipeline.ApplyArgs{
		Domain: "example.com", AuditLog: audit, Policy: reconcile.DefaultPolicy(), Target: mem,
		Consent: func(int) error { asked = true; return nil },
	})
	var held *pipeline.HeldError
	if !errors.As(err, &held) || held.Held != 11 || res == nil || len(res.Outcomes) != 0 {
		t.Fatalf("Apply(11 of 100 deleted) = %v, %v; want no outcomes and *HeldError of 11", res, err)
	}
	if !strings.Contains(err.Error(), "--allow-deletes 11") || !strings.Contains(err.Error(), "adjc approve 11") {
		t.Errorf("HeldError = %q, want it to name --allow-deletes 11 and adjc approve 11", err)
	}
	if asked || len(mem.Calls()) != 0 {
		t.Errorf("Apply with only held changes asked=%v and made %d calls, want neither", asked, len(mem.Calls()))
	}
	// --allow-deletes releases them.
	res, err = pipeline.Apply(t.Context(), plan, pipeline.ApplyArgs{
		Domain: "example.com", AuditLog: audit, Policy: reconcile.DefaultPolicy(), Target: mem, Allow: 1,
	})
	if err != nil || res.Count(reconcile.StatusApplied) != 11 {
		t.Errorf("Apply(--allow-deletes 1) = %v, %v; want 11 applied", res, err)
	}
}

// TestBudgetAcrossRuns: the budget is shared by every run that uses the same
// ledger — small runs (a watch burst) spend it as one large run would — and
// the rest of a plan is applied while its removals are held; a release
// ('adjc approve') lets them through once.
func TestBudgetAcrossRuns(t *testing.T) {
	t.Parallel()
	ledger := &memLedger{}
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	applied := 0
	var lastErr error
	for run := range 10 { // 10 runs of 4 removals: 40, against an allowance of 10
		cloud, plan := deletes(100, 4)
		plan.Changes = append(plan.Changes, reconcile.Change{Action: reconcile.Create, Kind: reconcile.KindUser,
			Key: fmt.Sprintf("new%d", run), User: &reconcile.Ref{Anchor: fmt.Sprintf("new-%d", run), Name: fmt.Sprintf("new%d", run)}})
		mem := reconciletest.NewMemory(cloud)
		res, err := pipeline.Apply(t.Context(), plan, pipeline.ApplyArgs{
			Domain: "example.com", AuditLog: audit, Policy: reconcile.DefaultPolicy(), Target: mem, Ledger: ledger,
		})
		if res == nil {
			t.Fatalf("run %d: Apply = nil, %v", run, err)
		}
		for _, o := range res.Outcomes {
			if o.Status == reconcile.StatusApplied && reconcile.IsRemoval(o.Change) {
				applied++
			}
			if o.Change.Action == reconcile.Create && o.Status != reconcile.StatusApplied {
				t.Errorf("run %d: the create was not applied: %+v", run, o)
			}
		}
		lastErr = err
	}
	if applied != 8 {
		t.Errorf("removals applied over 10 runs = %d, want 8 (two runs of 4 fit the allowance of 10)", applied)
	}
	var held *pipeline.HeldError
	if !errors.As(lastErr, &held) || held.Spent != 8 {
		t.Fatalf("last run error = %v, want *HeldError with 8 spent", lastErr)
	}
	ledger.approved = 4
	cloud, plan := deletes(100, 4)
	res, err := pipeline.Apply(t.Context(), plan, pipeline.ApplyArgs{
		Domain: "example.com", AuditLog: audit, Policy: reconcile.DefaultPolicy(), Target: reconciletest.NewMemory(cloud), Ledger: ledger,
	})
	if err != nil || res.Count(reconcile.StatusApplied) != 4 || ledger.approved != 0 {
		t.Errorf("Apply after approving 4 = %v, %v (approved left %d); want 4 applied and the approval used", res, err, ledger.approved)
	}
}

// TestRemovalsCounted: every kind of removal counts, in both directions.
func TestRemovalsCounted(t *testing.T) {
	t.Parallel()
	ch := func(a reconcile.Action, k reconcile.Kind, f ...reconcile.FieldChange) reconcile.Change {
		return reconcile.Change{Action: a, Kind: k, Fields: f}
	}
	susp := reconcile.FieldChange{Name: reconcile.FieldSuspended, Old: "false", New: "true"}
	unsusp := reconcile.FieldChange{Name: reconcile.FieldSuspended, Old: "true", New: "false"}
	for _, dir := range []reconcile.Direction{reconcile.ToJumpCloud, reconcile.ToAD} {
		p := reconcile.Plan{Direction: dir, Changes: []reconcile.Change{
			ch(reconcile.Delete, reconcile.KindUser), ch(reconcile.Update, reconcile.KindUser, susp),
			ch(reconcile.Delete, reconcile.KindGroup), ch(reconcile.Delete, reconcile.KindMembership),
			ch(reconcile.Delete, reconcile.KindAdmin),
			ch(reconcile.Update, reconcile.KindUser, unsusp), ch(reconcile.Create, reconcile.KindMembership),
			ch(reconcile.Update, reconcile.KindGroup, reconcile.FieldChange{Name: reconcile.FieldName, Old: "a", New: "b"}),
		}}
		if got := p.Removals(); got != 5 {
			t.Errorf("%s: Removals() = %d, want 5 (user delete, suspend, group delete, membership and admin removal)", dir, got)
		}
	}
}

// TestApplyConsentAndAudit: a declined consent applies nothing; a given one
// applies every change and writes one audit line per change, with the
// action as a word.
func TestApplyConsentAndAudit(t *testing.T) {
	t.Parallel()
	cloud, plan := deletes(100, 3)
	mem := reconciletest.NewMemory(cloud)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	args := pipeline.ApplyArgs{
		Domain: "example.com", AuditLog: audit, Policy: reconcile.DefaultPolicy(), Target: mem,
		Now:     func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
		Consent: func(int) error { return errors.New("declined") },
	}
	if res, err := pipeline.Apply(t.Context(), plan, args); res != nil || err == nil || len(mem.Calls()) != 0 {
		t.Fatalf("Apply(declined) = %v, %v with %d calls; want nil, an error, no calls", res, err, len(mem.Calls()))
	}
	var n int
	args.Consent = func(changes int) error { n = changes; return nil }
	res, err := pipeline.Apply(t.Context(), plan, args)
	if err != nil || res.Count(reconcile.StatusApplied) != 3 || n != 3 {
		t.Fatalf("Apply(consented) = %v, %v (asked for %d); want 3 applied", res, err, n)
	}
	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 {
		t.Fatalf("audit log has %d lines, want 3:\n%s", len(lines), b)
	}
	var e struct{ Action, Outcome, Domain string }
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil || e.Action != "delete" || e.Outcome != "applied" || e.Domain != "example.com" {
		t.Errorf("audit line %s = %+v (%v), want action delete, outcome applied", lines[0], e, err)
	}
}

// TestHeldReleaseCoversSpent: after removals earlier in the window the
// release a held run names covers the whole shortfall, so running it
// applies the removals instead of holding them again.
func TestHeldReleaseCoversSpent(t *testing.T) {
	t.Parallel()
	ledger := &memLedger{spent: []int{40}}
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	cloud, plan := deletes(100, 30) // allowance 10, 40 spent: 60 short
	_, err := pipeline.Apply(t.Context(), plan, pipeline.ApplyArgs{
		Domain: "example.com", AuditLog: audit, Policy: reconcile.DefaultPolicy(), Target: reconciletest.NewMemory(cloud), Ledger: ledger,
	})
	var held *pipeline.HeldError
	if !errors.As(err, &held) || held.Needed != 60 || !strings.Contains(err.Error(), "--allow-deletes 60") {
		t.Fatalf("Apply(30 after 40 spent) = %v; want *HeldError naming --allow-deletes 60", err)
	}
	st, err := pipeline.Preview(plan, pipeline.ApplyArgs{Policy: reconcile.DefaultPolicy(), Ledger: ledger}, time.Now())
	if err != nil || st.Release != "adjc import --allow-deletes 60" {
		t.Errorf("Preview release = %q, %v; want adjc import --allow-deletes 60", st.Release, err)
	}
	res, err := pipeline.Apply(t.Context(), plan, pipeline.ApplyArgs{
		Domain: "example.com", AuditLog: audit, Policy: reconcile.DefaultPolicy(), Target: reconciletest.NewMemory(cloud), Ledger: ledger, Allow: held.Needed,
	})
	if err != nil || res.Count(reconcile.StatusApplied) != 30 {
		t.Errorf("Apply(--allow-deletes %d) = %v, %v; want 30 applied", held.Needed, res, err)
	}
}
