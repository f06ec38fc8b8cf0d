//go:build !unix

package pwsync

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"
)

// SocketEnv names the hook's socket variable (Unix only).
const SocketEnv = "ADJC_PWSYNC_SOCKET"

// SambaOptions configure [RunSamba] (Unix only).
type SambaOptions struct {
	SambaTool, SMBConf, Dir, Self string
	Logger                        *slog.Logger
	Now                           func() time.Time
}

var errNoSamba = errors.New("samba capture runs on a Samba domain controller (Linux), not here")

// RunSamba is not available on this system.
func RunSamba(context.Context, SambaOptions, *Deliverer) error { return errNoSamba }

// SambaHook is not available on this system.
func SambaHook(io.Reader, io.Writer, func(string) (string, bool)) error { return errNoSamba }
