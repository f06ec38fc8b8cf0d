package config_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/adjc/adjc/config"
)

// TestFieldMapping: field_mapping is a list in the file, comma-separated
// in $ADJC_FIELD_MAPPING and --field-mapping, each layer replacing the
// one below; translation-rules needs jumpcloud_domain_id.
func TestFieldMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		env        map[string]string
		args       []string
		want       []string
		source     string
		err        string
	}{
		{name: "absent", yaml: twoDomains, want: nil, source: "default"},
		{name: "file", yaml: strings.Replace(twoDomains, "    bind: svc@other.org\n", "    bind: svc@other.org\n    field_mapping: [department, manager]\n", 1),
			want: []string{"department", "manager"}, source: "c.yaml"},
		{name: "env replaces the file", yaml: strings.Replace(twoDomains, "    bind: svc@other.org\n", "    bind: svc@other.org\n    field_mapping: [department]\n", 1),
			env: map[string]string{config.EnvFieldMapping: "jobTitle, title"}, want: []string{"jobTitle", "title"}, source: "env " + config.EnvFieldMapping},
		{name: "flag", yaml: twoDomains, args: []string{"--field-mapping", "employeeID"}, want: []string{"employeeID"}, source: "--field-mapping"},
		{name: "rules need the domain object", yaml: twoDomains, args: []string{"--field-mapping", "translation-rules"},
			err: "field_mapping[0]"},
		{name: "twice", yaml: twoDomains, args: []string{"--field-mapping", "manager,manager"}, err: "named twice"},
		{name: "not a name", yaml: twoDomains, args: []string{"--field-mapping", "dept ok"}, err: "not a field name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			mustWrite(t, filepath.Join(tmp, "c.yaml"), tt.yaml, 0o644)
			fs := pflag.NewFlagSet("adjc", pflag.ContinueOnError)
			config.AddFlags(fs)
			if err := fs.Parse(append([]string{"--config", filepath.Join(tmp, "c.yaml"), "--domain", "other"}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			c, err := config.Load(config.LoadOptions{Flags: fs, LookupEnv: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Load() = %v, want an error naming %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := c.Domains[0]
			if !slices.Equal(d.FieldMapping, tt.want) {
				t.Errorf("FieldMapping = %q, want %q", d.FieldMapping, tt.want)
			}
			if got := c.Source("domains[1].field_mapping").String(); !strings.Contains(got, tt.source) {
				t.Errorf("Source(field_mapping) = %q, want %q", got, tt.source)
			}
		})
	}
}
