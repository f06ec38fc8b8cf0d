package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
	"github.com/adjc/adjc/secret"
)

// scheduleLab runs `adjc schedule --watch` against the lab DC and an
// in-process JumpCloud emulator, with one user of its own in scope: a user
// in a temporary OU (the Root User container here), in a group of that OU
// nested in the OU's own JumpCloud group.
type scheduleLab struct {
	tb      testing.TB
	srv     *jcemu.Server
	org     string
	admin   *ldapx.Conn
	user    ldapx.User
	group   ldapx.Group // the user's group, nested in JumpCloud
	logs    *logLines
	metrics string // host:port of /metrics and /healthz
	state   string // the state folder
	stop    context.CancelFunc
	done    chan error
}

const scheduleLabKey = "schedule-lab-api-key-0123456789"

func startScheduleLab(tb testing.TB) *scheduleLab {
	tb.Helper()
	// Interval an hour: every run after the first comes from the watch.
	return startScheduleLabArgs(tb, "--watch", "--interval", "1h")
}

func startScheduleLabArgs(tb testing.TB, args ...string) *scheduleLab {
	tb.Helper()
	return startScheduleLabAs(tb, ldaptest.Get(tb).Import, args...)
}

// startScheduleLabAs is startScheduleLabArgs bound as the read-only
// account a (the lab's jcimport or jcreader).
func startScheduleLabAs(tb testing.TB, a ldaptest.Account, args ...string) *scheduleLab {
	tb.Helper()
	l := ldaptest.Get(tb)
	ctx := context.Background()
	srv := jcemu.New()
	org := srv.AddOrg("adjc schedule test")
	if err := srv.AddAPIKey(scheduleLabKey, org); err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	ad, err := srv.AddActiveDirectory(org, l.BaseDN)
	if err != nil {
		tb.Fatal(err)
	}

	// delegationState DISABLED, as on a tenant that never enabled password
	// delegation: adjc must run all the same (it pauses only when told).
	jc, err := jcapi.New(ts.URL+"/api", secret.New(scheduleLabKey), jcapi.WithRateLimit(0, 0))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := jc.UpdateActiveDirectory(ctx, ad.ID, jcapi.ActiveDirectory{DelegationState: "DISABLED"}); err != nil {
		tb.Fatal(err)
	}

	admin, err := ldapx.Dial(ctx, ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		tb.Fatalf("Dial as admin: %v", err)
	}
	tb.Cleanup(func() { admin.Close() })
	ou := l.TempOU(tb)
	b := make([]byte, 4)
	rand.Read(b)
	name := "sch" + hex.EncodeToString(b)
	u, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: name, GivenName: "Sched", SN: "User",
		Mail: name + "@adjc.lab", Password: secret.New("Sched-" + hex.EncodeToString(b) + "-Pw1!")})
	if err != nil {
		tb.Fatal(err)
	}
	g, err := admin.CreateGroup(ctx, ou, name+"g", "")
	if err != nil {
		tb.Fatal(err)
	}
	if err := admin.AddMember(ctx, g.DN, u.DN); err != nil {
		tb.Fatal(err)
	}
	// The temporary OU is this test's Root User container, with a JumpCloud
	// group of its own: nesting into the fixture's JumpCloud group would put
	// this user in every other test's scope while it runs (other packages
	// run at the same time against the same DC). sAMAccountName is unique
	// domain-wide, so only the cn is JumpCloud.
	scope, err := admin.CreateGroup(ctx, ou, "JumpCloud", name+"jc")
	if err != nil {
		tb.Fatal(err)
	}
	if err := admin.AddMember(ctx, scope.DN, g.DN); err != nil {
		tb.Fatal(err)
	}

	dir := tb.TempDir()
	keyFile := filepath.Join(dir, "jc-key")
	if err := os.WriteFile(keyFile, []byte(scheduleLabKey), 0o600); err != nil {
		tb.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "adjc.yaml")
	y := fmt.Sprintf(`jumpcloud:
  api_url: %s/api
  api_key_file: %s
domains:
  - name: adjc.lab
    mode: ad-authority
    ldap_url: %s
    base_dn: %s
    root_container: %s
    bind: %s
    bind_password_file: %s
    ca_file: %s
    jumpcloud_domain_id: %s
state_dir: %s
audit_log: %s
`, ts.URL, keyFile, l.URL, l.BaseDN, ou, a.Bind, a.PasswordFile, l.CAFile, ad.ID, filepath.Join(dir, "state"), filepath.Join(dir, "audit.jsonl"))
	if err := os.WriteFile(cfgFile, []byte(y), 0o600); err != nil {
		tb.Fatal(err)
	}

	ios, _, _, _ := output.Test()
	env := map[string]string{config.EnvConfig: cfgFile, "HOME": dir}
	f := NewFactory(ios, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	// The schedule's one line per run goes to the test log.
	f.logs.set(1, "text")
	f.IO.ErrOut = tbWriter{tb}
	logs := &logLines{w: tbWriter{tb}}
	f.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	f.Config = func() (*config.Config, error) {
		return config.Load(config.LoadOptions{LookupEnv: f.LookupEnv})
	}
	s := &scheduleLab{tb: tb, srv: srv, org: org, admin: admin, user: u, group: g, logs: logs, done: make(chan error, 1), state: filepath.Join(dir, "state")}
	ready := make(chan string, 1)
	cmd := newScheduleCmd(f, func(ctx context.Context, o *ScheduleOptions) error {
		o.Ready = func(addr string) { ready <- addr }
		return runSchedule(ctx, o)
	})
	cmd.SetArgs(append(args, "--metrics-addr", "127.0.0.1:0"))
	runCtx, cancel := context.WithCancel(ctx)
	s.stop = cancel
	tb.Cleanup(func() { cancel(); <-s.done })
	go func() { s.done <- cmd.ExecuteContext(runCtx) }()
	select {
	case s.metrics = <-ready:
	case err := <-s.done:
		s.done <- err
		tb.Fatalf("schedule = %v before it was ready", err)
	}
	// The start run imports the fixture and this user, active.
	s.waitSuspended(false, 2*time.Minute)
	time.Sleep(300 * time.Millisecond) // let the notification search register
	return s
}

// cloudUser returns the emulator's copy of the lab user.
func (s *scheduleLab) cloudUser() (jcapi.SystemUser, bool) {
	for _, u := range s.srv.Users(s.org) {
		if u.Username == s.user.SAMAccountName {
			return u, true
		}
	}
	return jcapi.SystemUser{}, false
}

// waitSuspended polls the emulator until the user exists with the given
// suspension. The limit only keeps a broken run from hanging the test.
func (s *scheduleLab) waitSuspended(suspended bool, limit time.Duration) {
	s.tb.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if u, ok := s.cloudUser(); ok && (u.State == jcapi.StateSuspended) == suspended {
			return
		}
		select {
		case err := <-s.done:
			s.done <- err
			s.tb.Fatalf("schedule stopped: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	u, ok := s.cloudUser()
	s.tb.Fatalf("user %s (found %v) state %q: not suspended=%v within %v", s.user.SAMAccountName, ok, u.State, suspended, limit)
}

// propagate sets ACCOUNTDISABLE in AD and returns how long it took until
// the emulator showed the matching suspension.
func (s *scheduleLab) propagate(disabled bool) time.Duration {
	s.tb.Helper()
	start := time.Now()
	if _, err := s.admin.SetDisabled(context.Background(), s.user.DN, disabled); err != nil {
		s.tb.Fatal(err)
	}
	s.waitSuspended(disabled, time.Minute)
	return time.Since(start)
}

func (s *scheduleLab) get(path string) (string, int) {
	s.tb.Helper()
	resp, err := http.Get("http://" + s.metrics + path)
	if err != nil {
		s.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// TestScheduleWatchLab: a user disabled in AD is suspended in JumpCloud by
// a watch run, re-enabled is unsuspended, the metrics say so, and a stop
// ends the command with nil.
func TestScheduleWatchLab(t *testing.T) {
	s := startScheduleLab(t)
	t.Logf("AD disable → JumpCloud suspended: %v", s.propagate(true))
	t.Logf("AD enable → JumpCloud active: %v", s.propagate(false))
	body, code := s.get("/metrics")
	for _, want := range []string{
		`adjc_runs_total{domain="adjc.lab",result="success",trigger="start"} 1`,
		`adjc_changes_applied_total{action="update",domain="adjc.lab",kind="user"}`,
		`adjc_propagation_latency_seconds_count{domain="adjc.lab"}`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET /metrics = %d, lacks %q", code, want)
		}
	}
	if strings.Contains(body, scheduleLabKey) {
		t.Error("the API key appears in /metrics")
	}
	if body, code := s.get("/healthz"); code != 200 || !strings.HasPrefix(body, "ok: last successful run") {
		t.Errorf("GET /healthz = %d %q, want 200", code, body)
	}

	// Paused by the operator (and only then): an AD change waits until
	// resume, and the next change after it applies both.
	if err := schedule.Pause(s.state, "adjc.lab", time.Now()); err != nil {
		t.Fatal(err)
	}
	// The pause holds from the next run (a run already going finishes):
	// make one, and wait until it is skipped, before the change that must
	// wait.
	if err := s.admin.Modify(context.Background(), s.user.DN, map[string][]string{"sn": {"Paused"}}); err != nil {
		t.Fatal(err)
	}
	paused := false
	for deadline := time.Now().Add(30 * time.Second); !paused && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range s.logs.lines() {
			paused = paused || strings.Contains(l, "domain paused")
		}
	}
	if !paused {
		t.Fatal("no run was skipped as paused within 30 s")
	}
	if _, err := s.admin.SetDisabled(context.Background(), s.user.DN, true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // a watch run would have applied it in well under a second
	if u, ok := s.cloudUser(); !ok || u.State == jcapi.StateSuspended {
		t.Errorf("paused: the AD disable reached JumpCloud (state %q)", u.State)
	}
	if body, _ := s.get("/metrics"); !strings.Contains(body, `adjc_paused{domain="adjc.lab"} 1`) {
		t.Errorf("paused: /metrics lacks adjc_paused 1")
	}
	if err := schedule.Resume(s.state, "adjc.lab"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.SetDisabled(context.Background(), s.user.DN, false); err != nil {
		t.Fatal(err)
	}
	s.propagate(true)
	s.stop()
	if err := <-s.done; err != nil {
		t.Errorf("schedule after a stop = %v, want nil", err)
	}
	s.done <- nil
}

// BenchmarkSchedulePropagation measures AD → JumpCloud propagation with
// `schedule --watch`: from the userAccountControl write in AD to the
// emulator showing the user suspended (then active again, unmeasured).
//
//	go test ./commands -run '^$' -bench SchedulePropagation -benchtime 5x
func BenchmarkSchedulePropagation(b *testing.B) {
	s := startScheduleLab(b)
	var total time.Duration
	for b.Loop() {
		d := s.propagate(true)
		total += d
		b.Logf("AD disable → JumpCloud suspended: %v", d)
		b.StopTimer()
		s.propagate(false)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/propagation")
}

// TestScheduleWatchMembershipLab: removing the user from its group (the
// only way it is in scope) deletes it from JumpCloud, per the default
// policy, and adding it back creates it again with its membership, each in
// a targeted run: the watch names the group's member, not the whole group.
func TestScheduleWatchMembershipLab(t *testing.T) {
	s := startScheduleLab(t)
	ctx := context.Background()
	if err := s.admin.RemoveMember(ctx, s.group.DN, s.user.DN); err != nil {
		t.Fatal(err)
	}
	s.waitRun("user-1", time.Minute)
	if _, ok := s.cloudUser(); ok {
		t.Error("the user left scope but is still in JumpCloud")
	}
	if err := s.admin.AddMember(ctx, s.group.DN, s.user.DN); err != nil {
		t.Fatal(err)
	}
	// Back in its group and in the mirrored JumpCloud group (seed 002).
	s.waitRun(`"membership+2 user+1"`, time.Minute)
	s.waitSuspended(false, time.Minute)
	s.stop()
	<-s.done
	s.done <- nil
}

// waitRun waits for a watch run's log line that applied changes (as in
// the line's changes=…) and checks that it was targeted.
func (s *scheduleLab) waitRun(changes string, limit time.Duration) {
	s.tb.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		for _, l := range s.logs.lines() {
			if strings.Contains(l, "trigger=watch") && strings.Contains(l, "changes="+changes) {
				if !strings.Contains(l, "targeted=true") {
					s.tb.Errorf("watch run = %s, want targeted=true", l)
				}
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.tb.Fatalf("no watch run with changes=%s within %v", changes, limit)
}

// logLines keeps the log lines written through it, and passes them on.
type logLines struct {
	w  io.Writer
	mu sync.Mutex
	ls []string
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.ls = append(l.ls, string(p))
	l.mu.Unlock()
	return l.w.Write(p)
}

func (l *logLines) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ls)
}

// tbWriter sends log lines to the test log.
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestScheduleDeltaLab: without --watch, a tick is a delta run: an AD
// disable reaches JumpCloud at the next tick through DirSync, without a
// full read, and the metrics count the run as a delta.
func TestScheduleDeltaLab(t *testing.T) {
	s := startScheduleLabArgs(t, "--interval", "10s", "--full-interval", "1h")
	s.propagate(true) // within the next tick
	found := false
	// The run's line follows the write JumpCloud just showed.
	for deadline := time.Now().Add(10 * time.Second); !found && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range s.logs.lines() {
			if strings.Contains(l, "trigger=interval") && strings.Contains(l, "kind=delta") && strings.Contains(l, "user~1") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no delta tick applied the disable; log:\n%s", strings.Join(s.logs.lines(), "\n"))
	}
	if body, _ := s.get("/metrics"); !strings.Contains(body, `adjc_run_kind_total{domain="adjc.lab",kind="delta"}`) {
		t.Errorf("/metrics lacks adjc_run_kind_total for delta runs")
	}
	s.stop()
	<-s.done
	s.done <- nil
}

// TestScheduleDeltaDeleteLab: a user deleted in AD leaves JumpCloud at the
// next tick, and that tick is a delta run: the import account may list
// CN=Deleted Objects, so DirSync reports the tombstone, which the tick
// matches by objectGUID against the last full read.
func TestScheduleDeltaDeleteLab(t *testing.T) {
	s := startScheduleLabArgs(t, "--interval", "10s", "--full-interval", "1h", "--max-deletes", "-1")
	if strings.Contains(strings.Join(s.logs.lines(), "\n"), "deletions in AD are not visible") {
		t.Errorf("the log says deletions are not visible to jcimport, which may list CN=Deleted Objects")
	}
	if err := s.admin.Delete(context.Background(), s.user.DN); err != nil {
		t.Fatal(err)
	}
	var line string
	for deadline := time.Now().Add(time.Minute); line == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, l := range s.logs.lines() {
			if strings.Contains(l, "msg=\"run finished\"") && strings.Contains(l, "trigger=interval") && strings.Contains(l, "changes=user") {
				line = l
			}
		}
	}
	u, ok := s.cloudUser()
	switch {
	case line == "":
		t.Fatalf("no tick planned the deletion within a minute; log:\n%s", strings.Join(s.logs.lines(), "\n"))
	case !strings.Contains(line, "kind=delta"):
		t.Errorf("the tick that planned the deletion was not a delta run: %s", line)
	case ok && u.State != jcapi.StateSuspended:
		t.Errorf("JumpCloud user %s is %q after the tick, want it deleted or suspended", u.Username, u.State)
	}
	s.stop()
	<-s.done
	s.done <- nil
}

// TestScheduleWatchDeleteLab: with --watch, a user deleted in AD is
// notified (the notification search shows tombstones) and leaves JumpCloud
// by a targeted watch run, not a full one.
func TestScheduleWatchDeleteLab(t *testing.T) {
	s := startScheduleLabArgs(t, "--watch", "--interval", "1h", "--max-deletes", "-1")
	if err := s.admin.Delete(context.Background(), s.user.DN); err != nil {
		t.Fatal(err)
	}
	var line string
	for deadline := time.Now().Add(30 * time.Second); line == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range s.logs.lines() {
			if strings.Contains(l, "msg=\"run finished\"") && strings.Contains(l, "trigger=watch") && strings.Contains(l, "changes=user") {
				line = l
			}
		}
	}
	switch {
	case line == "":
		t.Fatalf("no watch run planned the deletion within 30 s; log:\n%s", strings.Join(s.logs.lines(), "\n"))
	case !strings.Contains(line, "targeted=true"):
		t.Errorf("the watch run that planned the deletion was not targeted: %s", line)
	}
	s.stop()
	<-s.done
	s.done <- nil
}

// TestScheduleDeltaDeleteGroupLab: a mirrored group deleted in AD is
// deleted in JumpCloud at the next tick, a delta run, and its one member,
// in scope through it alone, leaves JumpCloud with it.
func TestScheduleDeltaDeleteGroupLab(t *testing.T) {
	s := startScheduleLabArgs(t, "--interval", "10s", "--full-interval", "1h", "--max-deletes", "-1")
	hasGroup := func() bool {
		return slices.ContainsFunc(s.srv.UserGroups(s.org), func(g jcapi.UserGroup) bool { return strings.EqualFold(g.Name, s.group.Name) })
	}
	if !hasGroup() {
		t.Fatalf("the start run did not create group %s in JumpCloud", s.group.Name)
	}
	if err := s.admin.Delete(context.Background(), s.group.DN); err != nil {
		t.Fatal(err)
	}
	var line string
	for deadline := time.Now().Add(time.Minute); line == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, l := range s.logs.lines() {
			if strings.Contains(l, "msg=\"run finished\"") && strings.Contains(l, "trigger=interval") && strings.Contains(l, "group-1") {
				line = l
			}
		}
	}
	u, ok := s.cloudUser()
	switch {
	case line == "":
		t.Fatalf("no tick deleted the group within a minute; log:\n%s", strings.Join(s.logs.lines(), "\n"))
	case !strings.Contains(line, "kind=delta"):
		t.Errorf("the tick that deleted the group was not a delta run: %s", line)
	case hasGroup():
		t.Errorf("group %s is still in JumpCloud after the tick", s.group.Name)
	case ok && u.State != jcapi.StateSuspended:
		t.Errorf("JumpCloud user %s, out of scope with its group, is %q after the tick, want it deleted or suspended", u.Username, u.State)
	}
	s.stop()
	<-s.done
	s.done <- nil
}

// TestScheduleDeletionsHiddenLab: bound as an account that may not list
// CN=Deleted Objects, the scheduler says once that deletions wait for the
// full run.
func TestScheduleDeletionsHiddenLab(t *testing.T) {
	l := ldaptest.Get(t)
	l.NeedReader(t)
	s := startScheduleLabAs(t, l.Reader, "--interval", "1h", "--full-interval", "1h")
	if n := strings.Count(strings.Join(s.logs.lines(), "\n"), "deletions in AD are not visible"); n != 1 {
		t.Errorf("the log says %d times that deletions are not visible, want once; log:\n%s", n, strings.Join(s.logs.lines(), "\n"))
	}
	s.stop()
	<-s.done
	s.done <- nil
}

// TestScheduleWatchBudgetLab: forty AD disables arriving as a burst of watch
// runs meet the one removal budget, as one import would: at most the
// allowance is applied, the rest is held and said so, and 'adjc approve'
// releases it for the next run.
func TestScheduleWatchBudgetLab(t *testing.T) {
	s := startScheduleLab(t)
	ctx := context.Background()
	const n = 40
	var users []ldapx.User
	for i := range n {
		name := fmt.Sprintf("%sb%02d", s.user.SAMAccountName, i)
		u, err := s.admin.CreateUser(ctx, ldapx.NewUser{Container: parentDN(s.user.DN), SAMAccountName: name, GivenName: "Budget", SN: "User",
			Mail: name + "@adjc.lab", Password: secret.New("Budget-" + name + "-Pw1!")})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.admin.AddMember(ctx, s.group.DN, u.DN); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	count := func(state string) int {
		k := 0
		for _, u := range s.srv.Users(s.org) {
			if strings.HasPrefix(u.Username, s.user.SAMAccountName+"b") && (state == "" || u.State == state) {
				k++
			}
		}
		return k
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("not within a minute: %s", what)
	}
	waitFor("the forty users imported", func() bool { return count("") == n && count(jcapi.StateActivated) == n })

	for _, u := range users {
		if _, err := s.admin.SetDisabled(ctx, u.DN, true); err != nil {
			t.Fatal(err)
		}
	}
	held := func() bool {
		for _, l := range s.logs.lines() {
			if strings.Contains(l, "held") && strings.Contains(l, "removal") {
				return true
			}
		}
		return false
	}
	waitFor("a run holding removals", held)
	time.Sleep(3 * time.Second) // let the burst's last runs end
	suspended := count(jcapi.StateSuspended)
	t.Logf("suspended after the burst: %d of %d", suspended, n)
	if suspended > 10 {
		t.Errorf("%d of %d disables applied through watch runs, over the budget of 10", suspended, n)
	}

	if _, err := schedule.Approve(s.state, "adjc.lab", reconcile.ToJumpCloud, n-suspended, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Any change starts the next run, which reads everything (the held
	// removals left no state a targeted run could trust) and applies them.
	if err := s.admin.Modify(ctx, s.user.DN, map[string][]string{"sn": {"Nudge"}}); err != nil {
		t.Fatal(err)
	}
	waitFor("the held disables applied after 'adjc approve'", func() bool { return count(jcapi.StateSuspended) == n })
	s.stop()
	<-s.done
	s.done <- nil
}

// parentDN is the DN of dn's container.
func parentDN(dn string) string {
	_, parent, _ := strings.Cut(dn, ",")
	return parent
}
