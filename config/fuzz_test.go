package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Load as the config file. Whatever the
// bytes, Load must return either a configuration or a *ValidationError whose
// every problem names a field and a fix — never panic, and never another
// kind of error (which would exit 1 instead of 2, and say less).
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"",
		"domains:\n  - name: example.com\n    ldap_url: ldaps://dc.example.com\n    base_dn: DC=example,DC=com\n    bind: svc@example.com\n",
		"jumpcloud:\n  region: eu\n  org_id: 65a0c0de00000000000000aa\n",
		"domains: [\n",
		"domains:\n  - name: x\n\tldap_url: a\n",
		"a: &a [*a, *a]\nb: *a\n",
		"domains:\n  - base_dn: \"DC=caf\xe9\"\n",
		"state_dir: [a, b]\n",
		"domains:\n  - {ldap_url: \"ldaps://\", base_dn: \"x=\", root_container: \"OU=a\\\\,b\", username_attribute: \")(\"}\n",
		"--- !!binary\nAAAA\n",
		"jumpcloud: {api_url: \"http://[::1]:1/api\", api_key_file: /dev/null}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "adjc.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"ADJC_CONFIG": path, "HOME": dir}
		cfg, err := Load(LoadOptions{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
		if err == nil {
			if cfg == nil {
				t.Fatalf("Load(%q) = nil, nil", data)
			}
			for _, d := range cfg.Domains {
				if d.LDAPURL == "" || d.BaseDN == "" || d.Bind == "" {
					t.Fatalf("Load(%q) accepted a domain missing a required field: %+v", data, d)
				}
			}
			return
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("Load(%q) error %T %v, want a *ValidationError", data, err, err)
		}
		if len(ve.Problems) == 0 {
			t.Fatalf("Load(%q): a ValidationError without problems", data)
		}
		for _, p := range ve.Problems {
			if p.Field == "" || p.Msg == "" || strings.TrimSpace(p.Fix) == "" {
				t.Fatalf("Load(%q): problem %+v lacks a field, message or fix", data, p)
			}
		}
	})
}
