package commands

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/reconcile"
)

// fixedSyncState is a connected domain for the JumpCloud → AD direction: a
// JumpCloud-only user to create, one to update, and a bound group.
func fixedSyncState(context.Context, *config.Config, *config.Domain) (*State, error) {
	const users = "CN=Users,DC=adjc,DC=lab"
	return &State{
		Cloud: reconcile.Cloud{
			Users: []reconcile.CloudUser{
				{ID: "j1", Username: "gina", Email: "gina@example.com", Firstname: "Gina", Lastname: "Gray"},
				{ID: "j2", Username: "hank", Email: "hank@example.com", Firstname: "Hank", Lastname: "Hill", Suspended: true},
			},
			Groups: []reconcile.CloudGroup{{ID: "jg1", Name: "Ops", Members: []string{"j1", "j2"}}},
		},
		Directory: reconcile.Directory{
			Container: users,
			Users:     []reconcile.ADUser{{GUID: guid(20), DN: "CN=hank," + users, Username: "hank", GivenName: "Hank", Surname: "Hill", Mail: "hank@example.com"}},
		},
	}, nil
}

// TestDiffBothDirectionsGolden checks diff on a connected two-way domain:
// both plans in the table, and in JSON the sync plan under to_ad.
func TestDiffBothDirectionsGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{name: "diff_both_table", args: []string{"diff"}},
		{name: "diff_both_json", args: []string{"diff", "-o", "json"}},
		{name: "diff_both_detailed_exitcode", args: []string{"diff", "-o", "plain", "--detailed-exitcode"}, wantCode: ExitPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			writeLabConfig(t, tmp)
			cfg := filepath.Join(tmp, "adjc.yaml")
			b, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			b = []byte(strings.Replace(string(b), "    base_dn:", "    mode: two-way\n    jumpcloud_domain_id: 65a0c0de0000000000000001\n    base_dn:", 1))
			if err := os.WriteFile(cfg, b, 0o600); err != nil {
				t.Fatal(err)
			}
			f, _ := testFactory(nil)
			state, _ := fixedState(t, "")
			stdout, stderr, code := runCLIWith(t, f, fixedVerbs(state, fixedSyncState), append([]string{"--config", cfg}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("adjc %v = %d, want %d\n%s", tt.args, code, tt.wantCode, stderr)
			}
			golden.Assert(t, transcript(stdout, stderr, code), "commands/"+tt.name+".txt")
		})
	}
}
