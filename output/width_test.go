package output_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/output"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// planTable is shaped like the plan issue 19 found 177 columns wide at an
// 80-column terminal: long reasons, long field lists, a CJK name, a DN.
func planTable() output.Table {
	t := output.Table{Headers: []string{"", "KIND", "OBJECT", "REASON", "FIELDS"}}
	add := func(action string, st output.Style, kind, key, reason, fields string) {
		t.AddRow(output.S(st, action), output.C(kind), output.C(key), output.C(reason), output.C(fields))
	}
	add("+", output.Added, "user", "alice", "in scope in AD",
		"anchor=00000000-0000-0000-0000-000000000001, email=alice@example.com, firstname=Alice, lastname=Archer, username=alice")
	add("+", output.Added, "user", "wang.fang", "in scope in AD",
		"anchor=00000000-0000-0000-0000-000000000002, email=wang.fang@example.com, firstname=芳, lastname=王, displayname=王芳（销售部）")
	add("~", output.Changed, "user", "bob", "disabled in AD", "suspended: false → true")
	add("-", output.Removed, "user", "carol", "no longer in scope in AD (not in the JumpCloud group, or deleted)", "")
	add("~", output.Changed, "user", "david", "renamed in AD", "username: dave → david")
	add("+", output.Added, "group", "Engineering Platform Team", "in scope in AD",
		"anchor=00000000-0000-0000-0000-000000000101, name=Engineering Platform Team, description=CN=Engineering Platform Team\\, Berlin,OU=Groups,DC=example,DC=com")
	add("+", output.Added, "membership", "Engineering Platform Team/alice", "member of Engineering Platform Team in AD", "")
	t.SetDetails(4)
	return t
}

// assertFits fails when a line of out is wider than width columns.
func assertFits(t *testing.T, out string, width int) {
	t.Helper()
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if w := twwidth.Width(line); w > width {
			t.Errorf("line %d is %d columns wide, terminal has %d:\n%s", i+1, w, width, line)
		}
	}
}

// TestTableWidth is issue 19 point 2: on a terminal no row is wider than the
// terminal, the details column gives way first, and --detailed (SetDetailed)
// wraps instead of shortening so every value is shown in full.
func TestTableWidth(t *testing.T) {
	t.Parallel()
	for _, width := range []int{80, 200} {
		for _, detailed := range []bool{false, true} {
			name := fmt.Sprintf("table_width%d", width)
			if detailed {
				name += "_detailed"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				ios, _, out, _ := output.Test()
				ios.SetStdoutTTY(true)
				ios.SetWidth(width)
				ios.SetDetailed(detailed)
				if err := ios.WriteTable(planTable()); err != nil {
					t.Fatal(err)
				}
				assertFits(t, out.String(), width)
				if detailed {
					// The FIELDS column, read down its wrapped lines, holds every value whole.
					var fields strings.Builder
					for _, line := range strings.Split(out.String(), "\n") {
						if cols := strings.Split(line, "│"); len(cols) == 7 {
							fields.WriteString(strings.ReplaceAll(cols[5], " ", ""))
						}
					}
					if fields.Len() == 0 {
						t.Fatal("no FIELDS column in the output")
					}
					for _, row := range planTable().Rows {
						if want := strings.ReplaceAll(row[4].Text, " ", ""); !strings.Contains(fields.String(), want) {
							t.Errorf("detailed output lost %q", want)
						}
					}
					if strings.Contains(out.String(), "…") {
						t.Errorf("detailed output shortened a value:\n%s", out)
					}
				}
				golden.Assert(t, out.Bytes(), "output/"+name+".txt")
			})
		}
	}
}

// TestTableWidthNoTTY: a pipe gets every value whole, whatever the width.
func TestTableWidthNoTTY(t *testing.T) {
	t.Parallel()
	ios, _, out, _ := output.Test()
	ios.SetWidth(40)
	if err := ios.WriteTable(planTable()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "…") || !strings.Contains(out.String(), "displayname=王芳（销售部）") {
		t.Errorf("piped table was shortened:\n%s", out)
	}
	if strings.HasPrefix(out.String(), "\t") {
		t.Errorf("piped header starts with a tab: %q", strings.SplitN(out.String(), "\n", 2)[0])
	}
	golden.Assert(t, out.Bytes(), "output/table_width_notty.txt")
}

// TestTableWidthSweep checks every width from a cramped 30 to 220 columns.
func TestTableWidthSweep(t *testing.T) {
	t.Parallel()
	for width := 30; width <= 220; width++ {
		for _, detailed := range []bool{false, true} {
			ios, _, out, _ := output.Test()
			ios.SetStdoutTTY(true)
			ios.SetWidth(width)
			ios.SetDetailed(detailed)
			if err := ios.WriteTable(planTable()); err != nil {
				t.Fatal(err)
			}
			assertFits(t, out.String(), width)
		}
	}
}

func planGroupTitle(g output.Group) string {
	return output.TotalLine(g.Key+"s",
		output.Count{N: output.CountRows(g.Rows, 0, "+"), What: "to create"},
		output.Count{N: output.CountRows(g.Rows, 0, "~"), What: "to update"},
		output.Count{N: output.CountRows(g.Rows, 0, "-"), What: "to delete"})
}

func TestWriteGroups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		tty   bool
		width int
	}{
		{name: "notty", width: 80},
		{name: "tty_width80", tty: true, width: 80},
		{name: "tty_width200", tty: true, width: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := output.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetWidth(tt.width)
			if err := ios.WriteGroups(planTable(), 1, planGroupTitle); err != nil {
				t.Fatal(err)
			}
			if tt.tty {
				assertFits(t, out.String(), tt.width)
				for _, want := range []string{"users: 2 to create, 2 to update, 1 to delete", "groups: 1 to create", "memberships: 1 to create"} {
					if tt.width == 200 && !strings.Contains(out.String(), want+"\n") {
						t.Errorf("no total line %q:\n%s", want, out)
					}
				}
			} else {
				plain, _, want, _ := output.Test()
				if err := plain.WriteTable(planTable()); err != nil {
					t.Fatal(err)
				}
				if out.String() != want.String() {
					t.Errorf("piped groups differ from the piped table:\n%s\nwant:\n%s", out, want)
				}
			}
			golden.Assert(t, out.Bytes(), "output/groups_"+tt.name+".txt")
		})
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	tbl := output.Table{}
	tbl.AddStrings("+", "user", "a")
	tbl.AddStrings("~", "group", "g")
	tbl.AddStrings("-", "user", "b")
	got := tbl.Groups(1)
	if len(got) != 2 || got[0].Key != "user" || len(got[0].Rows) != 2 || got[1].Key != "group" || len(got[1].Rows) != 1 {
		t.Fatalf("Groups(1) = %+v, want user (2 rows) then group (1 row)", got)
	}
	if got[0].Rows[1][2].Text != "b" {
		t.Errorf("Groups(1) reordered rows: %+v", got[0].Rows)
	}
	if n := output.CountRows(tbl.Rows, 0, "+"); n != 1 {
		t.Errorf("CountRows(+) = %d, want 1", n)
	}
}

func TestPlural(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int
		want string
	}{{0, "0 changes"}, {1, "1 change"}, {2, "2 changes"}, {3236, "3236 changes"}, {-1, "-1 change"}}
	for _, tt := range tests {
		if got := output.Plural(tt.n, "change", "changes"); got != tt.want {
			t.Errorf("Plural(%d, change, changes) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := output.Plural(1, "managed user", "managed users"); got != "1 managed user" {
		t.Errorf("Plural(1, managed user…) = %q", got)
	}
}

func TestTotalLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		counts []output.Count
		want   string
	}{
		{[]output.Count{{3, "to create"}, {1, "to update"}}, "users: 3 to create, 1 to update"},
		{[]output.Count{{0, "to create"}, {2, "to delete"}}, "users: 2 to delete"},
		{[]output.Count{{0, "to create"}}, "users: none"},
	}
	for _, tt := range tests {
		if got := output.TotalLine("users", tt.counts...); got != tt.want {
			t.Errorf("TotalLine(users, %v) = %q, want %q", tt.counts, got, tt.want)
		}
	}
}

// TestWriteJSONEscapesFormatCharacters: JSON on a terminal carries no raw
// bidi control, and decodes to exactly the value that went in.
func TestWriteJSONEscapesFormatCharacters(t *testing.T) {
	t.Parallel()
	in := result{Name: "a\u202eb\u2066c\x7fd\u0085e\U000e0041f 中文 \x1b", Tags: []string{"\u200b"}}
	var b strings.Builder
	if err := output.WriteJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\u202e", "\u2066", "\x7f", "\u0085", "\U000e0041", "\u200b", "\x1b"} {
		if strings.Contains(b.String(), bad) {
			t.Errorf("WriteJSON left %q raw: %s", bad, b.String())
		}
	}
	if !strings.Contains(b.String(), `\u202e`) || !strings.Contains(b.String(), `\udb40\udc41`) || !strings.Contains(b.String(), "中文") {
		t.Errorf("WriteJSON = %s", b.String())
	}
	var out result
	if err := json.Unmarshal([]byte(b.String()), &out); err != nil {
		t.Fatal(err)
	}
	if out.Name != in.Name || len(out.Tags) != 1 || out.Tags[0] != in.Tags[0] {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
}
