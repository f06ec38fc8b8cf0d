package reconcile_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/reconcile/reconciletest"
)

// TestBaseEqualsDiffTargeted: a Base kept across targeted runs (Refresh,
// Plan, Anchored in place) plans what DiffTargeted plans over the state
// refreshed the slice-copying way, round after round, under every policy,
// with a scope group, a manager reference and JumpCloud-only users to
// adopt or collide with; and the plan applied keeps both in step.
func TestBaseEqualsDiffTargeted(t *testing.T) {
	t.Parallel()
	local := targetedLocal()
	for pname, pol := range targetedPolicies() {
		t.Run(pname, func(t *testing.T) {
			t.Parallel()
			now := genDirectory(200, 6)
			now.NestedAdmins = []string{now.Users[8].GUID}
			scope := reconcile.ADGroup{GUID: "guid-scope", Name: "JumpCloud", Scope: true}
			for _, u := range now.Users {
				scope.Members = append(scope.Members, u.GUID)
			}
			now.Groups = append(now.Groups, scope)
			now.Mapped = []string{"manager"}
			for i := range now.Users {
				if i%4 == 0 {
					now.Users[i].Attrs = map[string]string{"manager": now.Users[(i+11)%len(now.Users)].GUID}
				}
			}
			mem := reconciletest.NewMemory(reconcile.Cloud{Users: local})
			if _, err := reconcile.Apply(t.Context(), reconcile.Diff(reconcile.ToJumpCloud, now, mem.Cloud(), pol), mem, reconcile.ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			refDir, refCloud := cloneDirectory(now), mem.Cloud()
			base := reconcile.NewBase(cloneDirectory(now), mem.Cloud())
			rng := rand.New(rand.NewPCG(3, 4))
			total := 0
			defer func() { t.Logf("%d changes planned", total) }()
			for round := range 80 {
				prev := cloneDirectory(now)
				var guids, did []string
				for range 1 + rng.IntN(4) {
					i := rng.IntN(len(prev.Users))
					if round%10 == 0 {
						i = []int{34, 65}[rng.IntN(2)]
					}
					if prev.Users[i].GUID == "" || slices.Contains(guids, prev.Users[i].GUID) {
						continue
					}
					guids = append(guids, prev.Users[i].GUID)
					m := mutations[rng.IntN(len(mutations))]
					if m.name == "leaves scope" {
						m = mutations[0] // keep the user list stable across rounds
					}
					m.do(&now, i)
					did = append(did, fmt.Sprintf("%s(%s)", m.name, prev.Users[i].Username))
				}
				if len(guids) == 0 {
					continue
				}
				fresh := freshFrom(now, mem.Cloud(), guids)
				want := reconcile.DiffTargeted(refDir, refCloud, fresh, pol)
				base.Refresh(fresh)
				got := base.Plan(guids, pol)
				if diff := cmp.Diff(want.Changes, got.Changes); diff != "" {
					t.Fatalf("round %d %v: Base.Plan() differs from DiffTargeted() (-targeted +base):\n%s", round, did, diff)
				}
				if got.Managed != want.Managed {
					t.Fatalf("round %d: Managed = %d, want %d", round, got.Managed, want.Managed)
				}
				total += len(got.Changes)
				res, err := reconcile.Apply(t.Context(), got, mem, reconcile.ApplyOptions{})
				if err != nil {
					t.Logf("round %d: apply: %v", round, err) // a collision the memory refuses; both sides see the same result
				}
				refDir, refCloud = reconcile.Refresh(refDir, refCloud, fresh)
				refCloud = reconcile.Anchored(refCloud, res)
				base.Anchored(res)
			}
		})
	}
}

// TestBasePlanReadsOnlyWhatItPlans is the guard against a targeted run
// growing with the scope again: with one user changed among 10,000, the
// plan is computed over that user and the few that share its identities,
// not over everyone (Base.Planned counts them).
func TestBasePlanReadsOnlyWhatItPlans(t *testing.T) {
	t.Parallel()
	d := genDirectory(10_000, 100)
	c := synced(d)
	b := reconcile.NewBase(d, c)
	u := d.Users[12]
	u.GivenName = "Changed"
	b.Refresh(reconcile.Fresh{GUIDs: []string{u.GUID}, Users: []reconcile.ADUser{u},
		Groups: map[string][]string{u.GUID: b.Groups(u.GUID)}, CloudGroups: map[string][]string{}})
	plan := b.Plan([]string{u.GUID}, reconcile.DefaultPolicy())
	if len(plan.Changes) != 1 {
		t.Fatalf("Plan() = %v, want one update", lines(plan))
	}
	ad, jc := b.Planned()
	if ad > 2 || jc > 2 {
		t.Errorf("Plan() of one user looked at %d AD and %d JumpCloud users, want the user and its JumpCloud user", ad, jc)
	}
	if plan.Managed != b.Managed() || plan.Managed < 9000 {
		t.Errorf("Managed = %d, want every managed user (%d)", plan.Managed, b.Managed())
	}
}

// TestBaseDeletedGroup: a mirrored group deleted in AD, folded into a Base
// (Refresh with DeletedGroups), plans what DiffTargeted plans (the group's
// deletion and its members' changes); once applied, the group is gone from
// the Base on both sides and the next plan of the same users is empty.
func TestBaseDeletedGroup(t *testing.T) {
	t.Parallel()
	pol := reconcile.DefaultPolicy()
	for k := range 6 {
		t.Run(fmt.Sprintf("G%d", k), func(t *testing.T) {
			t.Parallel()
			start := genDirectory(200, 6)
			mem := reconciletest.NewMemory(reconcile.Cloud{})
			if _, err := reconcile.Apply(t.Context(), reconcile.Diff(reconcile.ToJumpCloud, start, mem.Cloud(), pol), mem, reconcile.ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			cache := mem.Cloud()
			base := reconcile.NewBase(cloneDirectory(start), cache)
			now := cloneDirectory(start)
			gone := now.Groups[k]
			now.Groups = slices.Delete(now.Groups, k, k+1)
			f := freshFrom(now, cache, gone.Members)
			f.DeletedGroups = []string{gone.GUID}
			want := reconcile.DiffTargeted(start, cache, f, pol)
			base.Refresh(f)
			got := base.Plan(f.GUIDs, pol, f.DeletedGroups...)
			if diff := cmp.Diff(lines(want), lines(got)); diff != "" {
				t.Fatalf("Base.Plan() differs from DiffTargeted() (-targeted +base):\n%s", diff)
			}
			res, err := reconcile.Apply(t.Context(), got, mem, reconcile.ApplyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			base.Anchored(res)
			if _, groups := base.Size(); groups != len(mem.Cloud().Groups) {
				t.Errorf("Base.Size() groups = %d, want JumpCloud's %d", groups, len(mem.Cloud().Groups))
			}
			if _, ok := base.Group(gone.GUID); ok {
				t.Errorf("Base.Group(%s) after the deletion: still there", gone.Name)
			}
			base.Refresh(freshFrom(now, mem.Cloud(), gone.Members))
			if again := base.Plan(gone.Members, pol); len(again.Changes) != 0 {
				t.Errorf("the next plan of the same users = %v, want nothing", lines(again))
			}
		})
	}
}
