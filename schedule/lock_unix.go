//go:build unix

package schedule

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes a flock(2) exclusive lock without blocking. flock locks
// belong to the open file description, so two opens conflict even within
// one process.
func lockFile(f *os.File) error {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return ErrLocked
	}
	return err
}

func unlockFile(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_UN)
}
