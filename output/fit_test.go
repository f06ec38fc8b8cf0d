package output

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"alice", 10, "alice"},
		{"alice", 5, "alice"},
		{"alice", 4, "ali…"},
		{"中文中文", 5, "中文…"},                                    // 4 columns of CJK + "…" = 5
		{"中文中文", 4, "中…"},                                     // a wide char that would straddle the edge is left out
		{"ab中文", 4, "ab…"},                                    // likewise
		{"e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301e\u0301"}, // combining marks take no width
		{"e\u0301e\u0301e\u0301x", 3, "e\u0301e\u0301…"},      // and stay with their letter
		{"a\x1bbcdef", 6, `a\x1b…`},                           // the escape is one unit, 4 wide
		{"ab\x1bcdef", 6, "ab…"},                              // never cut inside an escape
		{"x", 0, ""},
	}
	for _, tt := range tests {
		got := truncateText(tt.in, tt.w)
		if got != tt.want {
			t.Errorf("truncateText(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("truncateText(%q, %d) = %q, not valid UTF-8", tt.in, tt.w, got)
		}
		if displayWidth(got) > tt.w {
			t.Errorf("truncateText(%q, %d) = %q, %d columns wide", tt.in, tt.w, got, displayWidth(got))
		}
	}
}

func TestWrapText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		w    int
		want []string
	}{
		{"alice", 10, []string{"alice"}},
		{"email=a@x, firstname=Alice, lastname=Archer", 16, []string{"email=a@x,", "firstname=Alice,", "lastname=Archer"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"中文中文中", 4, []string{"中文", "中文", "中"}},
		{"a中文", 2, []string{"a", "中", "文"}},
		{"tab\there", 4, []string{"tab", `\the`, "re"}},
		{"", 4, []string{""}},
		{"a  b", 1, []string{"a", "b"}},
	}
	for _, tt := range tests {
		got := wrapText(tt.in, tt.w)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrapText(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
		for _, ln := range got {
			if displayWidth(ln) > tt.w {
				t.Errorf("wrapText(%q, %d): line %q is %d wide", tt.in, tt.w, ln, displayWidth(ln))
			}
		}
	}
}

func TestFitWidths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		natural []int
		details int
		total   int
		want    []int
	}{
		{"fits", []int{1, 10, 20}, 2, 80, []int{1, 10, 20}},
		{"details gives way", []int{1, 10, 20, 100}, 3, 80, []int{1, 10, 20, 36}},
		{"details floor then cap", []int{1, 10, 60, 100}, 3, 80, []int{1, 10, 34, 22}},
		{"no details: widest capped", []int{1, 10, 60, 100}, -1, 80, []int{1, 10, 28, 28}},
		{"too narrow for anything", []int{5, 5, 5}, 2, 8, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		if got := fitWidths(tt.natural, tt.details, tt.total); !equal(got, tt.want) {
			t.Errorf("%s: fitWidths(%v, %d, %d) = %v, want %v", tt.name, tt.natural, tt.details, tt.total, got, tt.want)
		}
	}
}

// TestFitWidthsNeverWider checks the promise of issue 19 point 2 over many
// random tables: whenever the terminal has room for one column per cell,
// the bordered table is no wider than the terminal and no column is wider
// than its content.
func TestFitWidthsNeverWider(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(19, 2))
	for range 5000 {
		n := 1 + rng.IntN(7)
		natural := make([]int, n)
		for i := range natural {
			natural[i] = rng.IntN(300)
		}
		details := rng.IntN(n+1) - 1
		total := borderCost(n) + n + rng.IntN(250)
		got := fitWidths(natural, details, total)
		if w := sum(got) + borderCost(n); w > total {
			t.Fatalf("fitWidths(%v, %d, %d) = %v: %d wide", natural, details, total, got, w)
		}
		for i := range got {
			if got[i] > max(natural[i], 1) {
				t.Fatalf("fitWidths(%v, %d, %d) = %v: column %d wider than its content", natural, details, total, got, i)
			}
		}
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
