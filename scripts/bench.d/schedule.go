package main

import (
	"context"
	"fmt"
	"strings"
)

// measureSchedule runs commands' BenchmarkScheduleDeltaTicks (a compiled
// test binary, in its own process per run) against the imported fixture:
// `adjc schedule --import` with delta ticks on a fake clock, each tick
// driven by the benchmark. Every figure of a run, the full-run baseline
// included, comes from the same process and org; each run gets a fresh
// emulator from the cached org.
func measureSchedule(ctx context.Context, o options, l *lab, logf logFunc) ([]row, error) {
	bulk := max(100, o.users/10) // 1,000 on the 10,000-user fixture, 100 (a fifth) in --small
	scope := fmt.Sprintf("%d users / %d groups", o.users, o.groups)
	full, fullCalls := "full scheduled run (full-now), nothing changed", "its JumpCloud calls"
	syncFull, syncFullCalls := "full sync run (full-now), nothing changed", "its JumpCloud calls"
	rows := []row{
		{Name: "tick-noop", Unit: "s", Target: "≤ 0.05 s", TargetMax: 0.05 + 1e-9, Baseline: full,
			What: "adjc schedule --import, delta tick, nothing written in AD since the last (highestCommittedUSN read, no DirSync search), " + scope},
		{Name: "tick-noop-calls", Unit: "calls", Target: "0 calls", TargetMax: 0.5, Baseline: fullCalls,
			What: "JumpCloud API calls of that tick (ad-authority)"},
		{Name: "tick-one", Unit: "s", Target: "≤ 0.1 s", TargetMax: 0.1 + 1e-9, Baseline: full,
			What: "delta tick after one user's givenName changed in AD (read, plan, apply)"},
		{Name: "tick-one-calls", Unit: "calls", Target: "≤ 3 calls", TargetMax: 3.5, Baseline: fullCalls,
			What: "JumpCloud API calls of that tick"},
		{Name: "tick-bulk", Unit: "s", Baseline: "the same change the other way", Target: "≤ 1× the other way", TargetMax: 1 + 1e-9, OnRatio: true,
			What: fmt.Sprintf("tick after %d users' givenName changed in AD, the way the tick chose (targeted reads, or a full run when its estimate says that costs fewer calls)", bulk)},
		{Name: "tick-bulk-calls", Unit: "calls", Baseline: "the same change the other way", Target: "≤ 1× the other way", TargetMax: 1 + 1e-9, OnRatio: true,
			What: "JumpCloud API calls of that tick (reads and the updates applied)"},
		{Name: "tick-full-interval", Unit: "s", Baseline: full,
			What: "the full run the full interval brings (--full-interval), nothing changed"},
		{Name: "tick-full-interval-calls", Unit: "calls", Baseline: fullCalls,
			What: "JumpCloud API calls of that run"},
		{Name: "tick-noop-dirsync", Unit: "s", Baseline: full,
			What: "delta tick, nothing adjc reads changed, with a DirSync search (the domain was written to)"},
		{Name: "calls-per-hour", Unit: "calls", Baseline: "every 90 s tick full",
			What: "JumpCloud calls per idle hour at 90 s ticks, --full-interval 1h: one full run and 39 no-op delta ticks"},
		{Name: "tick-sync-noop", Unit: "s", Target: "≤ 0.05 s", TargetMax: 0.05 + 1e-9, Baseline: syncFull,
			What: "adjc schedule --sync (two-way), delta tick from Directory Insights events, nothing changed, " + scope},
		{Name: "tick-sync-noop-calls", Unit: "calls", Target: "≤ 2 calls", TargetMax: 2.5, Baseline: syncFullCalls,
			What: "JumpCloud API calls of that tick"},
		{Name: "tick-sync-one", Unit: "s", Baseline: syncFull,
			What: "sync delta tick after one bound JumpCloud user's lastname changed through the API: event read, user re-read on both sides, written to AD"},
		{Name: "tick-sync-one-calls", Unit: "calls", Baseline: syncFullCalls,
			What: "JumpCloud API calls of that tick"},
	}
	if o.commandsTest == "" {
		rows[0].Note = "not run: no -commands-test binary"
		return rows[:1], nil
	}
	if _, err := ensureImported(ctx, o, l, logf); err != nil {
		return nil, err
	}
	ranFull, cheaper := 0, 0
	for i := range o.runs {
		e, err := startEmulator(o, l, o.jcCache)
		if err != nil {
			return nil, err
		}
		cfg, err := writeConfig(o, l, e)
		if err != nil {
			e.close()
			return nil, err
		}
		env := []string{"ADJC_LAB_REQUIRED=1", "ADJC_BENCH_SCHEDULE_CONFIG=" + cfg, fmt.Sprintf("ADJC_BENCH_BULK_CHANGES=%d", bulk)}
		for k, v := range l.vars {
			env = append(env, k+"="+v)
		}
		// Sync first, on the org as cached: the import ticks' bulk changes
		// leave more Directory Insights events than a sync tick reads.
		ms, err := goBench(ctx, o.commandsTest, "^BenchmarkScheduleSyncDeltaTicks$", env)
		if err != nil {
			// The import rows stand on their own.
			logf("sync delta ticks, run %d: %v", i+1, err)
			rows[10].Note = fmt.Sprintf("error in run %d: %.300s", i+1, err)
		}
		for j, k := range []string{"syncnoop-s", "syncnoop-calls", "syncone-s", "syncone-calls"} {
			if err != nil {
				break
			}
			rows[10+j].Runs = append(rows[10+j].Runs, ms[k])
			rows[10+j].BaselineRuns = append(rows[10+j].BaselineRuns, ms["syncfull-"+k[strings.Index(k, "-")+1:]])
		}
		if err == nil {
			logf("sync run %d: full %.3f s / %.0f calls; no-op tick %.4f s / %.0f calls; one change %.3f s / %.0f calls",
				i+1, ms["syncfull-s"], ms["syncfull-calls"], ms["syncnoop-s"], ms["syncnoop-calls"], ms["syncone-s"], ms["syncone-calls"])
		}
		m, err := goBench(ctx, o.commandsTest, "^BenchmarkScheduleDeltaTicks$", env)
		e.close()
		if err != nil {
			return nil, err
		}
		for j, k := range []string{"noop-s", "noop-calls", "one-s", "one-calls", "bulk-s", "bulk-calls", "interval-s", "interval-calls"} {
			rows[j].Runs = append(rows[j].Runs, m[k])
			if strings.HasPrefix(k, "bulk-") {
				// Against the same change run the other way, in the same run.
				rows[j].BaselineRuns = append(rows[j].BaselineRuns, m["bulk-other-"+strings.TrimPrefix(k, "bulk-")])
				continue
			}
			if strings.HasSuffix(k, "-s") {
				rows[j].BaselineRuns = append(rows[j].BaselineRuns, m["full-s"])
			} else {
				rows[j].BaselineRuns = append(rows[j].BaselineRuns, m["full-calls"])
			}
		}
		rows[8].Runs = append(rows[8].Runs, m["noopsearch-s"])
		rows[8].BaselineRuns = append(rows[8].BaselineRuns, m["full-s"])
		rows[9].Runs = append(rows[9].Runs, m["interval-calls"]+39*m["noop-calls"])
		rows[9].BaselineRuns = append(rows[9].BaselineRuns, 40*m["full-calls"])
		if m["bulk-full"] == 1 {
			ranFull++
		}
		if m["bulk-cheaper"] == 1 {
			cheaper++
		}
		logf("schedule run %d: full %.3f s / %.0f calls; no-op tick %.4f s / %.0f calls (with a DirSync search %.4f s); one user %.3f s / %.0f calls; %d users %.2f s / %.0f calls (full: %v; the other way %.2f s / %.0f calls); interval full %.3f s / %.0f calls",
			i+1, m["full-s"], m["full-calls"], m["noop-s"], m["noop-calls"], m["noopsearch-s"], m["one-s"], m["one-calls"], bulk, m["bulk-s"], m["bulk-calls"], m["bulk-full"] == 1, m["bulk-other-s"], m["bulk-other-calls"], m["interval-s"], m["interval-calls"])
	}
	rows[4].Note = fmt.Sprintf("ran full in %d of %d runs, targeted in %d; the way chosen cost no more calls and time than the other in %d of %d (full_reason gives the estimate when it runs full)",
		ranFull, o.runs, o.runs-ranFull, cheaper, o.runs)
	return rows, nil
}
