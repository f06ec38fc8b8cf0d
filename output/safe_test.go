package output_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/output"
)

// The values issue 14 (point 5) found printed raw: an OSC that retitles the
// window, a cursor-up and erase-line that hide the previous row of a plan,
// and a right-to-left override that reorders what follows it.
const (
	oscTitle    = "\x1b]0;pwned\a"
	eraseUp     = "\x1b[1A\x1b[2K"
	rtlOverride = "\u202e"
)

func TestSafe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain ascii", "alice", "alice"},
		{"other scripts pass", "Ünïcödé 中文 Ελληνικά", "Ünïcödé 中文 Ελληνικά"},
		{"combining mark passes", "e\u0301", "e\u0301"},
		{"dn backslash untouched", `CN=Smith\, John`, `CN=Smith\, John`},
		{"osc title", "a" + oscTitle + "b", `a\x1b]0;pwned\ab`},
		{"cursor up erase line", eraseUp + "bob", `\x1b[1A\x1b[2Kbob`},
		{"rtl override", "evil" + rtlOverride + "fdp.exe", `evil\u202efdp.exe`},
		{"bidi embeddings and overrides", "\u202a\u202b\u202c\u202d\u202e", `\u202a\u202b\u202c\u202d\u202e`},
		{"bidi isolates", "\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"marks lrm rlm alm", "\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"zero width and joiner", "a\u200bb\u200dc\ufeff", `a\u200bb\u200dc\ufeff`},
		{"soft hyphen", "a\u00adb", `a\u00adb`},
		{"nul del bell backspace", "\x00\x7f\a\b", `\x00\x7f\a\b`},
		{"tab newline cr", "a\tb\nc\rd", `a\tb\nc\rd`},
		{"c1 csi", "\u009b31m", `\u009b31m`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"no-break space", "a\u00a0b", `a\u00a0b`},
		{"tag character", "a\U000e0041", `a\U000e0041`},
		{"private use", "\ue000", `\ue000`},
		{"invalid utf-8", "a\xffb\xc3", `a\xffb\xc3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := output.Safe(tt.in)
			if got != tt.want {
				t.Errorf("Safe(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := output.Safe(got); again != got {
				t.Errorf("Safe(Safe(%q)) = %q, want it unchanged", tt.in, again)
			}
			assertTerminalSafe(t, got, "")
		})
	}
}

func TestSafeLines(t *testing.T) {
	t.Parallel()
	in := "line one\x1b[2K\nline\ttwo\r\n"
	want := `line one\x1b[2K` + "\n" + `line\ttwo\r` + "\n"
	if got := output.SafeLines(in); got != want {
		t.Errorf("SafeLines(%q) = %q, want %q", in, got, want)
	}
}

// assertTerminalSafe fails when s holds a byte a terminal would act on:
// a C0 or C1 control, DEL, a bidi control, invalid UTF-8. keep lists the
// controls the format itself uses ("\n", "\n\t").
func assertTerminalSafe(t *testing.T, s, keep string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("output is not valid UTF-8: %q", s)
	}
	for i, r := range s {
		if strings.ContainsRune(keep, r) {
			continue
		}
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f {
			t.Errorf("output holds %U at byte %d: %q", r, i, s)
			return
		}
	}
}

// hostileTable is a plan-shaped table whose values carry the escapes of
// issue 14 point 5 in every column a directory can fill.
func hostileTable() output.Table {
	t := output.Table{Headers: []string{"", "KIND", "OBJECT", "FIELDS"}}
	t.AddRow(output.S(output.Added, "+"), output.C("user"), output.C("mallory"+oscTitle),
		output.C("firstname="+eraseUp+"Mallory, lastname=Evil"+rtlOverride+"gpj.exe"))
	t.AddRow(output.S(output.Changed, "~"), output.C("user"), output.C("bob"),
		output.C("description: \"tab\there\" → \"new\nline\x00\""))
	t.AddRow(output.S(output.Removed, "-"), output.C("group"), output.C("\u2066isolated\u2069"),
		output.C("bad utf-8 \xff\xfe"))
	t.SetDetails(3)
	return t
}

type hostilePlain struct{}

// WritePlain writes one line per write, splitting a rune across two writes
// on purpose.
func (hostilePlain) WritePlain(w io.Writer) error {
	if _, err := io.WriteString(w, "title "+oscTitle+"\n"); err != nil {
		return err
	}
	b := []byte("rtl " + rtlOverride + " " + eraseUp + "\n")
	if _, err := w.Write(b[:5]); err != nil { // "rtl " and the first byte of U+202E
		return err
	}
	_, err := w.Write(b[5:])
	return err
}

// TestEscapesInEveryRenderer is the golden proof for issue 14 point 5: the
// same hostile values through each renderer, TTY and not, colour on and off.
func TestEscapesInEveryRenderer(t *testing.T) {
	t.Parallel()
	grouped := func(s *output.Streams) error {
		return s.WriteGroups(hostileTable(), 1, func(g output.Group) string {
			return output.TotalLine(g.Key+"s"+rtlOverride,
				output.Count{N: output.CountRows(g.Rows, 0, "+"), What: "to create"},
				output.Count{N: output.CountRows(g.Rows, 0, "~"), What: "to update"},
				output.Count{N: output.CountRows(g.Rows, 0, "-"), What: "to delete"})
		})
	}
	tests := []struct {
		name  string
		tty   bool
		color bool
		keep  string // the controls the format itself writes
		write func(*output.Streams) error
	}{
		{name: "table_notty", keep: "\n\t", write: func(s *output.Streams) error { return s.WriteTable(hostileTable()) }},
		{name: "table_tty", tty: true, keep: "\n", write: func(s *output.Streams) error { return s.WriteTable(hostileTable()) }},
		{name: "table_tty_color", tty: true, color: true, keep: "\n\x1b", write: func(s *output.Streams) error { return s.WriteTable(hostileTable()) }},
		{name: "groups_notty", keep: "\n\t", write: grouped},
		{name: "groups_tty", tty: true, keep: "\n", write: grouped},
		{name: "plain", keep: "\n\t", write: func(s *output.Streams) error {
			return output.NewPrinter(s, output.FormatPlain).Print(tabular{hostileTable()})
		}},
		{name: "plain_writer", keep: "\n", write: func(s *output.Streams) error {
			return output.NewPrinter(s, output.FormatPlain).Print(hostilePlain{})
		}},
		{name: "line_tty", tty: true, keep: "\n", write: func(s *output.Streams) error {
			return s.WriteLine(output.Header, "Plan for "+oscTitle+eraseUp+rtlOverride)
		}},
		{name: "json", keep: "\n", write: func(s *output.Streams) error {
			return output.NewPrinter(s, output.FormatJSON).Print(result{Name: oscTitle + eraseUp + rtlOverride})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := output.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetColorEnabled(tt.color)
			if err := tt.write(ios); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if tt.color {
				// The only ESC allowed is the style's own SGR.
				for _, part := range strings.Split(got, "\x1b")[1:] {
					if !strings.HasPrefix(part, "[") || !strings.ContainsAny(part[:min(len(part), 4)], "m") {
						t.Errorf("an escape that is not a colour: %q", "\x1b"+part[:min(len(part), 8)])
					}
				}
			}
			assertTerminalSafe(t, got, tt.keep)
			for _, bad := range []string{"\x1b]", "\x1b[1A", "\x1b[2K", rtlOverride, "\a"} {
				if bytes.Contains(out.Bytes(), []byte(bad)) {
					t.Errorf("output holds %q raw", bad)
				}
			}
			golden.Assert(t, out.Bytes(), "output/escape_"+tt.name+".txt")
		})
	}
}

func TestStderrLinesEscape(t *testing.T) {
	t.Parallel()
	ios, _, _, errOut := output.Test()
	if err := ios.WriteErrLine("Saved the plan to /tmp/" + eraseUp + "p.json"); err != nil {
		t.Fatal(err)
	}
	ios.SetStdinTTY(true)
	ios.SetStderrTTY(true)
	ios.SetSecretReader(func() (string, error) { return "x", nil })
	if _, err := ios.ReadSecret("Password for " + oscTitle + ": "); err != nil {
		t.Fatal(err)
	}
	want := `Saved the plan to /tmp/\x1b[1A\x1b[2Kp.json` + "\n" + `Password for \x1b]0;pwned\a: ` + "\n"
	if errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut.String(), want)
	}
}
