package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/adjc/adjc/config"
)

// load runs Load with the given flags and environment (and HOME=home).
func load(t *testing.T, home string, env map[string]string, args ...string) (*config.Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("adjc", pflag.ContinueOnError)
	config.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"HOME": home}
	for k, v := range env {
		all[k] = v
	}
	return config.Load(config.LoadOptions{Flags: fs, LookupEnv: func(k string) (string, bool) { v, ok := all[k]; return v, ok }})
}

// TestBooleanFlagsAreSwitches: a boolean setting's flag takes no value, so
// the word after it stays an argument (`adjc --allow-plaintext diff` runs
// diff); --flag=false still overrides the environment.
func TestBooleanFlagsAreSwitches(t *testing.T) {
	t.Parallel()
	for _, name := range []string{config.FlagAllowPlaintext, config.FlagStartTLS} {
		fs := pflag.NewFlagSet("adjc", pflag.ContinueOnError)
		config.AddFlags(fs)
		if err := fs.Parse([]string{"--" + name, "diff"}); err != nil {
			t.Fatalf("Parse(--%s diff) = %v", name, err)
		}
		if got := fs.Args(); len(got) != 1 || got[0] != "diff" {
			t.Errorf("Parse(--%s diff).Args() = %q, want [diff]", name, got)
		}
		if f := fs.Lookup(name); f.Value.Type() != "bool" || f.NoOptDefVal != "true" {
			t.Errorf("--%s is a %s flag, want bool", name, f.Value.Type())
		}
	}
	env := map[string]string{config.EnvLDAPURL: "ldap://dc.example.com", config.EnvBaseDN: "DC=example,DC=com",
		config.EnvBind: "svc@example.com", config.EnvStartTLS: "true", config.EnvAllowPlaintext: "false"}
	c, err := load(t, t.TempDir(), env, "--start-tls=false", "--allow-plaintext")
	if err != nil {
		t.Fatal(err)
	}
	d := c.Domains[0]
	if d.StartTLS || !d.AllowPlaintext {
		t.Errorf("StartTLS, AllowPlaintext = %v, %v; want false (flag over env), true", d.StartTLS, d.AllowPlaintext)
	}
	if got := c.Source("domains[0].start_tls").String(); got != "flag --start-tls" {
		t.Errorf("Source(start_tls) = %q, want flag --start-tls", got)
	}
}

func TestBindFor(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{config.EnvLDAPURL: "ldaps://dc.example.com", config.EnvBaseDN: "DC=example,DC=com",
		config.EnvBind: "svc@example.com", config.EnvBindPassword: "shared", config.EnvSyncBind: "sync@example.com",
		config.EnvSyncBindPW: "delegated"}
	c, err := load(t, dir, env)
	if err != nil {
		t.Fatal(err)
	}
	d := &c.Domains[0]
	for _, tt := range []struct {
		dir         config.Direction
		bind, field string
		pw          string
	}{
		{config.DirectionImport, "svc@example.com", "domains[0].bind", "shared"},
		{config.DirectionSync, "sync@example.com", "domains[0].sync_bind", "delegated"},
	} {
		a := d.BindFor(tt.dir)
		pw, err := a.Password.Resolve()
		if a.Bind != tt.bind || a.Field != tt.field || err != nil || pw.Reveal() != tt.pw {
			t.Errorf("BindFor(%s) = %s (%s), password %v; want %s (%s)", tt.dir, a.Bind, a.Field, err, tt.bind, tt.field)
		}
	}
	accts := d.Accounts()
	if len(accts) != 2 || accts[0].Directions[0] != config.DirectionImport || accts[1].Directions[0] != config.DirectionSync {
		t.Errorf("Accounts() = %+v, want the shared account for import and sync_bind for sync", accts)
	}
	if got := d.Binds(); len(got) != 2 || got[0] != "svc@example.com" || got[1] != "sync@example.com" {
		t.Errorf("Binds() = %q, want bind and sync_bind", got)
	}
	d.SyncBind = ""
	if accts := d.Accounts(); len(accts) != 1 || len(accts[0].Directions) != 2 {
		t.Errorf("Accounts() without sync_bind = %+v, want one account for both directions", accts)
	}
}

// TestNoDomainError: on a fresh host the error names the file looked for
// and suggests adjc connect.
func TestNoDomainError(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	c, err := load(t, home, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = c.NoDomainError()
	var ve *config.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("NoDomainError() = %T, want *ValidationError", err)
	}
	msg := err.Error()
	for _, want := range []string{filepath.Join(home, ".config", "adjc", "config.yaml"), "adjc connect", "--ldap-url"} {
		if !strings.Contains(msg, want) {
			t.Errorf("NoDomainError() = %q, want it to mention %q", msg, want)
		}
	}
}
