package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/golden"
	"github.com/spf13/pflag"
)

func TestSecretResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string // written to $TMP/secret with perm
		perm    uint32
		env     map[string]string
		flags   []string
		stdin   string
		prompt  func(string) (string, error)
	}{
		{name: "file", content: "key-from-file\n", perm: 0o600, env: map[string]string{"ADJC_JC_API_KEY_FILE": "$TMP/secret"}},
		{name: "file_crlf", content: "key-from-file\r\n", perm: 0o400, flags: []string{"--api-key-file", "$TMP/secret"}},
		{name: "file_group_readable", content: "k\n", perm: 0o640, env: map[string]string{"ADJC_JC_API_KEY_FILE": "$TMP/secret"}},
		{name: "file_world_readable", content: "k\n", perm: 0o604, flags: []string{"--api-key-file", "$TMP/secret"}},
		{name: "file_empty", content: "\n", perm: 0o600, flags: []string{"--api-key-file", "$TMP/secret"}},
		{name: "file_missing", flags: []string{"--api-key-file", "$TMP/nope"}},
		{name: "file_is_dir", flags: []string{"--api-key-file", "$TMP"}},
		{name: "stdin", stdin: "key-from-stdin\n", flags: []string{"--api-key-file", "-"}},
		{name: "stdin_empty", stdin: "", flags: []string{"--api-key-file", "-"}},
		{name: "env", env: map[string]string{"ADJC_JC_API_KEY": "key-from-env"}},
		{name: "prompt", prompt: func(p string) (string, error) { return "typed:" + p, nil }},
		{name: "prompt_empty", prompt: func(string) (string, error) { return "", nil }},
		{name: "prompt_fails", prompt: func(string) (string, error) { return "", errors.New("read from terminal: EOF") }},
		{name: "not_set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			expand := func(s string) string { return strings.ReplaceAll(s, "$TMP", tmp) }
			if tt.content != "" {
				mustWrite(t, filepath.Join(tmp, "secret"), tt.content, fsMode(tt.perm))
			}
			env := map[string]string{"HOME": "/home/user"}
			for k, v := range tt.env {
				env[k] = expand(v)
			}
			fs := pflag.NewFlagSet("adjc", pflag.ContinueOnError)
			config.AddFlags(fs)
			var args []string
			for _, a := range tt.flags {
				args = append(args, expand(a))
			}
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			c, err := config.Load(config.LoadOptions{
				Flags:     fs,
				LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
				Stdin:     strings.NewReader(tt.stdin),
				Prompt:    tt.prompt,
			})
			if err != nil {
				t.Fatal(err)
			}
			ref := c.JumpCloud.APIKey
			var b strings.Builder
			b.WriteString("describe: " + ref.Describe() + "\n")
			s, err := ref.Resolve()
			if err != nil {
				var ve *config.ValidationError
				if !errors.As(err, &ve) {
					b.WriteString("(not a ValidationError)\n")
				}
				b.WriteString("error: " + err.Error() + "\n")
			} else {
				b.WriteString("value: " + s.Reveal() + "\n")
				again, err := ref.Resolve() // cached: stdin is read once
				if err != nil || again.Reveal() != s.Reveal() {
					t.Errorf("second Resolve() = %q, %v; want %q, nil", again.Reveal(), err, s.Reveal())
				}
			}
			golden.Assert(t, []byte(strings.ReplaceAll(b.String(), tmp, "$TMP")), "config/secret_"+tt.name+".txt")
		})
	}
}

func TestBindPasswordResolve(t *testing.T) {
	t.Parallel()
	env := map[string]string{"ADJC_LDAP_URL": "ldaps://dc", "ADJC_BASE_DN": "DC=x,DC=y", "ADJC_BIND": "svc@x.y"}
	var asked string
	c, err := config.Load(config.LoadOptions{
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Prompt:    func(p string) (string, error) { asked = p; return "pw", nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Domains[0].BindPassword.Resolve()
	if err != nil || s.Reveal() != "pw" {
		t.Fatalf("BindPassword.Resolve() = %q, %v; want pw, nil", s.Reveal(), err)
	}
	if asked != "bind password for svc@x.y: " {
		t.Errorf("prompt = %q, want %q", asked, "bind password for svc@x.y: ")
	}
}
