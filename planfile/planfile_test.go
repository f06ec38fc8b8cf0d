package planfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/adjc/adjc/planfile"
	"github.com/adjc/adjc/reconcile"
)

// TestWritePrivate: a saved plan is 0600 (SECURITY.md) whatever is
// lying beside it, and writing it never writes through a file or link
// someone else put at a predictable temporary name.
func TestWritePrivate(t *testing.T) {
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
	plan := reconcile.Plan{Version: reconcile.PlanVersion, Direction: reconcile.ToJumpCloud}
	for _, p := range []string{path, linked} {
		if err := planfile.Write(p, "adjc.lab", "DC=adjc,DC=lab", reconcile.DefaultPolicy(), plan); err != nil {
			t.Fatalf("Write(%s): %v", p, err)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o600 {
			t.Errorf("Write(%s): mode %v, want -rw-------", p, fi.Mode())
		}
		if _, err := planfile.Read(p, "adjc diff --out"); err != nil {
			t.Errorf("Read(%s) after Write: %v", p, err)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("Write wrote through the link at %s.tmp: the victim now holds %d bytes", linked, len(b))
	}
}

// FuzzRead feeds arbitrary bytes to Read as a --plan file. It must
// never panic; every refusal matches ErrInvalid (commands exit 2); and a file it
// accepts must be exactly a plan Write would write — the digest check
// means no mutated file passes.
func FuzzRead(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.json")
	plan := reconcile.Plan{Version: reconcile.PlanVersion, Direction: reconcile.ToJumpCloud, Fingerprint: "sha256:00",
		Changes: []reconcile.Change{{Action: reconcile.Create, Kind: reconcile.KindUser, Key: "alice",
			Fields: []reconcile.FieldChange{{Name: "email", New: "alice@example.com"}}}}}
	if err := planfile.Write(good, "adjc.lab", "DC=adjc,DC=lab", reconcile.DefaultPolicy(), plan); err != nil {
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
		sp, err := planfile.Read(path, "adjc diff --out")
		if err != nil {
			if !errors.Is(err, planfile.ErrInvalid) {
				t.Fatalf("Read(%q) error %T %v, want one matching ErrInvalid", data, err, err)
			}
			return
		}
		// Accepted: saving it again must give a file that reads back equal.
		again := filepath.Join(t.TempDir(), "again.json")
		if err := planfile.Write(again, sp.Domain, sp.BaseDN, sp.Policy, sp.Plan); err != nil {
			t.Fatalf("Write of an accepted plan: %v", err)
		}
		sp2, err := planfile.Read(again, "adjc diff --out")
		if err != nil || sp2.Digest != sp.Digest {
			t.Fatalf("accepted plan %q does not round-trip: digest %s then %s (%v)", data, sp.Digest, sp2.Digest, err)
		}
	})
}

// TestReadOtherVersion: a plan saved by an adjc with another plan format is
// refused with the formats named, never misread.
func TestReadOtherVersion(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		version int
		want    string
	}{
		{reconcile.PlanVersion - 1, "is older than this adjc"},
		{reconcile.PlanVersion + 1, "is newer than this adjc"},
		// Format 2 carried the fingerprints of one encoder per direction,
		// which no state matches any more.
		{2, "plan format 2 is older than this adjc"},
	} {
		path := filepath.Join(t.TempDir(), "plan.json")
		body := `{"kind":"adjc-plan","domain":"adjc.lab","plan":{"version":` + strconv.Itoa(tt.version) + `,"changes":[{"action":"+"}]},"digest":"sha256:00"}`
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := planfile.Read(path, "adjc diff --out")
		if !errors.Is(err, planfile.ErrInvalid) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "adjc diff --out") {
			t.Errorf("Read(version %d) = %v, want an ErrInvalid saying %q and naming the command", tt.version, err, tt.want)
		}
	}
}
