package commands

import (
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
	"github.com/adjc/adjc/output"
)

// TestConnect runs connect against the emulator: create the domain object
// and agents, rerun safely, refuse a mismatched id, bind and unbind.
func TestConnect(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := jcemu.New(jcemu.WithClock(func() time.Time { return at }))
	org := srv.AddOrg("adjc connect test")
	const key = "connect-test-api-key-0123"
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
		y := fmt.Sprintf("jumpcloud:\n  api_url: %s/api\n  api_key_file: %s\ndomains:\n  - name: example.com\n    mode: %s\n    ldap_url: ldaps://dc.example.com\n    base_dn: DC=Example,DC=Com\n    bind: svc@example.com\n", ts.URL, keyFile, mode)
		if domainID != "" {
			y += "    jumpcloud_domain_id: " + domainID + "\n"
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(cfgPath string, args ...string) (string, string, int) {
		ios, _, out, errOut := output.Test()
		env := map[string]string{"HOME": dir, "ADJC_CONFIG": cfgPath}
		f := NewFactory(ios, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		f.Logger, f.logs = slog.New(slog.DiscardHandler), nil
		err := Execute(t.Context(), f, args)
		PrintError(ios.ErrOut, err)
		return strings.ReplaceAll(out.String(), ts.URL, "URL"), errOut.String(), ExitCode(err)
	}

	fresh := write("fresh.yaml", "two-way", "")
	stdout, stderr, code := run(fresh, "connect")
	if code != 0 {
		t.Fatalf("connect = %d\n%s%s", code, stdout, stderr)
	}
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/connect_create.txt")
	ads := srv.ActiveDirectories(org)
	if len(ads) != 2 {
		t.Fatalf("AD objects = %d, want 2 (other + created)", len(ads))
	}
	adID := ads[1].ID
	if n := len(srv.Agents(org, adID)); n != 2 {
		t.Errorf("agents = %d, want IMPORT and SYNC", n)
	}
	// Rerun: same object, no new agents.
	if _, _, code = run(fresh, "connect"); code != 0 || len(srv.ActiveDirectories(org)) != 2 || len(srv.Agents(org, adID)) != 2 {
		t.Errorf("second connect = %d, objects %d, agents %d; want 0, 2, 2", code, len(srv.ActiveDirectories(org)), len(srv.Agents(org, adID)))
	}
	// A configured id of another domain is refused.
	stdout, stderr, code = run(write("mismatch.yaml", "two-way", other.ID), "connect")
	if code != ExitUsage {
		t.Errorf("connect with a mismatched id = %d %q, want 2", code, stderr)
	}
	golden.Assert(t, []byte(transcript(stdout, stderr, code)), "commands/connect_mismatch.txt")

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
