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

// TestApplyRefusesOverThreshold: the one threshold check refuses the whole
// plan before consent is asked, the audit log is opened or a call is made.
func TestApplyRefusesOverThreshold(t *testing.T) {
	t.Parallel()
	cloud, plan := deletes(100, 11)
	mem := reconciletest.NewMemory(cloud)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	asked := false
	res, err := pipeline.Apply(t.Context(), plan, pipeline.ApplyArgs{
		Domain: "example.com", AuditLog: audit, Policy: reconcile.DefaultPolicy(), Target: mem,
		Consent: func(int) error { asked = true; return nil },
	})
	var te *reconcile.ThresholdError
	if res != nil || !errors.As(err, &te) {
		t.Fatalf("Apply(11 of 100 deleted) = %v, %v; want nil, *ThresholdError", res, err)
	}
	if asked || len(mem.Calls()) != 0 {
		t.Errorf("Apply over the threshold asked=%v and made %d calls, want neither", asked, len(mem.Calls()))
	}
	if _, err := os.Stat(audit); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Apply over the threshold opened the audit log (%v)", err)
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
