package commands

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/preflight"
)

// preflightNow is the fixed instant of every preflight golden.
var preflightNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeDirectory replaces what preflight.Gather learns from AD with fixed
// facts (the lab's own behaviour is proven in preflight's lab
// tests); everything else — config, secrets, JumpCloud through the
// in-process emulator — is gathered for real. fix lets a case change them.
func fakeDirectory(fix func(*preflight.Facts)) func(context.Context, preflight.Input) preflight.Facts {
	return func(ctx context.Context, in preflight.Input) preflight.Facts {
		d := *in.Domain
		d.LDAPURL = "ldaps://127.0.0.1:1" // refused at once: no AD here
		in.Domain = &d
		f := preflight.Gather(ctx, in)
		f.Domain.LDAPURL = "ldaps://dc.example.com:636"
		f.ProbeErr = nil
		f.Probe = &ldapx.TLSInfo{Encrypted: true, Version: 0x0304, ServerName: "dc.example.com", Chain: []*x509.Certificate{{
			Subject: pkix.Name{CommonName: "dc.example.com"}, Issuer: pkix.Name{CommonName: "Example Issuing CA"},
			DNSNames: []string{"dc.example.com"}, NotAfter: preflightNow.Add(200 * 24 * time.Hour),
		}}}
		f.Bound = true
		users := "CN=Users,DC=example,DC=com"
		f.DCTime = preflightNow.Add(-7 * time.Minute)
		f.Account = &ldapx.ServiceAccount{
			User: ldapx.User{DN: "CN=svc-adjc," + users, SAMAccountName: "svc-adjc", UserPrincipalName: "svc-adjc@example.com",
				UAC: ldapx.UACNormalAccount | ldapx.UACDontExpirePassword, SID: "S-1-5-21-1-2-3-1105"},
			CN:     "svc-adjc",
			Groups: []ldapx.Principal{{DN: "CN=Domain Users," + users, SID: "S-1-5-21-1-2-3-513", Name: "Domain Users"}},
		}
		f.ADPolicy = &ldapx.PasswordPolicy{MinLength: 7, Complex: true, MaxAge: 42 * 24 * time.Hour}
		f.Group = &ldapx.Group{DN: "CN=JumpCloud," + users, Name: "JumpCloud", Members: make([]string, 4)}
		f.AdminsErr = &ldapx.Error{Op: "find group", DN: users, Kind: ldapx.ErrNoSuchObject}
		f.Readable = []ldapx.User{{DN: "CN=Ann Lee," + users, SAMAccountName: "ann"}}
		f.Rights = &preflight.Rights{
			Container:  ldapx.Effective{ChildClasses: []string{"group", "user"}},
			SampleUser: "CN=Ann Lee," + users,
			User:       ldapx.Effective{Attributes: []string{"givenname", "mail", "sn", "useraccountcontrol"}},
			Group:      ldapx.Effective{Attributes: []string{"member"}},
		}
		f.Scope = &preflight.ScopeFacts{Users: 1203, Groups: 3,
			Privileged:  []string{"da-bob"},
			NoEmail:     []string{"kiosk1", "kiosk2"},
			Outside:     []string{"CN=Zoë Ng,OU=Staff,DC=example,DC=com"},
			LargeGroups: []string{"All Staff (1180 members)"},
		}
		f.SyncTools = []string{"MSOL_0123abcd4567"}
		// An account nobody granted List Contents on CN=Deleted Objects.
		f.Deletions = &preflight.DeletionFacts{Account: "svc-adjc@example.com", Container: "CN=Deleted Objects,DC=example,DC=com"}
		if fix != nil {
			fix(&f)
		}
		return f
	}
}

// preflightEnv is a JumpCloud emulator with one org, its AD domain object
// and a password policy, plus a config file pointing at it.
type preflightEnv struct {
	dir, url, config string
}

func newPreflightEnv(t *testing.T) preflightEnv {
	t.Helper()
	emu := jcemu.New(jcemu.WithClock(func() time.Time { return preflightNow }))
	org := emu.AddOrg("Example Org")
	const key = "preflight-test-api-key-0123456789"
	if err := emu.AddAPIKey(key, org); err != nil {
		t.Fatal(err)
	}
	if _, err := emu.AddActiveDirectory(org, "DC=example;DC=com"); err != nil {
		t.Fatal(err)
	}
	if err := emu.SetPasswordPolicy(org, "custom", jcapi.PasswordPolicy{EnableMinLength: true, MinLength: 8,
		NeedsLowercase: true, NeedsUppercase: true, NeedsNumeric: true}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	for name, content := range map[string]string{"key": key, "bindpw": "not-a-real-password"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "adjc.yaml")
	y := fmt.Sprintf(`jumpcloud:
  api_url: %s/api
  api_key_file: %s/key
domains:
  - name: example.com
    mode: two-way
    ldap_url: ldaps://dc.example.com:636
    base_dn: DC=example,DC=com
    bind: svc-adjc@example.com
    bind_password_file: %s/bindpw
`, ts.URL, dir, dir)
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return preflightEnv{dir: dir, url: ts.URL, config: cfg}
}

// run executes `adjc preflight args…` through the root command with the
// directory faked, and returns the normalised transcript and exit status.
func (e preflightEnv) run(t *testing.T, tty bool, fix func(*preflight.Facts), args ...string) (string, int) {
	t.Helper()
	ios, _, out, errOut := output.Test()
	if tty {
		ios.SetStdoutTTY(true) // colour stays off: goldens hold no escapes
	}
	env := map[string]string{"HOME": e.dir, "ADJC_CONFIG": e.config}
	f := NewFactory(ios, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	f.Logger = slog.New(slog.DiscardHandler)
	f.Now = func() time.Time { return preflightNow }
	root, _ := newRoot(f)
	for _, c := range root.Commands() {
		if c.Name() == "preflight" {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(newPreflightCmd(f, func(ctx context.Context, o *PreflightOptions) error {
		o.Gather = fakeDirectory(fix)
		return runPreflight(ctx, o)
	}))
	root.SetArgs(append([]string{"preflight"}, args...))
	err := root.ExecuteContext(t.Context())
	PrintError(ios.ErrOut, err)
	norm := func(s string) string {
		return strings.NewReplacer(e.dir, "$DIR", e.url, "URL", strings.TrimPrefix(e.url, "http://"), "HOST").Replace(s)
	}
	return norm(string(transcript(out.String(), errOut.String(), ExitCode(err)))), ExitCode(err)
}

func TestPreflightGolden(t *testing.T) {
	t.Parallel()
	e := newPreflightEnv(t)
	tests := []struct {
		name string
		tty  bool
		args []string
		code int
	}{
		{"table", false, nil, 1},
		{"verbose", false, []string{"-v"}, 1},
		{"tty", true, nil, 1},
		{"json", false, []string{"-o", "json"}, 1},
		{"plain", false, []string{"-o", "plain"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, code := e.run(t, tt.tty, nil, tt.args...)
			if code != tt.code {
				t.Errorf("preflight %v = exit %d, want %d", tt.args, code, tt.code)
			}
			golden.Assert(t, []byte(got), "commands/preflight_"+tt.name+".txt")
		})
	}
}

// TestPreflightExitStatus: a failure exits 1; with the failure fixed it
// exits 0 despite warnings, unless --strict.
func TestPreflightExitStatus(t *testing.T) {
	t.Parallel()
	e := newPreflightEnv(t)
	fixed := func(f *preflight.Facts) { f.Rights.ResetPassword = true }
	if _, code := e.run(t, false, nil); code != ExitFailure {
		t.Errorf("preflight with a FAIL = %d, want 1", code)
	}
	got, code := e.run(t, false, fixed)
	if code != ExitOK || !strings.Contains(got, "ready, but read the warnings") {
		t.Errorf("preflight with warnings only = %d, want 0\n%s", code, got)
	}
	if got, code := e.run(t, false, fixed, "--strict"); code != ExitFailure || !strings.Contains(got, "--strict") {
		t.Errorf("preflight --strict with warnings = %d, want 1\n%s", code, got)
	}
	if strings.Contains(got, "not-a-real-password") || strings.Contains(got, "preflight-test-api-key") {
		t.Error("a secret was printed")
	}
}

func TestPreflightInvalidConfig(t *testing.T) {
	t.Parallel()
	e := newPreflightEnv(t)
	if err := os.WriteFile(e.config, []byte("domains:\n  - name: example.com\n    ldap_url: https://dc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, code := e.run(t, false, nil)
	if code != ExitUsage {
		t.Errorf("preflight with an invalid config = %d, want 2", code)
	}
	golden.Assert(t, []byte(got), "commands/preflight_invalid.txt")
}

func TestNewPreflightCmd(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := output.Test()
	f := &Factory{IO: ios}
	var got *PreflightOptions
	cmd := newPreflightCmd(f, func(_ context.Context, o *PreflightOptions) error { got = o; return nil })
	cmd.Flags().CountP("verbose", "v", "") // a root persistent flag in real use
	cmd.SetArgs([]string{"--strict", "-v"})
	cmd.SetOut(ios.Out)
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got == nil || !got.Strict || !got.Verbose || got.Gather == nil {
		t.Errorf("options = %+v, want strict, verbose and a gatherer", got)
	}
	cmd = newPreflightCmd(f, func(context.Context, *PreflightOptions) error { return nil })
	cmd.SetArgs([]string{"extra"})
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	if err := cmd.ExecuteContext(t.Context()); err == nil {
		t.Error("preflight extra = nil error, want an argument error")
	}
}
