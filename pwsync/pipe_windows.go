//go:build windows

package pwsync

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// PipeOptions configure [RunPipe].
type PipeOptions struct {
	// Name is the pipe's path, \\.\pipe\adjc-password-sync by default (the
	// name compiled into the filter DLL).
	Name   string
	Logger *slog.Logger
}

// PipeSDDL is the pipe's security descriptor: a protected DACL with one
// entry, full access for LocalSystem (SY). lsass, which loads the filter
// DLL, runs as SYSTEM; so does the adjc service. No other account, not
// even an administrator's unelevated or elevated token, can open it.
const PipeSDDL = "D:P(A;;GA;;;SY)"

// pipeInstances is how many instances listen at once, so a notification
// never finds the pipe missing while one instance handles the previous
// request (back-to-back calls from LSA: filter, then notify).
const pipeInstances = 4

// RunPipe serves the filter DLL's named pipe until ctx ends. The first
// instance is created with FILE_FLAG_FIRST_PIPE_INSTANCE, so adjc refuses to
// start if another process already owns the name (pipe squatting), and
// every instance rejects remote clients.
func RunPipe(ctx context.Context, opts PipeOptions, d *Deliverer) error {
	if opts.Name == "" {
		opts.Name = `\\.\pipe\adjc-password-sync`
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	sd, err := windows.SecurityDescriptorFromString(PipeSDDL)
	if err != nil {
		return fmt.Errorf("pipe security descriptor: %w", err)
	}
	sa := &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
	name, err := windows.UTF16PtrFromString(opts.Name)
	if err != nil {
		return err
	}
	handles := make([]windows.Handle, 0, pipeInstances)
	for i := 0; i < pipeInstances; i++ {
		mode := uint32(windows.PIPE_ACCESS_DUPLEX)
		if i == 0 {
			mode |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
		}
		h, err := windows.CreateNamedPipe(name, mode,
			windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT|windows.PIPE_REJECT_REMOTE_CLIENTS,
			windows.PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, sa)
		if err != nil {
			for _, h := range handles {
				windows.CloseHandle(h)
			}
			return fmt.Errorf("create pipe %s: %w", opts.Name, err)
		}
		handles = append(handles, h)
	}
	opts.Logger.Info("serving the password filter pipe", "pipe", opts.Name, "sddl", PipeSDDL)
	var wg sync.WaitGroup
	for _, h := range handles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer windows.CloseHandle(h)
			servePipeInstance(ctx, h, d, opts.Logger)
		}()
	}
	<-ctx.Done()
	// Each instance may sit in ConnectNamedPipe: connect once to each so
	// it wakes, sees ctx done and returns.
	for range handles {
		if f, err := os.OpenFile(opts.Name, os.O_RDWR, 0); err == nil {
			f.Close()
		}
	}
	wg.Wait()
	return nil
}

// pipeConn reads and writes one connected instance.
type pipeConn struct{ h windows.Handle }

func (p pipeConn) Read(b []byte) (int, error) {
	var n uint32
	err := windows.ReadFile(p.h, b, &n, nil)
	if err != nil {
		return int(n), err
	}
	if n == 0 {
		return 0, errors.New("pipe closed")
	}
	return int(n), nil
}

func (p pipeConn) Write(b []byte) (int, error) {
	var n uint32
	err := windows.WriteFile(p.h, b, &n, nil)
	return int(n), err
}

func servePipeInstance(ctx context.Context, h windows.Handle, d *Deliverer, log *slog.Logger) {
	for {
		err := windows.ConnectNamedPipe(h, nil)
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, windows.ERROR_PIPE_CONNECTED) {
			log.Warn("password filter pipe: connect failed", "err", err)
			windows.DisconnectNamedPipe(h)
			continue
		}
		c := pipeConn{h}
		req, err := DecodeRequest(bufio.NewReaderSize(c, 256))
		if err != nil {
			log.Warn("password filter pipe: request unreadable", "err", err)
			_ = EncodeReply(c, Reply{Status: ReplyError, Message: "malformed request"})
		} else {
			// The notify client may have closed already (it does not wait
			// for the reply); a failed reply write is then expected.
			_ = EncodeReply(c, Handle(ctx, d, req))
			_ = windows.FlushFileBuffers(h)
		}
		windows.DisconnectNamedPipe(h)
	}
}
