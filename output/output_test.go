package output_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/output"
)

func sampleTable() output.Table {
	t := output.Table{Headers: []string{"ACTION", "KIND", "NAME", "DETAIL"}}
	t.AddRow(output.S(output.Added, "+"), output.C("user"), output.C("alice"), output.C("new user"))
	t.AddRow(output.S(output.Changed, "~"), output.C("group"), output.C("eng"), output.C("members: +bob"))
	t.AddRow(output.S(output.Removed, "-"), output.C("user"), output.C("Ünïcödé 中文"), output.C("tab\there, newline\nthere"))
	t.AddRow(output.S(output.Warn, "!"), output.C("user"), output.C("CN=Smith\\, John,OU=Sales,DC=example,DC=com"), output.C(strings.Repeat("long ", 20)))
	return t
}

type tabular struct{ t output.Table }

func (v tabular) Table() output.Table { return v.t }

type result struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
	Note  string   `json:"note,omitempty"`
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		tty   bool
		color bool
	}{
		{name: "notty", tty: false},
		{name: "tty", tty: true},
		{name: "tty_color", tty: true, color: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := output.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetColorEnabled(tt.color)
			if err := ios.WriteTable(sampleTable()); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, out.Bytes(), "output/table_"+tt.name+".txt")
		})
	}
}

func TestWriteTableNoTTYIsCuttable(t *testing.T) {
	t.Parallel()
	ios, _, out, _ := output.Test()
	if err := ios.WriteTable(sampleTable()); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if n := strings.Count(line, "\t"); n != 3 {
			t.Errorf("line %d = %q has %d tabs, want 3", i, line, n)
		}
		if strings.Contains(line, "\x1b") {
			t.Errorf("line %d = %q has an escape sequence", i, line)
		}
	}
	if !strings.Contains(out.String(), strings.Repeat("long ", 20)) {
		t.Errorf("long cell was truncated:\n%s", out)
	}
}

func TestPrinter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		format output.Format
		tty    bool
		value  any
	}{
		{name: "json", format: output.FormatJSON, value: []result{{Name: "a&b <x>", Count: 2, Tags: []string{"x", "y"}}, {Name: "c", Tags: []string{}}}},
		{name: "plain", format: output.FormatPlain, value: tabular{sampleTable()}},
		{name: "table_notty", format: output.FormatTable, value: tabular{sampleTable()}},
		{name: "table_tty", format: output.FormatTable, tty: true, value: tabular{sampleTable()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := output.Test()
			ios.SetStdoutTTY(tt.tty)
			if err := output.NewPrinter(ios, tt.format).Print(tt.value); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, out.Bytes(), "output/printer_"+tt.name+".txt")
		})
	}
}

func TestPrinterUnsupported(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := output.Test()
	err := output.NewPrinter(ios, output.FormatTable).Print(result{})
	if err == nil {
		t.Fatal("Print(struct without Table) = nil, want an error")
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, s := range output.Formats() {
		if f, err := output.ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, nil", s, f, err, s)
		}
	}
	if _, err := output.ParseFormat("yaml"); err == nil || err.Error() != `invalid output format "yaml": want table, json or plain` {
		t.Errorf("ParseFormat(yaml) error = %v", err)
	}
}

func TestColorWanted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tty  bool
		env  map[string]string
		want bool
	}{
		{name: "tty", tty: true, want: true},
		{name: "pipe", tty: false, want: false},
		{name: "no_color", tty: true, env: map[string]string{"NO_COLOR": "1"}, want: false},
		{name: "empty no_color is unset", tty: true, env: map[string]string{"NO_COLOR": ""}, want: true},
		{name: "clicolor 0", tty: true, env: map[string]string{"CLICOLOR": "0"}, want: false},
		{name: "clicolor 1", tty: true, env: map[string]string{"CLICOLOR": "1"}, want: true},
		{name: "force on pipe", tty: false, env: map[string]string{"CLICOLOR_FORCE": "1"}, want: true},
		{name: "force 0", tty: false, env: map[string]string{"CLICOLOR_FORCE": "0"}, want: false},
		{name: "force beats clicolor 0", tty: false, env: map[string]string{"CLICOLOR_FORCE": "1", "CLICOLOR": "0"}, want: true},
		{name: "no_color beats force", tty: true, env: map[string]string{"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			if got := output.ColorWanted(tt.tty, lookup); got != tt.want {
				t.Errorf("ColorWanted(%v, %v) = %v, want %v", tt.tty, tt.env, got, tt.want)
			}
		})
	}
}

func TestStyle(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := output.Test()
	if got := ios.Style(output.Fail, "x"); got != "x" {
		t.Errorf("Style(Fail) with colour off = %q, want %q", got, "x")
	}
	ios.SetColorEnabled(true)
	if got := ios.Style(output.Fail, "x"); got != "\x1b[31mx\x1b[0m" {
		t.Errorf("Style(Fail) with colour on = %q, want red", got)
	}
	if got := ios.Style(output.Plain, "x"); got != "x" {
		t.Errorf("Style(Plain) = %q, want %q", got, "x")
	}
}

func TestReadSecret(t *testing.T) {
	t.Parallel()
	ios, _, _, errOut := output.Test()
	if _, err := ios.ReadSecret("Password: "); !errors.Is(err, output.ErrNoTerminal) {
		t.Errorf("ReadSecret without a TTY: err = %v, want ErrNoTerminal", err)
	}
	ios.SetStdinTTY(true)
	ios.SetStderrTTY(true)
	ios.SetSecretReader(func() (string, error) { return "hunter2\r\n", nil })
	got, err := ios.ReadSecret("Password: ")
	if err != nil || got != "hunter2" {
		t.Errorf("ReadSecret = %q, %v; want hunter2, nil", got, err)
	}
	if errOut.String() != "Password: \n" {
		t.Errorf("prompt on stderr = %q", errOut)
	}
}

func TestWriteJSONNoHTMLEscape(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := output.WriteJSON(&b, result{Name: "CN=A&B"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"CN=A&B"`) {
		t.Errorf("WriteJSON = %s, want & unescaped", b.String())
	}
}
