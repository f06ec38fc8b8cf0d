package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
)

type logFunc func(format string, a ...any)

// benchMetric reads "<value> <unit>" pairs from a go test -bench line. A
// unit may hold digits after its first letter (pwsync's "p50-s"), and a
// value an exponent ("1.5e-05").
var benchMetric = regexp.MustCompile(`(-?[0-9.]+(?:e[+-]?[0-9]+)?) ([a-zA-Z][a-zA-Z0-9/%-]*)`)

// goBench runs one benchmark of a compiled test binary once, in its own
// process, and returns its metrics by unit.
func goBench(ctx context.Context, bin, pattern string, env []string) (map[string]float64, error) {
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", "1x")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s -test.bench %s: %v\n%s", bin, pattern, err, tail(out))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		m := map[string]float64{}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) < 3 {
			continue
		}
		for _, kv := range benchMetric.FindAllStringSubmatch(fields[2], -1) {
			v, err := strconv.ParseFloat(kv[1], 64)
			if err == nil {
				m[kv[2]] = v
			}
		}
		return m, nil
	}
	return nil, fmt.Errorf("%s -test.bench %s: no result\n%s", bin, pattern, tail(out))
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// measurePlan: Diff over 100,000 users, one plan per process for its peak RSS.
func measurePlan(ctx context.Context, o options, logf logFunc) ([]row, error) {
	var rows []row
	for _, sc := range []string{"steady", "first-import"} {
		time := row{Name: "plan-100k-" + sc, Unit: "s", Target: "< 2 s", TargetMax: 2,
			What: "reconcile.Diff, 100,000 users / 1,000 groups, pure (" + map[string]string{
				"steady": "scheduled run: 2 % changed", "first-import": "first import: every change"}[sc] + ")"}
		rss := row{Name: "plan-100k-" + sc + "-rss", Unit: "MB", Target: "< 300 MB", TargetMax: 300,
			What: "peak RSS of the planning process, both states included"}
		for i := range o.runs {
			m, err := goBench(ctx, o.reconcileTest, "^BenchmarkPlan100k$/^"+sc+"$", nil)
			if err != nil {
				return rows, err
			}
			time.Runs = append(time.Runs, m["ns/op"]/1e9)
			rss.Runs = append(rss.Runs, m["peak-rss-MB"])
			logf("plan %s run %d: %.3f s, %.0f MB, %.0f changes", sc, i+1, m["ns/op"]/1e9, m["peak-rss-MB"], m["changes"])
		}
		rows = append(rows, time, rss)
	}
	return rows, nil
}

// applyDirectory is a first import of users users in groups groups (each
// user in two), for the apply measurement.
func applyDirectory(users, groups int) reconcile.Directory {
	var d reconcile.Directory
	for i := range users {
		name := fmt.Sprintf("apply%05d", i)
		d.Users = append(d.Users, reconcile.ADUser{
			GUID: fmt.Sprintf("a0000000-0000-4000-8000-%012d", i), DN: "CN=" + name + ",OU=Apply,DC=adjc,DC=lab",
			Username: name, GivenName: "Apply", Surname: fmt.Sprint(i), Mail: name + "@adjc.lab", UPN: name + "@adjc.lab",
		})
	}
	for k := range groups {
		d.Groups = append(d.Groups, reconcile.ADGroup{GUID: fmt.Sprintf("a0000000-0000-4000-9000-%012d", k),
			DN: fmt.Sprintf("CN=Apply G%03d,OU=Apply,DC=adjc,DC=lab", k), Name: fmt.Sprintf("Apply G%03d", k)})
	}
	for i, u := range d.Users {
		for _, k := range []int{i % groups, (i/groups + i) % groups} {
			d.Groups[k].Members = append(d.Groups[k].Members, u.GUID)
		}
	}
	return d
}

// measureApply applies a first import through jcapi into an emulator that
// answers every call after o.latency: at o.concurrency calls in flight the
// bound is concurrency/latency calls per second. A second series adds 10 %
// 429 answers, which must all be retried into success.
func measureApply(ctx context.Context, o options, logf logFunc) ([]row, error) {
	bound := float64(o.concurrency) / o.latency.Seconds()
	tput := row{Name: "apply-throughput", Unit: "calls/s", Target: "≥ 0.8× bound", TargetMin: 0.8, OnRatio: true,
		What:     fmt.Sprintf("import apply, %d users + %d groups, %v emulator latency, --concurrency %d", o.applyUsers, o.applyGroups, o.latency, o.concurrency),
		Baseline: fmt.Sprintf("bound %d/%v", o.concurrency, o.latency), BaselineValue: bound}
	chaos := row{Name: "apply-429-failed", Unit: "changes", Target: "0 failed", TargetMax: 0.5, What: "same, plus 10 % of calls answered 429"}
	chaosTput := row{Name: "apply-429-throughput", Unit: "calls/s", What: "throughput of that run (429s retried with backoff)",
		Baseline: tput.Baseline, BaselineValue: bound}
	d := applyDirectory(o.applyUsers, o.applyGroups)
	for i := range o.runs {
		for _, rate := range []float64{0, 0.10} {
			calls, secs, failed, err := applyOnce(ctx, o, d, rate)
			if err != nil {
				return nil, err
			}
			logf("apply run %d (429 rate %.0f %%): %d calls in %.2f s = %.1f/s (bound %.0f/s), %d failed", i+1, rate*100, calls, secs, float64(calls)/secs, bound, failed)
			if rate == 0 {
				tput.Runs = append(tput.Runs, float64(calls)/secs)
				if failed > 0 {
					tput.Note = fmt.Sprintf("%d changes failed without any injected fault", failed)
				}
			} else {
				chaos.Runs = append(chaos.Runs, float64(failed))
				chaosTput.Runs = append(chaosTput.Runs, float64(calls)/secs)
			}
		}
	}
	return []row{tput, chaos, chaosTput}, nil
}

func applyOnce(ctx context.Context, o options, d reconcile.Directory, rate429 float64) (calls int, secs float64, failed int, err error) {
	emu := jcemu.New(jcemu.WithSeed(uint64(time.Now().UnixNano())))
	defer emu.Close()
	org := emu.AddOrg("Apply Org")
	const key = "apply000000000000000000000000000000000a1"
	if err := emu.AddAPIKey(key, org); err != nil {
		return 0, 0, 0, err
	}
	srvURL, stop, err := serveLoopback(emu)
	if err != nil {
		return 0, 0, 0, err
	}
	defer stop()
	c, err := jcapi.New(srvURL, secret.New(key), jcapi.WithOrgID(org), jcapi.WithRateLimit(0, 0),
		jcapi.WithConcurrency(o.concurrency))
	if err != nil {
		return 0, 0, 0, err
	}
	plan := reconcile.Diff(reconcile.ToJumpCloud, d, reconcile.Cloud{}, reconcile.DefaultPolicy())
	emu.SetChaos(jcemu.Chaos{Latency: o.latency, Rate429: rate429})
	emu.ResetCalls()
	start := time.Now()
	res, err := reconcile.Apply(ctx, plan, adapter.NewJumpCloudTarget(c, d), reconcile.ApplyOptions{Concurrency: o.concurrency})
	secs = time.Since(start).Seconds()
	calls = emu.TotalCalls()
	for _, oc := range res.Outcomes {
		if oc.Status == reconcile.StatusFailed {
			failed++
		}
	}
	var pe *reconcile.PartialError
	if err != nil && !errors.As(err, &pe) {
		return calls, secs, failed, err
	}
	return calls, secs, failed, nil
}

// readAttrs are what ldapx asks the DC for users and groups in the walk.
var readAttrs = []string{"objectGUID", "objectSid", "sAMAccountName", "userPrincipalName", "givenName", "sn", "mail",
	"displayName", "userAccountControl", "adminCount", "pwdLastSet", "whenChanged", "uSNChanged",
	"objectClass", "cn", "description", "member"}

// scopeFilter selects every user and group: under OU=Scale that is exactly
// the import scope (scale.py keeps out-of-scope users elsewhere).
const scopeFilter = "(|(&(objectCategory=person)(objectClass=user))(objectClass=group))"

// ldapsearch pages the scope's entries with OpenLDAP's client, output
// discarded but counted, over a fresh LDAPS connection: the baseline.
func ldapsearch(ctx context.Context, l *lab) (int, time.Duration, error) {
	args := append([]string{"-LLL", "-o", "ldif-wrap=no", "-H", l.url, "-x", "-D", l.importBind, "-y", l.importFile,
		"-b", l.scope(), "-E", "pr=1000/noprompt", scopeFilter}, readAttrs...)
	cmd := exec.CommandContext(ctx, "ldapsearch", args...)
	cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+l.caFile)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	n := 0
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if bytes.HasPrefix(sc.Bytes(), []byte("dn: ")) {
			n++
		}
	}
	if err := cmd.Wait(); err != nil {
		return n, 0, fmt.Errorf("ldapsearch: %v: %s", err, stderr.String())
	}
	return n, time.Since(start), nil
}

// measureRead compares adjc's AD read phase (adapter.ReadDirectory, what
// import and diff call, with the default strategy) with ldapsearch paging
// the same entries from the same DC, interleaved run by run.
func measureRead(ctx context.Context, o options, l *lab, logf logFunc) ([]row, error) {
	r := row{Name: "ad-read", Unit: "s", Target: "≤ 1.3× ldapsearch", TargetMax: 1.3 + 1e-9, OnRatio: true,
		What:     fmt.Sprintf("AD read phase (dial, bind, ReadDirectory) of the %d-user / %d-group scope", o.users, o.groups),
		Baseline: "ldapsearch -E pr=1000"}
	var users, groups, entries int
	for i := range o.runs {
		start := time.Now()
		c, err := l.dial(ctx, false)
		if err != nil {
			return nil, err
		}
		dir, err := adapter.ReadDirectory(ctx, c, adapter.ReadOptions{RootContainer: l.scope(), JumpCloudGroup: jumpCloudGroup, AdminsGroup: adminsGroup})
		c.Close()
		if err != nil {
			return nil, err
		}
		secs := time.Since(start).Seconds()
		n, cli, err := ldapsearch(ctx, l)
		if err != nil {
			return nil, err
		}
		users, groups, entries = len(dir.Users), len(dir.Groups), n
		r.Runs = append(r.Runs, secs)
		r.BaselineRuns = append(r.BaselineRuns, cli.Seconds())
		logf("read run %d: adjc %.2f s (%d users, %d groups), ldapsearch %.2f s (%d entries)", i+1, secs, users, groups, cli.Seconds(), n)
	}
	// Same entries: the scope's users and groups, plus the JumpCloud and
	// admins groups themselves, which ReadDirectory reads but does not list.
	if entries != users+groups+2 {
		r.Note = fmt.Sprintf("ldapsearch paged %d entries, adjc read %d users + %d groups (+2 scope groups)", entries, users, groups)
	}
	return []row{r}, nil
}

// adjcCmd runs the adjc binary with the benchmark config.
func adjcCmd(ctx context.Context, o options, cfg string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, o.adjc, append([]string{"--config", cfg}, args...)...)
	env := []string{}
	for _, kv := range os.Environ() {
		// The shared lab's settings must not leak into the benchmark's adjc.
		if !strings.HasPrefix(kv, "ADJC_") && !strings.HasPrefix(kv, "JC_") && !strings.HasPrefix(kv, "LDAP_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	return cmd
}

// ensureImported makes the cached emulator state hold the fixture, imported
// by adjc itself, and returns the import's duration when it had to run one.
func ensureImported(ctx context.Context, o options, l *lab, logf logFunc) (time.Duration, error) {
	if _, err := os.Stat(o.jcCache); err == nil {
		return 0, nil
	}
	logf("no imported org in %s: importing the fixture once (cached afterwards)", o.jcCache)
	e, err := startEmulator(o, l, "")
	if err != nil {
		return 0, err
	}
	cfg, err := writeConfig(o, l, e)
	if err != nil {
		e.close()
		return 0, err
	}
	start := time.Now()
	out, err := adjcCmd(ctx, o, cfg, "import", "--yes", "-o", "plain", "--concurrency", "8").CombinedOutput()
	took := time.Since(start)
	if err != nil {
		e.close()
		return 0, fmt.Errorf("first import: %v\n%s", err, tail(out))
	}
	e.close() // saves work/jcemu.json
	b, err := os.ReadFile(filepath.Join(o.work, "jcemu.json"))
	if err != nil {
		return 0, err
	}
	if b, err = withoutEvents(b); err != nil {
		return 0, err
	}
	if err := os.WriteFile(o.jcCache+".tmp", b, 0o600); err != nil {
		return 0, err
	}
	logf("first import took %.1f s", took.Seconds())
	return took, os.Rename(o.jcCache+".tmp", o.jcCache)
}

// withoutEvents drops the Directory Insights events from a saved emulator
// state: the cached org then looks like one imported long ago. Kept, the
// import's own events (one per user and group, written seconds before the
// measurements) fill the window a sync tick looks back over
// (commands.DefaultEventOverlap), and the tick, finding more than it
// reads, runs full, as it should in an org that busy.
func withoutEvents(state []byte) ([]byte, error) {
	var st map[string]json.RawMessage
	if err := json.Unmarshal(state, &st); err != nil {
		return nil, fmt.Errorf("emulator state: %w", err)
	}
	var orgs map[string]map[string]json.RawMessage
	if err := json.Unmarshal(st["orgs"], &orgs); err != nil {
		return nil, fmt.Errorf("emulator state orgs: %w", err)
	}
	for _, o := range orgs {
		delete(o, "events")
	}
	b, err := json.Marshal(orgs)
	if err != nil {
		return nil, err
	}
	st["orgs"] = b
	return json.Marshal(st)
}

// measureNoop times `adjc import --yes` end to end (process start to exit:
// config, dial, AD read, JumpCloud read, plan, render) when nothing changed.
func measureNoop(ctx context.Context, o options, l *lab, rep *report, logf logFunc) ([]row, error) {
	took, err := ensureImported(ctx, o, l, logf)
	if err != nil {
		return nil, err
	}
	var rows []row
	if took > 0 {
		rows = append(rows, row{Name: "first-import", Unit: "s", Runs: []float64{took.Seconds()},
			What: "adjc import --yes --concurrency 8 of the whole fixture into an empty org (once, then cached)"})
	}
	e, err := startEmulator(o, l, o.jcCache)
	if err != nil {
		return rows, err
	}
	defer e.close()
	cfg, err := writeConfig(o, l, e)
	if err != nil {
		return rows, err
	}
	out, err := adjcCmd(ctx, o, cfg, "diff", "--detailed-exitcode", "-o", "plain").CombinedOutput()
	if err != nil {
		return rows, fmt.Errorf("adjc diff on the imported org is not empty (%v):\n%s", err, tail(out))
	}
	r := row{Name: "noop-cycle", Unit: "s", Target: "< 2 s", TargetMax: 2,
		What:     fmt.Sprintf("adjc import --yes, nothing changed, %d users / %d groups, end to end", o.users, o.groups),
		Baseline: "ldapsearch of the scope"}
	for i := range o.runs {
		cmd := adjcCmd(ctx, o, cfg, "import", "--yes", "-o", "plain")
		if p := os.Getenv("ADJC_BENCH_NOOP_CPUPROFILE"); p != "" {
			// The whole process's CPU profile, one file per run.
			cmd.Env = append(cmd.Env, fmt.Sprintf("ADJC_CPUPROFILE=%s.%d", p, i+1))
		}
		start := time.Now()
		out, err := cmd.CombinedOutput()
		secs := time.Since(start).Seconds()
		if err != nil {
			return rows, fmt.Errorf("adjc import: %v\n%s", err, tail(out))
		}
		_, cli, err := ldapsearch(ctx, l)
		if err != nil {
			return rows, err
		}
		r.Runs = append(r.Runs, secs)
		r.BaselineRuns = append(r.BaselineRuns, cli.Seconds())
		logf("no-op run %d: %.2f s (ldapsearch %.2f s)", i+1, secs, cli.Seconds())
	}
	// Issue 17's goal for the same runs, as a ratio to the floor measured
	// beside them: unlike issue 9's 2 s, it carries over between machines.
	ratio := row{Name: "noop-cycle-ratio", Unit: "s", Target: "≤ 1.5× ldapsearch", TargetMax: 1.5 + 1e-9, OnRatio: true,
		What: "the same runs, judged against the ldapsearch floor measured beside them (issue 17)", Baseline: r.Baseline,
		Runs: r.Runs, BaselineRuns: r.BaselineRuns}
	return append(rows, r, ratio), nil
}

// measurePaged runs ldapx's own BenchmarkPagedReadVsLdapsearch (its
// engineer's, in ldapx/bench_lab_test.go) against the benchmark lab.
func measurePaged(ctx context.Context, o options, l *lab, logf logFunc) ([]row, error) {
	r := row{Name: "paged-read", Unit: "ms", What: "ldapx paged read of OU=Bulk (1,600 users) vs ldapsearch, same filter and attributes (BenchmarkPagedReadVsLdapsearch)",
		Baseline: "ldapsearch", Target: "≤ 1.3× ldapsearch", TargetMax: 1.3 + 1e-9, OnRatio: true}
	if o.ldapxTest == "" {
		r.Note = "not run: no -ldapx-test binary"
		return []row{r}, nil
	}
	var env []string
	for k, v := range l.vars {
		env = append(env, k+"="+v)
	}
	for i := range o.runs {
		m, err := goBench(ctx, o.ldapxTest, "^BenchmarkPagedReadVsLdapsearch$", env)
		if err != nil {
			return nil, err
		}
		if _, ok := m["ratio"]; !ok {
			r.Note = "BenchmarkPagedReadVsLdapsearch reported no ratio (not in this build?)"
			return []row{r}, nil
		}
		r.Runs = append(r.Runs, m["ldapx-ms/op"])
		r.BaselineRuns = append(r.BaselineRuns, m["ldapsearch-ms/op"])
		logf("paged run %d: ldapx %.0f ms, ldapsearch %.0f ms", i+1, m["ldapx-ms/op"], m["ldapsearch-ms/op"])
	}
	return []row{r}, nil
}

// measurePasswordSync runs pwsync's BenchmarkSambaCaptureLatency (one
// in-scope user changes its own password over LDAP, -pwsync-changes times,
// under `adjc password-sync --source samba`) against the benchmark lab, and
// reports the percentiles of change → JumpCloud latency it measured.
func measurePasswordSync(ctx context.Context, o options, l *lab, logf logFunc) ([]row, error) {
	what := fmt.Sprintf("AD password change (by the user, over LDAP) → JumpCloud holds it, adjc password-sync --source samba, %d changes", o.pwsyncChanges)
	p50 := row{Name: "pwsync-p50", Unit: "s", What: what, Target: "< 2 s", TargetMax: 2}
	p99 := row{Name: "pwsync-p99", Unit: "s", What: "same changes, 99th percentile (nearest rank)", Target: "< 5 s", TargetMax: 5}
	if o.pwsyncTest == "" {
		p50.Note = "not run: no -pwsync-test binary"
		return []row{p50}, nil
	}
	env := []string{"ADJC_LAB_REQUIRED=1", "ADJC_PWSYNC_ADJC=" + o.adjc, fmt.Sprintf("ADJC_PWSYNC_BENCH_CHANGES=%d", o.pwsyncChanges)}
	for k, v := range l.vars {
		env = append(env, k+"="+v)
	}
	m, err := goBench(ctx, o.pwsyncTest, "^BenchmarkSambaCaptureLatency$", env)
	if err != nil {
		return nil, err
	}
	p50.Runs, p99.Runs = []float64{m["p50-s"]}, []float64{m["p99-s"]}
	p50.Note = fmt.Sprintf("min %.3f s, max %.3f s over %.0f changes", m["min-s"], m["max-s"], m["changes"])
	logf("password sync: p50 %.3f s, p99 %.3f s", m["p50-s"], m["p99-s"])
	return []row{p50, p99}, nil
}
