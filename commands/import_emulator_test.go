package commands

import (
	"context"
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
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/reconcile"
	"github.com/spf13/cobra"
)

// emulatorImport runs diff and import through the real root command, with
// the JumpCloud side real over HTTP (the emulator, by the api_url of the
// config file) and only the AD read replaced, by runF, with a fixed
// directory: AD has no in-memory double (STYLE §1; the lab scripts cover
// the same ground against Samba).
type emulatorImport struct {
	t         *testing.T
	emu       *jcemu.Server
	org, adID string
	dir       string // the config file's folder
	users     []reconcile.ADUser
}

func newEmulatorImport(t *testing.T, fileKeys string) *emulatorImport {
	t.Helper()
	e := &emulatorImport{t: t, emu: jcemu.New(), dir: t.TempDir()}
	e.org = e.emu.AddOrg("adjc command test")
	const key = "command-test-api-key-0123"
	if err := e.emu.AddAPIKey(key, e.org); err != nil {
		t.Fatal(err)
	}
	ad, err := e.emu.AddActiveDirectory(e.org, "DC=example,DC=com")
	if err != nil {
		t.Fatal(err)
	}
	e.adID = ad.ID
	ts := httptest.NewServer(e.emu)
	t.Cleanup(ts.Close)
	keyFile := filepath.Join(e.dir, "key")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	y := fmt.Sprintf("jumpcloud:\n  api_url: %s/api\n  api_key_file: %s\ndomains:\n  - name: example.com\n    mode: ad-authority\n    ldap_url: ldaps://dc.example.com\n    base_dn: DC=example,DC=com\n    bind: svc@example.com\n    jumpcloud_domain_id: %s\n%sstate_dir: %s\n",
		ts.URL, keyFile, ad.ID, fileKeys, filepath.Join(e.dir, "state"))
	if err := os.WriteFile(filepath.Join(e.dir, "adjc.yaml"), []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *emulatorImport) addADUser(n int, name string) {
	e.users = append(e.users, reconcile.ADUser{GUID: guid(n), DN: "CN=" + name + ",CN=Users,DC=example,DC=com",
		Username: name, GivenName: name, Surname: "Test", Mail: name + "@example.com"})
}

// run runs adjc with args and env; it returns stdout, stderr and the exit code.
func (e *emulatorImport) run(env map[string]string, args ...string) (string, string, int) {
	e.t.Helper()
	ios, _, out, errOut := output.Test()
	all := map[string]string{"HOME": e.dir, "ADJC_CONFIG": filepath.Join(e.dir, "adjc.yaml")}
	for k, v := range env {
		all[k] = v
	}
	f := NewFactory(ios, func(k string) (string, bool) { v, ok := all[k]; return v, ok })
	f.Logger = slog.New(slog.DiscardHandler)
	f.Now = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	fixed := func(_ context.Context, d *config.Domain, _ mapping) (scope, error) {
		dir := reconcile.Directory{Users: append([]reconcile.ADUser(nil), e.users...), Authority: authority(d)}
		return scope{dir: dir}, nil
	}
	verbs := []verb{
		func(f *Factory) *cobra.Command {
			return newDiffCmd(f, func(ctx context.Context, o *DiffOptions) error {
				o.ReadState = readStateFrom(f, fixed)
				return runDiff(ctx, o)
			})
		},
		func(f *Factory) *cobra.Command {
			return newImportCmd(f, func(ctx context.Context, o *ImportOptions) error {
				o.ReadState = readStateFrom(f, fixed)
				return runImport(ctx, o)
			})
		},
	}
	err := executeWith(e.t.Context(), f, args, verbs...)
	PrintError(ios.ErrOut, err)
	return out.String(), errOut.String(), ExitCode(err)
}

// user returns the emulator's user named name.
func (e *emulatorImport) user(name string) jcapi.SystemUser {
	e.t.Helper()
	for _, u := range e.emu.Users(e.org) {
		if u.Username == name {
			return u
		}
	}
	e.t.Fatalf("no JumpCloud user %s", name)
	return jcapi.SystemUser{}
}

func (e *emulatorImport) delegated(name string) string {
	if u := e.user(name); u.DelegatedAuthority != nil {
		return u.DelegatedAuthority.ID
	}
	return ""
}

func (e *emulatorImport) activations() int {
	n := 0
	for _, m := range e.emu.Outbox(e.org) {
		if m.Kind == "activation" {
			n++
		}
	}
	return n
}

func (e *emulatorImport) setDelegationState(state string) {
	e.t.Helper()
	if _, err := e.emu.UpdateActiveDirectory(e.org, e.adID, jcapi.ActiveDirectory{DelegationState: state}); err != nil {
		e.t.Fatal(err)
	}
}

// TestImportDelegatedAuthority walks delegated_authority through its three
// sources (file, environment, flag) and values against the emulator: only
// managed users are written, and a JumpCloud-only user keeps what he has.
func TestImportDelegatedAuthority(t *testing.T) {
	t.Parallel()
	e := newEmulatorImport(t, "")
	e.addADUser(1, "alice")
	e.addADUser(2, "bob")
	frank, err := e.emu.AddUser(e.org, jcapi.SystemUser{Username: "frank", Email: "frank@example.org",
		DelegatedAuthority: &jcapi.DelegatedAuthority{Name: jcapi.DelegatedAuthorityActiveDirectory, ID: e.adID}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(step string, want string) {
		t.Helper()
		for _, name := range []string{"alice", "bob"} {
			if got := e.delegated(name); got != want {
				t.Errorf("%s: %s's delegatedAuthority = %q, want %q", step, name, got, want)
			}
		}
		if got := e.delegated(frank.Username); got != e.adID {
			t.Errorf("%s: the JumpCloud-only user's delegatedAuthority = %q, want %q untouched", step, got, e.adID)
		}
	}

	// follow (the default) while ENABLED: set at create.
	// One change at a time: the emulator's ids, in the golden below,
	// follow the order of the creates.
	stdout, stderr, code := e.run(nil, "import", "--yes", "-o", "plain", "--concurrency", "1")
	if code != 0 || !strings.Contains(stdout, "delegatedAuthority set on managed users (the AD domain object's delegationState is ENABLED).") {
		t.Fatalf("import (follow, ENABLED) = %d\n%s%s", code, stdout, stderr)
	}
	check("follow, ENABLED", e.adID)
	if got := e.user("alice").State; got != jcapi.StateActivated {
		t.Errorf("alice's state = %s, want ACTIVATED", got)
	}

	// never ($ADJC_DELEGATED_AUTHORITY) while DISABLED: nothing to do.
	e.setDelegationState("DISABLED")
	if stdout, stderr, code := e.run(map[string]string{"ADJC_DELEGATED_AUTHORITY": "never"}, "diff", "--detailed-exitcode", "-o", "plain"); code != 0 {
		t.Errorf("diff (never, DISABLED) = %d, want 0\n%s%s", code, stdout, stderr)
	}

	// follow (--delegated-authority, over the variable) while DISABLED:
	// drift in diff, cleared by import.
	env := map[string]string{"ADJC_DELEGATED_AUTHORITY": "never"}
	stdout, _, code = e.run(env, "--delegated-authority", "follow", "diff", "--detailed-exitcode", "-o", "plain")
	if want := "update\tuser\talice\tAD-managed markers missing or changed in JumpCloud\tdelegatedAuthority: " + e.adID + " → \"\"\n"; code != ExitPending || !strings.Contains(stdout, want) {
		t.Errorf("diff (follow, DISABLED) = %d, want %d and alice's drift\n%s", code, ExitPending, stdout)
	}
	// The plan's JSON says what happens to delegatedAuthority and why.
	stdout, stderr, code = e.run(env, "--delegated-authority", "follow", "diff", "-o", "json")
	golden.Assert(t, transcript(stdout, strings.ReplaceAll(stderr, e.dir, "$DIR"), code), "commands/diff_delegation_json.txt")
	if stdout, stderr, code := e.run(env, "--delegated-authority", "follow", "import", "--yes", "-o", "plain"); code != 0 {
		t.Fatalf("import (follow, DISABLED) = %d\n%s%s", code, stdout, stderr)
	}
	check("follow, DISABLED", "")

	// always, from the config file, while DISABLED: set again.
	b, err := os.ReadFile(filepath.Join(e.dir, "adjc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), "    jumpcloud_domain_id:", "    delegated_authority: always\n    jumpcloud_domain_id:", 1))
	if err := os.WriteFile(filepath.Join(e.dir, "adjc.yaml"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if stdout, stderr, code := e.run(nil, "import", "--yes", "-o", "plain"); code != 0 || !strings.Contains(stdout, "(delegated_authority: always)") {
		t.Fatalf("import (always) = %d\n%s%s", code, stdout, stderr)
	}
	check("always", e.adID)
	if stdout, stderr, code := e.run(nil, "diff", "--detailed-exitcode", "-o", "plain"); code != 0 {
		t.Errorf("diff after import (always) = %d, want 0\n%s%s", code, stdout, stderr)
	}
}

// TestImportActivatesStaged: an activation the service refused leaves the
// user STAGED; diff shows it and the next import activates it, with the
// welcome_email choice (no email, then one under --welcome-email).
func TestImportActivatesStaged(t *testing.T) {
	t.Parallel()
	e := newEmulatorImport(t, "")
	e.addADUser(1, "carol")
	fail := jcemu.Fault{Method: "POST", Path: "/api/systemusers/*/state/activate", Status: 400}
	e.emu.FailNext(fail)
	if stdout, stderr, code := e.run(nil, "import", "--yes", "-o", "plain"); code != ExitPartial {
		t.Fatalf("import with the activation refused = %d, want %d\n%s%s", code, ExitPartial, stdout, stderr)
	}
	if got := e.user("carol").State; got != jcapi.StateStaged {
		t.Fatalf("carol's state after the refused activation = %s, want STAGED", got)
	}
	stdout, _, code := e.run(nil, "diff", "--detailed-exitcode", "-o", "plain")
	if code != ExitPending || !strings.Contains(stdout, "still STAGED in JumpCloud") || !strings.Contains(stdout, "state: STAGED → ACTIVATED") {
		t.Errorf("diff with carol STAGED = %d, want %d and the activation\n%s", code, ExitPending, stdout)
	}
	if stdout, stderr, code := e.run(nil, "import", "--yes", "-o", "plain"); code != 0 {
		t.Fatalf("import repairing the activation = %d\n%s%s", code, stdout, stderr)
	}
	if got := e.user("carol").State; got != jcapi.StateActivated {
		t.Errorf("carol's state after the repair = %s, want ACTIVATED", got)
	}
	if n := e.activations(); n != 0 {
		t.Errorf("activation emails = %d, want 0 (welcome_email: false)", n)
	}

	e.addADUser(2, "dave")
	e.emu.FailNext(fail)
	if _, _, code := e.run(nil, "import", "--yes", "-o", "plain"); code != ExitPartial {
		t.Fatalf("import with dave's activation refused = %d, want %d", code, ExitPartial)
	}
	if stdout, stderr, code := e.run(nil, "--welcome-email", "import", "--yes", "-o", "plain"); code != 0 {
		t.Fatalf("import --welcome-email repairing dave = %d\n%s%s", code, stdout, stderr)
	}
	if n := e.activations(); n != 1 {
		t.Errorf("activation emails = %d, want 1 (dave's, under welcome_email: true)", n)
	}
}
