package preflight

// Lab tests: each check against the Samba AD DC and an in-process JumpCloud
// emulator, in both outcomes. The lab's fixture is never changed: throwaway
// service accounts live in a per-test OU (ldaptest.TempOU), and the one
// fixture change the proof needs — an account in Domain Admins — is undone
// by a cleanup.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/secret"
)

// env is one test's lab DC and JumpCloud emulator, and the settings a
// scenario may change before gathering.
type env struct {
	t     *testing.T
	lab   *ldaptest.Lab
	emu   *jcemu.Server
	org   string
	dir   string
	admin *ldapx.Conn

	LDAPURL        string
	CAFile         string
	AllowPlaintext bool
	StartTLS       bool
	Mode           config.Mode
	Bind           string
	BindPassword   string // written to a 0600 file
	RootContainer  string
	JumpCloudGroup string
	APIURL         string
	APIKey         string
	Now            func() time.Time
	SyncToolBase   string
	SkipScope      bool
	// Extra YAML lines for the domain (import_bind, sync_bind…).
	Extra string
}

const labKey = "0123456789abcdef0123456789abcdef01234567"

func newEnv(t *testing.T) *env {
	t.Helper()
	l := ldaptest.Get(t)
	emu := jcemu.New()
	org := emu.AddOrg("Lab Org")
	if err := emu.AddAPIKey(labKey, org); err != nil {
		t.Fatal(err)
	}
	ad, err := emu.AddActiveDirectory(org, l.BaseDN)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	c, err := jcapi.New(srv.URL+"/api", secret.New(labKey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateActiveDirectory(t.Context(), ad.ID, jcapi.ActiveDirectory{UseCase: "TWOWAYSYNC", DelegationState: "ENABLED"}); err != nil {
		t.Fatal(err)
	}
	// Aligned with the lab's default domain policy (7 characters).
	if err := emu.SetPasswordPolicy(org, "custom", jcapi.PasswordPolicy{EnableMinLength: true, MinLength: 7}); err != nil {
		t.Fatal(err)
	}
	admin, err := ldapx.Dial(t.Context(), ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return &env{
		t: t, lab: l, emu: emu, org: org, dir: t.TempDir(), admin: admin,
		LDAPURL: l.URL, CAFile: l.CAFile, Mode: config.ModeTwoWay,
		Bind: l.Sync.Bind, BindPassword: l.Sync.Password.Reveal(),
		RootContainer: "CN=Users," + l.BaseDN, JumpCloudGroup: "JumpCloud",
		APIURL: srv.URL + "/api", APIKey: labKey, Now: time.Now, SkipScope: true,
		// Other packages' lab tests create MSOL_ accounts in their temp OUs
		// while these run; a whole-domain search would see them. CN=Users is
		// on every domain and no test puts a sync-tool account there.
		SyncToolBase: "CN=Users," + l.BaseDN,
	}
}

// gather writes the config, loads it as adjc does and gathers the facts.
func (e *env) gather() Facts {
	e.t.Helper()
	write := func(name, content string) string {
		p := filepath.Join(e.dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			e.t.Fatal(err)
		}
		return p
	}
	yaml := fmt.Sprintf(`jumpcloud:
  api_url: %s
  api_key_file: %s
domains:
  - name: adjc.lab
    mode: %s
    ldap_url: %s
    base_dn: %s
    root_container: %s
    bind: %s
    bind_password_file: %s
    ca_file: %s
    allow_plaintext: %t
    start_tls: %t
    jumpcloud_group: %s
%s`, e.APIURL, write("key", e.APIKey), e.Mode, e.LDAPURL, e.lab.BaseDN, e.RootContainer, e.Bind,
		write("bindpw", e.BindPassword), e.CAFile, e.AllowPlaintext, e.StartTLS, e.JumpCloudGroup, e.Extra)
	path := write("adjc.yaml", yaml)
	cfg, err := config.Load(config.LoadOptions{LookupEnv: func(k string) (string, bool) {
		if k == config.EnvConfig {
			return path, true
		}
		return "", false
	}})
	if err != nil {
		e.t.Fatalf("config.Load = %v", err)
	}
	return Gather(e.t.Context(), Input{Config: cfg, Domain: &cfg.Domains[0], Now: e.Now,
		Logger: slog.New(slog.DiscardHandler), SyncToolBase: e.SyncToolBase, skipScope: e.SkipScope})
}

// expect checks the statuses of the named checks ("area/name").
func (e *env) expect(f Facts, want map[string]Status) {
	e.t.Helper()
	got := map[string]Check{}
	for _, c := range Evaluate(f).Checks {
		got[string(c.Area)+"/"+c.Name] = c
	}
	for name, st := range want {
		c, ok := got[name]
		switch {
		case !ok:
			e.t.Errorf("no check %s", name)
		case c.Status != st:
			e.t.Errorf("%s = %s (%s; fix: %s), want %s", name, c.Status, c.Reason, c.Fix, st)
		}
	}
}

// account creates a throwaway user in a temp OU, with a password, and
// makes it the bind account.
func (e *env) account(prefix string, neverExpires bool) ldapx.User {
	e.t.Helper()
	ou := e.lab.TempOU(e.t)
	var b [3]byte
	_, _ = rand.Read(b[:])
	sam := prefix + hex.EncodeToString(b[:])
	pw := "Pf-" + hex.EncodeToString(b[:]) + "-Xy9!"
	u, err := e.admin.CreateUser(e.t.Context(), ldapx.NewUser{Container: ou, SAMAccountName: sam,
		UserPrincipalName: sam + "@" + strings.ToLower(e.lab.Realm), Password: secret.New(pw)})
	if err != nil {
		e.t.Fatalf("create %s: %v", sam, err)
	}
	if neverExpires {
		uac := fmt.Sprint(uint32(u.UAC | ldapx.UACDontExpirePassword))
		if err := e.admin.Modify(e.t.Context(), u.DN, map[string][]string{"userAccountControl": {uac}}); err != nil {
			e.t.Fatal(err)
		}
	}
	e.Bind, e.BindPassword = u.UserPrincipalName, pw
	return u
}

func TestLabBaseline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.SkipScope = false
	start := time.Now()
	f := e.gather()
	t.Logf("gather with scope: %v", time.Since(start))
	e.expect(f, map[string]Status{
		"config/valid": Pass, "config/bind-password": Pass, "config/api-key": Pass,
		"ldap/reachable": Pass, "ldap/encryption": Pass, "ldap/certificate": Pass, "ldap/bind": Pass,
		"account/privileged-groups": Pass, "account/name": Pass, "account/jumpcloud-group": Pass,
		"account/admincount": Pass, "account/password-expiry": Pass, "account/read-users": Pass,
		"account/create-users": Pass, "account/create-groups": Pass, "account/reset-passwords": Pass, "account/write-attributes": Pass, "account/write-members": Pass,
		"directory/jumpcloud-group": Pass, "directory/admins-group": Pass, "directory/root-dn-ascii": Pass,
		// The fixture's edge cases.
		"directory/privileged-users": Warn, "directory/incomplete-users": Warn, "directory/outside-root": Pass,
		"directory/large-groups": Pass, "directory/nesting-cycles": Warn,
		"jumpcloud/https": Warn, "jumpcloud/reachable": Pass, "jumpcloud/api-key": Pass,
		"jumpcloud/organization": Pass, "jumpcloud/domain": Pass, "jumpcloud/domain-delegation": Pass, "jumpcloud/domain-use-case": Pass,
		"passwords/min-length": Pass, "passwords/complexity": Warn,
		"conflicts/entra-connect": Pass, "clock/skew": Pass,
	})
	s := f.Scope
	if s == nil {
		t.Fatalf("no scope: %v", f.ScopeErr)
	}
	if !contains(s.Privileged, "privileged") || !contains(s.NoEmail, "noemail") || len(s.Outside) == 0 ||
		len(s.LargeGroups) != 1 || !strings.HasPrefix(s.LargeGroups[0], "BigGroup (1600") || len(s.Cycles) == 0 {
		t.Errorf("scope summary = %+v", *s)
	}
}

func contains(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

func TestLabReadOnlyAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Bind, e.BindPassword = e.lab.Import.Bind, e.lab.Import.Password.Reveal()
	f := e.gather()
	e.expect(f, map[string]Status{
		"account/read-users": Pass, "account/create-users": Fail, "account/create-groups": Fail, "account/reset-passwords": Fail,
		"account/write-attributes": Fail, "account/write-members": Fail,
	})
	e.Mode = config.ModeADAuthority
	e.expect(e.gather(), map[string]Status{"account/create-users": Skip, "account/create-groups": Skip, "account/write-members": Skip})
}

// TestLabDomainAdmin puts a throwaway account in Domain Admins (the one
// fixture change here) and takes it out again.
func TestLabDomainAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.account("svcda", true)
	da := "CN=Domain Admins,CN=Users," + e.lab.BaseDN
	if err := e.admin.AddMember(t.Context(), da, u.DN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Its own connection: the test's may be gone by now.
		c, err := ldapx.Dial(context.Background(), ldapx.Options{URL: e.lab.URL, BindDN: e.lab.Admin.Bind, Password: e.lab.Admin.Password, CAFile: e.lab.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
		if err == nil {
			defer c.Close()
			err = c.RemoveMember(context.Background(), da, u.DN)
		}
		if err != nil {
			t.Errorf("remove %s from Domain Admins: %v", u.DN, err)
		}
	})
	f := e.gather()
	e.expect(f, map[string]Status{"account/privileged-groups": Fail, "account/name": Pass, "account/admincount": Pass, "account/password-expiry": Pass})
	if c := find(Evaluate(f), "account", "privileged-groups"); !strings.Contains(c.Reason, "Domain Admins") {
		t.Errorf("privileged-groups reason = %q, want Domain Admins named", c.Reason)
	}
}

func TestLabAccountNamedJumpCloud(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.account("JumpCloud", true)
	e.expect(e.gather(), map[string]Status{"account/name": Fail, "account/privileged-groups": Pass})
}

// TestLabAccountInJumpCloudGroup builds its own Root User container (a temp
// OU) with its own JumpCloud group holding, through a nested group, the
// service account: the fixture's JumpCloud group is never touched.
func TestLabAccountInJumpCloudGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.account("svcjc", true)
	ctx := t.Context()
	root := e.lab.TempOU(t)
	inner, err := e.admin.CreateGroup(ctx, root, "Inner", "in-"+u.SAMAccountName)
	if err != nil {
		t.Fatal(err)
	}
	jc, err := e.admin.CreateGroup(ctx, root, "JumpCloud", "jc-"+u.SAMAccountName)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range [][2]string{{inner.DN, u.DN}, {jc.DN, inner.DN}} {
		if err := e.admin.AddMember(ctx, m[0], m[1]); err != nil {
			t.Fatal(err)
		}
	}
	e.RootContainer = root
	f := e.gather()
	e.expect(f, map[string]Status{"account/jumpcloud-group": Fail, "directory/jumpcloud-group": Pass, "directory/admins-group": Warn})
}

func TestLabExpiringPasswordAndAdminCount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.account("svcexp", false)
	e.expect(e.gather(), map[string]Status{"account/password-expiry": Warn, "account/admincount": Pass})
	if err := e.admin.Modify(t.Context(), u.DN, map[string][]string{"adminCount": {"1"}}); err != nil {
		t.Fatal(err)
	}
	e.expect(e.gather(), map[string]Status{"account/admincount": Fail})
}

func TestLabJumpCloudGroupMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.JumpCloudGroup = "NoSuchGroup-adjc"
	e.expect(e.gather(), map[string]Status{
		"directory/jumpcloud-group": Fail, "account/jumpcloud-group": Skip, "directory/privileged-users": Skip,
		"account/write-members": Skip,
	})
}

func TestLabPlaintextLDAP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u, _ := url.Parse(e.lab.URL)
	e.LDAPURL = "ldap://" + u.Hostname() + ":389"
	e.expect(e.gather(), map[string]Status{
		"ldap/reachable": Pass, "ldap/encryption": Fail, "ldap/certificate": Skip, "ldap/bind": Skip, "account/name": Skip,
	})
	// Explicitly allowed: still a WARN, and Samba refuses the simple bind.
	e.AllowPlaintext = true
	e.expect(e.gather(), map[string]Status{"ldap/encryption": Warn, "ldap/bind": Fail})
}

// TestLabStartTLS: start_tls on the DC's port 389 is verified like LDAPS
// and preflight names the transport in its verdicts.
func TestLabStartTLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u, _ := url.Parse(e.lab.URL)
	e.LDAPURL, e.StartTLS = "ldap://"+u.Hostname()+":389", true
	f := e.gather()
	e.expect(f, map[string]Status{"ldap/reachable": Pass, "ldap/encryption": Pass, "ldap/certificate": Pass, "ldap/bind": Pass})
	if c := find(Evaluate(f), "ldap", "encryption"); !strings.HasPrefix(c.Reason, "StartTLS, TLS 1.") {
		t.Errorf("encryption = %+v, want StartTLS named", c)
	}
	if c := find(Evaluate(f), "ldap", "bind"); !strings.HasSuffix(c.Reason, "over StartTLS") {
		t.Errorf("bind = %+v, want the transport named", c)
	}
	// The same with a CA that did not sign the DC's certificate: refused
	// before the bind, as for LDAPS.
	e.CAFile = filepath.Join(e.dir, "other-ca.pem")
	writeCA(t, e.CAFile)
	e.expect(e.gather(), map[string]Status{"ldap/encryption": Pass, "ldap/certificate": Fail, "ldap/bind": Skip})
}

// TestLabPerDirectionAccounts: with import_bind and sync_bind, preflight
// binds as each and checks each for its own direction's rights: the
// read-only import account only reads, the sync account must be delegated
// the writes; a read-only account as sync_bind fails them.
func TestLabPerDirectionAccounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Bind = ""
	extra := func(syncBind ldaptest.Account) string {
		return fmt.Sprintf("    import_bind: %s\n    import_bind_password_file: %s\n    sync_bind: %s\n    sync_bind_password_file: %s\n",
			e.lab.Import.Bind, e.lab.Import.PasswordFile, syncBind.Bind, syncBind.PasswordFile)
	}
	e.Extra = extra(e.lab.Sync)
	// No shared bind: the file's "bind:" is empty, as bind is not needed
	// when every direction has its own account.
	f := e.gather()
	e.expect(f, map[string]Status{
		"config/import-bind-password": Pass, "config/sync-bind-password": Pass,
		"ldap/bind-import": Pass, "ldap/bind-sync": Pass,
		"account/import-read-users": Pass, "account/import-privileged-groups": Pass,
		"account/import-create-users": Skip, "account/import-reset-passwords": Skip,
		"account/sync-read-users": Pass, "account/sync-create-users": Pass, "account/sync-create-groups": Pass, "account/sync-reset-passwords": Pass,
		"account/sync-write-attributes": Pass, "account/sync-write-members": Pass,
	})
	if c := find(Evaluate(f), "account", "import-create-users"); !strings.Contains(c.Reason, "import only") {
		t.Errorf("import-create-users = %+v, want it skipped as import-only", c)
	}
	e.Extra = extra(e.lab.Import) // the read-only account as sync_bind
	e.expect(e.gather(), map[string]Status{
		"ldap/bind-sync": Pass, "account/sync-create-users": Fail, "account/sync-create-groups": Fail, "account/sync-reset-passwords": Fail,
	})
}

func TestLabWrongCA(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.CAFile = filepath.Join(e.dir, "other-ca.pem")
	writeCA(t, e.CAFile)
	f := e.gather()
	e.expect(f, map[string]Status{"ldap/reachable": Pass, "ldap/encryption": Pass, "ldap/certificate": Fail, "ldap/bind": Skip})
	if c := find(Evaluate(f), "ldap", "certificate"); !strings.Contains(c.Reason, "unknown authority") || !strings.Contains(c.Fix, "ca_file") {
		t.Errorf("certificate = %+v, want an unknown authority and a ca_file fix", c)
	}
}

// writeCA writes a CA certificate that signed nothing the lab uses.
func writeCA(t *testing.T, path string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Not the lab CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLabJumpCloudAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.APIKey = strings.Repeat("f", 40)
	e.expect(e.gather(), map[string]Status{"jumpcloud/reachable": Pass, "jumpcloud/api-key": Fail, "jumpcloud/domain": Skip, "passwords/min-length": Skip})

	e.APIKey = labKey
	e.APIURL = "http://127.0.0.1:1/api"
	e.expect(e.gather(), map[string]Status{"jumpcloud/reachable": Fail, "jumpcloud/api-key": Skip})
}

func TestLabPasswordPolicies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		compliance string
		policy     jcapi.PasswordPolicy
		length     Status
		complexity Status
	}{
		{"custom", jcapi.PasswordPolicy{EnableMinLength: true, MinLength: 7, NeedsLowercase: true, NeedsUppercase: true, NeedsNumeric: true}, Pass, Warn},
		{"windows", jcapi.PasswordPolicy{}, Warn, Pass},
		{"custom", jcapi.PasswordPolicy{EnableMinLength: true, MinLength: 4}, Warn, Warn},
	} {
		if err := e.emu.SetPasswordPolicy(e.org, tc.compliance, tc.policy); err != nil {
			t.Fatal(err)
		}
		e.expect(e.gather(), map[string]Status{"passwords/min-length": tc.length, "passwords/complexity": tc.complexity})
	}
}

func TestLabEntraConnectAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ou := e.lab.TempOU(t)
	e.SyncToolBase = ou
	e.expect(e.gather(), map[string]Status{"conflicts/entra-connect": Pass})
	var b [4]byte
	_, _ = rand.Read(b[:])
	if _, err := e.admin.CreateUser(t.Context(), ldapx.NewUser{Container: ou, SAMAccountName: "MSOL_" + hex.EncodeToString(b[:])}); err != nil {
		t.Fatal(err)
	}
	e.expect(e.gather(), map[string]Status{"conflicts/entra-connect": Warn})
}

func TestLabClockSkew(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	e.expect(e.gather(), map[string]Status{"clock/skew": Warn})
}

func TestLabSecretFileMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.gather()
	e.expect(f, map[string]Status{"config/bind-password": Pass})
	if err := os.Chmod(filepath.Join(e.dir, "bindpw"), 0o644); err != nil {
		t.Fatal(err)
	}
	// gather rewrites the file with WriteFile, which keeps the mode of an
	// existing file: the loosened mode stays.
	e.expect(e.gather(), map[string]Status{"config/bind-password": Fail, "ldap/bind": Skip})
}

func find(r Report, area Area, name string) Check {
	for _, c := range r.Checks {
		if c.Area == area && c.Name == name {
			return c
		}
	}
	return Check{}
}

// TestLabDeletionsVisible: jcimport may list CN=Deleted Objects, so the
// check passes; jcreader may not, so it warns with the commands that grant
// it. A deletion first, so that the container has something to list.
func TestLabDeletionsVisible(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.lab.NeedReader(t)
	ou := e.lab.TempOU(t)
	u, err := e.admin.CreateUser(t.Context(), ldapx.NewUser{Container: ou, SAMAccountName: "pf.deleted"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.admin.Delete(t.Context(), u.DN); err != nil {
		t.Fatal(err)
	}
	e.Mode = config.ModeADAuthority
	e.Bind, e.BindPassword = e.lab.Import.Bind, e.lab.Import.Password.Reveal()
	e.expect(e.gather(), map[string]Status{"directory/deletions-visible": Pass})

	e.Bind, e.BindPassword = e.lab.Reader.Bind, e.lab.Reader.Password.Reveal()
	c := find(Evaluate(e.gather()), AreaDirectory, "deletions-visible")
	container := "CN=Deleted Objects," + e.lab.BaseDN
	if c.Status != Warn || !strings.Contains(c.Reason, "next full run") ||
		!strings.Contains(c.Fix, `dsacls "`+container+`" /g `+e.lab.Reader.Bind+":LCRP") {
		t.Errorf("deletions-visible as jcreader = %s (%s; fix: %s), want WARN saying deletions wait for the full run, with the dsacls grant", c.Status, c.Reason, c.Fix)
	}

	e.Mode = config.ModeJCAuthority // imports nothing: no check
	for _, c := range Evaluate(e.gather()).Checks {
		if c.Name == "deletions-visible" {
			t.Errorf("mode jc-authority has a deletions-visible check: %+v", c)
		}
	}
}
