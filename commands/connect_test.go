package commands

import (
	"context"
	"errors"
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
	"github.com/adjc/adjc/output"
	"github.com/spf13/cobra"
)

// TestConnect runs connect against the emulator: create the domain object
// and agents, rerun safely, refuse a mismatched id, bind and unbind.
func TestConnect(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := jcemu.New(jcemu.WithClock(func() time.Time { return at }))
	org := srv.AddOrg("adjc connect test")
	const key = "connect-test-api-key-0123"
	const bindPassword = "Bind-Pa55word-not-shown"
	if err := srv.AddAPIKey(key, org); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	other, err := srv.AddActiveDirectory(org, "DC=other;DC=example")
	if err != nil {
		t.Fatal(err)
	}
	u, err := srv.AddUser(org, jcapi.SystemUser{Username: "carol", Email: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := srv.AddUserGroup(org, jcapi.UserGroup{Name: "eng"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(name, mode, domainID string) string {
		y := fmt.Sprintf("# written by the test\njumpcloud:\n  api_url: %s/api\n  api_key_file: %s\ndomains:\n  - name: example.com\n    mode: %s # the authority\n    ldap_url: ldaps://dc.example.com\n    base_dn: DC=Example,DC=Com\n    bind: svc@example.com\n", ts.URL, keyFile, mode)
		if domainID != "" {
			y += "    jumpcloud_domain_id: " + domainID + "\n"
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type runOpts struct {
		env   map[string]string
		stdin string
		tty   []string // secrets typed at no-echo prompts; non-nil makes stdin and stderr terminals
		// bindErr is what the proof that the bind account binds returns.
		bindErr error
	}
	runWith := func(cfgPath string, o runOpts, args ...string) (string, string, int) {
		ios, in, out, errOut := output.Test()
		in.WriteString(o.stdin)
		if o.tty != nil {
			ios.SetStdinTTY(true)
			ios.SetStderrTTY(true)
			typed := o.tty
			ios.SetSecretReader(func() (string, error) {
				if len(typed) == 0 {
					return "", fmt.Errorf("no more answers")
				}
				v := typed[0]
				typed = typed[1:]
				return v, nil
			})
		}
		env := map[string]string{"HOME": dir, "ADJC_CONFIG": cfgPath}
		for k, v := range o.env {
			env[k] = v
		}
		f := NewFactory(ios, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		f.Logger = slog.New(slog.DiscardHandler)
		// The proof that an account binds needs a domain controller: runF
		// swaps it for bindErr, everything else is the real command.
		connect := func(f *Factory) *cobra.Command {
			return newConnectCmd(f, func(ctx context.Context, co *ConnectOptions) error {
				if co.Kind != "" {
					return runConnectBind(ctx, co)
				}
				co.CheckBind = func(context.Context, *config.Domain, config.Direction) error { return o.bindErr }
				return runConnect(ctx, co)
			})
		}
		err := executeWith(t.Context(), f, args, connect)
		PrintError(ios.ErrOut, err)
		clean := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, ts.URL, "URL"), dir, "DIR") }
		stdout, stderr := clean(out.String()), clean(errOut.String())
		for _, secret := range []string{key, bindPassword} {
			if strings.Contains(stdout+stderr, secret) {
				t.Errorf("adjc %v printed a secret:\n%s%s", args, stdout, stderr)
			}
		}
		return stdout, stderr, ExitCode(err)
	}
	run := func(cfgPath string, args ...string) (string, string, int) {
		return runWith(cfgPath, runOpts{}, args...)
	}
	// saved returns the file's content, failing unless its mode is 0600.
	saved := func(path string) string {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", path, st.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(strings.ReplaceAll(string(b), ts.URL, "URL"), dir, "DIR")
	}

	// A config file with comments and no domain id: connect creates the
	// domain object and agents, then records the id, keeping the comments.
	fresh := write("fresh.yaml", "two-way", "")
	stdout, stderr, code := run(fresh, "connect")
	if code != 0 {
		t.Fatalf("connect = %d\n%s%s", code, stdout, stderr)
	}
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/connect_create.txt")
	golden.Assert(t, []byte(saved(fresh)), "commands/connect_create_config.txt")
	ads := srv.ActiveDirectories(org)
	if len(ads) != 2 {
		t.Fatalf("AD objects = %d, want 2 (other + created)", len(ads))
	}
	adID := ads[1].ID
	// No agent record unless asked (issue 15.6): one would never check in.
	if n := len(srv.Agents(org, adID)); n != 0 || !strings.Contains(stderr, "No agent record registered") {
		t.Errorf("agents = %d, stderr %q; want none, and why", n, stderr)
	}
	// Rerun: same object, no agents, the file left as it was.
	before := saved(fresh)
	if _, stderr, code = run(fresh, "connect"); code != 0 || len(srv.ActiveDirectories(org)) != 2 || len(srv.Agents(org, adID)) != 0 {
		t.Errorf("second connect = %d, objects %d, agents %d; want 0, 2, 0", code, len(srv.ActiveDirectories(org)), len(srv.Agents(org, adID)))
	}
	// --register-agent registers IMPORT and SYNC (two-way), once.
	for range 2 {
		if stdout, stderr, code = run(fresh, "connect", "--register-agent"); code != 0 || len(srv.Agents(org, adID)) != 2 {
			t.Errorf("connect --register-agent = %d, agents %d; want 0, 2\n%s%s", code, len(srv.Agents(org, adID)), stdout, stderr)
		}
	}
	if !strings.Contains(stderr, "connect keys are not kept") {
		t.Errorf("connect --register-agent stderr = %q, want it to say the records never check in", stderr)
	}
	if after := saved(fresh); after != before || !strings.Contains(stderr, "is up to date") {
		t.Errorf("second connect changed the config or did not say so:\n%s\n%s", stderr, after)
	}
	// A configured id of another domain is refused, and nothing is written.
	mismatch := write("mismatch.yaml", "two-way", other.ID)
	before = saved(mismatch)
	stdout, stderr, code = run(mismatch, "connect")
	if code != ExitUsage {
		t.Errorf("connect with a mismatched id = %d %q, want 2", code, stderr)
	}
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/connect_mismatch.txt")
	if saved(mismatch) != before {
		t.Errorf("connect with a mismatched id changed the config")
	}

	// No file at all, everything from variables (the secrets too): connect
	// writes the config and, beside it, the secrets, all 0600.
	envOnly := runOpts{env: map[string]string{
		"ADJC_JC_API_URL": ts.URL + "/api", "ADJC_JC_API_KEY": key,
		"ADJC_LDAP_URL": "ldaps://dc.example.com", "ADJC_BASE_DN": "DC=example,DC=com", "ADJC_BIND": "svc@example.com",
		"ADJC_BIND_PASSWORD": bindPassword, "ADJC_MODE": "jc-authority",
	}}
	created := filepath.Join(dir, "new", "adjc.yaml")
	// A bind account that does not bind: connect says which credential
	// failed, and saves and creates nothing.
	refused := envOnly
	refused.bindErr = ldapx.ErrInvalidCredentials
	objects := len(srv.ActiveDirectories(org))
	_, stderr, code = runWith(created, refused, "connect", "-o", "json")
	if code != ExitAuth || !strings.Contains(stderr, "the bind account svc@example.com (domains[0].bind) could not bind") ||
		!strings.Contains(stderr, "nothing was saved or created") || len(srv.ActiveDirectories(org)) != objects {
		t.Errorf("connect with a refused bind = %d %q, want exit %d naming the account and nothing created", code, stderr, ExitAuth)
	}
	if _, err := os.Stat(created); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("connect with a refused bind wrote %s (%v)", created, err)
	}
	stdout, stderr, code = runWith(created, envOnly, "connect", "-o", "json")
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/connect_env.txt")
	golden.Assert(t, []byte(saved(created)), "commands/connect_env_config.txt")
	if got := saved(filepath.Join(dir, "new", "jumpcloud-api-key")); got != key+"\n" {
		t.Errorf("stored API key differs")
	}
	if got := saved(filepath.Join(dir, "new", "example.com.bind-password")); got != bindPassword+"\n" {
		t.Errorf("stored bind password differs")
	}
	before = saved(created)
	if stdout, _, code = runWith(created, envOnly, "connect", "-o", "json"); code != 0 || !strings.Contains(stdout, `"wrote": []`) || saved(created) != before {
		t.Errorf("rerun from variables = %d %s, want 0 and nothing written", code, stdout)
	}
	// The file alone is now enough.
	if stdout, stderr, code = run(created, "connect"); code != 0 || !strings.Contains(stderr, "is up to date") {
		t.Errorf("connect from the written file = %d %s%s", code, stdout, stderr)
	}

	// StartTLS and a per-direction account given as switches and variables
	// are saved as the file reads them: start_tls a YAML boolean, the
	// account's password file by its absolute path.
	syncPW := filepath.Join(dir, "sync.pw")
	if err := os.WriteFile(syncPW, []byte("delegated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsEnv := runOpts{env: map[string]string{
		"ADJC_JC_API_URL": ts.URL + "/api", "ADJC_JC_API_KEY": key,
		"ADJC_LDAP_URL": "ldap://dc.example.com", "ADJC_BASE_DN": "DC=example,DC=com", "ADJC_BIND": "svc@example.com",
		"ADJC_BIND_PASSWORD": bindPassword, "ADJC_MODE": "jc-authority",
		"ADJC_SYNC_BIND": "jcsync@example.com", "ADJC_SYNC_BIND_PASSWORD_FILE": syncPW,
	}}
	tlsCfg := filepath.Join(dir, "tls", "adjc.yaml")
	if stdout, stderr, code = runWith(tlsCfg, tlsEnv, "--start-tls", "connect"); code != 0 {
		t.Fatalf("connect --start-tls = %d %s%s", code, stdout, stderr)
	}
	got := saved(tlsCfg)
	for _, want := range []string{"start_tls: true\n", "sync_bind: jcsync@example.com\n", "sync_bind_password_file: DIR/sync.pw\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("config saved by connect --start-tls lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "allow_plaintext") {
		t.Errorf("config saved by connect has allow_plaintext, which was not given:\n%s", got)
	}
	if stdout, stderr, code = run(tlsCfg, "connect"); code != 0 || !strings.Contains(stderr, "is up to date") {
		t.Errorf("connect from the file written with --start-tls = %d %s%s", code, stdout, stderr)
	}

	// On a terminal: asked for what is missing, secrets without echo.
	asked := filepath.Join(dir, "asked", "config.yaml")
	stdout, stderr, code = runWith(asked, runOpts{
		env:   map[string]string{"ADJC_JC_API_URL": ts.URL + "/api"},
		stdin: "ldaps://dc2.example.net:636\nDC=example,DC=net\njcsync@example.net\n",
		tty:   []string{bindPassword},
	}, "connect", "--api-key-file", "-")
	// stdin is the terminal here, so the key cannot come from it as well.
	if code != ExitUsage {
		t.Errorf("connect on a terminal with --api-key-file - = %d, want 2\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = runWith(asked, runOpts{
		env:   map[string]string{"ADJC_JC_API_URL": ts.URL + "/api"},
		stdin: "ldaps://dc2.example.net:636\nDC=example,DC=net\njcsync@example.net\n",
		tty:   []string{key, bindPassword},
	}, "connect")
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/connect_tty.txt")
	golden.Assert(t, []byte(saved(asked)), "commands/connect_tty_config.txt")
	if got := saved(filepath.Join(dir, "asked", "example.net.bind-password")); got != bindPassword+"\n" {
		t.Errorf("stored bind password differs")
	}
	// The API key from stdin, off a terminal.
	piped := filepath.Join(dir, "piped.yaml")
	raw, err := os.ReadFile(asked)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(piped, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code = runWith(piped, runOpts{stdin: key + "\n"}, "connect", "--api-key-file", "-"); code != 0 {
		t.Errorf("connect --api-key-file - = %d %s", code, stderr)
	}
	if got := saved(filepath.Join(dir, "jumpcloud-api-key")); got != key+"\n" {
		t.Errorf("stored API key from stdin differs")
	}

	bound := write("bound.yaml", "jc-authority", adID)
	stdout, stderr, code = run(bound, "connect", "user", "carol", "nobody")
	if code != ExitFailure || len(srv.Bindings(org, adID)) != 1 {
		t.Errorf("connect user carol nobody = %d, bindings %v; want 1 and carol bound", code, srv.Bindings(org, adID))
	}
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/connect_user.txt")
	if _, stderr, code = run(bound, "connect", "group", "eng"); code != 0 || len(srv.Bindings(org, adID)) != 2 {
		t.Errorf("connect group eng = %d %s", code, stderr)
	}
	if _, stderr, code = run(bound, "connect", "user", "--remove", "carol"); code != 0 {
		t.Errorf("connect user --remove carol = %d %s", code, stderr)
	}
	for _, b := range srv.Bindings(org, adID) {
		if b.ID == u.ID {
			t.Errorf("carol still bound after --remove")
		}
	}
	if len(srv.Bindings(org, adID)) != 1 || srv.Bindings(org, adID)[0].ID != g.ID {
		t.Errorf("bindings after --remove = %v, want only group eng", srv.Bindings(org, adID))
	}
	// ad-authority forbids binding for sync.
	if _, stderr, code = run(write("ada.yaml", "ad-authority", adID), "connect", "user", "carol"); code != ExitUsage {
		t.Errorf("connect user in ad-authority = %d %s, want 2", code, stderr)
	}
}
