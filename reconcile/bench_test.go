package reconcile_test

import (
	"fmt"
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
