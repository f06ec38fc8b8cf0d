package commands

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
)

// TestApprove: 'adjc approve N' records a release the state store's ledger
// sees (and a run then uses), in the direction asked for; a bad count is a
// usage error.
func TestApprove(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	writeLabConfig(t, tmp)
	cfgArgs := []string{"--config", filepath.Join(tmp, "adjc.yaml")}
	f, _ := testFactory(nil)
	stdout, stderr, code := runCLI(t, f, append(cfgArgs, "approve", "12")...)
	if code != 0 || !strings.Contains(stdout, "Released 12 removals to JumpCloud for adjc.lab") {
		t.Fatalf("approve 12: exit %d\n%s%s", code, stdout, stderr)
	}
	f, _ = testFactory(nil)
	if _, stderr, code := runCLI(t, f, append(cfgArgs, "approve", "1", "--sync")...); code != 0 {
		t.Fatalf("approve 1 --sync: exit %d\n%s", code, stderr)
	}
	store, err := schedule.OpenStore(filepath.Join(tmp, "state"), "adjc.lab")
	if err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[reconcile.Direction]int{reconcile.ToJumpCloud: 12, reconcile.ToAD: 1} {
		if n, err := store.Approved(dir); err != nil || n != want {
			t.Errorf("Approved(%s) = %d, %v; want %d", dir, n, err, want)
		}
	}
	if err := store.ClearApproved(reconcile.ToJumpCloud); err != nil {
		t.Fatal(err)
	}
	if n, _ := store.Approved(reconcile.ToJumpCloud); n != 0 {
		t.Errorf("Approved after ClearApproved = %d, want 0", n)
	}
	if err := store.Record(reconcile.ToJumpCloud, time.Now(), 3); err != nil {
		t.Fatal(err)
	}
	if n, _ := store.Spent(reconcile.ToJumpCloud, time.Now().Add(-time.Hour)); n != 3 {
		t.Errorf("Spent after Record(3) = %d, want 3", n)
	}
	if n, _ := store.Spent(reconcile.ToAD, time.Now().Add(-time.Hour)); n != 0 {
		t.Errorf("Spent(sync) after an import Record = %d, want 0", n)
	}
	f, _ = testFactory(nil)
	if _, _, code := runCLI(t, f, append(cfgArgs, "approve", "zero")...); code != 2 {
		t.Errorf("approve zero: exit %d, want 2", code)
	}
}
