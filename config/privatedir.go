package config

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// PrivateDir makes dir, the folder of the setting field (state_dir, or
// audit_log's folder), exist with mode 0700, on every start: a folder that
// already existed keeps whatever mode it was made with (the lab's state_dir
// was 0755), and the state, lock and audit files in it say who was
// synced, when and how.
//
// adjc changes the mode of a folder only when it is plausibly adjc's own:
// never a shared one — sticky (/tmp), a top-level or system folder
// (/var/log, /usr/local…), the user's home, or one owned by another user.
// Such a folder that others can read is an error naming the field and the
// fix, not a silent chmod of someone else's folder.
func PrivateDir(field, dir string) error {
	if dir == "" {
		return &ValidationError{Problems: []Problem{{Field: field, Msg: "no folder is configured", Fix: "set " + field}}}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &ValidationError{Problems: []Problem{{Field: field, Value: dir, Msg: "cannot create: " + unwrapPathError(err), Fix: "check the path and that adjc may write there"}}}
	}
	st, err := os.Stat(dir)
	if err != nil {
		return &ValidationError{Problems: []Problem{{Field: field, Value: dir, Msg: "cannot read: " + unwrapPathError(err), Fix: "check the path"}}}
	}
	if !st.IsDir() {
		return &ValidationError{Problems: []Problem{{Field: field, Value: dir, Msg: "not a folder", Fix: "give the path of a folder"}}}
	}
	if runtime.GOOS == "windows" || st.Mode().Perm()&0o077 == 0 {
		return nil // Windows: ACLs, not mode bits, say who may read it
	}
	if why := sharedDir(dir, st); why != "" {
		return &ValidationError{Problems: []Problem{{Field: field, Value: dir,
			Msg: fmt.Sprintf("the folder is readable by others (mode %04o) and %s, so adjc will not change its mode", st.Mode().Perm(), why),
			Fix: "give adjc a folder of its own, e.g. " + filepath.Join(dir, "adjc")}}}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return &ValidationError{Problems: []Problem{{Field: field, Value: dir, Msg: "cannot make it private (0700): " + unwrapPathError(err), Fix: "chmod 700 " + dir}}}
	}
	return nil
}

// systemDirs are folders other programs share, whatever their depth.
var systemDirs = []string{"/var/log", "/var/lib", "/var/tmp", "/var/cache", "/usr/local", "/usr/share", "/run/user"}

// sharedDir says why dir is not adjc's to chmod, or "" when it may be.
func sharedDir(dir string, st fs.FileInfo) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "its path cannot be resolved"
	}
	abs = filepath.Clean(abs)
	switch {
	case st.Mode()&fs.ModeSticky != 0:
		return "shared (sticky bit, like /tmp)"
	case strings.Count(abs, string(filepath.Separator)) <= 1:
		return "a top-level folder"
	case slices.Contains(systemDirs, abs):
		return "a system folder"
	}
	if home, err := os.UserHomeDir(); err == nil && filepath.Clean(home) == abs {
		return "your home folder"
	}
	if owner, ok := ownerUID(st); ok && owner != os.Getuid() {
		return fmt.Sprintf("owned by another user (uid %d)", owner)
	}
	return ""
}
