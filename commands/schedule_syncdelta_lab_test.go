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
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
)

// TestScheduleSyncDeltaLab: `adjc schedule` in jc-authority mode, without
// --watch, makes its sync ticks delta runs from Directory Insights events
// (the emulator's, with its ingestion lag): JumpCloud changes made through
// the API (a group rename, a lastname, a suspension, a member added, a
// member removed) reach AD through delta ticks; a tick where nothing
// changed makes at most 2 JumpCloud calls and reads nothing in AD; an
// events endpoint answering 403 makes the tick a full run whose log line
// says why.
func TestScheduleSyncDeltaLab(t *testing.T) {
	l := ldaptest.Get(t)
	ctx := context.Background()
	srv := jcemu.New() // real clock, default ingestion lag
	org := srv.AddOrg("adjc sync delta test")
	const key = "sync-delta-lab-api-key-0123456789"
	if err := srv.AddAPIKey(key, org); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	ad, err := srv.AddActiveDirectory(org, l.BaseDN)
	if err != nil {
		t.Fatal(err)
	}
	jc, err := jcapi.New(ts.URL+"/api", secret.New(key), jcapi.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := ldapx.Dial(ctx, ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("Dial as admin: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 3)
	rand.Read(b)
	sfx := hex.EncodeToString(b)
	users := "CN=Users," + l.BaseDN
	cleanup := func(cn string) {
		t.Cleanup(func() {
			ctx, cancel := contextWithTimeout()
			defer cancel()
			if err := admin.Delete(ctx, "CN="+cn+","+users); err != nil && !strings.Contains(err.Error(), "no such object") {
				t.Logf("cleanup %s: %v", cn, err)
			}
		})
	}
	newUser := func(name string) jcapi.SystemUser {
		cleanup(name)
		u, err := srv.AddUser(org, jcapi.SystemUser{Username: name, Email: name + "@example.com", Firstname: "Delta", Lastname: "Tester"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	direct, member, joiner := newUser("sdd"+sfx), newUser("sdm"+sfx), newUser("sdj"+sfx)
	gname := "sdg" + sfx
	cleanup(gname)
	cleanup(gname + "r")
	g, err := srv.AddUserGroup(org, jcapi.UserGroup{Name: gname})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []error{
		srv.Bind(org, ad.ID, jcapi.TypeUser, direct.ID),
		srv.Bind(org, ad.ID, jcapi.TypeUserGroup, g.ID),
		srv.AddMember(org, g.ID, member.ID),
		// Bound directly too: a user that leaves every bound group is no
		// longer synced at all, and sync removes only bound users from
		// groups (a full run as much as a delta tick).
		srv.Bind(org, ad.ID, jcapi.TypeUser, member.ID),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "jc-key")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "adjc.yaml")
	y := fmt.Sprintf(`jumpcloud:
  api_url: %s/api
  api_key_file: %s
domains:
  - name: adjc.lab
    mode: jc-authority
    ldap_url: %s
    base_dn: %s
    bind: %s
    bind_password_file: %s
    ca_file: %s
    jumpcloud_domain_id: %s
state_dir: %s
audit_log: %s
`, ts.URL, keyFile, l.URL, l.BaseDN, l.Sync.Bind, l.Sync.PasswordFile, l.CAFile, ad.ID, filepath.Join(dir, "state"), filepath.Join(dir, "audit.jsonl"))
	if err := os.WriteFile(cfgFile, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, _, _ := output.Test()
	env := map[string]string{config.EnvConfig: cfgFile, "HOME": dir}
	f := NewFactory(ios, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	f.logs.set(1, "text")
	f.IO.ErrOut = tbWriter{t}
	logs := &logLines{w: tbWriter{t}}
	f.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	f.Config = func() (*config.Config, error) { return config.Load(config.LoadOptions{LookupEnv: f.LookupEnv}) }

	// AD reads are counted where the schedule makes them: the full read
	// and the targeted one.
	var adReads atomic.Int64
	done := make(chan error, 1)
	ready := make(chan string, 1)
	cmd := newScheduleCmd(f, func(ctx context.Context, o *ScheduleOptions) error {
		o.Ready = func(addr string) { ready <- addr }
		full, part := o.SyncState, o.ReadSyncAD
		o.SyncState = func(ctx context.Context, cfg *config.Config, d *config.Domain) (*State, error) {
			adReads.Add(1)
			return full(ctx, cfg, d)
		}
		o.ReadSyncAD = func(ctx context.Context, cfg *config.Config, d *config.Domain, b reconcile.Cloud) (*State, error) {
			adReads.Add(1)
			return part(ctx, cfg, d, b)
		}
		return runSchedule(ctx, o)
	})
	cmd.SetArgs([]string{"--interval", "10s", "--full-interval", "1h", "--metrics-addr", "127.0.0.1:0"})
	runCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(func() { cancel(); <-done })
	go func() { done <- cmd.ExecuteContext(runCtx) }()
	var metrics string
	select {
	case metrics = <-ready:
	case err := <-done:
		t.Fatalf("schedule = %v before it was ready", err)
	}

	attr := func(cn, name string) string {
		es, err := admin.SearchAll(ctx, ldapx.Query{Base: users, Scope: ldap.ScopeSingleLevel,
			Filter: ldapx.EqualityFilter("cn", cn), Attributes: []string{name}})
		if err != nil || len(es) != 1 {
			return ""
		}
		return strings.Join(es[0].GetAttributeValues(name), ";")
	}
	// wait polls AD; the limit only keeps a broken run from hanging.
	wait := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if ok() {
				return
			}
			select {
			case err := <-done:
				done <- err
				t.Fatalf("schedule stopped: %v", err)
			default:
			}
		}
		t.Fatalf("%s: not in AD within 90 s; log:\n%s", what, strings.Join(logs.lines(), "\n"))
	}
	memberOf := func(user string) bool {
		return strings.Contains(strings.ToLower(attr(gname, "member")), "cn="+user+",")
	}
	disabled := func(cn string) bool {
		n, _ := strconv.Atoi(attr(cn, "userAccountControl"))
		return n&2 != 0
	}
	runLines := func() []string {
		var out []string
		for _, l := range logs.lines() {
			if strings.Contains(l, "msg=\"run finished\"") || strings.Contains(l, "msg=\"run failed\"") {
				out = append(out, l)
			}
		}
		return out
	}
	// nextRun waits for the next run line after the n seen so far.
	nextRun := func(n int) string {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if ls := runLines(); len(ls) > n {
				return ls[n]
			}
		}
		t.Fatalf("no run after %d within 60 s", n)
		return ""
	}

	wait("the start run's users and group", func() bool { return attr(direct.Username, "sn") == "Tester" && memberOf(member.Username) })

	// The seeding's events were not indexed yet when the start run read
	// them: the tick that sees them reads everything (a group was bound to
	// the domain object), as it must. From the first delta tick on, the schedule is settled.
	n := len(runLines())
	for !strings.Contains(nextRun(n), "kind=delta") {
		n++
	}
	settled := n + 1
	// A tick where nothing changed: the events query, and nothing else.
	n = len(runLines())
	nextRun(n) // the tick in progress may have started before the count
	calls, reads := srv.TotalCalls(), adReads.Load()
	line := nextRun(n + 1)
	t.Logf("no-op tick: %d JumpCloud calls, %d AD reads", srv.TotalCalls()-calls, adReads.Load()-reads)
	if got := srv.TotalCalls() - calls; got > 2 || !strings.Contains(line, "kind=delta") || adReads.Load() != reads {
		t.Errorf("no-op tick: %d JumpCloud calls, %d AD reads, line %s; want at most 2 calls, no AD read, kind=delta",
			got, adReads.Load()-reads, line)
	}

	// Changes made through the API reach AD through delta ticks.
	if _, err := jc.UpdateSystemUser(ctx, direct.ID, jcapi.SystemUserUpdate{Lastname: jcapi.String("Renamed")}); err != nil {
		t.Fatal(err)
	}
	wait("the lastname", func() bool { return attr(direct.Username, "sn") == "Renamed" })
	if err := jc.SuspendSystemUser(ctx, direct.ID); err != nil {
		t.Fatal(err)
	}
	wait("the suspension", func() bool { return disabled(direct.Username) })
	if err := jc.AddUserGroupMember(ctx, g.ID, joiner.ID); err != nil {
		t.Fatal(err)
	}
	wait("the member added", func() bool { return memberOf(joiner.Username) })
	if err := jc.RemoveUserGroupMember(ctx, g.ID, member.ID); err != nil {
		t.Fatal(err)
	}
	wait("the member removed", func() bool { return !memberOf(member.Username) })
	if _, err := jc.UpdateUserGroup(ctx, g.ID, jcapi.UserGroup{Name: gname + "r"}); err != nil {
		t.Fatal(err)
	}
	wait("the group rename", func() bool { return attr(gname+"r", "cn") != "" })
	gname += "r"
	for _, l := range runLines()[settled:] {
		if strings.Contains(l, "trigger=interval") && strings.Contains(l, "kind=full") {
			t.Errorf("a tick read everything: %s", l)
		}
	}

	// The events endpoint refuses: the next tick is a full run and says why.
	srv.FailNext(jcemu.Fault{Method: "POST", Path: "/insights/directory/v1/events", Status: 403})
	n = len(runLines())
	found := ""
	for deadline := time.Now().Add(60 * time.Second); found == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range runLines()[n:] {
			if strings.Contains(l, "trigger=interval") && strings.Contains(l, "kind=full") && strings.Contains(l, "directory insights events unavailable") {
				found = l
			}
		}
	}
	if found == "" {
		t.Errorf("no full tick after the events endpoint answered 403; log:\n%s", strings.Join(logs.lines(), "\n"))
	}
	if found != "" && !strings.Contains(found, "planned=0") {
		// The full read is the safety net: deltas should have left it
		// nothing to correct.
		t.Errorf("the full tick corrected what delta ticks missed: %s", found)
	}
	resp, err := http.Get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(raw)
	if !strings.Contains(body, `adjc_run_kind_total{domain="adjc.lab",kind="delta"}`) {
		t.Errorf("/metrics lacks adjc_run_kind_total for delta runs")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("schedule after a stop = %v, want nil", err)
	}
	done <- nil
}
