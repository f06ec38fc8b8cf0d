package schedule

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/adjc/adjc/config"
)

// ErrLocked is returned by [AcquireLock] when another process holds the
// domain's lock.
var ErrLocked = errors.New("another adjc process is writing to this domain")

// Lock is an exclusive, advisory lock on a domain's lock file, held until
// [Lock.Release] or the end of the process (the kernel drops it then, so a
// crash never leaves a stale lock behind).
type Lock struct {
	f *os.File
}

// AcquireLock takes the lock for domain in dir without waiting. When another
// process holds it, the error wraps [ErrLocked] and names that process.
func AcquireLock(dir, domain string) (*Lock, error) {
	if dir == "" {
		return nil, errors.New("schedule: no state folder configured (set state_dir or $ADJC_STATE_DIR)")
	}
	if err := config.PrivateDir("state_dir", dir); err != nil { // 0700 even if it existed
		return nil, err
	}
	path := filepath.Join(dir, fileName(domain)+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("schedule: lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		holder := readHolder(f)
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("domain %s: %w%s (lock %s)", domain, ErrLocked, holder, path)
		}
		return nil, fmt.Errorf("schedule: lock %s: %w", path, err)
	}
	// Record who holds it, for the message another process shows.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

func readHolder(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid := strings.TrimSpace(string(b[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		return ""
	}
	return " (process " + pid + ")"
}

// Release drops the lock. The file stays: removing it would let a third
// process lock a new file while a second still waits on the old one.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
