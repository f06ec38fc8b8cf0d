package reconcile_test

import (
	"testing"

	"github.com/adjc/adjc/reconcile"
)

// TestDiffDirection: Diff plans the direction it is given, records it in
// the plan with that direction's fingerprint, and refuses to guess at any
// other direction.
func TestDiffDirection(t *testing.T) {
	t.Parallel()
	dir, cloud := seedDirectory(), seedCloud()
	for _, d := range []reconcile.Direction{reconcile.ToJumpCloud, reconcile.ToAD} {
		p := reconcile.Diff(d, dir, cloud, reconcile.DefaultPolicy())
		if p.Direction != d || p.Fingerprint != reconcile.Fingerprint(d, dir, cloud) {
			t.Errorf("Diff(%s) = direction %s, fingerprint %s; want %s and Fingerprint(%s)", d, p.Direction, p.Fingerprint, d, d)
		}
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Diff(sideways) did not panic")
		}
	}()
	reconcile.Diff("sideways", dir, cloud, reconcile.DefaultPolicy())
}

// TestFingerprintDirection: the two directions' fingerprints of one state
// differ, so a plan of one is never taken for the other's.
func TestFingerprintDirection(t *testing.T) {
	t.Parallel()
	dir, cloud := seedDirectory(), seedCloud()
	if a, b := reconcile.Fingerprint(reconcile.ToJumpCloud, dir, cloud), reconcile.Fingerprint(reconcile.ToAD, dir, cloud); a == b {
		t.Errorf("Fingerprint(ToJumpCloud) = Fingerprint(ToAD) = %s, want them to differ", a)
	}
}
