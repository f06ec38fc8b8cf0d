package commands

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
)

// Environment of [BenchmarkScheduleDeltaTicks], set by scripts/bench.
const (
	envBenchConfig = "ADJC_BENCH_SCHEDULE_CONFIG" // adjc config of a domain already imported
	envBenchBulk   = "ADJC_BENCH_BULK_CHANGES"    // users changed in the one big tick (default 1000)
	// envBenchProfile, when set, is a file prefix: the no-op tick with a
	// DirSync search and the one-user tick are CPU-profiled to
	// <prefix>-noopsearch.prof and <prefix>-one.prof.
	envBenchProfile = "ADJC_BENCH_TICK_CPUPROFILE"
)

// profiled runs tick under the CPU profiler when envBenchProfile is set.
func profiled(b *testing.B, name string, tick func() (schedule.Record, time.Duration)) (schedule.Record, time.Duration) {
	prefix := os.Getenv(envBenchProfile)
	if prefix == "" {
		return tick()
	}
	f, err := os.Create(prefix + "-" + name + ".prof")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	runtime.SetCPUProfileRate(1000) // a tick is tens of milliseconds
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	defer pprof.StopCPUProfile()
	return tick()
}

// BenchmarkScheduleDeltaTicks measures what scheduled ticks cost, in real
// time and JumpCloud calls, on an org that matches its domain (scripts/bench
// runs it on the 10,000-user fixture): `adjc schedule --import` with delta
// ticks runs on a fake clock, each tick driven by the benchmark, and every
// figure is from the same process:
//
//   - full: a full reconcile asked for with full-now, nothing changed (the
//     baseline: what every tick cost before delta ticks);
//   - noopsearch, noop: delta ticks where nothing changed, the first with a
//     DirSync search, the second skipping it (the DC's USN stood still);
//   - one: a delta tick after one user's givenName changed in AD;
//   - bulk: a tick after ADJC_BENCH_BULK_CHANGES users' givenName changed
//     (bulk-full is 1 when it ran full because that was cheaper), then
//     bulk-other: the same users changed again, run the other way (a full
//     run asked for, or targeted reads however many users changed), and
//     bulk-cheaper is 1 when the way the tick chose cost no more calls
//     and no more time than the other;
//   - interval: the full run the full interval (1 min here) brings.
//
// The changed names are put back in AD before the interval run. Run it
// through scripts/bench (which sets ADJC_BENCH_SCHEDULE_CONFIG and the lab's
// variables), or by hand against an imported lab:
//
//	ADJC_BENCH_SCHEDULE_CONFIG=adjc.yaml go test ./commands -run '^$' -bench ScheduleDeltaTicks -benchtime 1x
//
// ADJC_BENCH_TICK_CPUPROFILE=/tmp/tick (passed through scripts/bench too)
// CPU-profiles the no-op tick with a search and the one-user tick.
func BenchmarkScheduleDeltaTicks(b *testing.B) {
	cfgFile := os.Getenv(envBenchConfig)
	if cfgFile == "" {
		b.Fatalf("%s is not set: it names the config of a domain already imported into its JumpCloud org (scripts/bench sets it)", envBenchConfig)
	}
	bulk := 1000
	if v := os.Getenv(envBenchBulk); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive number of users", envBenchBulk, v)
		}
		bulk = n
	}
	l := ldaptest.Get(b)
	cfg := loadBenchConfig(b, cfgFile)
	d := &cfg.Domains[0]
	ctx := context.Background()
	admin, err := ldapx.Dial(ctx, ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	dir, err := adapter.ReadDirectory(ctx, admin, adapter.ReadOptions{RootContainer: d.RootContainer,
		JumpCloudGroup: d.JumpCloudGroup, AdminsGroup: d.AdminsGroup, UsernameAttribute: d.UsernameAttribute})
	if err != nil {
		b.Fatal(err)
	}
	var users []reconcile.ADUser // in scope, plain: a givenName change is one update
	for _, u := range dir.Users {
		if !u.Disabled && !u.Privileged && u.Username != "" && u.Mail != "" {
			users = append(users, u)
		}
	}
	if len(users) < bulk+1 {
		b.Fatalf("only %d plain users in scope: cannot change %d and one more", len(users), bulk)
	}
	changed := map[string]string{} // DN → givenName to put back
	rename := func(us []reconcile.ADUser, tag string) {
		for i, u := range us {
			if _, ok := changed[u.DN]; !ok {
				changed[u.DN] = u.GivenName
			}
			if err := admin.Modify(ctx, u.DN, map[string][]string{"givenName": {fmt.Sprintf("%s%d-%d", tag, i, time.Now().UnixNano()%1e6)}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	restore := func() {
		for dn, given := range changed {
			if err := admin.Modify(ctx, dn, map[string][]string{"givenName": {given}}); err != nil {
				b.Errorf("put back givenName of %s: %v", dn, err)
			}
		}
		clear(changed)
	}
	defer restore()

	report := func(name string, rec schedule.Record, took time.Duration) { reportTick(b, name, rec, took) }
	for b.Loop() {
		r := startTickRig(b, cfgFile, "--import", "--full-interval", "1m")
		r.requestFull()
		rec, took := r.tick()
		if rec.Summary.Kind() != "full" {
			b.Fatalf("full-now tick ran %s", rec.Summary.Kind())
		}
		report("full", rec, took)

		// The first poll searches DirSync (finding nothing adjc reads);
		// the next finds the DC's highestCommittedUSN where it was and
		// skips the search.
		rec, took = profiled(b, "noopsearch", r.tick)
		if rec.Summary.Kind() != "delta" {
			b.Fatalf("no-op tick ran %s: %s", rec.Summary.Kind(), rec.Summary.FullReason)
		}
		report("noopsearch", rec, took)
		rec, took = r.tick()
		if rec.Summary.Kind() != "delta" {
			b.Fatalf("no-op tick ran %s: %s", rec.Summary.Kind(), rec.Summary.FullReason)
		}
		report("noop", rec, took)

		rename(users[:1], "One")
		rec, took = profiled(b, "one", r.tick)
		if rec.Summary.Kind() != "delta" || rec.Summary.Applied != 1 {
			b.Fatalf("one-user tick ran %s, applied %d: %s", rec.Summary.Kind(), rec.Summary.Applied, rec.Summary.FullReason)
		}
		report("one", rec, took)

		// The bulk change, the way the tick chose; then the same change
		// again (other names, the same users) the other way: a full run
		// asked for, or targeted reads however many users changed.
		rename(users[1:bulk+1], "Bulk")
		rec, took = r.tick()
		report("bulk", rec, took)
		chose := rec.Summary.Kind()
		full := 0.0
		if chose == "full" {
			full = 1
			r.forceTargeted.Store(true)
		} else {
			r.requestFull()
		}
		b.ReportMetric(full, "bulk-full")
		rename(users[1:bulk+1], "Other")
		alt, altTook := r.tick()
		r.forceTargeted.Store(false)
		if alt.Summary.Kind() == chose || alt.Summary.Applied != rec.Summary.Applied {
			b.Logf("bulk change the other way ran %s (applied %d), after %s (applied %d): %s",
				alt.Summary.Kind(), alt.Summary.Applied, chose, rec.Summary.Applied, alt.Summary.FullReason)
		}
		report("bulk-other", alt, altTook)
		cheaper := 0.0
		if rec.Summary.Calls <= alt.Summary.Calls && took <= altTook {
			cheaper = 1
		}
		b.ReportMetric(cheaper, "bulk-cheaper")

		// Put the names back (a tick applies them), then tick until the
		// full interval brings its full run.
		restore()
		r.tick()
		for range 20 {
			rec, took = r.tick()
			if strings.Contains(rec.Summary.FullReason, "full interval") {
				break
			}
		}
		if !strings.Contains(rec.Summary.FullReason, "full interval") {
			b.Fatalf("no full run within 20 ticks of a 1 min full interval (last: %s %s)", rec.Summary.Kind(), rec.Summary.FullReason)
		}
		report("interval", rec, took)
		r.stop()
	}
}

// loadBenchConfig loads the adjc config at path as adjc does when
// ADJC_CONFIG names it, and nothing else from the environment.
func loadBenchConfig(b *testing.B, path string) *config.Config {
	b.Helper()
	cfg, err := config.Load(config.LoadOptions{LookupEnv: func(k string) (string, bool) {
		if k == config.EnvConfig {
			return path, true
		}
		return "", false
	}})
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// reportTick reports a benchmarked tick's time, JumpCloud calls and applied
// changes as metrics named name-s, name-calls and name-applied, which
// scripts/bench reads; a failed tick ends the benchmark.
func reportTick(b *testing.B, name string, rec schedule.Record, took time.Duration) {
	b.Helper()
	if rec.Err != nil {
		b.Fatalf("%s tick: %v", name, rec.Err)
	}
	b.ReportMetric(took.Seconds(), name+"-s")
	b.ReportMetric(float64(rec.Summary.Calls), name+"-calls")
	b.ReportMetric(float64(rec.Summary.Applied), name+"-applied")
	b.Logf("%s: %v, %d JumpCloud calls, kind %s, applied %d %s", name, took.Round(time.Millisecond), rec.Summary.Calls, rec.Summary.Kind(), rec.Summary.Applied, rec.Summary.FullReason)
}
