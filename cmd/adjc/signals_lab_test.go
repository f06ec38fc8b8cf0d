package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/adjc/adjc/jcapi/jcemu"
)

// TestScheduleSignals runs the built binary's `schedule` against a slow
// emulator and signals it in the middle of its first run (issue 8): after
// one SIGINT the run is finished, not abandoned, and the process exits 0
// with JumpCloud fully converged; a second signal ends the process at once.
func TestScheduleSignals(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "adjc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// start runs `adjc schedule` until its audit log shows the first run
	// under way, so a signal lands mid-run; exited is closed when it ends.
	start := func(fl *faultLab) (cmd *exec.Cmd, stderr *bytes.Buffer, audit string, exited chan struct{}) {
		t.Helper()
		audit = filepath.Join(fl.dir, "state", "audit.jsonl")
		cmd = exec.Command(bin, "schedule", "--interval", "1h", "--concurrency", "1", "--audit-log", audit)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		for k, v := range fl.env() {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		stderr = &bytes.Buffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited = make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() { cmd.Process.Kill(); <-exited })
		deadline := time.Now().Add(2 * time.Minute)
		for lines(audit) < 1 {
			if time.Now().After(deadline) {
				t.Fatalf("no audit line after 2 minutes; stderr:\n%s", stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		return cmd, stderr, audit, exited
	}
	// ended reports whether the process has exited within d.
	ended := func(exited chan struct{}, d time.Duration) bool {
		select {
		case <-exited:
			return true
		case <-time.After(d):
			return false
		}
	}

	t.Run("one signal finishes the run", func(t *testing.T) {
		fl := newFaultLab(t, 6)
		fl.emu.SetChaos(jcemu.Chaos{Latency: 60 * time.Millisecond})
		cmd, stderr, audit, exited := start(fl)
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if !ended(exited, 2*time.Minute) {
			t.Fatalf("schedule still running 2 minutes after SIGINT; stderr:\n%s", stderr.String())
		}
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("schedule exit code after SIGINT = %d, want 0; stderr:\n%s", code, stderr.String())
		}
		checkAuditWhole(t, audit)
		fl.emu.SetChaos(jcemu.Chaos{})
		if out, errOut, code := fl.run("diff", "--detailed-exitcode", "-o", "plain"); code != 0 {
			t.Errorf("diff after a graceful stop: exit %d, want 0 (the interrupted run was not finished)\n%s%s", code, out, errOut)
		}
	})

	t.Run("SIGUSR1 and --full-now ask for a full reconcile", func(t *testing.T) {
		fl := newFaultLab(t, 6)
		audit := filepath.Join(fl.dir, "state", "audit.jsonl")
		cmd := exec.Command(bin, "schedule", "--interval", "10s", "--concurrency", "1", "--audit-log", audit)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		for k, v := range fl.env() {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		stderr := &lockedBuffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() { cmd.Process.Kill(); <-exited })
		// runs waits for the n-th "run finished" line and returns it.
		runs := func(n int, why string) string {
			t.Helper()
			deadline := time.Now().Add(2 * time.Minute)
			for {
				var done []string
				for _, l := range strings.Split(stderr.String(), "\n") {
					if strings.Contains(l, "run finished") {
						done = append(done, l)
					}
				}
				if len(done) >= n {
					return done[n-1]
				}
				if time.Now().After(deadline) {
					t.Fatalf("no run %d (%s) after 2 minutes; stderr:\n%s", n, why, stderr.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		if l := runs(2, "a tick after the start run"); !strings.Contains(l, "kind=delta") {
			t.Fatalf("the tick after the start run: %s, want kind=delta", l)
		}
		if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		if l := runs(3, "the tick after SIGUSR1"); !strings.Contains(l, "kind=full") || !strings.Contains(l, "full-now") {
			t.Errorf("the tick after SIGUSR1: %s, want kind=full asked for with full-now", l)
		}
		if out, errOut, code := fl.run("schedule", "--full-now"); code != 0 || !strings.Contains(out, "reads everything") {
			t.Fatalf("schedule --full-now: exit %d\n%s%s", code, out, errOut)
		}
		if l := runs(4, "the tick after --full-now"); !strings.Contains(l, "kind=full") || !strings.Contains(l, "full-now") {
			t.Errorf("the tick after schedule --full-now: %s, want kind=full asked for with full-now", l)
		}
		if l := runs(5, "the tick after that"); !strings.Contains(l, "kind=delta") {
			t.Errorf("the tick after the full one: %s, want kind=delta again", l)
		}
		if !strings.Contains(stderr.String(), "full reconcile asked for by signal") {
			t.Errorf("no log line for the signal; stderr:\n%s", stderr.String())
		}
	})

	t.Run("a second signal exits at once", func(t *testing.T) {
		fl := newFaultLab(t, 6)
		// Slow enough that the run cannot finish between the two signals.
		fl.emu.SetChaos(jcemu.Chaos{Latency: 500 * time.Millisecond})
		cmd, stderr, audit, exited := start(fl)
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if ended(exited, 300*time.Millisecond) {
			t.Fatalf("schedule exited right after the first SIGINT (code %d), want it to finish its run; stderr:\n%s",
				cmd.ProcessState.ExitCode(), stderr.String())
		}
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if !ended(exited, 5*time.Second) {
			t.Fatalf("schedule still running 5 s after a second SIGINT; stderr:\n%s", stderr.String())
		}
		if cmd.ProcessState.Success() {
			t.Errorf("schedule exited 0 after a second SIGINT, want it stopped mid-run")
		}
		checkAuditWhole(t, audit)
	})
}

// lockedBuffer is a bytes.Buffer a test may read while a process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
