//go:build !windows

package pwsync

import (
	"context"
	"errors"
	"log/slog"
)

// PipeOptions configure [RunPipe] (Windows only).
type PipeOptions struct {
	Name   string
	Logger *slog.Logger
}

// RunPipe is not available on this system: the named pipe is the Windows
// filter DLL's way in.
func RunPipe(context.Context, PipeOptions, *Deliverer) error {
	return errors.New("the named-pipe source runs on a Windows domain controller; use --source samba or stdin here")
}
