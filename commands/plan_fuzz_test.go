package commands

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/reconcile"
)

// FuzzReadPlan feeds arbitrary bytes to readPlan as a --plan file. It must
// never panic; every refusal is a *UsageError (exit 2); and a file it
// accepts must be exactly a plan writePlan would write — the digest check
// means no mutated file passes.
func FuzzReadPlan(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.json")
	d := &config.Domain{Name: "adjc.lab", BaseDN: "DC=adjc,DC=lab"}
	plan := reconcile.Plan{Version: reconcile.PlanVersion, Direction: reconcile.ToJumpCloud, Fingerprint: "sha256:00",
		Changes: []reconcile.Change{{Action: reconcile.Create, Kind: reconcile.KindUser, Key: "alice",
			Fields: []reconcile.FieldChange{{Name: "email", New: "alice@example.com"}}}}}
	if err := writePlan(good, d, reconcile.DefaultPolicy(), plan); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"kind":"adjc-plan"}`))
	f.Add([]byte(`{"kind":"adjc-plan","plan":{"version":1}} {}`))
	f.Add([]byte("{\"kind\":\"adjc-plan\",\"domain\":\"\xff\"}"))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "plan.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		sp, err := readPlan(path)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("readPlan(%q) error %T %v, want a *UsageError", data, err, err)
			}
			return
		}
		// Accepted: saving it again must give a file that reads back equal.
		again := filepath.Join(t.TempDir(), "again.json")
		if err := writePlan(again, &config.Domain{Name: sp.Domain, BaseDN: sp.BaseDN}, sp.Policy, sp.Plan); err != nil {
			t.Fatalf("writePlan of an accepted plan: %v", err)
		}
		sp2, err := readPlan(again)
		if err != nil || sp2.Digest != sp.Digest {
			t.Fatalf("accepted plan %q does not round-trip: digest %s then %s (%v)", data, sp.Digest, sp2.Digest, err)
		}
	})
}
