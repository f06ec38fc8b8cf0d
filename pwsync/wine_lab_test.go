//go:build linux

package pwsync_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/adjc/adjc/ldapx/ldaptest"
)

// The Windows capture path under Wine: the filter DLL (winfilter/) loaded by
// a harness that calls its exports as LSA does, the Windows build of adjc
// serving the named pipe and delivering to the emulator, the lab DC for the
// RID → account mapping. scripts/winfilter-test installs Wine and mingw-w64
// and runs this with ADJC_WINE_REQUIRED=1, which turns a missing part into
// a failure; without it a missing part skips the test with the reason (the
// lab alone, ADJC_LAB_REQUIRED=1, does not require 1.2 GB of Wine).
//
// What Wine cannot prove, and this test therefore does not claim: that the
// pipe refuses a client that is not SYSTEM (Wine stores the DACL and reads
// it back, but every Wine process runs as one user and the DACL is not
// enforced), and anything about lsass itself (Wine has none: "Notification
// Packages" is never read, the DLL is never loaded as SYSTEM at boot).

func wineRequired() bool {
	return os.Getenv("ADJC_WINE_REQUIRED") == "1"
}

type wineEnv struct {
	t      *testing.T
	env    []string
	dir    string // build output and working folder (Z:\… inside Wine)
	dll    string
	server *exec.Cmd
	done   chan struct{}
	log    string
}

// winPath maps a Unix path to the Z: drive Wine gives the root folder.
func winPath(p string) string { return "Z:" + strings.ReplaceAll(p, "/", `\`) }

func newWine(t *testing.T, prefix string) *wineEnv {
	t.Helper()
	var missing []string
	for _, tool := range []string{"wine", "wineboot", "wineserver", "x86_64-w64-mingw32-gcc", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("missing %s: run scripts/winfilter-test, which installs wine64, wine and gcc-mingw-w64-x86-64", strings.Join(missing, ", "))
		if wineRequired() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	w := &wineEnv{t: t, dir: t.TempDir()}
	w.env = append(os.Environ(), "WINEPREFIX="+prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=,winemenubuilder.exe=d")
	src, err := filepath.Abs("../winfilter")
	if err != nil {
		t.Fatal(err)
	}
	w.dll = filepath.Join(w.dir, "adjcfilt.dll")
	w.run(10*time.Minute, "x86_64-w64-mingw32-gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-s", "-static-libgcc", "-o", w.dll,
		filepath.Join(src, "passfilt.c"), filepath.Join(src, "passfilt.def"))
	w.run(time.Minute, "x86_64-w64-mingw32-gcc", "-O2", "-Wall", "-o", filepath.Join(w.dir, "harness.exe"), filepath.Join(src, "harness.c"), "-ladvapi32")
	shim := filepath.Join(w.dir, "bcryptprimitives.dll")
	w.run(time.Minute, "x86_64-w64-mingw32-gcc", "-O2", "-Wall", "-shared", "-o", shim,
		filepath.Join(src, "bcryptprimitives.c"), filepath.Join(src, "bcryptprimitives.def"), "-lbcrypt")
	build := exec.Command("go", "build", "-o", filepath.Join(w.dir, "adjc.exe"), "github.com/adjc/adjc/cmd/adjc")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=windows go build adjc: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(prefix, "system.reg")); err != nil {
		w.run(5*time.Minute, "wineboot", "-i")
		w.run(5*time.Minute, "wineserver", "-w")
	}
	// Go programs load ProcessPrng from system32's bcryptprimitives.dll,
	// which Wine 8.0 lacks (reference/wine-notes.md).
	b, err := os.ReadFile(shim)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.command("wineserver", "-k").Run() })
	return w
}

func (w *wineEnv) command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env, c.Dir = w.env, w.dir
	return c
}

func (w *wineEnv) run(limit time.Duration, name string, args ...string) string {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	c.Env, c.Dir = w.env, w.dir
	out, err := c.CombinedOutput()
	if err != nil {
		w.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// harness runs harness.exe with the password on stdin and returns its line.
func (w *wineEnv) harness(password string, args ...string) string {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "wine", append([]string{"harness.exe", "adjcfilt.dll"}, args...)...)
	c.Env, c.Dir = w.env, w.dir
	c.Stdin = strings.NewReader(password + "\n")
	out, err := c.Output()
	if err != nil {
		w.t.Fatalf("harness %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// startAdjc runs `wine adjc.exe password-sync --source pipe` until stop.
func (w *wineEnv) startAdjc(config string) {
	t := w.t
	w.log = filepath.Join(w.dir, "adjc.log")
	logf, err := os.Create(w.log)
	if err != nil {
		t.Fatal(err)
	}
	c := w.command("wine", "adjc.exe", "password-sync", "--source", "pipe", "--retry-for", "20s", "-vv")
	c.Env = append(c.Env, "ADJC_CONFIG="+winPath(config))
	c.Stdout, c.Stderr = logf, logf
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	w.server, w.done = c, make(chan struct{})
	go func() { _ = c.Wait(); logf.Close(); close(w.done) }()
	t.Cleanup(w.stopAdjc)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, _ := os.ReadFile(w.log)
		if bytes.Contains(b, []byte("serving the password filter pipe")) {
			return
		}
		select {
		case <-w.done:
			t.Fatalf("adjc.exe exited:\n%s", b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("adjc.exe did not serve the pipe within 2 minutes:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (w *wineEnv) stopAdjc() {
	if w.server == nil {
		return
	}
	// Wine does not turn SIGTERM into a console event for the Go program,
	// so this is a kill in effect; the test needs adjc gone, not graceful.
	_ = w.server.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(3 * time.Second):
		_ = w.server.Process.Kill()
		<-w.done
	}
	w.server = nil
}

func TestWineFilterLab(t *testing.T) {
	l := ldaptest.Get(t)
	w := newWine(t, filepath.Join(l.Dir, "wine"))
	s := newCaptureLab(t, l, winPath)
	in := s.user(s.ou, s.group, "wfin", true)
	out := s.user(s.ou, s.group, "wfout", false)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.watchArgv(ctx) }()
	defer func() { stop(); wg.Wait() }()

	if got := w.harness("", "init"); got != "init TRUE" {
		t.Fatalf("InitializeChangeNotify: %q", got)
	}
	w.startAdjc(filepath.Join(s.dir, "adjc.yaml"))
	s.stderr = w.log

	t.Run("pipe DACL admits only SYSTEM (as stored; Wine does not enforce it)", func(t *testing.T) {
		if got := w.harness("", "acl"); got != "acl D:P(A;;GA;;;SY)" {
			t.Errorf("pipe DACL = %q, want acl D:P(A;;GA;;;SY)", got)
		}
	})

	t.Run("PasswordChangeNotify → pipe → adjc.exe → JumpCloud", func(t *testing.T) {
		before := auditLines(t, s.audit)
		pw := "Wine-" + randHex(6) + "-Ee5x"
		s.secrets = append(s.secrets, pw)
		start := time.Now()
		got := w.harness(pw, "notify", in.rid, in.sam)
		if !strings.HasPrefix(got, "notify status=0x00000000 ") || !strings.HasSuffix(got, " dropped=0") {
			t.Fatalf("PasswordChangeNotify: %q, want status 0 and nothing dropped", got)
		}
		t.Logf("%s", got)
		for {
			ok, err := s.srv.PasswordMatches(s.org, in.jcID, pw)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				t.Logf("harness start to JumpCloud: %v", time.Since(start))
				break
			}
			if time.Since(start) > 5*time.Second {
				b, _ := os.ReadFile(w.log)
				t.Fatalf("JumpCloud does not hold the password 5 s after the notification; adjc.exe log:\n%s", b)
			}
			time.Sleep(10 * time.Millisecond)
		}
		e, _ := s.outcome(in.sam, before)
		if e["outcome"] != "applied" {
			t.Errorf("audit line = %v, want applied", e)
		}
	})

	t.Run("PasswordFilter asks JumpCloud's policy", func(t *testing.T) {
		weak := "Ab1-" + randHex(3)
		strong := "Strong-" + randHex(6) + "-Ff6"
		s.secrets = append(s.secrets, weak, strong)
		if got := w.harness(weak, "filter", in.sam); !strings.HasPrefix(got, "filter FALSE ") {
			t.Errorf("PasswordFilter(a password JumpCloud refuses) = %q, want FALSE", got)
		}
		if got := w.harness(strong, "filter", in.sam); !strings.HasPrefix(got, "filter TRUE ") {
			t.Errorf("PasswordFilter(a password JumpCloud takes) = %q, want TRUE", got)
		}
	})

	t.Run("out of scope: ignored", func(t *testing.T) {
		before := auditLines(t, s.audit)
		pw := "Out-" + randHex(6) + "-Gg7x"
		s.secrets = append(s.secrets, pw)
		w.harness(pw, "notify", out.rid, out.sam)
		e, _ := s.outcome(out.sam, before)
		if e["outcome"] != "skipped" || !strings.Contains(fmt.Sprint(e["error"]), "scope") {
			t.Errorf("audit line = %v, want skipped (out of scope)", e)
		}
	})

	t.Run("adjc down: the DLL drops, counts and returns; the filter fails open", func(t *testing.T) {
		w.stopAdjc()
		pw := "Down-" + randHex(6) + "-Hh8x"
		s.secrets = append(s.secrets, pw)
		got := w.harness(pw, "notify", in.rid, in.sam)
		if !strings.HasPrefix(got, "notify status=0x00000000 ") || !strings.HasSuffix(got, " dropped=1") {
			t.Errorf("PasswordChangeNotify with adjc down: %q, want status 0 and dropped=1", got)
		}
		t.Logf("%s", got)
		if got := w.harness("Ab1-"+randHex(3), "filter", in.sam); !strings.HasPrefix(got, "filter TRUE ") {
			t.Errorf("PasswordFilter with adjc down = %q, want TRUE (fail-open)", got)
		}
		if ok, _ := s.srv.PasswordMatches(s.org, in.jcID, pw); ok {
			t.Error("a change made while adjc was down reached JumpCloud; it should have been dropped")
		}
	})

	t.Run("cleartext nowhere", func(t *testing.T) {
		check := func(where string, b []byte) {
			for _, p := range s.secrets {
				if bytes.Contains(b, []byte(p)) {
					t.Errorf("a password is in %s", where)
				}
			}
		}
		check("adjc.exe's log", must(os.ReadFile(w.log)))
		check("the audit log", must(os.ReadFile(s.audit)))
		_ = filepath.WalkDir(filepath.Join(s.dir, "state"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				check(p, must(os.ReadFile(p)))
			}
			return nil
		})
		s.mu.Lock()
		argv := strings.Join(s.argvSeen, "\n")
		s.mu.Unlock()
		if !strings.Contains(argv, "harness.exe") {
			t.Error("the argv watcher never saw harness.exe; it proves nothing")
		}
		check("a process's argv", []byte(argv))
	})
}
