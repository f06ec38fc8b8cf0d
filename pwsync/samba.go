//go:build unix

package pwsync

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SocketEnv names the environment variable through which the samba-tool
// hook learns the socket of the adjc that started samba-tool. It holds a
// path, never a secret.
const SocketEnv = "ADJC_PWSYNC_SOCKET"

// SambaOptions configure [RunSamba].
type SambaOptions struct {
	// SambaTool is the samba-tool executable; default "samba-tool".
	SambaTool string
	// SMBConf is passed as -s when set (a DC whose smb.conf is not the
	// default one, like the lab's).
	SMBConf string
	// Dir holds the socket, the hook script and samba-tool's cache (its
	// DirSync cookie: no secret); created 0700.
	Dir string
	// Self is the adjc executable the hook script runs.
	Self   string
	Logger *slog.Logger
	Now    func() time.Time
}

// RunSamba captures password changes on this Samba DC until ctx ends. It
// serves a Unix socket (mode 0600 in a 0700 folder, peers must have adjc's
// uid), writes a hook script that runs `adjc password-sync samba-hook`,
// initialises samba-tool's cache the first time, and keeps
// `samba-tool user syncpasswords` running (restarting it with backoff:
// it exits when the hook fails, and resumes from its last cookie).
//
// The cache is initialised with a DirSync filter that adds
// (whenChanged>=<first start>) to samba-tool's default, so the first run
// does not walk every account of the domain (about 75 ms each); passwords
// set before adjc first started are not delivered.
func RunSamba(ctx context.Context, opts SambaOptions, d *Deliverer) error {
	if opts.SambaTool == "" {
		opts.SambaTool = "samba-tool"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return fmt.Errorf("password capture folder: %w", err)
	}
	if err := os.Chmod(opts.Dir, 0o700); err != nil {
		return fmt.Errorf("password capture folder: %w", err)
	}
	sock := filepath.Join(opts.Dir, "capture.sock")
	hook := filepath.Join(opts.Dir, "samba-hook")
	cache := filepath.Join(opts.Dir, "syncpasswords-cache.ldb")
	script := fmt.Sprintf("#!/bin/sh\n# Written by adjc password-sync: samba-tool runs it for each changed account.\nexec %s password-sync samba-hook\n", shellQuote(opts.Self))
	if err := writeFileAtomic(hook, []byte(script), 0o700); err != nil {
		return fmt.Errorf("password capture hook: %w", err)
	}
	_ = os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return fmt.Errorf("password capture socket: %w", err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("password capture socket: %w", err)
	}
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, ln, d, ServeOptions{Authorize: sameUID, Logger: opts.Logger})
	}()
	defer func() { <-served; os.Remove(sock) }()

	base := []string{"user", "syncpasswords"}
	if opts.SMBConf != "" {
		base = append(base, "-s", opts.SMBConf)
	}
	if _, err := os.Stat(cache); errors.Is(err, os.ErrNotExist) {
		since := opts.Now().UTC().Add(-time.Second).Format("20060102150405.0Z")
		filter := "(&(objectClass=user)(userAccountControl:1.2.840.113556.1.4.803:=512)(!(sAMAccountName=krbtgt*))(whenChanged>=" + since + "))"
		args := append(base, "--cache-ldb-initialize", "--cache-ldb="+cache, "--attributes="+SambaAttributes,
			"--decrypt-samba-gpg", "--script="+hook, "--filter="+filter)
		out, err := exec.CommandContext(ctx, opts.SambaTool, args...).CombinedOutput()
		if err != nil {
			os.Remove(cache)
			return fmt.Errorf("samba-tool user syncpasswords --cache-ldb-initialize: %w: %s", err, lastLine(out))
		}
		opts.Logger.Info("samba-tool password capture initialised", "cache", cache)
	}
	backoff := time.Second
	for ctx.Err() == nil {
		start := time.Now()
		err := runSambaTool(ctx, opts, append(base, "--cache-ldb="+cache), sock)
		if ctx.Err() != nil {
			break
		}
		if time.Since(start) > time.Minute {
			backoff = time.Second
		}
		opts.Logger.Warn("samba-tool user syncpasswords exited; restarting", "err", err, "retry_in", backoff)
		if sleep(ctx, backoff) != nil {
			break
		}
		backoff = min(backoff*2, 30*time.Second)
	}
	return nil
}

func runSambaTool(ctx context.Context, opts SambaOptions, args []string, sock string) error {
	cmd := exec.CommandContext(ctx, opts.SambaTool, args...)
	cmd.Env = append(os.Environ(), SocketEnv+"="+sock)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	// samba-tool's own log: object DNs and GUIDs, the hook's one-line
	// replies and "REDACTED SECRET ATTRIBUTE"; never a cleartext, which it
	// pipes to the hook only.
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		opts.Logger.Debug("samba-tool", "line", sc.Text())
	}
	_, _ = io.Copy(io.Discard, out)
	return cmd.Wait()
}

// sameUID admits only peers running as adjc's own user (root on a DC).
func sameUID(c net.Conn) error {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil {
		return err
	}
	if cerr != nil {
		return cerr
	}
	if int(cred.Uid) != os.Getuid() {
		return fmt.Errorf("peer uid %d is not %d", cred.Uid, os.Getuid())
	}
	return nil
}

// SambaHook is `adjc password-sync samba-hook`: samba-tool runs it with the
// LDIF of one account on stdin and reads its output (which it logs). It
// hands the change to adjc over the socket named by $ADJC_PWSYNC_SOCKET and
// prints the line samba-tool wants ("DONE-EXIT: …") once adjc has queued
// it. Any failure prints a reason and returns an error: samba-tool then
// stops without advancing its cookie, and adjc restarts it to retry.
func SambaHook(stdin io.Reader, stdout io.Writer, lookupEnv func(string) (string, bool)) error {
	req, ok, err := ParseSambaLDIF(stdin)
	if err != nil {
		fmt.Fprintf(stdout, "adjc: %v\n", err)
		return err
	}
	if !ok {
		fmt.Fprintln(stdout, "DONE-EXIT: no cleartext in this change")
		return nil
	}
	defer clear(req.Password)
	sock, _ := lookupEnv(SocketEnv)
	if sock == "" {
		err := fmt.Errorf("$%s is not set: run samba-tool from 'adjc password-sync'", SocketEnv)
		fmt.Fprintf(stdout, "adjc: %v\n", err)
		return err
	}
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		fmt.Fprintf(stdout, "adjc: password-sync is not listening: %v\n", err)
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := EncodeRequest(c, req); err != nil {
		fmt.Fprintf(stdout, "adjc: send: %v\n", err)
		return err
	}
	rp, err := DecodeReply(bufio.NewReader(c))
	if err != nil {
		fmt.Fprintf(stdout, "adjc: reply: %v\n", err)
		return err
	}
	if rp.Status != ReplyQueued {
		err := fmt.Errorf("password-sync answered %s: %s", rp.Status, rp.Message)
		fmt.Fprintf(stdout, "adjc: %v\n", err)
		return err
	}
	fmt.Fprintf(stdout, "DONE-EXIT: queued %s\n", req.ID)
	return nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
