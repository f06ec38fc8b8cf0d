package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/reconcile/reconciletest"
)

func methods(calls []reconciletest.Call) []string {
	out := make([]string, 0, len(calls))
	for _, c := range calls {
		out = append(out, c.Method+" "+c.Name)
	}
	return out
}

func TestApplyOrder(t *testing.T) {
	t.Parallel()
	d := seedDirectory()
	d.Users[0].Username = "user1old"           // frees "user1"…
	d.Users[3] = adUser("user1")               // …which a new user takes; user4 leaves
	d.Users[3].GUID = "guid-new"               //
	d.Users[3].Mail = "new@example.com"        //
	d.Groups[1] = adGroup("Group3", "user3")   // Group2 leaves, Group3 arrives
	d.Groups[0].Members = []string{"guid-new"} // membership churn
	d.Admins = []string{"guid-new"}
	plan := reconcile.Diff(reconcile.ToJumpCloud, d, seedCloud(), reconcile.DefaultPolicy())

	mem := reconciletest.NewMemory(seedCloud())
	res, err := reconcile.Apply(t.Context(), plan, mem, reconcile.ApplyOptions{Concurrency: 1})
	if err != nil {
		t.Fatalf("Apply() = %v, want nil", err)
	}
	if got := res.Count(reconcile.StatusApplied); got != len(plan.Changes) {
		t.Errorf("Apply() applied %d, want %d", got, len(plan.Changes))
	}
	// With one worker, calls follow the phases, each in plan order.
	want := []string{
		"UpdateUser user1old",
		"CreateUser user1",
		"CreateGroup Group3",
		"SetAdmin ",
		"AddMember ", "RemoveMember ", "RemoveMember ", "RemoveMember ", "AddMember ",
		"DeleteGroup ",
		"DeleteUser ",
	}
	if diff := cmp.Diff(want, methods(mem.Calls())); diff != "" {
		t.Errorf("Apply() call order mismatch (-want +got):\n%s\nplan: %q", diff, lines(plan))
	}
}

func TestApplyResolvesCreatedIDs(t *testing.T) {
	t.Parallel()
	d := seedDirectory()
	d.Admins = []string{"guid-user2"}
	plan := reconcile.Diff(reconcile.ToJumpCloud, d, reconcile.Cloud{}, reconcile.DefaultPolicy())
	mem := reconciletest.NewMemory(reconcile.Cloud{})
	res, err := reconcile.Apply(t.Context(), plan, mem, reconcile.ApplyOptions{Concurrency: 8})
	if err != nil {
		t.Fatalf("Apply() = %v, want nil", err)
	}
	c := mem.Cloud()
	ids := map[string]string{}
	for _, u := range c.Users {
		ids[u.ID] = u.Username
		if u.Admin != (u.Username == "user2") {
			t.Errorf("user %s admin = %v", u.Username, u.Admin)
		}
	}
	got := map[string][]string{}
	for _, g := range c.Groups {
		for _, m := range g.Members {
			got[g.Name] = append(got[g.Name], ids[m])
		}
	}
	want := map[string][]string{
		"Group1": {"user1", "user2", "user3", "user4"},
		"Group2": {"user3", "user4"},
	}
	if diff := cmp.Diff(want, got, sortStrings); diff != "" {
		t.Errorf("groups after Apply() mismatch (-want +got):\n%s", diff)
	}
	for _, o := range res.Outcomes {
		if o.Change.Action == reconcile.Create && (o.Change.Kind == reconcile.KindUser || o.Change.Kind == reconcile.KindGroup) && o.ID == "" {
			t.Errorf("outcome of %s %s has no id", o.Change.Kind, o.Change.Key)
		}
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestApplyIsolatesFailures(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	plan := reconcile.Diff(reconcile.ToJumpCloud, seedDirectory(), reconcile.Cloud{}, reconcile.DefaultPolicy())
	mem := reconciletest.NewMemory(reconcile.Cloud{})
	mem.Hook = func(_ context.Context, c reconciletest.Call) error {
		if c.Method == "CreateUser" && c.Name == "user3" {
			return boom
		}
		return nil
	}
	var seen []reconcile.Outcome
	res, err := reconcile.Apply(t.Context(), plan, mem, reconcile.ApplyOptions{
		Concurrency: 3,
		OnOutcome:   func(o reconcile.Outcome) { seen = append(seen, o) }, // not locked: Apply serialises
	})
	var pe *reconcile.PartialError
	if !errors.As(err, &pe) || pe.Failed != 1 || pe.Total != len(plan.Changes) || !errors.Is(err, boom) {
		t.Fatalf("Apply() error = %v, want *PartialError with 1 of %d failed wrapping boom", err, len(plan.Changes))
	}
	if !strings.Contains(err.Error(), "+ user user3: boom") {
		t.Errorf("Apply() error = %q, want it to name the change", err)
	}
	if len(seen) != len(plan.Changes) || len(res.Outcomes) != len(plan.Changes) {
		t.Errorf("OnOutcome called %d times, %d outcomes, want %d", len(seen), len(res.Outcomes), len(plan.Changes))
	}
	status := map[string]string{}
	for i, o := range res.Outcomes {
		if o.Change.Key != plan.Changes[i].Key {
			t.Errorf("Outcomes[%d] is for %s, want plan order (%s)", i, o.Change.Key, plan.Changes[i].Key)
		}
		status[fmt.Sprintf("%s %s", o.Change.Kind, o.Change.Key)] = string(o.Status) + " " + o.Reason
	}
	want := map[string]string{
		"user user1": "applied ", "user user2": "applied ", "user user3": "failed boom", "user user4": "applied ",
		"group Group1": "applied ", "group Group2": "applied ",
		"membership Group1/user1": "applied ", "membership Group1/user2": "applied ",
		"membership Group1/user3": "skipped user user3 was not created: boom",
		"membership Group1/user4": "applied ",
		"membership Group2/user3": "skipped user user3 was not created: boom",
		"membership Group2/user4": "applied ",
	}
	if diff := cmp.Diff(want, status); diff != "" {
		t.Errorf("Apply() outcomes mismatch (-want +got):\n%s", diff)
	}
}

// termErr marks itself terminal the way jcapi can, without importing reconcile.
type termErr struct{}

func (termErr) Error() string  { return "401 unauthorized" }
func (termErr) Terminal() bool { return true }

func TestApplyStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		hook    func(cancel context.CancelFunc) func(context.Context, reconciletest.Call) error
		wantErr error
	}{
		{
			name: "context cancelled",
			hook: func(cancel context.CancelFunc) func(context.Context, reconciletest.Call) error {
				var n atomic.Int32
				return func(context.Context, reconciletest.Call) error {
					if n.Add(1) == 3 {
						cancel()
					}
					return nil
				}
			},
			wantErr: context.Canceled,
		},
		{
			name: "terminal sentinel",
			hook: func(context.CancelFunc) func(context.Context, reconciletest.Call) error {
				return func(_ context.Context, c reconciletest.Call) error {
					if c.Name == "user2" {
						return fmt.Errorf("%w: bad api key", reconcile.ErrTerminal)
					}
					return nil
				}
			},
			wantErr: reconcile.ErrTerminal,
		},
		{
			name: "terminal method",
			hook: func(context.CancelFunc) func(context.Context, reconciletest.Call) error {
				return func(_ context.Context, c reconciletest.Call) error {
					if c.Name == "user2" {
						return fmt.Errorf("jcapi: create user: %w", termErr{})
					}
					return nil
				}
			},
			wantErr: termErr{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			plan := reconcile.Diff(reconcile.ToJumpCloud, seedDirectory(), reconcile.Cloud{}, reconcile.DefaultPolicy())
			mem := reconciletest.NewMemory(reconcile.Cloud{})
			mem.Hook = tt.hook(cancel)
			res, err := reconcile.Apply(ctx, plan, mem, reconcile.ApplyOptions{Concurrency: 1})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Apply() = %v, want it to wrap %v", err, tt.wantErr)
			}
			var pe *reconcile.PartialError
			if errors.As(err, &pe) {
				t.Errorf("Apply() = %T, want a stop, not a partial result", err)
			}
			if len(res.Outcomes) != len(plan.Changes) {
				t.Fatalf("Apply() gave %d outcomes, want %d", len(res.Outcomes), len(plan.Changes))
			}
			applied := res.Count(reconcile.StatusApplied)
			if applied > 3 || applied == len(plan.Changes) || len(mem.Calls()) != applied {
				t.Errorf("Apply() applied %d (calls %d), want it to stop within the first 3", applied, len(mem.Calls()))
			}
			last := res.Outcomes[len(res.Outcomes)-1]
			if last.Status != reconcile.StatusSkipped || !strings.HasPrefix(last.Reason, "not attempted: run stopped") {
				t.Errorf("last outcome = %s %q, want skipped, not attempted", last.Status, last.Reason)
			}
		})
	}
}

func TestApplyBoundsConcurrency(t *testing.T) {
	t.Parallel()
	plan := reconcile.Diff(reconcile.ToJumpCloud, genDirectory(200, 4), reconcile.Cloud{}, reconcile.DefaultPolicy())
	mem := reconciletest.NewMemory(reconcile.Cloud{})
	var inFlight, peak atomic.Int32
	mem.Hook = func(context.Context, reconciletest.Call) error {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(50 * time.Microsecond)
		inFlight.Add(-1)
		return nil
	}
	var mu sync.Mutex
	outcomes := 0
	if _, err := reconcile.Apply(t.Context(), plan, mem, reconcile.ApplyOptions{
		Concurrency: 4,
		OnOutcome:   func(reconcile.Outcome) { mu.Lock(); outcomes++; mu.Unlock() },
	}); err != nil {
		t.Fatalf("Apply() = %v", err)
	}
	if p := peak.Load(); p > 4 || p < 2 {
		t.Errorf("peak concurrent calls = %d, want 2..4", p)
	}
	if outcomes != len(plan.Changes) {
		t.Errorf("OnOutcome called %d times, want %d", outcomes, len(plan.Changes))
	}
}

func TestApplyRefusesOtherPlanVersion(t *testing.T) {
	t.Parallel()
	_, err := reconcile.Apply(t.Context(), reconcile.Plan{Version: 99}, reconciletest.NewMemory(reconcile.Cloud{}), reconcile.ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Errorf("Apply(version 99) = %v, want a version error", err)
	}
}

func TestAllowance(t *testing.T) {
	t.Parallel()
	def := reconcile.DefaultPolicy()
	tests := []struct {
		name    string
		managed int
		policy  reconcile.Policy
		want    int
	}{
		{"small org: never fewer than the count", 4, def, 10},
		{"100 users: count and percent meet", 100, def, 10},
		{"1000 users: the percent beyond the count", 1000, def, 100},
		{"count only", 1000, reconcile.Policy{MaxDeletes: 20, MaxDeletePercent: reconcile.NoLimit}, 20},
		{"no limit", 10, reconcile.Policy{MaxDeletes: reconcile.NoLimit, MaxDeletePercent: reconcile.NoLimit}, reconcile.NoLimit},
		{"zero policy allows none", 10, reconcile.Policy{}, 0},
	}
	for _, tt := range tests {
		if got := tt.policy.Allowance(tt.managed); got != tt.want {
			t.Errorf("%s: Allowance(%d) = %d, want %d", tt.name, tt.managed, got, tt.want)
		}
	}
}

func TestRemovalsCountSuspensions(t *testing.T) {
	t.Parallel()
	d := seedDirectory()
	for i := range d.Users {
		d.Users[i].Disabled = true
	}
	plan := reconcile.Diff(reconcile.ToJumpCloud, d, seedCloud(), reconcile.DefaultPolicy())
	if got := plan.Removals(); got < 4 {
		t.Errorf("Removals() = %d, want at least the 4 suspensions", got)
	}
	keep, held := plan.WithoutRemovals()
	if len(held) != plan.Removals() || keep.Removals() != 0 || len(keep.Changes)+len(held) != len(plan.Changes) {
		t.Errorf("WithoutRemovals() kept %d and held %d of %d changes (%d removals)", len(keep.Changes), len(held), len(plan.Changes), plan.Removals())
	}
}

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	if err := reconcile.DefaultPolicy().Validate(); err != nil {
		t.Errorf("DefaultPolicy().Validate() = %v", err)
	}
	if err := (reconcile.Policy{OnRemoved: "archive"}).Validate(); err == nil {
		t.Errorf("Validate(archive) = nil, want an error")
	}
	if err := (reconcile.Policy{MaxDeletes: -5}).Validate(); err == nil {
		t.Errorf("Validate(max deletes -5) = nil, want an error")
	}
}
