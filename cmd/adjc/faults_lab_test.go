package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/adjc/adjc/commands"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/secret"
	"github.com/go-ldap/ldap/v3"
)

// faultLab is one fault test's world: its own OU in the lab DC as the Root
// User container (users f01…, groups FG1 and FG2 inside a JumpCloud group of
// its own), a fresh emulated org, and a config file pointing at both — or,
// through ldapURL, at a proxy in front of the DC.
type faultLab struct {
	t       testing.TB
	lab     *ldaptest.Lab
	emu     *jcemu.Server
	org     string
	apiURL  string
	ou      string
	dir     string
	cfg     string
	users   []string
	groups  map[string][]string // expected JumpCloud groups and their usernames
	admin   *ldapx.Conn
	keyFile string
}

const faultKey = "fault-api-key-0123456789abcdef"

func newFaultLab(t testing.TB, nUsers int) *faultLab {
	t.Helper()
	l := ldaptest.Get(t)
	fl := &faultLab{t: t, lab: l, dir: t.TempDir(), groups: map[string][]string{}}
	fl.emu = jcemu.New()
	fl.org = fl.emu.AddOrg("adjc faults")
	if err := fl.emu.AddAPIKey(faultKey, fl.org); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fl.emu)
	t.Cleanup(srv.Close)
	fl.apiURL = srv.URL + "/api"
	fl.keyFile = filepath.Join(fl.dir, "jc-api-key")
	if err := os.WriteFile(fl.keyFile, []byte(faultKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fl.ou = l.TempOU(t)
	admin, err := ldapx.Dial(t.Context(), ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	fl.admin = admin
	var dns []string
	for i := 1; i <= nUsers; i++ {
		name := fmt.Sprintf("f%02d%s", i, suffix()[:4])
		u, err := admin.CreateUser(t.Context(), ldapx.NewUser{
			Container: fl.ou, SAMAccountName: name, UserPrincipalName: name + "@" + strings.ToLower(l.Realm),
			GivenName: "Fault", SN: name, Mail: name + "@faults.example",
			Password: secret.New("Aa1!" + suffix() + suffix()),
		})
		if err != nil {
			t.Fatal(err)
		}
		fl.users = append(fl.users, name)
		dns = append(dns, u.DN)
	}
	half := nUsers / 2
	g1 := fl.group("FG1", dns[:half]...)
	g2 := fl.group("FG2", dns[half:]...)
	fl.group("JumpCloud", g1, g2)
	fl.groups["FG1"] = slices.Clone(fl.users[:half])
	fl.groups["FG2"] = slices.Clone(fl.users[half:])
	fl.writeConfig(l.URL)
	return fl
}

func suffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (fl *faultLab) group(name string, members ...string) string {
	fl.t.Helper()
	g, err := fl.admin.CreateGroup(fl.t.Context(), fl.ou, name, name+"-"+suffix())
	if err != nil {
		fl.t.Fatal(err)
	}
	for _, m := range members {
		if err := fl.admin.AddMember(fl.t.Context(), g.DN, m); err != nil {
			fl.t.Fatal(err)
		}
	}
	return g.DN
}

// writeConfig points the configuration at ldapURL (the DC or a proxy).
func (fl *faultLab) writeConfig(ldapURL string) {
	fl.t.Helper()
	l := fl.lab
	cfg := fmt.Sprintf(`jumpcloud:
  api_url: %s
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
state_dir: %s
`, fl.apiURL, fl.keyFile, ldapURL, l.BaseDN, fl.ou, l.Import.Bind, l.Import.PasswordFile, l.CAFile, filepath.Join(fl.dir, "state"))
	fl.cfg = filepath.Join(fl.dir, "adjc.yaml")
	if err := os.WriteFile(fl.cfg, []byte(cfg), 0o600); err != nil {
		fl.t.Fatal(err)
	}
}

func (fl *faultLab) env() map[string]string {
	return map[string]string{"ADJC_CONFIG": fl.cfg, "NO_COLOR": "1", "HOME": fl.dir,
		"XDG_CONFIG_HOME": filepath.Join(fl.dir, "xdg"), "XDG_STATE_HOME": filepath.Join(fl.dir, "xdg-state")}
}

// run executes adjc's real command code in process, as main does.
func (fl *faultLab) run(args ...string) (stdout, stderr string, code int) {
	fl.t.Helper()
	ios, _, out, errOut := output.Test()
	env := fl.env()
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithTimeout(fl.t.Context(), 3*time.Minute)
	defer cancel()
	err := commands.Execute(ctx, commands.NewFactory(ios, lookup), args)
	commands.PrintError(ios.ErrOut, err)
	return out.String(), errOut.String(), commands.ExitCode(err)
}

// checkConverged compares the emulator with what the OU says JumpCloud
// should hold: every user exactly once, FG1 and FG2 exactly once each with
// exactly their members, and no other user or group of ours.
func (fl *faultLab) checkConverged() {
	fl.t.Helper()
	users := fl.emu.Users(fl.org)
	byID := map[string]string{}
	count := map[string]int{}
	for _, u := range users {
		byID[u.ID] = u.Username
		count[strings.ToLower(u.Username)]++
	}
	for _, name := range fl.users {
		if n := count[strings.ToLower(name)]; n != 1 {
			fl.t.Errorf("user %s is in JumpCloud %d times, want once", name, n)
		}
	}
	if len(users) != len(fl.users) {
		fl.t.Errorf("JumpCloud has %d users, want %d", len(users), len(fl.users))
	}
	seen := map[string]int{}
	for _, g := range fl.emu.UserGroups(fl.org) {
		seen[g.Name]++
		want, ok := fl.groups[g.Name]
		if !ok {
			continue
		}
		var got []string
		for _, id := range fl.emu.Members(fl.org, g.ID) {
			got = append(got, byID[id])
		}
		slices.Sort(got)
		w := slices.Sorted(slices.Values(want))
		if !slices.Equal(got, w) {
			fl.t.Errorf("group %s members = %v, want %v", g.Name, got, w)
		}
	}
	for name := range fl.groups {
		if seen[name] != 1 {
			fl.t.Errorf("group %s is in JumpCloud %d times, want once", name, seen[name])
		}
	}
	if out, errOut, code := fl.run("diff", "-o", "plain", "--detailed-exitcode"); code != 0 {
		fl.t.Errorf("diff after convergence = exit %d, want 0 (nothing to do):\n%s%s", code, out, errOut)
	}
}

// writes counts JumpCloud calls that change state.
func (fl *faultLab) writes() int {
	n := 0
	for route, c := range fl.emu.Calls() {
		if !strings.HasPrefix(route, "GET ") && !strings.HasPrefix(route, "POST /api/search/") {
			n += c
		}
	}
	return n
}

// TestFaultJumpCloudChaos: one call in five answers 429 or 503, and a few
// writes are processed but their answers lost. The first import finishes
// or stops cleanly; at most two more converge, with no duplicate user or
// group and no lost membership.
func TestFaultJumpCloudChaos(t *testing.T) {
	t.Parallel()
	fl := newFaultLab(t, 12)
	fl.emu.SetChaos(jcemu.Chaos{Rate429: 0.1, Rate5xx: 0.1})
	// Lost answers after the write happened: the client cannot tell.
	fl.emu.FailNext(jcemu.Fault{Method: "POST", Path: "/api/systemusers", Drop: true, Times: 2})
	fl.emu.FailNext(jcemu.Fault{Method: "POST", Path: "/api/v2/usergroups", Drop: true})
	fl.emu.FailNext(jcemu.Fault{Method: "POST", Path: "/api/v2/usergroups/*/members", Drop: true, Times: 2})
	converged := false
	for run := 1; run <= 3; run++ {
		out, errOut, code := fl.run("import", "--yes", "-o", "plain")
		t.Logf("run %d: exit %d\n%s%s", run, code, out, errOut)
		if strings.Contains(errOut, "panic") {
			t.Fatalf("run %d panicked", run)
		}
		switch code {
		case 0, 1, 3: // success, a clean stop, or some changes failed
		default:
			t.Fatalf("run %d: exit %d, want 0, 1 or 3", run, code)
		}
		if code == 0 && run > 1 {
			converged = true
			break
		}
	}
	fl.emu.SetChaos(jcemu.Chaos{})
	if !converged {
		t.Errorf("three runs under chaos did not all succeed")
	}
	fl.checkConverged()
}

// TestFaultScopeEmptied: with users imported, a misconfiguration empties
// the scope — the JumpCloud group emptied, or renamed so it is not found.
// Nothing is deleted and the message says why.
func TestFaultScopeEmptied(t *testing.T) {
	t.Parallel()
	fl := newFaultLab(t, 6)
	if out, errOut, code := fl.run("import", "--yes", "-o", "plain"); code != 0 {
		t.Fatalf("first import: exit %d\n%s%s", code, out, errOut)
	}
	before := len(fl.emu.Users(fl.org))
	jcDN, err := fl.findDN("JumpCloud")
	if err != nil {
		t.Fatal(err)
	}

	// Emptied: both member groups taken out of the JumpCloud group.
	for _, g := range []string{"FG1", "FG2"} {
		dn, err := fl.findDN(g)
		if err != nil {
			t.Fatal(err)
		}
		if err := fl.admin.RemoveMember(t.Context(), jcDN, dn); err != nil {
			t.Fatal(err)
		}
	}
	fl.emu.ResetCalls()
	_, errOut, code := fl.run("import", "--yes", "-o", "plain")
	if code == 0 {
		t.Fatalf("import with an empty scope succeeded; stderr:\n%s", errOut)
	}
	if !strings.Contains(errOut, fmt.Sprintf("would remove every one of the %d managed users", before)) || code != 3 {
		t.Errorf("import with an empty scope: exit %d, stderr = %q; want 3 and the removals held as removing every managed user", code, errOut)
	}
	if w := fl.writes(); w != 0 || len(fl.emu.Users(fl.org)) != before {
		t.Errorf("import with an empty scope wrote %d times; users %d → %d", w, before, len(fl.emu.Users(fl.org)))
	}

	// Renamed: no group called JumpCloud in the container any more.
	if err := fl.admin.Client().ModifyDN(ldap.NewModifyDNRequest(jcDN, "CN=JumpCloud-old", true, "")); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = fl.run("import", "--yes", "-o", "plain")
	if code == 0 || !strings.Contains(errOut, `no group named "JumpCloud"`) {
		t.Errorf("import with the group renamed: exit %d, stderr %q; want a failure naming the missing group", code, errOut)
	}
	if w := fl.writes(); w != 0 || len(fl.emu.Users(fl.org)) != before {
		t.Errorf("import with the group renamed wrote %d times", w)
	}
}

func (fl *faultLab) findDN(cn string) (string, error) {
	es, err := fl.admin.SearchAll(fl.t.Context(), ldapx.Query{Base: fl.ou, Scope: ldap.ScopeWholeSubtree, Filter: ldapx.EqualityFilter("cn", cn), Attributes: []string{"cn"}})
	if err != nil {
		return "", err
	}
	if len(es) != 1 {
		return "", fmt.Errorf("%d entries with cn=%s in %s", len(es), cn, fl.ou)
	}
	return es[0].DN, nil
}

// TestFaultLDAPCutMidRead cuts the connection to the DC after a few KiB of
// search results: import fails with a clear error, writes nothing to
// JumpCloud, and the next run (connection whole) converges.
func TestFaultLDAPCutMidRead(t *testing.T) {
	t.Parallel()
	fl := newFaultLab(t, 8)
	p := newCutProxy(t, strings.TrimPrefix(fl.lab.URL, "ldaps://"))
	fl.writeConfig("ldaps://" + p.addr)
	// The TLS handshake and bind take about 3 KiB from the DC; the scope
	// searches more. Cut part-way through the reads.
	p.cutAfter.Store(6 << 10)
	_, errOut, code := fl.run("import", "--yes", "-o", "plain")
	if code == 0 || code == 3 {
		t.Fatalf("import over a cut connection: exit %d, want a failure; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "adjc: error: domain adjc.lab") || strings.Contains(errOut, "panic") {
		t.Errorf("import over a cut connection: stderr %q, want a clear error naming the domain", errOut)
	}
	if w := fl.writes(); w != 0 {
		t.Errorf("import over a cut connection wrote %d times to JumpCloud", w)
	}
	if p.cuts.Load() == 0 {
		t.Fatalf("the proxy never cut the connection (stderr %q)", errOut)
	}
	t.Logf("cut: exit %d: %s", code, errOut)
	p.cutAfter.Store(0)
	if out, errOut, code := fl.run("import", "--yes", "-o", "plain"); code != 0 {
		t.Fatalf("import after the cut: exit %d\n%s%s", code, out, errOut)
	}
	fl.checkConverged()
}

// cutProxy forwards TCP to the DC and, when cutAfter > 0, closes both sides
// once that many bytes have come from the DC on one connection; cutAll
// closes every open connection at once.
type cutProxy struct {
	addr     string
	cutAfter atomic.Int64
	cuts     atomic.Int64

	mu   sync.Mutex
	open map[net.Conn]func()
}

// cutAll closes both sides of every connection open now, as a network
// failure would; it reports how many it cut.
func (p *cutProxy) cutAll() int {
	p.mu.Lock()
	cuts := slices.Collect(maps.Values(p.open))
	p.mu.Unlock()
	for _, cut := range cuts {
		cut()
	}
	return len(cuts)
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &cutProxy{addr: ln.Addr().String()}
	// The DC's certificate names 127.0.0.1, which the proxy shares.
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c, target)
		}
	}()
	return p
}

func (p *cutProxy) serve(c net.Conn, target string) {
	defer c.Close()
	s, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer s.Close()
	limit := p.cutAfter.Load()
	var once sync.Once
	cut := func() { once.Do(func() { p.cuts.Add(1); c.Close(); s.Close() }) }
	p.mu.Lock()
	if p.open == nil {
		p.open = map[net.Conn]func(){}
	}
	p.open[c] = cut
	p.mu.Unlock()
	defer func() { p.mu.Lock(); delete(p.open, c); p.mu.Unlock() }()
	go func() { io.Copy(s, c); cut() }()
	buf := make([]byte, 4096)
	var n int64
	for {
		k, err := s.Read(buf)
		if k > 0 {
			if limit > 0 && n+int64(k) > limit {
				c.Write(buf[:limit-n])
				cut()
				return
			}
			n += int64(k)
			if _, werr := c.Write(buf[:k]); werr != nil {
				return
			}
		}
		if err != nil {
			cut()
			return
		}
	}
}

// TestFaultKilledMidApply runs the built binary against a slow emulator,
// SIGKILLs it once the audit log shows some applied changes, then reruns:
// the audit log holds only whole JSON lines, a saved plan is never left
// half-written, and the rerun converges.
func TestFaultKilledMidApply(t *testing.T) {
	t.Parallel()
	fl := newFaultLab(t, 16)
	bin := filepath.Join(fl.dir, "adjc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	environ := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range fl.env() {
		environ = append(environ, k+"="+v)
	}
	audit := filepath.Join(fl.dir, "state", "audit.jsonl")

	fl.emu.SetChaos(jcemu.Chaos{Latency: 40 * time.Millisecond})
	cmd := exec.Command(bin, "import", "--yes", "--concurrency", "1", "-o", "plain", "--audit-log", audit)
	cmd.Env = environ
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for lines(audit) < 5 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no audit lines after 2 minutes; stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	fl.emu.SetChaos(jcemu.Chaos{})
	checkAuditWhole(t, audit)
	if cmd.ProcessState.Success() {
		t.Fatalf("the import finished before it was killed; make the emulator slower")
	}

	// A saved plan written while another process is killed is whole or absent.
	plan := filepath.Join(fl.dir, "plan.json")
	c2 := exec.Command(bin, "diff", "-o", "plain", "--out", plan)
	c2.Env = environ
	if out, err := c2.CombinedOutput(); err != nil {
		t.Fatalf("diff --out: %v\n%s", err, out)
	}
	var sp map[string]any
	if b, err := os.ReadFile(plan); err != nil || json.Unmarshal(b, &sp) != nil {
		t.Fatalf("saved plan unreadable: %v", err)
	}
	if st, err := os.Stat(plan); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("saved plan mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}

	c3 := exec.Command(bin, "import", "--yes", "-o", "plain", "--audit-log", audit)
	c3.Env = environ
	if out, err := c3.CombinedOutput(); err != nil {
		t.Fatalf("rerun after the kill: %v\n%s", err, out)
	}
	checkAuditWhole(t, audit)
	fl.checkConverged()
}

func lines(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte("\n"))
}

// checkAuditWhole fails unless every line of the audit log is one complete
// JSON object and the file ends with a newline.
func checkAuditWhole(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("audit log does not end with a newline: a torn last line")
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		var e struct {
			Outcome string `json:"outcome"`
			Object  string `json:"object"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Outcome == "" || e.Object == "" {
			t.Errorf("audit line %d is not a whole entry: %q (%v)", n, sc.Text(), err)
		}
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode = %v, want 0600", st.Mode().Perm())
	}
}
