package config

import "testing"

// TestYAMLSyntaxErrorLine: a YAML syntax error names the line the problem
// is on, not the line where yaml.v3's context for it began.
func TestYAMLSyntaxErrorLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"tab in indentation", "domains:\n  - name: example.com\n\tldap_url: ldaps://dc.example.com\n",
			"line 3: found a tab character that violates indentation"},
		{"unclosed flow mapping", "domains: [\n  {name: a\n",
			"line 2: did not find expected ',' or '}'"},
		{"unclosed flow sequence, then more keys", "a: 1\nb: [1, 2\nc: 3\n",
			"line 2: did not find expected ',' or ']'"},
		{"tab deep in the file", "jumpcloud:\n  api_url: https://console.jumpcloud.com/api\ndomains:\n  - name: a\n    mode: two-way\n\tbase_dn: DC=a\n",
			"line 6: found a tab character that violates indentation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, problems := parseFile("bad.yaml", []byte(tt.yaml))
			if len(problems) != 1 {
				t.Fatalf("got %d problems, want 1: %v", len(problems), problems)
			}
			if got := problems[0].Msg; got != tt.want {
				t.Errorf("message %q, want %q", got, tt.want)
			}
		})
	}
}
