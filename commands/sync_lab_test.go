package commands

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/secret"
)

// syncLab is the lab DC plus an in-process JumpCloud emulator with an AD
// domain object, and a config file that points adjc at both.
type syncLab struct {
	t      *testing.T
	lab    *ldaptest.Lab
	srv    *jcemu.Server
	org    string
	adID   string
	dir    string
	suffix string
	admin  *ldapx.Conn
}

const syncLabKey = "sync-lab-api-key-0123456789"

func newSyncLab(t *testing.T) *syncLab {
	t.Helper()
	l := ldaptest.Get(t)
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := jcemu.New(jcemu.WithClock(func() time.Time { return at }))
	org := srv.AddOrg("adjc sync test")
	if err := srv.AddAPIKey(syncLabKey, org); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	ad, err := srv.AddActiveDirectory(org, l.BaseDN)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := ldapx.Dial(t.Context(), ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("Dial as admin: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 3)
	rand.Read(b)
	s := &syncLab{t: t, lab: l, srv: srv, org: org, adID: ad.ID, dir: t.TempDir(), suffix: hex.EncodeToString(b), admin: admin}
	keyFile := filepath.Join(s.dir, "jc-key")
	if err := os.WriteFile(keyFile, []byte(syncLabKey), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []config.Mode{config.ModeJCAuthority, config.ModeTwoWay, config.ModeADAuthority} {
		y := fmt.Sprintf(`jumpcloud:
  api_url: %s/api
  api_key_file: %s
domains:
  - name: adjc.lab
    mode: %s
    ldap_url: %s
    base_dn: %s
    bind: %s
    bind_password_file: %s
    ca_file: %s
    jumpcloud_domain_id: %s
audit_log: %s
`, ts.URL, keyFile, mode, l.URL, l.BaseDN, l.Sync.Bind, l.Sync.PasswordFile, l.CAFile, ad.ID, filepath.Join(s.dir, "audit.jsonl"))
		if err := os.WriteFile(filepath.Join(s.dir, string(mode)+".yaml"), []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// name returns a unique, short AD-safe name; cleanup deletes its object.
func (s *syncLab) name(prefix string) string {
	n := prefix + s.suffix
	dn := "CN=" + n + ",CN=Users," + s.lab.BaseDN
	s.t.Cleanup(func() {
		ctx, cancel := contextWithTimeout()
		defer cancel()
		if err := s.admin.Delete(ctx, dn); err != nil && !strings.Contains(err.Error(), "no such object") {
			s.t.Logf("cleanup %s: %v", dn, err)
		}
	})
	return n
}

// run runs adjc with the config of mode, stdin as given, and returns the
// transcript with the random suffix replaced by XXXXXX.
func (s *syncLab) run(mode config.Mode, stdin string, args ...string) (string, string, int) {
	s.t.Helper()
	ios, in, out, errOut := output.Test()
	in.WriteString(stdin)
	env := map[string]string{"HOME": s.dir, "ADJC_CONFIG": filepath.Join(s.dir, string(mode)+".yaml"), "NO_COLOR": "1"}
	look := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	f := NewFactory(ios, look)
	f.Logger = slog.New(slog.DiscardHandler)
	f.Now = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	err := Execute(s.t.Context(), f, args)
	PrintError(ios.ErrOut, err)
	clean := func(b *bytes.Buffer) string { return strings.ReplaceAll(b.String(), s.suffix, "XXXXXX") }
	return clean(out), clean(errOut), ExitCode(err)
}

func (s *syncLab) addJCUser(name, first string) jcapi.SystemUser {
	s.t.Helper()
	u, err := s.srv.AddUser(s.org, jcapi.SystemUser{Username: name, Email: name + "@example.com", Firstname: first, Lastname: "Tester"})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.srv.Bind(s.org, s.adID, jcapi.TypeUser, u.ID); err != nil {
		s.t.Fatal(err)
	}
	return u
}

func (s *syncLab) canBind(name, pw string) bool {
	_, err := ldapx.Dial(s.t.Context(), ldapx.Options{URL: s.lab.URL, BindDN: name + "@" + strings.ToLower(s.lab.Realm),
		Password: secret.New(pw), CAFile: s.lab.CAFile})
	return err == nil
}

func (s *syncLab) adUser(name string) ldapx.User {
	s.t.Helper()
	u, err := s.admin.FindUser(s.t.Context(), "sAMAccountName", name)
	if err != nil {
		s.t.Fatalf("FindUser(%s) = %v", name, err)
	}
	return u
}

// TestSyncLab is the end-to-end proof of issue 6 on the lab DC and the
// emulator: create, take over, groups, password push, suspend and back,
// refusals, idempotence and modes.
func TestSyncLab(t *testing.T) {
	s := newSyncLab(t)
	ctx := t.Context()
	newName := s.name("sn")
	takeName := s.name("st")
	groupName := s.name("sg")

	// An AD user that exists before JumpCloud binds one of the same name.
	const oldPW = "Old-Passw0rd-Kept!"
	if _, err := s.admin.CreateUser(ctx, ldapx.NewUser{Container: "CN=Users," + s.lab.BaseDN, SAMAccountName: takeName,
		UserPrincipalName: takeName + "@" + strings.ToLower(s.lab.Realm), GivenName: "Before", SN: "Tester",
		Password: secret.New(oldPW)}); err != nil {
		t.Fatalf("CreateUser(%s) = %v", takeName, err)
	}
	nu := s.addJCUser(newName, "New")
	tu := s.addJCUser(takeName, "After")
	s.addJCUser("Administrator", "Admin") // privileged in AD: refused
	g, err := s.srv.AddUserGroup(s.org, jcapi.UserGroup{Name: groupName})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{nu.ID, tu.ID} {
		if err := s.srv.AddMember(s.org, g.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.srv.Bind(s.org, s.adID, jcapi.TypeUserGroup, g.ID); err != nil {
		t.Fatal(err)
	}

	// ad-authority forbids every write to AD.
	for _, args := range [][]string{{"sync", "--yes"}, {"sync", "password", newName}} {
		stdout, stderr, code := s.run(config.ModeADAuthority, "Str0ng-Enough-Pw!\n", args...)
		if code != ExitUsage || !strings.Contains(stderr, "ad-authority mode") {
			t.Errorf("%v in ad-authority = %d %q %q, want exit 2 naming the mode", args, code, stdout, stderr)
		}
		if strings.Contains(args[0], "sync") && len(args) == 2 {
			golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/sync_mode_forbidden.txt")
		}
	}

	// Off a terminal, sync shows the plan and refuses without --yes.
	stdout, stderr, code := s.run(config.ModeJCAuthority, "", "sync")
	if code != ExitUsage {
		t.Fatalf("sync without --yes = %d\n%s%s", code, stdout, stderr)
	}
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/sync_plan_needs_yes.txt")

	start := time.Now()
	stdout, stderr, code = s.run(config.ModeJCAuthority, "", "sync", "--yes")
	t.Logf("first sync: %v", time.Since(start))
	if code != 0 {
		t.Fatalf("sync --yes = %d\n%s%s", code, stdout, stderr)
	}
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/sync_apply.txt")

	created := s.adUser(newName)
	if created.Disabled() || created.GivenName != "New" || created.Mail != newName+"@example.com" {
		t.Errorf("created user = disabled %v, givenName %q, mail %q; want enabled New %s@example.com", created.Disabled(), created.GivenName, created.Mail, newName)
	}
	taken := s.adUser(takeName)
	if taken.GivenName != "After" {
		t.Errorf("taken-over givenName = %q, want After", taken.GivenName)
	}
	if !s.canBind(takeName, oldPW) {
		t.Errorf("taken-over user cannot bind with its old password: sync must not change it")
	}
	grp, err := s.admin.Group(ctx, "CN="+groupName+",CN=Users,"+s.lab.BaseDN)
	if err != nil {
		t.Fatalf("group %s not in AD: %v", groupName, err)
	}
	if len(grp.Members) != 2 {
		t.Errorf("group members = %v, want the 2 users", grp.Members)
	}

	// A second sync plans nothing.
	stdout, stderr, code = s.run(config.ModeJCAuthority, "", "sync")
	if code != 0 || !strings.Contains(stdout, "No changes") {
		t.Errorf("second sync = %d\n%s%s, want no changes", code, stdout, stderr)
	}

	// A weak password is refused before any write, naming every rule.
	stdout, stderr, code = s.run(config.ModeJCAuthority, "abc\n", "sync", "password", newName)
	if code != ExitFailure || !strings.Contains(stderr, "AD minPwdLength") || !strings.Contains(stderr, "AD complexity.classes") {
		t.Errorf("weak password = %d %q, want exit 1 naming minPwdLength and complexity", code, stderr)
	}
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/sync_password_weak.txt")

	// A good one is set in AD (the user can bind) and JumpCloud.
	const newPW = "Fresh-Passw0rd-42"
	stdout, stderr, code = s.run(config.ModeJCAuthority, newPW+"\n", "sync", "password", newName)
	if code != 0 {
		t.Fatalf("sync password = %d\n%s%s", code, stdout, stderr)
	}
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/sync_password_ok.txt")
	if !s.canBind(newName, newPW) {
		t.Errorf("%s cannot bind with the password set by sync password", newName)
	}
	if strings.Contains(stdout+stderr, newPW) {
		t.Errorf("the password was echoed")
	}

	// JumpCloud refuses (history) after AD accepted: the output says who
	// holds what and how to finish, and exits 3.
	if err := s.srv.SetPasswordPolicy(s.org, "custom", jcapi.PasswordPolicy{EnableMaxHistory: true, MaxHistory: 5, AllowUsernameSubstring: true}); err != nil {
		t.Fatal(err)
	}
	const reused = "Reused-Passw0rd-7"
	if err := s.srv.SetUserPassword(s.org, nu.ID, reused); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = s.run(config.ModeJCAuthority, reused+"\n", "sync", "password", newName)
	if code != ExitPartial || !strings.Contains(stderr, "AD (adjc.lab) now holds the NEW password") {
		t.Errorf("split password = %d %q, want exit 3 explaining both sides", code, stderr)
	}
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/sync_password_split.txt")

	// A privileged account is refused by the password command too.
	_, stderr, code = s.run(config.ModeJCAuthority, newPW+"\n", "sync", "password", "Administrator")
	if code != ExitFailure || !strings.Contains(stderr, "privileged") {
		t.Errorf("password for Administrator = %d %q, want refused as privileged", code, stderr)
	}

	// Suspend in JumpCloud → disabled in AD, and back.
	jc, err := jcapi.New(strings.TrimSuffix(mustAPIURL(t, s), "/"), secret.New(syncLabKey), jcapi.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := jc.SuspendSystemUser(ctx, nu.ID); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code = s.run(config.ModeJCAuthority, "", "sync", "--yes"); code != 0 {
		t.Fatalf("sync after suspend = %d %s", code, stderr)
	}
	if !s.adUser(newName).Disabled() {
		t.Errorf("suspended user is not disabled in AD")
	}
	if err := jc.ActivateSystemUser(ctx, nu.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code = s.run(config.ModeJCAuthority, "", "sync", "--yes"); code != 0 {
		t.Fatalf("sync after activate = %d %s", code, stderr)
	}
	if s.adUser(newName).Disabled() {
		t.Errorf("re-activated user is still disabled in AD")
	}

	// Membership is removed value by value when JumpCloud drops a member.
	if err := jc.RemoveUserGroupMember(ctx, g.ID, tu.ID); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code = s.run(config.ModeJCAuthority, "", "sync", "--yes"); code != 0 {
		t.Fatalf("sync after member removal = %d %s", code, stderr)
	}
	if grp, _ = s.admin.Group(ctx, grp.DN); len(grp.Members) != 1 {
		t.Errorf("group members after removal = %v, want 1", grp.Members)
	}
	audit, err := os.ReadFile(filepath.Join(s.dir, "audit.jsonl"))
	if err != nil || bytes.Contains(audit, []byte(newPW)) || bytes.Contains(audit, []byte("Passw0rd")) {
		t.Errorf("audit log unreadable or holds a password: %v", err)
	}
	// sync password audits each side it set (or failed to), never the
	// password: the good run's two lines and the split run's AD line and
	// JumpCloud refusal.
	if n := bytes.Count(audit, []byte(`"kind":"password","object":"`+newName+`"`)); n != 4 {
		t.Errorf("audit log has %d sync password lines for %s, want 4:\n%s", n, newName, audit)
	}
}

func mustAPIURL(t *testing.T, s *syncLab) string {
	b, err := os.ReadFile(filepath.Join(s.dir, string(config.ModeJCAuthority)+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "api_url: "); ok {
			return v
		}
	}
	t.Fatal("no api_url")
	return ""
}

func contextWithTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}
