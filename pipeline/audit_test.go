package pipeline

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

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
