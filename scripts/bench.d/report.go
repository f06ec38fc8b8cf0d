package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// row is one line of the table: a measurement's runs, its baseline's runs
// (measured in the same process, interleaved when possible) and the target.
type row struct {
	Name string    `json:"name"`
	What string    `json:"what"`
	Unit string    `json:"unit"`
	Runs []float64 `json:"runs"`
	// Baseline names what the value is compared with; BaselineRuns are its
	// runs in this same session (empty for a fixed reference).
	Baseline      string    `json:"baseline,omitempty"`
	BaselineRuns  []float64 `json:"baseline_runs,omitempty"`
	BaselineValue float64   `json:"baseline_value,omitempty"`
	// Target is printed as is; judge compares Target's value (TargetMax or
	// TargetMin) with the median, or with the ratio when OnRatio is set.
	Target    string  `json:"target"`
	TargetMax float64 `json:"-"`
	TargetMin float64 `json:"-"`
	OnRatio   bool    `json:"-"`
	// Higher is better for throughputs: the ratio is then value/baseline too,
	// but a bigger one passes.
	// Pct, when set, makes the median column this percentile of the runs.
	Pct    float64 `json:"percentile,omitempty"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Ratio  float64 `json:"ratio,omitempty"`
	Result string  `json:"result"` // pass, miss, info, error
	Note   string  `json:"note,omitempty"`
}

type report struct {
	Started time.Time `json:"started"`
	Machine string    `json:"machine"`
	Load    string    `json:"load,omitempty"`
	Command string    `json:"command"`
	Fixture string    `json:"fixture"`
	Small   bool      `json:"small"`
	// Partial: run with --only, so BENCHMARKS.md keeps the rows it did not
	// measure (see [report.updateMarkdown]).
	Partial bool  `json:"partial,omitempty"`
	Rows    []row `json:"rows"`
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile is the nearest-rank percentile p (0..100) of v.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(v))
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func (r *report) judge() {
	for i := range r.Rows {
		w := &r.Rows[i]
		if strings.HasPrefix(w.Note, "error") && len(w.Runs) == 0 {
			w.Result = "error"
			continue
		}
		if len(w.Runs) == 0 {
			w.Result = "pending"
			continue
		}
		w.Median, w.Min, w.Max = median(w.Runs), slices.Min(w.Runs), slices.Max(w.Runs)
		if w.Pct > 0 {
			w.Median = percentile(w.Runs, w.Pct)
		}
		base := w.BaselineValue
		if len(w.BaselineRuns) > 0 {
			base = median(w.BaselineRuns)
			w.BaselineValue = base
		}
		if base > 0 {
			w.Ratio = w.Median / base
		}
		v := w.Median
		if w.OnRatio {
			v = w.Ratio
		}
		switch {
		case r.Small:
			w.Result = "info" // CI size: the harness ran, times are not judged
		case w.TargetMax > 0 && v < w.TargetMax, w.TargetMin > 0 && v >= w.TargetMin:
			w.Result = "pass"
		case w.TargetMax > 0 || w.TargetMin > 0:
			w.Result = "miss"
		default:
			w.Result = "info"
		}
	}
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v == 0:
		return "0"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func (w row) cells() []string {
	base := "—"
	if w.Baseline != "" {
		base = w.Baseline
		if w.BaselineValue > 0 {
			base = fmt.Sprintf("%s: %s %s", w.Baseline, num(w.BaselineValue), w.Unit)
		}
	}
	ratio := "—"
	if len(w.Runs) == 0 {
		return []string{w.Name, w.What, "0", "—", "—", "—", base, ratio, w.Target, w.Result}
	}
	if w.Ratio > 0 {
		ratio = fmt.Sprintf("%.2f×", w.Ratio)
	}
	return []string{w.Name, w.What, fmt.Sprint(len(w.Runs)), num(w.Median) + " " + w.Unit, num(w.Min), num(w.Max),
		base, ratio, w.Target, w.Result}
}

var header = []string{"measurement", "what", "runs", "median", "min", "max", "baseline (same run)", "ratio", "target", "result"}

func (r *report) text() string {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, w := range r.Rows {
		fmt.Fprintln(tw, strings.Join(w.cells(), "\t"))
	}
	tw.Flush()
	for _, w := range r.Rows {
		if w.Note != "" {
			fmt.Fprintf(&b, "  %s: %s\n", w.Name, w.Note)
		}
	}
	return b.String()
}

func (r *report) markdownTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	for _, w := range r.Rows {
		c := w.cells()
		if c[9] == "pass" || c[9] == "miss" {
			c[9] = "**" + c[9] + "**"
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(c, " | "))
	}
	b.WriteString("\n")
	for _, w := range r.Rows {
		if w.Note != "" {
			fmt.Fprintf(&b, "- `%s`: %s\n", w.Name, w.Note)
		}
	}
	return b.String()
}

func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

const (
	markBegin = "<!-- bench:begin (written by scripts/bench; edit outside the markers) -->"
	markEnd   = "<!-- bench:end -->"
)

// updateMarkdown replaces what lies between the markers in path (creating
// the file with them when missing), so the hand-written analysis around the
// table survives a new run. A partial run (--only) replaces only the rows
// it measured and their notes, keeps the others and the header of the run
// they came from, and adds a line saying what it re-measured, when and
// under what load.
func (r *report) updateMarkdown(path string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, markBegin), strings.Index(s, markEnd)
	var block string
	if r.Partial && i >= 0 && j > i {
		block = r.mergeInto(s[i+len(markBegin) : j])
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "\n\nTaken %s on %s.\n\n", r.Started.Format("2006-01-02 15:04 MST"), r.Machine)
		if r.Load != "" {
			fmt.Fprintf(&b, "Load during the run: %s.\n\n", r.Load)
		}
		fmt.Fprintf(&b, "Fixture: %s. Reproduce with `%s`.\n\n", r.Fixture, r.Command)
		b.WriteString(r.markdownTable())
		b.WriteString("\n")
		block = b.String()
	}
	block = markBegin + block + markEnd
	if i < 0 || j < i {
		s = strings.TrimRight(s, "\n") + "\n\n" + block + "\n"
	} else {
		s = s[:i] + block + s[j+len(markEnd):]
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

// mergeInto is the marked block old with this run's rows in place of the
// rows of the same names (new ones appended) and their notes likewise.
func (r *report) mergeInto(old string) string {
	fresh := r.markdownTable()
	rowOf := func(line string) string { // a data row's measurement name
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| measurement ") {
			return ""
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		return name
	}
	noteOf := func(line string) string {
		if !strings.HasPrefix(line, "- `") {
			return ""
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "- `"), "`")
		return name
	}
	newRows, newNotes := map[string]string{}, map[string]string{}
	var names []string
	for line := range strings.SplitSeq(fresh, "\n") {
		if n := rowOf(line); n != "" {
			newRows[n] = line
			names = append(names, n)
		}
		if n := noteOf(line); n != "" {
			newNotes[n] = line
		}
	}
	var pre, rows, notes []string
	done := map[string]bool{}
	for line := range strings.SplitSeq(strings.Trim(old, "\n"), "\n") {
		switch {
		case rowOf(line) != "":
			n := rowOf(line)
			if nl, ok := newRows[n]; ok {
				line, done[n] = nl, true
			}
			rows = append(rows, line)
		case noteOf(line) != "":
			if _, ok := newRows[noteOf(line)]; !ok {
				notes = append(notes, line)
			}
		case strings.HasPrefix(line, "| measurement ") || strings.HasPrefix(line, "|---"):
		case len(rows) == 0:
			pre = append(pre, line)
		}
	}
	for _, n := range names {
		if !done[n] {
			rows = append(rows, newRows[n])
		}
		if nl, ok := newNotes[n]; ok {
			notes = append(notes, nl)
		}
	}
	for len(pre) > 0 && pre[len(pre)-1] == "" {
		pre = pre[:len(pre)-1]
	}
	load := ""
	if r.Load != "" {
		load = ", load: " + r.Load
	}
	pre = append(pre, "", fmt.Sprintf("Re-measured %s with `%s`%s: %s.", r.Started.Format("2006-01-02 15:04 MST"), r.Command, load, strings.Join(names, ", ")))
	header := fmt.Sprintf("| %s |\n|%s", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	out := "\n\n" + strings.Join(pre, "\n") + "\n\n" + header + "\n" + strings.Join(rows, "\n") + "\n\n"
	if len(notes) > 0 {
		out += strings.Join(notes, "\n") + "\n"
	}
	return out + "\n"
}

// machine describes the host: CPU model and count, memory, kernel, Samba.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GB RAM", float64(kb)/1024/1024)
		}
	}
	kernel := ""
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		kernel = ", " + strings.TrimSpace(string(out))
	}
	samba := ""
	if out, err := exec.Command("samba", "--version").Output(); err == nil {
		samba = ", Samba " + strings.TrimPrefix(strings.TrimSpace(string(out)), "Version ")
	}
	return fmt.Sprintf("%s × %d%s%s%s, %s", cpu, runtime.NumCPU(), mem, kernel, samba, runtime.Version())
}
