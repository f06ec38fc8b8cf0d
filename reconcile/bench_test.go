package reconcile_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/adjc/adjc/reconcile"
)

// benchDirectory is 100,000 users in 1,000 groups (each user in two, so
// 200,000 memberships), with the case mix of genDirectory.
func benchDirectory() reconcile.Directory { return genDirectory(100_000, 1_000) }

// BenchmarkDiffFirstImport plans everything from an empty JumpCloud.
func BenchmarkDiffFirstImport(b *testing.B) {
	d := benchDirectory()
	b.ReportAllocs()
	var plan reconcile.Plan
	for b.Loop() {
		plan = reconcile.Diff(reconcile.ToJumpCloud, d, reconcile.Cloud{}, reconcile.DefaultPolicy())
	}
	b.ReportMetric(float64(len(plan.Changes)), "changes")
}

// BenchmarkDiffSteadyState plans a scheduled run: everything synced except
// 1 % of users renamed and 1 % with a new surname.
func BenchmarkDiffSteadyState(b *testing.B) {
	d := benchDirectory()
	c := synced(d)
	for i := 0; i < len(d.Users); i += 50 {
		d.Users[i].Surname = fmt.Sprintf("new%d", i)
		d.Users[i+1].Username += "r"
	}
	b.ReportAllocs()
	var plan reconcile.Plan
	for b.Loop() {
		plan = reconcile.Diff(reconcile.ToJumpCloud, d, c, reconcile.DefaultPolicy())
	}
	b.ReportMetric(float64(len(plan.Changes)), "changes")
}

// BenchmarkFingerprint is the share of Diff spent hashing both states.
func BenchmarkFingerprint(b *testing.B) {
	d := benchDirectory()
	c := synced(d)
	b.ReportAllocs()
	for b.Loop() {
		reconcile.Fingerprint(reconcile.ToJumpCloud, d, c)
	}
}

// BenchmarkTargetedPlan10k is the planning part of a delta tick after one
// user changed among 10,000: the copying way (Refresh and DiffTargeted over
// the whole cached state, then Refresh again and Anchored for the next
// tick) against the indexed Base (Refresh, Plan, Anchored in place).
//
//	go test ./reconcile -run '^$' -bench TargetedPlan10k
func BenchmarkTargetedPlan10k(b *testing.B) {
	d := genDirectory(10_000, 1_000)
	c := synced(d)
	u := d.Users[12]
	u.GivenName = "Changed"
	f := reconcile.Fresh{GUIDs: []string{u.GUID}, Users: []reconcile.ADUser{u}, Groups: map[string][]string{}, CloudGroups: map[string][]string{}}
	for _, g := range d.Groups {
		if slices.Contains(g.Members, u.GUID) {
			f.Groups[u.GUID] = append(f.Groups[u.GUID], g.GUID)
		}
	}
	pol := reconcile.DefaultPolicy()
	b.Run("copying", func(b *testing.B) {
		for b.Loop() {
			plan := reconcile.DiffTargeted(d, c, f, pol)
			dir, cloud := reconcile.Refresh(d, c, f)
			_, _ = dir, reconcile.Anchored(cloud, reconcile.Result{})
			if len(plan.Changes) != 1 {
				b.Fatalf("plan %v", plan.Changes)
			}
		}
	})
	b.Run("base", func(b *testing.B) {
		base := reconcile.NewBase(d, c)
		for b.Loop() {
			base.Refresh(f)
			plan := base.Plan(f.GUIDs, pol)
			base.Anchored(reconcile.Result{})
			if len(plan.Changes) != 1 {
				b.Fatalf("plan %v", plan.Changes)
			}
		}
	})
}
