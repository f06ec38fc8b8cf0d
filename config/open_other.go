//go:build !unix

package config

import "os"

// openNonblocking opens path for reading; outside Unix there are no FIFOs
// in the file system to block on.
func openNonblocking(path string) (*os.File, error) { return os.Open(path) }

// ownerUID is unknown outside Unix.
func ownerUID(os.FileInfo) (int, bool) { return 0, false }
