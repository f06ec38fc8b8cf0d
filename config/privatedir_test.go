package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/adjc/adjc/config"
)

// TestPrivateDir: state_dir (and audit_log's folder) is 0700 after every
// start, whether adjc creates it or it already existed with a looser mode
// (issue 14.8: the lab's was 0755); a shared folder is refused, not
// chmodded.
func TestPrivateDir(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows folders are protected by ACLs, not mode bits")
	}
	base := t.TempDir()
	mode := func(p string) fs.FileMode {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode()
	}
	mkdir := func(p string, m fs.FileMode) string {
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
		return p
	}

	fresh := filepath.Join(base, "new", "state")
	if err := config.PrivateDir("state_dir", fresh); err != nil || mode(fresh).Perm() != 0o700 {
		t.Errorf("PrivateDir(new) = %v, mode %v; want 0700", err, mode(fresh))
	}
	loose := mkdir(filepath.Join(base, "loose"), 0o755)
	if err := config.PrivateDir("state_dir", loose); err != nil || mode(loose).Perm() != 0o700 {
		t.Errorf("PrivateDir(0755) = %v, mode %v; want 0700", err, mode(loose))
	}
	shared := mkdir(filepath.Join(base, "shared"), 0o777|fs.ModeSticky)
	err := config.PrivateDir("audit_log", shared)
	var ve *config.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "audit_log") || !strings.Contains(err.Error(), "sticky") {
		t.Errorf("PrivateDir(sticky) = %v, want an error naming audit_log and the sticky bit", err)
	}
	if got := mode(shared).Perm(); got != 0o777 {
		t.Errorf("PrivateDir(sticky) changed the mode to %v", got)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := config.PrivateDir("state_dir", file); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("PrivateDir(file) = %v, want not a directory", err)
	}
}
