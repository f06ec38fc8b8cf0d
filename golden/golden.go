// Package golden compares test output with files kept in this directory.
//
// Files are named golden/<package>/<subject>_<case>.txt. Regenerate them with
// scripts/update-golden.sh (never `go test ./... -update`: test binaries that
// do not import this package reject the flag), then review the diff like code.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files instead of comparing")

// Update reports whether the test binary was run with -update.
func Update() bool { return *update }

// Dir returns the absolute path of this directory, where golden files live.
func Dir() string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Dir(self)
}

// Assert compares got with the golden file name (slash-separated, relative to
// this directory), or rewrites that file when -update is set.
func Assert(t testing.TB, got []byte, name string) {
	t.Helper()
	path := filepath.Join(Dir(), filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run scripts/update-golden.sh to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}
