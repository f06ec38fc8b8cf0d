package output_test

import (
	"fmt"
	"testing"

	"github.com/adjc/adjc/output"
)

// BenchmarkWriteTableTTY fits and draws a 30,000-row plan-shaped table at an
// 80-column terminal, shortened and wrapped (--detailed):
//
//	go test ./output -run '^$' -bench WriteTableTTY -benchmem
func BenchmarkWriteTableTTY(b *testing.B) {
	t := output.Table{Headers: []string{"", "KIND", "OBJECT", "REASON", "FIELDS"}}
	for i := range 30_000 {
		t.AddStrings("+", "user", fmt.Sprintf("user%06d", i), "in scope in AD",
			fmt.Sprintf("anchor=00000000-0000-4000-8000-%012d, email=user%06d@example.com, firstname=Given, lastname=%d, username=user%06d", i, i, i, i))
	}
	t.SetDetails(4)
	for _, detailed := range []bool{false, true} {
		b.Run(fmt.Sprintf("detailed=%v", detailed), func(b *testing.B) {
			s, _, out, _ := output.Test()
			s.SetStdoutTTY(true)
			s.SetDetailed(detailed)
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if err := s.WriteTable(t); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.Len())/1e6, "MB-out")
		})
	}
}
