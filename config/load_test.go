package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/golden"
	"github.com/spf13/pflag"
)

// labYAML is the file the lab writes (.lab/adjc.yaml), in the schema's exact form.
const labYAML = `jumpcloud:
  api_url: http://127.0.0.1:8080/api
  org_id: ""
  api_key_file: $TMP/jc-api-key
domains:
  - name: adjc.lab
    mode: two-way
    ldap_url: ldaps://127.0.0.1:636
    base_dn: DC=adjc,DC=lab
    root_container: CN=Users,DC=adjc,DC=lab
    bind: jcimport@adjc.lab
    bind_password_file: $TMP/jcimport.pw
    ca_file: $TMP/ca.pem
    allow_plaintext: false
    jumpcloud_group: JumpCloud
    admins_group: JumpCloud Admins
    username_attribute: sAMAccountName
    jumpcloud_domain_id: 0123456789abcdef01234567
state_dir: $TMP/state
audit_log: $TMP/state/audit.jsonl
`

const twoDomains = `domains:
  - ldap_url: ldaps://dc1.example.com
    base_dn: DC=example,DC=com
    bind: svc@example.com
  - name: other
    ldap_url: ldaps://dc.other.org
    base_dn: DC=other,DC=org
    bind: svc@other.org
`

// withDomainKeys is labYAML with lines added to its domain.
func withDomainKeys(lines string) string {
	const last = "    jumpcloud_domain_id: 0123456789abcdef01234567\n"
	return strings.Replace(labYAML, last, last+lines, 1)
}

// render prints what Load returned: every setting with its source, or the error.
func render(c *config.Config, err error, tmp string) string {
	var b strings.Builder
	clean := func(s string) string { return strings.ReplaceAll(s, tmp, "$TMP") }
	if err != nil {
		var ve *config.ValidationError
		if !errors.As(err, &ve) {
			fmt.Fprintf(&b, "unexpected error type %T\n", err)
		}
		b.WriteString("error: " + clean(err.Error()) + "\n")
		return b.String()
	}
	for _, s := range c.Settings() {
		fmt.Fprintf(&b, "%-32s %-44q %s\n", s.Key, clean(s.Value), clean(s.Source.String()))
	}
	return b.String()
}

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		file  string            // written to $TMP/config.yaml unless empty
		xdg   bool              // put the file where XDG_CONFIG_HOME finds it
		env   map[string]string // $TMP is replaced by the temp dir
		flags []string
	}{
		{name: "defaults"},
		{name: "lab_file", file: labYAML, flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "xdg_file", file: labYAML, xdg: true},
		{name: "env_config", file: labYAML, env: map[string]string{"ADJC_CONFIG": "$TMP/config.yaml"}},
		{name: "empty_file", file: "# nothing yet\n", flags: []string{"--config", "$TMP/config.yaml"}},
		{
			name: "precedence", file: labYAML,
			env: map[string]string{
				"ADJC_CONFIG": "$TMP/config.yaml", "ADJC_LDAP_URL": "ldaps://env.adjc.lab", "ADJC_BASE_DN": "DC=adjc,DC=lab",
				"ADJC_JC_API_KEY": "from-env", "ADJC_MODE": "ad-authority", "ADJC_STATE_DIR": "$TMP/env-state",
			},
			flags: []string{"--ldap-url", "ldaps://flag.adjc.lab:636", "--mode", "jc-authority", "--bind-password-file", "-"},
		},
		{name: "empty_env_is_unset", file: labYAML, flags: []string{"--config", "$TMP/config.yaml"}, env: map[string]string{"ADJC_LDAP_URL": ""}},
		{name: "empty_flag_is_unset", file: labYAML, flags: []string{"--config", "$TMP/config.yaml", "--ldap-url=", "--api-key-file="}},
		{
			name: "env_creates_domain",
			env: map[string]string{
				"ADJC_LDAP_URL": "ldaps://dc.example.com", "ADJC_BASE_DN": "DC=Example,DC=com", "ADJC_BIND": `EXAMPLE\svc`,
				"ADJC_BIND_PASSWORD": "hunter2", "ADJC_JC_REGION": "eu", "ADJC_JC_API_KEY_FILE": "$TMP/key",
			},
		},
		{name: "env_region_over_file_url", file: labYAML, flags: []string{"--config", "$TMP/config.yaml"}, env: map[string]string{"ADJC_JC_REGION": "in"}},
		{name: "flag_url_over_env_region", env: map[string]string{"ADJC_JC_REGION": "eu"}, flags: []string{"--api-url", "https://jc.example.com/api/"}},
		{name: "region_and_url_in_file", file: "jumpcloud:\n  region: eu\n  api_url: https://x.example.com/api\n", flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "bad_region", env: map[string]string{"ADJC_JC_REGION": "mars"}},
		{
			name: "domain_keys_from_env_and_flags", file: labYAML,
			flags: []string{"--config", "$TMP/config.yaml", "--jumpcloud-group", "JC Users", "--jumpcloud-domain-id", "65a0c0de0000000000000009"},
			env:   map[string]string{"ADJC_ADMINS_GROUP": "JC Admins", "ADJC_USERNAME_ATTRIBUTE": "uid", "ADJC_ALLOW_PLAINTEXT": "true", "ADJC_JUMPCLOUD_GROUP": "ignored: the flag wins"},
		},
		{name: "welcome_email_file", file: withDomainKeys("    welcome_email: true\n"), flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "welcome_email_flag_over_file", file: withDomainKeys("    welcome_email: true\n"), flags: []string{"--config", "$TMP/config.yaml", "--welcome-email=false"}},
		{name: "welcome_email_env", file: labYAML, flags: []string{"--config", "$TMP/config.yaml"}, env: map[string]string{"ADJC_WELCOME_EMAIL": "true"}},
		{name: "delegated_authority_file_env_flag", file: withDomainKeys("    delegated_authority: never\n"), flags: []string{"--config", "$TMP/config.yaml", "--delegated-authority", "always"}, env: map[string]string{"ADJC_DELEGATED_AUTHORITY": "follow"}},
		{name: "delegated_authority_env", file: withDomainKeys("    delegated_authority: never\n"), flags: []string{"--config", "$TMP/config.yaml"}, env: map[string]string{"ADJC_DELEGATED_AUTHORITY": "always"}},
		{name: "bad_delegated_authority", file: withDomainKeys("    delegated_authority: sometimes\n"), flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "password_sync_file", file: withDomainKeys("    password_sync: true\n"), flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "password_sync_flag_over_env", file: labYAML, flags: []string{"--config", "$TMP/config.yaml", "--password-sync=false"}, env: map[string]string{"ADJC_PASSWORD_SYNC": "true"}},
		{name: "password_sync_env", file: labYAML, flags: []string{"--config", "$TMP/config.yaml"}, env: map[string]string{"ADJC_PASSWORD_SYNC": "true"}},
		{name: "bad_welcome_email_env", file: labYAML, flags: []string{"--config", "$TMP/config.yaml"}, env: map[string]string{"ADJC_WELCOME_EMAIL": "yes"}},
		{name: "start_tls_file", file: "domains:\n  - ldap_url: ldap://dc.example.com\n    base_dn: DC=example,DC=com\n    bind: svc@example.com\n    start_tls: true\n", flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "start_tls_env", file: labYAML, flags: []string{"--config", "$TMP/config.yaml", "--ldap-url", "ldap://127.0.0.1"}, env: map[string]string{"ADJC_START_TLS": "true"}},
		{name: "start_tls_flag_false_over_env", file: labYAML, flags: []string{"--config", "$TMP/config.yaml", "--ldap-url", "ldap://127.0.0.1", "--start-tls=false", "--allow-plaintext"}, env: map[string]string{"ADJC_START_TLS": "true"}},
		{name: "start_tls_with_ldaps", file: labYAML, flags: []string{"--config", "$TMP/config.yaml", "--start-tls"}},
		{name: "bad_start_tls_env", file: labYAML, flags: []string{"--config", "$TMP/config.yaml"}, env: map[string]string{"ADJC_START_TLS": "on please"}},
		{
			name: "per_direction_binds", file: labYAML + "", flags: []string{"--config", "$TMP/config.yaml", "--sync-bind", "jcsync@adjc.lab", "--sync-bind-password-file", "$TMP/jcsync.pw"},
			env: map[string]string{"ADJC_IMPORT_BIND": "CN=jcimport,CN=Users,DC=adjc,DC=lab", "ADJC_IMPORT_BIND_PASSWORD": "x"},
		},
		{
			name:  "per_direction_binds_without_bind",
			file:  "domains:\n  - ldap_url: ldaps://dc\n    base_dn: DC=x\n    import_bind: ro@x\n    import_bind_password_file: ro.pw\n    sync_bind: \"bad\\\\\"\n",
			flags: []string{"--config", "$TMP/config.yaml"},
		},
		{name: "only_import_bind_two_way", file: "domains:\n  - ldap_url: ldaps://dc\n    base_dn: DC=x\n    import_bind: ro@x\n", flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "only_import_bind_ad_authority", file: "domains:\n  - ldap_url: ldaps://dc\n    base_dn: DC=x\n    mode: ad-authority\n    import_bind: ro@x\n", flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "bad_allow_plaintext_env", file: labYAML, flags: []string{"--config", "$TMP/config.yaml"}, env: map[string]string{"ADJC_ALLOW_PLAINTEXT": "maybe"}},
		{name: "two_domains", file: twoDomains, flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "two_domains_env_ambiguous", file: twoDomains, flags: []string{"--config", "$TMP/config.yaml"}, env: map[string]string{"ADJC_CA_FILE": "/x.pem", "ADJC_BIND": "x@y"}},
		{name: "select_domain", file: twoDomains, flags: []string{"--config", "$TMP/config.yaml", "--domain", "OTHER", "--bind", "admin@other.org"}},
		{name: "select_unknown_domain", file: twoDomains, flags: []string{"--config", "$TMP/config.yaml", "--domain", "nope"}},
		{name: "missing_config", flags: []string{"--config", "$TMP/nope.yaml"}},
		{name: "missing_env_config", env: map[string]string{"ADJC_CONFIG": "$TMP/nope.yaml"}},
		{name: "syntax_error", file: "jumpcloud:\n  api_url: [oops\n", flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "not_a_mapping", file: "- a\n- b\n", flags: []string{"--config", "$TMP/config.yaml"}},
		{
			name:  "unknown_keys",
			file:  "jumpcloud:\n  api_key: nope\n  apiurl: https://x\ndomains:\n  - name: a\n    ldap_uri: ldaps://x\n    password: p\nstatedir: /x\ncolour: red\n",
			flags: []string{"--config", "$TMP/config.yaml"},
		},
		{
			name:  "wrong_types",
			file:  "jumpcloud: https://x\ndomains:\n  - name: [a, b]\n    allow_plaintext: yes please\n  - just a string\nstate_dir:\n  a: b\n",
			flags: []string{"--config", "$TMP/config.yaml"},
		},
		{name: "never_touch", file: withDomainKeys("    never_touch:\n      - svc-backup\n      - CN=Tier0,OU=Groups,DC=adjc,DC=lab\n"), flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "never_touch_bad", file: withDomainKeys("    never_touch:\n      - \" \"\n      - CN=Tier0\n"), flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "never_touch_nested", file: withDomainKeys("    never_touch:\n      - [a]\n"), flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "never_touch_not_a_list", file: withDomainKeys("    never_touch: svc-backup\n"), flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "repeated_key", file: "state_dir: /a\nstate_dir: /b\n", flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "null_values", file: "jumpcloud:\n  org_id:\ndomains:\nstate_dir: /s\n", flags: []string{"--config", "$TMP/config.yaml"}},
		{
			name:  "ha_file",
			file:  labYAML + "ha:\n  etcd:\n    endpoints: [https://etcd1:2379, https://etcd2:2379]\n    ca_file: etcd-ca.pem\n    cert_file: $TMP/c.pem\n    key_file: $TMP/k.pem\n    lease_ttl: 15s\n",
			flags: []string{"--config", "$TMP/config.yaml", "--etcd-prefix", "/corp/adjc"},
			env:   map[string]string{"ADJC_ETCD_LEASE_TTL": "20s"},
		},
		{name: "ha_env", file: labYAML, flags: []string{"--config", "$TMP/config.yaml"}, env: map[string]string{"ADJC_ETCD_ENDPOINTS": "http://127.0.0.1:2379, http://127.0.0.1:22379"}},
		{
			name:  "ha_invalid",
			file:  labYAML + "ha:\n  etcd:\n    endpoints: http://etcd.example.com:2379,etcd2\n    cert_file: c.pem\n    prefix: adjc\n    lease_ttl: 2500ms\n",
			flags: []string{"--config", "$TMP/config.yaml"},
		},
		{
			name: "invalid_values",
			file: `jumpcloud:
  api_url: ftp://console.jumpcloud.com
  org_id: 12345
domains:
  - name: dup
    mode: one-way
    ldap_url: https://dc.example.com
    base_dn: DC=example,,DC=com
    root_container: CN=Users
    bind: svc
    ca_file: $TMP/missing-ca.pem
    username_attribute: "1bad attr"
    jumpcloud_domain_id: xyz
    jumpcloud_group: "  "
  - name: DUP
    ldap_url: ldaps://dc.example.com/DC=example
    base_dn: DC=example,DC=com
    root_container: CN=Users,DC=other,DC=com
    bind: "@example.com"
  - ldap_url: "ldaps://%zz"
    base_dn: O=NoDC
    bind: CN=svc,,DC=x
    ca_file: $TMP
`,
			flags: []string{"--config", "$TMP/config.yaml"},
		},
		{name: "required_missing", file: "domains:\n  - name: empty\n", flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "root_container_is_base", file: "domains:\n  - ldap_url: ldap://dc\n    base_dn: dc=example,dc=com\n    root_container: DC=Example,DC=Com\n    bind: CN=svc,CN=Users,DC=example,DC=com\n    allow_plaintext: true\n", flags: []string{"--config", "$TMP/config.yaml"}},
		{name: "both_api_key_envs", env: map[string]string{"ADJC_JC_API_KEY": "k", "ADJC_JC_API_KEY_FILE": "/k"}},
		{name: "two_stdin_secrets", file: labYAML, flags: []string{"--config", "$TMP/config.yaml", "--api-key-file", "-", "--bind-password-file", "-"}},
		{name: "no_home", env: map[string]string{"HOME": ""}},
		{
			name:  "relative_paths",
			file:  "jumpcloud:\n  api_key_file: keys/jc\ndomains:\n  - ldap_url: ldaps://dc\n    base_dn: DC=x\n    bind: s@x\n    bind_password_file: secrets/../pw\n    ca_file: ca.pem\nstate_dir: state\n",
			flags: []string{"--config", "$TMP/config.yaml", "--api-key-file", "-"},
			env:   map[string]string{"ADJC_AUDIT_LOG": "relative/to/cwd.jsonl"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			expand := func(s string) string { return strings.ReplaceAll(s, "$TMP", tmp) }
			env := map[string]string{"HOME": "/home/user"}
			for k, v := range tt.env {
				env[k] = expand(v)
			}
			if tt.file != "" {
				path := filepath.Join(tmp, "config.yaml")
				if tt.xdg {
					path = filepath.Join(tmp, "xdg", "adjc", "config.yaml")
					env["XDG_CONFIG_HOME"] = filepath.Join(tmp, "xdg")
				}
				mustWrite(t, path, expand(tt.file), 0o644)
			}
			mustWrite(t, filepath.Join(tmp, "ca.pem"), "not really a CA\n", 0o644)
			fs := pflag.NewFlagSet("adjc", pflag.ContinueOnError)
			config.AddFlags(fs)
			args := make([]string, len(tt.flags))
			for i, a := range tt.flags {
				args[i] = expand(a)
			}
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			c, err := config.Load(config.LoadOptions{
				Flags:     fs,
				LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			})
			golden.Assert(t, []byte(render(c, err, tmp)), "config/load_"+tt.name+".txt")
		})
	}
}

func mustWrite(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // WriteFile's perm is filtered by umask
		t.Fatal(err)
	}
}

func TestLoadSelectedDomainKeepsIndex(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	mustWrite(t, filepath.Join(tmp, "c.yaml"), twoDomains, 0o644)
	fs := pflag.NewFlagSet("adjc", pflag.ContinueOnError)
	config.AddFlags(fs)
	if err := fs.Parse([]string{"--config", filepath.Join(tmp, "c.yaml"), "--domain", "other"}); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(config.LoadOptions{Flags: fs, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Domains) != 1 || c.Domains[0].Name != "other" || c.Domains[0].Index != 1 {
		t.Fatalf("Load(--domain other).Domains = %+v, want only other at index 1", c.Domains)
	}
	if got := c.Source("domains[1].bind").String(); !strings.HasSuffix(got, "c.yaml:8") {
		t.Errorf("Source(domains[1].bind) = %q, want the file at line 8", got)
	}
}
