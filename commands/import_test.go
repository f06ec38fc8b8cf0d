package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/reconcile/reconciletest"
	"github.com/adjc/adjc/schedule"
)

func guid(n int) string { return fmt.Sprintf("00000000-0000-0000-0000-%012d", n) }

// fixedState is a small domain with one of each rule: a new user, a disabled
// one, one removed from scope, a rename, an adoption, skips, a cycle and
// password drift. Each call returns fresh values and a fresh target.
func fixedState(t *testing.T, fail string) (ReadStateFunc, *reconciletest.Memory) {
	dir := reconcile.Directory{
		Users: []reconcile.ADUser{
			{GUID: guid(1), Username: "alice", GivenName: "Alice", Surname: "Archer", Mail: "alice@example.com"},
			{GUID: guid(2), Username: "bob", GivenName: "Bob", Surname: "Baker", Mail: "bob@example.com", Disabled: true},
			{GUID: guid(4), Username: "david", GivenName: "Dave", Surname: "Dane", Mail: "dave@example.com", PwdLastSet: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
			{GUID: guid(5), Username: "erin", GivenName: "Erin", Surname: "Evans", Mail: "erin@example.com"},
			{GUID: guid(6), Username: "noemail", GivenName: "No", Surname: "Email"},
			{GUID: guid(7), Username: "root", Mail: "root@example.com", Privileged: true},
		},
		Groups: []reconcile.ADGroup{
			{GUID: guid(100), Name: "Eng", Members: []string{guid(1), guid(2), guid(4)}},
			{GUID: guid(101), Name: "Loop", Members: []string{guid(5)}},
		},
		Admins: []string{guid(1)},
		Cycles: []reconcile.Cycle{{Path: []string{"Loop", "Loop2", "Loop"}}},
	}
	cloud := reconcile.Cloud{
		Users: []reconcile.CloudUser{
			{ID: "u2", Username: "bob", Email: "bob@example.com", Firstname: "Bob", Lastname: "Baker", Anchor: guid(2)},
			{ID: "u3", Username: "carol", Email: "carol@example.com", Firstname: "Carol", Lastname: "Cole", Anchor: guid(3)},
			{ID: "u4", Username: "dave", Email: "dave@example.com", Firstname: "Dave", Lastname: "Dane", Anchor: guid(4), PasswordDate: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
			{ID: "u5", Username: "erin", Email: "erin@example.com", Firstname: "Erin", Lastname: "Evans"},
			{ID: "u9", Username: "frank", Email: "frank@example.com"},
		},
		Groups: []reconcile.CloudGroup{
			{ID: "g1", Name: "Eng", Anchor: guid(100), Members: []string{"u2", "u3", "u4", "u9"}},
		},
	}
	mem := reconciletest.NewMemory(cloud)
	if fail != "" {
		mem.Hook = func(_ context.Context, c reconciletest.Call) error {
			if c.Method == fail {
				return errors.New("jumpcloud said no")
			}
			return nil
		}
	}
	return func(context.Context, *config.Config, *config.Domain) (*State, error) {
		return &State{Directory: dir, Cloud: cloud, Target: mem}, nil
	}, mem
}

func TestDiffImportGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		tty       bool
		color     bool
		width     int    // terminal columns; 0 keeps the test streams' 80
		fail      string // a reconciletest.Memory method that fails
		savePlan  bool   // run diff --out first, then this
		wantAudit int    // audit lines expected
	}{
		{name: "diff_table", args: []string{"diff"}},
		{name: "diff_tty", args: []string{"diff"}, tty: true, color: true},
		// Plans fit the terminal: 80 columns above, 200 here, and
		// --detailed wraps instead of shortening.
		{name: "diff_tty_200", args: []string{"diff"}, tty: true, width: 200},
		{name: "diff_tty_detailed", args: []string{"diff", "--detailed"}, tty: true},
		{name: "diff_plain", args: []string{"diff", "-o", "plain"}},
		{name: "diff_json", args: []string{"diff", "-o", "json"}},
		{name: "diff_detailed_exitcode", args: []string{"diff", "-o", "plain", "--detailed-exitcode"}},
		{name: "diff_bad_policy", args: []string{"diff", "--on-removed", "archive"}},
		// diff says import would hold the removals, and how to release them.
		{name: "diff_threshold", args: []string{"diff", "--max-deletes", "1"}},
		{name: "diff_threshold_json", args: []string{"diff", "-o", "json", "--max-deletes", "1"}},
		{name: "import_no_yes", args: []string{"import", "--max-delete-percent", "-1"}},
		// Over the budget: the 2 removals (carol deleted, bob suspended) are
		// held, the other 7 changes applied, exit 3.
		{name: "import_threshold", args: []string{"import", "--yes", "--max-deletes", "1"}, wantAudit: 7},
		{name: "import_table", args: []string{"import", "--yes", "--max-delete-percent", "-1"}, wantAudit: 9},
		{name: "import_plain", args: []string{"import", "--yes", "-o", "plain", "--max-delete-percent", "-1"}, wantAudit: 9},
		{name: "import_json", args: []string{"import", "--yes", "-o", "json", "--max-delete-percent", "-1"}, wantAudit: 9},
		{name: "import_partial", args: []string{"import", "--yes", "-o", "plain", "--max-delete-percent", "-1"}, fail: "CreateUser", wantAudit: 9},
		{name: "import_plan", args: []string{"import", "--yes", "-o", "plain", "--max-delete-percent", "-1", "--plan", "$TMP/plan.json"}, savePlan: true, wantAudit: 9},
		// 2 removals of 3 managed users are within the default budget: a
		// small organisation is never blocked by ten or fewer.
		{name: "import_plan_threshold", args: []string{"import", "--yes", "-o", "plain", "--plan", "$TMP/plan.json"}, savePlan: true, wantAudit: 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			writeLabConfig(t, tmp)
			state, _ := fixedState(t, tt.fail)
			args := []string{"--config", filepath.Join(tmp, "adjc.yaml")}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "$TMP", tmp))
			}
			if tt.savePlan {
				f, _ := testFactory(nil)
				if _, stderr, code := runCLIWith(t, f, fixedVerbs(state, nil), "--config", filepath.Join(tmp, "adjc.yaml"), "diff", "-o", "plain", "--out", filepath.Join(tmp, "plan.json")); code != 0 {
					t.Fatalf("diff --out: exit %d: %s", code, stderr)
				}
				b, err := os.ReadFile(filepath.Join(tmp, "plan.json"))
				if err != nil {
					t.Fatal(err)
				}
				if fi, _ := os.Stat(filepath.Join(tmp, "plan.json")); fi.Mode().Perm() != 0o600 {
					t.Errorf("plan.json mode = %v, want 0600", fi.Mode().Perm())
				}
				if !json.Valid(b) {
					t.Fatalf("plan.json is not JSON")
				}
			}
			f, ios := testFactory(nil)
			ios.SetStdoutTTY(tt.tty)
			ios.SetColorEnabled(tt.color)
			if tt.width > 0 {
				ios.SetWidth(tt.width)
			}
			stdout, stderr, code := runCLIWith(t, f, fixedVerbs(state, nil), args...)
			got := strings.ReplaceAll(string(transcript(stdout, stderr, code)), tmp, "$TMP")
			golden.Assert(t, []byte(got), "commands/"+tt.name+".txt")

			audit := filepath.Join(tmp, "state", "audit.jsonl")
			b, err := os.ReadFile(audit)
			if tt.wantAudit == 0 {
				if err == nil && len(b) > 0 {
					t.Errorf("audit log written by a run that applied nothing:\n%s", b)
				}
				return
			}
			if err != nil {
				t.Fatalf("audit log: %v", err)
			}
			if fi, _ := os.Stat(audit); fi.Mode().Perm() != 0o600 {
				t.Errorf("audit log mode = %v, want 0600", fi.Mode().Perm())
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if len(lines) != tt.wantAudit {
				t.Errorf("audit log has %d lines, want %d", len(lines), tt.wantAudit)
			}
			for _, l := range lines {
				var e struct{ Time, Outcome, Action string }
				if err := json.Unmarshal([]byte(l), &e); err != nil || e.Time != "2025-06-01T12:00:00Z" || e.Outcome == "" || e.Action == "" {
					t.Errorf("audit line %q: %v", l, err)
				}
			}
		})
	}
}

// TestImportPlanStale checks that a saved plan is refused once the state it
// was computed from has moved, and that nothing is applied.
func TestImportPlanStale(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	writeLabConfig(t, tmp)
	cfgArgs := []string{"--config", filepath.Join(tmp, "adjc.yaml")}
	state, _ := fixedState(t, "")
	f, _ := testFactory(nil)
	plan := filepath.Join(tmp, "plan.json")
	if _, stderr, code := runCLIWith(t, f, fixedVerbs(state, nil), append(cfgArgs, "diff", "--out", plan)...); code != 0 {
		t.Fatalf("diff --out: exit %d: %s", code, stderr)
	}
	moved, mem := fixedState(t, "")
	f, _ = testFactory(nil)
	movedState := func(ctx context.Context, c *config.Config, d *config.Domain) (*State, error) {
		st, _ := moved(ctx, c, d)
		st.Cloud.Users = st.Cloud.Users[1:] // bob was deleted in JumpCloud meanwhile
		return st, nil
	}
	_, stderr, code := runCLIWith(t, f, fixedVerbs(movedState, nil), append(cfgArgs, "import", "--yes", "--plan", plan)...)
	if code != 1 || !strings.Contains(stderr, "is stale") {
		t.Errorf("import --plan (stale): exit %d, stderr %q; want 1 and 'is stale'", code, stderr)
	}
	if calls := mem.Calls(); len(calls) != 0 {
		t.Errorf("stale plan made %d calls, want none", len(calls))
	}
}

func TestExitCodeImport(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want int
	}{
		{&reconcile.PartialError{Failed: 1, Total: 2, Err: errors.New("x")}, ExitPartial},
		{fmt.Errorf("apply: %w", &reconcile.PartialError{Failed: 1, Total: 2, Err: errors.New("x")}), ExitPartial},
		{fmt.Errorf("read: %w", jcapi.ErrUnauthorized), ExitAuth},
		// One side written, the other refused the credentials: partial wins.
		{&SilentError{Err: &reconcile.PartialError{Failed: 1, Total: 2, Err: fmt.Errorf("jumpcloud: %w", jcapi.ErrUnauthorized)}}, ExitPartial},
		{WithHint(fmt.Errorf("dial: %w", ldapx.ErrInvalidCredentials), "x"), ExitAuth},
	} {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestImportWaitsForWriter: a second writer of the same domain (here a held
// lock, as a running 'adjc schedule' holds it) waits, says whom for, and
// fails with exit 1 with nothing applied.
func TestImportWaitsForWriter(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	writeLabConfig(t, tmp)
	lock, err := schedule.AcquireLock(filepath.Join(tmp, "state"), "adjc.lab")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	state, mem := fixedState(t, "")
	f, _ := testFactory(nil)
	_, stderr, code := runCLIWith(t, f, fixedVerbs(state, nil), "--config", filepath.Join(tmp, "adjc.yaml"), "import", "--yes", "--lock-wait", "300ms")
	if code != 1 || !strings.Contains(stderr, "another adjc process is writing to this domain (process "+strconv.Itoa(os.Getpid())+")") ||
		!strings.Contains(stderr, "waiting up to 300ms") || !strings.Contains(stderr, "nothing was applied") {
		t.Errorf("import beside a held lock: exit %d, stderr:\n%s\nwant exit 1, the wait and the holder named", code, stderr)
	}
	if n := len(mem.Calls()); n != 0 {
		t.Errorf("import beside a held lock made %d calls, want none", n)
	}
	// --lock-wait 0: one try, no wait announced.
	f, _ = testFactory(nil)
	_, stderr, code = runCLIWith(t, f, fixedVerbs(state, nil), "--config", filepath.Join(tmp, "adjc.yaml"), "import", "--yes", "--lock-wait", "0")
	if code != 1 || strings.Contains(stderr, "waiting up to") || !strings.Contains(stderr, "nothing was applied") {
		t.Errorf("import --lock-wait 0 beside a held lock: exit %d, stderr:\n%s\nwant exit 1 at once", code, stderr)
	}
}
