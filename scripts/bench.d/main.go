// Command bench is the harness behind scripts/bench (issue 9): it runs every
// measurement of adjc at scale against the benchmark lab (a Samba AD DC in
// its own network namespace, seeded by scripts/lab.d/scale.py) and a
// JumpCloud emulator in this process, several runs each, and prints one
// table: median, min, max, the baseline measured in the same run, the ratio
// to it, the target and pass or fail. It also writes the table as JSON and,
// with -markdown, into BENCHMARKS.md between its markers.
//
// Run it through scripts/bench, which builds the binaries, restores or
// builds the cached fixture, starts the lab and runs this inside the lab's
// network namespace:
//
//	bench -lab-env .bench/lab/env -adjc .bench/bin/adjc -reconcile-test .bench/bin/reconcile.test \
//	      -jc-cache .bench/cache/KEY-jc.json -users 10000 -groups 1000 -json .bench/results.json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"
)

type options struct {
	labEnv, adjc, reconcileTest, ldapxTest string
	pwsyncTest, commandsTest               string
	pwsyncChanges                          int
	jcCache, work, jsonOut, markdown       string
	users, groups, runs, watchSamples      int
	applyUsers, applyGroups, concurrency   int
	latency                                time.Duration
	small                                  bool
	command, load                          string
	only, cpuProfile                       string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "bench: error: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.labEnv, "lab-env", "", "the benchmark lab's env `file` (written by scripts/lab up)")
	fs.StringVar(&o.adjc, "adjc", "", "adjc `binary` to measure")
	fs.StringVar(&o.reconcileTest, "reconcile-test", "", "compiled reconcile test `binary` (go test -c ./reconcile)")
	fs.StringVar(&o.pwsyncTest, "pwsync-test", "", "compiled pwsync test `binary` (go test -c ./pwsync), for BenchmarkSambaCaptureLatency; optional")
	fs.StringVar(&o.commandsTest, "commands-test", "", "compiled commands test `binary` (go test -c ./commands), for BenchmarkScheduleDeltaTicks; optional")
	fs.IntVar(&o.pwsyncChanges, "pwsync-changes", 100, "password changes timed by the password-sync measurement")
	fs.StringVar(&o.ldapxTest, "ldapx-test", "", "compiled ldapx test `binary` (go test -c ./ldapx), for BenchmarkPagedReadVsLdapsearch; optional")
	fs.StringVar(&o.jcCache, "jc-cache", "", "JumpCloud emulator state `file` holding the imported org; built by a first import when missing")
	fs.StringVar(&o.work, "work", ".bench/work", "scratch `dir`")
	fs.StringVar(&o.jsonOut, "json", "", "write the results as JSON to this `file`")
	fs.StringVar(&o.markdown, "markdown", "", "replace the table in this `file` (BENCHMARKS.md) between its bench markers")
	fs.IntVar(&o.users, "users", 10_000, "users in the fixture's scope (scale.py's N)")
	fs.IntVar(&o.groups, "groups", 1_000, "groups in the fixture's scope (scale.py's M)")
	fs.IntVar(&o.runs, "runs", 5, "runs of each measurement")
	fs.IntVar(&o.watchSamples, "watch-samples", 20, "AD changes timed in watch mode")
	fs.IntVar(&o.applyUsers, "apply-users", 200, "users in the apply measurement's plan")
	fs.IntVar(&o.applyGroups, "apply-groups", 20, "groups in the apply measurement's plan")
	fs.IntVar(&o.concurrency, "concurrency", 4, "import --concurrency for the apply measurement")
	fs.DurationVar(&o.latency, "latency", 50*time.Millisecond, "emulator latency for the apply measurement")
	fs.BoolVar(&o.small, "small", false, "CI size: fewer runs and samples; times are not judged")
	fs.StringVar(&o.command, "command", "scripts/bench", "the command line to print as the way to reproduce")
	fs.StringVar(&o.load, "load", "", "what else ran on the machine, for the report")
	fs.StringVar(&o.only, "only", "", "comma-separated measurements to run (plan,apply,read,noop,watch,tick,paged,pwsync); all when empty")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write this process's CPU profile (the in-process measurements: apply, read) to `file`")
	err := fs.Parse(args)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if o.labEnv == "" || o.adjc == "" || o.reconcileTest == "" || o.jcCache == "" {
		return errors.New("-lab-env, -adjc, -reconcile-test and -jc-cache are required (run scripts/bench)")
	}
	// adjc reads paths in its config relative to the config file.
	if o.work, err = filepath.Abs(o.work); err != nil {
		return err
	}
	if err := os.MkdirAll(o.work, 0o700); err != nil {
		return err
	}
	lab, err := readLab(o.labEnv)
	if err != nil {
		return err
	}
	want := func(name string) bool {
		return o.only == "" || strings.Contains(","+o.only+",", ","+name+",")
	}

	rep := &report{Started: time.Now().UTC(), Machine: machine(), Load: o.load, Command: o.command, Small: o.small, Partial: o.only != "",
		Fixture: fmt.Sprintf("%d users, %d groups (scripts/lab.d/scale.py)", o.users, o.groups)}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	steps := []struct {
		name string
		fn   func() ([]row, error)
	}{
		{"plan", func() ([]row, error) { return measurePlan(ctx, o, logf) }},
		{"apply", func() ([]row, error) { return measureApply(ctx, o, logf) }},
		{"read", func() ([]row, error) { return measureRead(ctx, o, lab, logf) }},
		{"noop", func() ([]row, error) { return measureNoop(ctx, o, lab, rep, logf) }},
		{"watch", func() ([]row, error) { return measureWatch(ctx, o, lab, logf) }},
		{"tick", func() ([]row, error) { return measureSchedule(ctx, o, lab, logf) }},
		{"paged", func() ([]row, error) { return measurePaged(ctx, o, lab, logf) }},
		{"pwsync", func() ([]row, error) { return measurePasswordSync(ctx, o, lab, logf) }},
	}
	var failed []string
	for _, s := range steps {
		if !want(s.name) {
			continue
		}
		start := time.Now()
		logf("%s…", s.name)
		rows, err := s.fn()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			logf("%s: error: %v", s.name, err)
			failed = append(failed, s.name)
			rows = append(rows, row{Name: s.name, Note: "error: " + err.Error()})
		}
		rep.Rows = append(rep.Rows, rows...)
		logf("%s done in %.1f s", s.name, time.Since(start).Seconds())
	}
	rep.judge()
	fmt.Fprint(stdout, rep.text())
	if o.jsonOut != "" {
		if err := rep.writeJSON(o.jsonOut); err != nil {
			return err
		}
	}
	if o.markdown != "" && !o.small {
		if err := rep.updateMarkdown(o.markdown); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("measurements failed: %s", strings.Join(failed, ", "))
	}
	return nil
}
