package commands

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/reconcile"
)

// TestWritePlanPrivate: a saved plan is 0600 (SECURITY.md) whatever is
// lying beside it, and writing it never writes through a file or link
// someone else put at a predictable temporary name.
func TestWritePlanPrivate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.json")
	// A leftover (or planted) plan.json.tmp that others may read, and a
	// link a local attacker could plant to make adjc overwrite a victim.
	if err := os.WriteFile(path+".tmp", []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	linked := filepath.Join(dir, "other.json")
	if err := os.Symlink(victim, linked+".tmp"); err != nil {
		t.Fatal(err)
	}
	d := &config.Domain{Name: "adjc.lab", BaseDN: "DC=adjc,DC=lab"}
	plan := reconcile.Plan{Version: reconcile.PlanVersion, Direction: reconcile.ToJumpCloud}
	for _, p := range []string{path, linked} {
		if err := writePlan(p, d, reconcile.DefaultPolicy(), plan); err != nil {
			t.Fatalf("writePlan(%s): %v", p, err)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o600 {
			t.Errorf("writePlan(%s): mode %v, want -rw-------", p, fi.Mode())
		}
		if _, err := readPlan(p); err != nil {
			t.Errorf("readPlan(%s) after writePlan: %v", p, err)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("writePlan wrote through the link at %s.tmp: the victim now holds %d bytes", linked, len(b))
	}
}

// TestAuditLogPrivate: an existing audit log that others can read is made
// 0600 when adjc opens it, not left as it was.
func TestAuditLogPrivate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := openAuditLog(path, "adjc.lab", time.Now)
	if err != nil {
		t.Fatalf("openAuditLog() = %v", err)
	}
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode after open = %v, want -rw-------", fi.Mode().Perm())
	}
}
