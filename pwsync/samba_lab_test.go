//go:build unix

package pwsync_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/go-ldap/ldap/v3"
)

// unicodePwd is the value AD wants: the password in double quotes, UTF-16LE.
func unicodePwd(pw string) string {
	u := utf16.Encode([]rune(`"` + pw + `"`))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return string(b)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// labUser is an AD user the test made, with its JumpCloud twin.
type labUser struct {
	sam, dn, guid, jcID, pw string
	rid                     string // last part of objectSid
}

// sambaLab is the lab DC, an in-process emulator, and a running
// `adjc password-sync --source samba` pointed at both.
type sambaLab struct {
	t        testing.TB
	lab      *ldaptest.Lab
	admin    *ldap.Conn
	srv      *jcemu.Server
	org      string
	dir      string
	ou       string
	group    string
	audit    string
	stderr   string
	bin      string // the adjc that start ran
	cmd      *exec.Cmd
	exited   chan struct{}
	hold     *hold // set: password writes wait for its release
	secrets  []string
	mu       sync.Mutex
	argvSeen []string
}

func newSambaLab(t testing.TB) *sambaLab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the Samba capture test needs root: samba-tool reads the DC's privileged ldapi socket and the GnuPG key")
	}
	l := ldaptest.Get(t)
	s := newCaptureLab(t, l, func(p string) string { return p })
	for _, p := range []string{filepath.Join(l.Dir, "etc", "smb.conf"), filepath.Join(l.Dir, "gnupg")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("lab has no %s: re-provision it with this branch's scripts/lab (down, up): %v", p, err)
		}
	}
	conf, err := os.ReadFile(filepath.Join(l.Dir, "etc", "smb.conf"))
	if err != nil || !bytes.Contains(conf, []byte("password hash gpg key ids")) {
		t.Fatalf("lab smb.conf lacks 'password hash gpg key ids': re-provision it with this branch's scripts/lab")
	}
	if _, err := exec.LookPath("samba-tool"); err != nil {
		t.Fatalf("samba-tool: %v", err)
	}
	return s
}

// newCaptureLab is the part every capture test shares: the emulator with a
// strict policy, a test OU with a scope group, and adjc's config, whose
// paths go through path (the Windows build under Wine wants Z:\…).
func newCaptureLab(t testing.TB, l *ldaptest.Lab, path func(string) string) *sambaLab {
	s := &sambaLab{t: t, lab: l, admin: l.Dial(t, l.Admin), dir: t.TempDir()}
	s.srv = jcemu.New()
	s.org = s.srv.AddOrg("adjc password sync test")
	key := "pwsync-lab-key-" + randHex(8)
	if err := s.srv.AddAPIKey(key, s.org); err != nil {
		t.Fatal(err)
	}
	// JumpCloud's policy is stricter than AD's (7 characters, 3 classes):
	// 14 characters, so a 10-character password AD takes is refused here.
	if err := s.srv.SetPasswordPolicy(s.org, "custom", jcapi.PasswordPolicy{EnableMinLength: true, MinLength: 14, NeedsUppercase: true, NeedsNumeric: true}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(s.serveJumpCloud))
	t.Cleanup(ts.Close)
	keyFile := filepath.Join(s.dir, "jc-key")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	bindPW := filepath.Join(s.dir, "bind-password")
	if err := os.WriteFile(bindPW, []byte(l.Import.Password.Reveal()), 0o600); err != nil {
		t.Fatal(err)
	}
	ou := l.TempOU(t)
	group := "PwScope-" + randHex(3)
	s.ou, s.group = ou, group
	s.add(ldap.AddRequest{DN: "CN=" + group + "," + ou, Attributes: []ldap.Attribute{
		{Type: "objectClass", Vals: []string{"group"}}, {Type: "sAMAccountName", Vals: []string{group}}}})
	s.audit = filepath.Join(s.dir, "state", "audit.jsonl")
	y := fmt.Sprintf(`jumpcloud:
  api_url: %s/api
  api_key_file: %s
domains:
  - name: adjc.lab
    mode: ad-authority
    ldap_url: %s
    base_dn: %s
    root_container: %s
    jumpcloud_group: %s
    bind: %s
    bind_password_file: %s
    ca_file: %s
state_dir: %s
audit_log: %s
`, ts.URL, path(keyFile), l.URL, l.BaseDN, ou, group, l.Import.Bind, path(bindPW), path(l.CAFile), path(filepath.Join(s.dir, "state")), path(s.audit))
	if err := os.WriteFile(filepath.Join(s.dir, "adjc.yaml"), []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *sambaLab) add(req ldap.AddRequest) {
	s.t.Helper()
	if err := s.admin.Add(&req); err != nil {
		s.t.Fatalf("add %s: %v", req.DN, err)
	}
}

// user makes an enabled AD user in ou with a password, optionally in the
// scope group, a PSO that lets it change its password at once (the domain's
// minPwdAge is a day), and its anchored JumpCloud twin.
func (s *sambaLab) user(ou, group, prefix string, inScope bool) labUser {
	s.t.Helper()
	u := labUser{sam: prefix + randHex(3), pw: "Old-" + randHex(6) + "-Aa1"}
	u.dn = "CN=" + u.sam + "," + ou
	s.secrets = append(s.secrets, u.pw)
	s.add(ldap.AddRequest{DN: u.dn, Attributes: []ldap.Attribute{
		{Type: "objectClass", Vals: []string{"user"}}, {Type: "sAMAccountName", Vals: []string{u.sam}},
		{Type: "userPrincipalName", Vals: []string{u.sam + "@" + strings.ToLower(s.lab.Realm)}},
		{Type: "unicodePwd", Vals: []string{unicodePwd(u.pw)}}, {Type: "userAccountControl", Vals: []string{"512"}}}})
	if inScope {
		m := ldap.NewModifyRequest("CN="+group+","+ou, nil)
		m.Add("member", []string{u.dn})
		if err := s.admin.Modify(m); err != nil {
			s.t.Fatal(err)
		}
	}
	pso := "CN=adjc-test-" + u.sam + ",CN=Password Settings Container,CN=System," + s.lab.BaseDN
	s.add(ldap.AddRequest{DN: pso, Attributes: []ldap.Attribute{
		{Type: "objectClass", Vals: []string{"msDS-PasswordSettings"}},
		{Type: "msDS-PasswordSettingsPrecedence", Vals: []string{"1"}},
		{Type: "msDS-PasswordReversibleEncryptionEnabled", Vals: []string{"FALSE"}},
		{Type: "msDS-PasswordHistoryLength", Vals: []string{"0"}},
		{Type: "msDS-PasswordComplexityEnabled", Vals: []string{"TRUE"}},
		{Type: "msDS-MinimumPasswordLength", Vals: []string{"7"}},
		{Type: "msDS-MinimumPasswordAge", Vals: []string{"0"}},
		{Type: "msDS-MaximumPasswordAge", Vals: []string{"-36288000000000"}},
		{Type: "msDS-LockoutThreshold", Vals: []string{"0"}},
		{Type: "msDS-LockoutObservationWindow", Vals: []string{"-18000000000"}},
		{Type: "msDS-LockoutDuration", Vals: []string{"-18000000000"}},
		{Type: "msDS-PSOAppliesTo", Vals: []string{u.dn}}}})
	s.t.Cleanup(func() {
		c, err := ldap.DialURL(s.lab.URL, ldap.DialWithTLSConfig(s.lab.TLSConfig()))
		if err != nil {
			return
		}
		defer c.Close()
		if c.Bind(s.lab.Admin.Bind, s.lab.Admin.Password.Reveal()) == nil {
			_ = c.Del(ldap.NewDelRequest(pso, nil))
		}
	})
	res, err := s.admin.Search(ldap.NewSearchRequest(u.dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"objectGUID", "objectSid"}, nil))
	if err != nil || len(res.Entries) != 1 {
		s.t.Fatalf("read %s: %v", u.dn, err)
	}
	if u.guid, err = ldapx.GUIDString(res.Entries[0].GetRawAttributeValue("objectGUID")); err != nil {
		s.t.Fatal(err)
	}
	sid, err := ldapx.SIDString(res.Entries[0].GetRawAttributeValue("objectSid"))
	if err != nil {
		s.t.Fatal(err)
	}
	u.rid = sid[strings.LastIndexByte(sid, '-')+1:]
	ju, err := s.srv.AddUser(s.org, jcapi.SystemUser{Username: u.sam, Email: u.sam + "@example.com",
		Attributes: []jcapi.Attribute{{Name: "adjcObjectGUID", Value: u.guid}}})
	if err != nil {
		s.t.Fatal(err)
	}
	u.jcID = ju.ID
	return u
}

// change changes u's password as u itself (old → new: unicodePwd delete of
// the old value and add of the new one, as a user without reset rights must).
func (s *sambaLab) change(u *labUser, pw string) {
	s.t.Helper()
	s.secrets = append(s.secrets, pw)
	c, err := ldap.DialURL(s.lab.URL, ldap.DialWithTLSConfig(s.lab.TLSConfig()))
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(u.sam+"@"+strings.ToLower(s.lab.Realm), u.pw); err != nil {
		s.t.Fatalf("bind as %s: %v", u.sam, err)
	}
	m := ldap.NewModifyRequest(u.dn, nil)
	m.Delete("unicodePwd", []string{unicodePwd(u.pw)})
	m.Add("unicodePwd", []string{unicodePwd(pw)})
	if err := c.Modify(m); err != nil {
		s.t.Fatalf("%s changes its own password: %v", u.sam, err)
	}
	u.pw = pw
}

// start builds adjc and runs `adjc password-sync --source samba` until the
// test ends, returning when samba-tool waits for changes.
func (s *sambaLab) start() {
	s.startWith("password-sync", "--source", "samba", "--smb-conf", filepath.Join(s.lab.Dir, "etc", "smb.conf"), "--retry-for", "20s", "-vv")
}

// startWith is start with other adjc arguments (`schedule --password-sync`).
func (s *sambaLab) startWith(args ...string) {
	t := s.t
	t.Helper()
	// ADJC_PWSYNC_ADJC names a built adjc (scripts/bench passes its own).
	bin := os.Getenv("ADJC_PWSYNC_ADJC")
	if bin == "" {
		bin = filepath.Join(s.dir, "adjc")
		build := exec.Command("go", "build", "-o", bin, "github.com/adjc/adjc/cmd/adjc")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build adjc: %v\n%s", err, out)
		}
	}
	s.stderr = filepath.Join(s.dir, "adjc.log")
	logf, err := os.Create(s.stderr)
	if err != nil {
		t.Fatal(err)
	}
	s.bin = bin
	cmd := exec.Command(bin, args...)
	cmd.Env = s.env()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited = cmd, exited
	go func() { _ = cmd.Wait(); logf.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		// samba-tool and its gpg-agent may outlive a killed adjc: end the
		// process group adjc led.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	})
	// Watch argv of every process while the test runs.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.watchArgv(ctx) }()
	t.Cleanup(func() { stop(); wg.Wait() })
	deadline := time.Now().Add(90 * time.Second)
	for {
		b, _ := os.ReadFile(s.stderr)
		if bytes.Contains(b, []byte("dirsync_loop(): results")) {
			return
		}
		select {
		case <-exited:
			t.Fatalf("adjc password-sync exited:\n%s", b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("samba-tool did not start waiting for changes within 90 s (adjc %s):\n%s", strings.Join(args, " "), b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// hold keeps JumpCloud password writes waiting: arrived closes when the
// first one comes, and each waits until release closes.
type hold struct {
	arrived, release chan struct{}
	once             sync.Once
}

// serveJumpCloud is the emulator, with password writes held while s.hold
// is set.
func (s *sambaLab) serveJumpCloud(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.hold
	s.mu.Unlock()
	if h != nil && r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/systemusers/") {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		if bytes.Contains(b, []byte(`"password"`)) {
			h.once.Do(func() { close(h.arrived) })
			<-h.release
		}
	}
	s.srv.ServeHTTP(w, r)
}

// env is the environment adjc runs with in these tests.
func (s *sambaLab) env() []string {
	return append(os.Environ(), "ADJC_CONFIG="+filepath.Join(s.dir, "adjc.yaml"), "GNUPGHOME="+filepath.Join(s.lab.Dir, "gnupg"), "HOME="+s.dir)
}

// watchArgv records every command line seen in /proc while the test runs.
func (s *sambaLab) watchArgv(ctx context.Context) {
	seen := map[string]bool{}
	for ctx.Err() == nil {
		ms, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, m := range ms {
			b, err := os.ReadFile(m)
			if err != nil || len(b) == 0 {
				continue
			}
			a := string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
			if !seen[a] {
				seen[a] = true
				s.mu.Lock()
				s.argvSeen = append(s.argvSeen, a)
				s.mu.Unlock()
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// outcome waits for the audit line about account and returns it.
func (s *sambaLab) outcome(account string, after int) (map[string]any, int) {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		f, err := os.Open(s.audit)
		if err == nil {
			sc := bufio.NewScanner(f)
			n := 0
			for sc.Scan() {
				n++
				var e map[string]any
				if json.Unmarshal(sc.Bytes(), &e) == nil && e["object"] == account && n > after {
					f.Close()
					return e, n
				}
			}
			f.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(s.stderr)
	s.t.Fatalf("no audit line for %s within a minute; adjc log:\n%s", account, b)
	return nil, 0
}

func auditLines(t testing.TB, path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte("\n"))
}

func TestSambaCaptureLab(t *testing.T) {
	s := newSambaLab(t)
	ou, group := s.ou, s.group
	in := s.user(ou, group, "pwin", true)
	out := s.user(ou, group, "pwout", false)
	s.start()

	t.Run("in scope: delivered", func(t *testing.T) { s.delivered(t, &in) })

	t.Run("refused by JumpCloud's policy: reported once", func(t *testing.T) {
		before := auditLines(t, s.audit)
		old := in.pw
		s.change(&in, "Ab1-"+randHex(3)) // 10 characters: AD takes it, JumpCloud wants 14
		e, n := s.outcome(in.sam, before)
		if e["outcome"] != "failed" || !strings.Contains(fmt.Sprint(e["error"]), "minLength") {
			t.Errorf("audit line = %v, want outcome failed naming minLength", e)
		}
		if ok, _ := s.srv.PasswordMatches(s.org, in.jcID, old); !ok {
			t.Error("JumpCloud lost the previous password after a refused change")
		}
		// Not retried: no second line for it while another change goes through.
		s.change(&in, "Third-"+randHex(6)+"-Cc3")
		e, _ = s.outcome(in.sam, n)
		if e["outcome"] != "applied" {
			t.Errorf("the next change after a refusal: %v, want applied", e)
		}
	})

	t.Run("JumpCloud failing for a while: retried from memory, then delivered", func(t *testing.T) {
		before := auditLines(t, s.audit)
		// 7 answers of 503: the client's own 6 tries of the first attempt,
		// and the first try of the Deliverer's second attempt.
		s.srv.FailNext(jcemu.Fault{Method: "PUT", Path: "/api/systemusers/*", Times: 7, Status: 503})
		pw := "Retry-" + randHex(6) + "-Ii9x"
		s.change(&in, pw)
		e, _ := s.outcome(in.sam, before)
		if e["outcome"] != "applied" {
			t.Fatalf("audit line = %v, want applied after retries", e)
		}
		if ok, _ := s.srv.PasswordMatches(s.org, in.jcID, pw); !ok {
			t.Error("JumpCloud does not hold the password after the retries")
		}
		if b, _ := os.ReadFile(s.stderr); !bytes.Contains(b, []byte("not delivered yet; retrying")) {
			t.Error("no retry was logged: the fault did not reach the Deliverer")
		}
	})

	t.Run("out of scope: ignored", func(t *testing.T) {
		before := auditLines(t, s.audit)
		old := out.pw
		s.change(&out, "Out-"+randHex(6)+"-Dd4x")
		e, _ := s.outcome(out.sam, before)
		if e["outcome"] != "skipped" || !strings.Contains(fmt.Sprint(e["error"]), "scope") {
			t.Errorf("audit line = %v, want skipped (out of scope)", e)
		}
		if ok, _ := s.srv.PasswordMatches(s.org, out.jcID, out.pw); ok {
			t.Error("an out-of-scope user's password reached JumpCloud")
		}
		_ = old
	})

	t.Run("cleartext nowhere", s.noCleartext)
}

func must(b []byte, _ error) []byte { return b }

// BenchmarkSambaCaptureLatency measures change-to-JumpCloud latency on the
// lab: one in-scope user changes its own password over LDAP, ADJC_PWSYNC_
// BENCH_CHANGES times (default 100), and each sample is the time from
// sending the LDAP modify to the emulator holding the new password, polled
// every 5 ms. It includes Samba's change notification, samba-tool's DirSync
// and GnuPG decryption, the hook, the socket and the delivery. Reports p50,
// p99 (nearest rank), min and max in seconds; run with -benchtime 1x.
func BenchmarkSambaCaptureLatency(b *testing.B) {
	n := 100
	if v := os.Getenv("ADJC_PWSYNC_BENCH_CHANGES"); v != "" {
		fmt.Sscan(v, &n)
	}
	s := newSambaLab(b)
	u := s.user(s.ou, s.group, "pwbench", true)
	s.start()
	var lat []float64
	for b.Loop() {
		lat = lat[:0]
		for i := range n {
			pw := fmt.Sprintf("Bench-%d-%s-Zz9", i, randHex(4))
			start := time.Now()
			s.change(&u, pw)
			for {
				ok, err := s.srv.PasswordMatches(s.org, u.jcID, pw)
				if err != nil {
					b.Fatal(err)
				}
				if ok {
					break
				}
				if time.Since(start) > time.Minute {
					logb, _ := os.ReadFile(s.stderr)
					b.Fatalf("change %d not delivered within a minute; adjc log:\n%s", i, logb)
				}
				time.Sleep(5 * time.Millisecond)
			}
			lat = append(lat, time.Since(start).Seconds())
			if os.Getenv("PWSYNC_DEBUG") != "" {
				b.Logf("change %d sent %s took %v", i, start.UTC().Format("15:04:05.000"), time.Since(start))
			}
		}
	}
	if p := os.Getenv("PWSYNC_DEBUG"); p != "" {
		// A copy of adjc's log for a look at where the time goes.
		logb, _ := os.ReadFile(s.stderr)
		_ = os.WriteFile(p, logb, 0o600)
	}
	slices.Sort(lat)
	rank := func(p float64) float64 { return lat[max(0, int(math.Ceil(p*float64(len(lat))))-1)] }
	b.ReportMetric(rank(0.5), "p50-s")
	b.ReportMetric(rank(0.99), "p99-s")
	b.ReportMetric(lat[0], "min-s")
	b.ReportMetric(lat[len(lat)-1], "max-s")
	b.ReportMetric(float64(len(lat)), "changes")
}

// delivered: u changes its own password over LDAP, old → new, and within
// 5 s JumpCloud holds the new one; the audit line says applied.
func (s *sambaLab) delivered(t *testing.T, u *labUser) {
	before := auditLines(t, s.audit)
	pw := "New-" + randHex(6) + "-Bb2x"
	start := time.Now()
	s.change(u, pw)
	var took time.Duration
	for {
		ok, err := s.srv.PasswordMatches(s.org, u.jcID, pw)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			took = time.Since(start)
			break
		}
		if time.Since(start) > 5*time.Second {
			b, _ := os.ReadFile(s.stderr)
			t.Fatalf("JumpCloud does not hold the new password 5 s after the change; adjc log:\n%s", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("change to JumpCloud: %v", took)
	if os.Getenv("PWSYNC_DEBUG") != "" {
		b, _ := os.ReadFile(s.stderr)
		t.Logf("%s", b)
	}
	e, _ := s.outcome(u.sam, before)
	if e["outcome"] != "applied" || e["user_id"] != u.jcID || e["kind"] != "password" {
		t.Errorf("audit line = %v, want kind password, outcome applied for user %s", e, u.jcID)
	}
}

// noCleartext: no password the test used, raw, base64 or UTF-16, is in
// adjc's log, the audit log, the state folder, samba.log or any command
// line seen while the test ran.
func (s *sambaLab) noCleartext(t *testing.T) {
	// Stop adjc first, so every log line and file is final.
	time.Sleep(200 * time.Millisecond)
	var forms []string
	for _, p := range s.secrets {
		forms = append(forms, p, base64.StdEncoding.EncodeToString([]byte(p)), unicodePwd(p)[2:len(unicodePwd(p))-2])
	}
	check := func(where string, b []byte) {
		for _, f := range forms {
			if bytes.Contains(b, []byte(f)) {
				t.Errorf("a password (or its base64/UTF-16) is in %s", where)
			}
		}
	}
	logb, _ := os.ReadFile(s.stderr)
	if !bytes.Contains(logb, []byte("samba-tool")) {
		t.Errorf("the adjc log has no samba-tool lines; the grep would prove nothing:\n%s", logb)
	}
	check("adjc's log", logb)
	check("the audit log", must(os.ReadFile(s.audit)))
	_ = filepath.WalkDir(filepath.Join(s.dir, "state"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(p); err == nil {
				check(p, b)
			}
		}
		return nil
	})
	check("samba.log", must(os.ReadFile(filepath.Join(s.lab.Dir, "samba.log"))))
	s.mu.Lock()
	argv := strings.Join(s.argvSeen, "\n")
	n := len(s.argvSeen)
	s.mu.Unlock()
	if !strings.Contains(argv, "samba-hook") {
		t.Errorf("the argv watcher never saw the samba-tool hook run (%d command lines seen); it proves nothing", n)
	}
	check("a process's argv (/proc/*/cmdline)", []byte(argv))
}
