//go:build unix

package pwsync_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// passwordDrift runs `adjc diff -o json` and returns the password skips'
// reasons by JumpCloud username.
func (s *sambaLab) passwordDrift(t *testing.T) map[string]string {
	t.Helper()
	cmd := exec.Command(s.bin, "diff", "-o", "json")
	cmd.Env = s.env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("adjc diff: %v\n%s", err, errb.String())
	}
	var v struct {
		Skipped []struct{ Kind, Key, Reason string }
	}
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("adjc diff -o json: %v\n%s", err, out.String())
	}
	drift := map[string]string{}
	for _, k := range v.Skipped {
		if k.Kind == "password" {
			drift[k.Key] = k.Reason
		}
	}
	return drift
}

// TestScheduleCaptureLab: `adjc schedule --password-sync` on the Samba DC
// runs the scheduled import and the password delivery in one process. A
// user's own password change (old → new, over LDAP, as the user) reaches
// JumpCloud; diff shows the user's password as drift before (AD has a
// password, JumpCloud none) and not after; the delivery's counters are on
// the schedule's metrics endpoint; no cleartext reaches a log, the audit
// log, the state folder or argv; SIGTERM stops the process cleanly.
func TestScheduleCaptureLab(t *testing.T) {
	s := newSambaLab(t)
	in := s.user(s.ou, s.group, "pwsch", true)
	s.startWith("schedule", "--password-sync", "--password-sync-smb-conf", filepath.Join(s.lab.Dir, "etc", "smb.conf"),
		"--password-sync-retry-for", "20s", "--interval", "10m", "--metrics-addr", "127.0.0.1:0", "-vv")

	key := strings.ToLower(in.sam)
	if why, ok := s.passwordDrift(t)[key]; !ok || !strings.Contains(why, "JumpCloud has no password") {
		t.Errorf("diff before the change: password skip for %s = %q, want drift (JumpCloud has no password)", key, why)
	}
	t.Run("in scope: delivered", func(t *testing.T) { s.delivered(t, &in) })
	if why, ok := s.passwordDrift(t)[key]; ok {
		t.Errorf("diff after the delivered change still reports %s: %s", key, why)
	}

	t.Run("one metrics endpoint", func(t *testing.T) {
		logb, _ := os.ReadFile(s.stderr)
		m := regexp.MustCompile(`msg="serving metrics" domain=\S+ addr=(\S+)`).FindSubmatch(logb)
		if m == nil {
			t.Fatalf("no metrics address in the log:\n%s", logb)
		}
		var body []byte
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if res, err := http.Get("http://" + string(m[1]) + "/metrics"); err == nil {
				out, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if bytes.Contains(out, []byte("adjc_run")) {
					body = out
					break
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		for _, want := range []string{`adjc_password_sync_total{domain="adjc.lab",result="delivered"} 1`, `adjc_password_sync_total{domain="adjc.lab",result="gave_up"} 0`} {
			if !bytes.Contains(body, []byte(want)) {
				t.Errorf("/metrics lacks %s:\n%s", want, body)
			}
		}
	})
	t.Run("a stop finishes the delivery in flight", func(t *testing.T) {
		h := &hold{arrived: make(chan struct{}), release: make(chan struct{})}
		s.mu.Lock()
		s.hold = h
		s.mu.Unlock()
		before := auditLines(t, s.audit)
		pw := "Stop-" + randHex(6) + "-Ss5x"
		s.change(&in, pw)
		select {
		case <-h.arrived:
		case <-time.After(time.Minute):
			t.Fatal("the password write never reached JumpCloud")
		}
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// The scheduled part has stopped while the write is still held:
		// only then is it let through.
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			if b, _ := os.ReadFile(s.stderr); bytes.Contains(b, []byte(`msg="schedule stopped"`)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no 'schedule stopped' line a minute after SIGTERM")
			}
		}
		close(h.release)
		select {
		case <-s.exited:
		case <-time.After(time.Minute):
			t.Fatal("adjc still running a minute after the held write was released")
		}
		if code := s.cmd.ProcessState.ExitCode(); code != 0 {
			b, _ := os.ReadFile(s.stderr)
			t.Errorf("adjc schedule exit code after SIGTERM = %d, want 0; log:\n%s", code, b)
		}
		if ok, _ := s.srv.PasswordMatches(s.org, in.jcID, pw); !ok {
			t.Error("JumpCloud does not hold the password whose delivery was in flight at the stop")
		}
		e, _ := s.outcome(in.sam, before)
		if e["outcome"] != "applied" {
			t.Errorf("audit line = %v, want applied", e)
		}
	})
	t.Run("cleartext nowhere", s.noCleartext)
}
