package pipeline_test

import (
	"fmt"
	"testing"

	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
)

// bigPlan is a first import of users users in groups groups (each user in
// two), with every 50th user privileged so the skipped table is not empty:
// what `adjc diff` prints for a large directory the first time.
func bigPlan(users, groups int) reconcile.Plan {
	var d reconcile.Directory
	for i := range users {
		name := fmt.Sprintf("user%06d", i)
		d.Users = append(d.Users, reconcile.ADUser{
			GUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), DN: "CN=" + name + ",OU=Staff,DC=example,DC=com",
			Username: name, GivenName: "Given", Surname: fmt.Sprint(i), Mail: name + "@example.com",
			Privileged: i%50 == 0,
		})
	}
	for k := range groups {
		d.Groups = append(d.Groups, reconcile.ADGroup{GUID: fmt.Sprintf("00000000-0000-4000-9000-%012d", k),
			Name: fmt.Sprintf("Group %04d", k)})
	}
	for i, u := range d.Users {
		for _, k := range []int{i % groups, (i / 7) % groups} {
			d.Groups[k].Members = append(d.Groups[k].Members, u.GUID)
		}
	}
	return reconcile.Diff(reconcile.ToJumpCloud, d, reconcile.Cloud{}, reconcile.DefaultPolicy())
}

// BenchmarkRenderPlan renders the plan of a 10,000-user first import (about
// 30,000 changes) in each --output format, as diff and import print it.
//
//	go test ./pipeline -run '^$' -bench RenderPlan -benchmem
func BenchmarkRenderPlan(b *testing.B) {
	plan := bigPlan(10_000, 1_000)
	view := pipeline.NewView("example.com", plan)
	for _, f := range []output.Format{output.FormatTable, output.FormatJSON, output.FormatPlain} {
		b.Run(string(f), func(b *testing.B) {
			s, _, out, _ := output.Test()
			p := output.NewPrinter(s, f)
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if err := p.Print(view); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(plan.Changes)), "changes")
			b.ReportMetric(float64(out.Len())/1e6, "MB-out")
		})
	}
}
