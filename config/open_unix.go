//go:build unix

package config

import (
	"os"
	"syscall"
)

// openNonblocking opens path for reading without blocking: opening a FIFO
// with no writer returns at once instead of waiting for one.
func openNonblocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// ownerUID is the uid that owns the file st describes.
func ownerUID(st os.FileInfo) (int, bool) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(s.Uid), true
	}
	return 0, false
}
