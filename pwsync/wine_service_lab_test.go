//go:build linux

package pwsync_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/ldapx/ldaptest"
)

// TestWineServiceLab runs adjc.exe as a native Windows service under Wine's
// service manager (services.exe): `adjc service install` registers it,
// `service start` brings it to Running, where one service process serves
// the password filter's pipe and runs the schedule (a run reaches the
// emulator), `service stop` ends it through the stop request (the work's
// context is cancelled, the schedule finishes its run and says so, the
// service exits 0), and `service uninstall` removes the registration.
// Like TestWineFilterLab it needs the lab and Wine, and fails without Wine
// when ADJC_WINE_REQUIRED=1 (scripts/winfilter-test).
//
// What Wine cannot prove: that the service runs as LocalSystem (Wine runs
// every service as the Unix user), that the SCM restarts it after a
// failure (Wine accepts the recovery actions without keeping them in the
// registry, and refuses the flag that extends them to a non-zero exit,
// which install then reports as a warning), the automatic start at a real
// boot (Wine starts automatic services whenever its services.exe starts),
// the event log's entries (Wine registers the source; its ReportEvent only
// traces),
// and svc.IsWindowsService (Wine's services.exe fails its session test, so
// `service run` does not rely on it). That a stop waits for a run in
// progress is proved on every OS by winservice's TestLoopStopFinishesTheRun;
// here the stop's timing is not controlled, so this test proves the path
// (request → cancelled context → "schedule stopped" → exit code 0).
func TestWineServiceLab(t *testing.T) {
	l := ldaptest.Get(t)
	w := newWine(t, filepath.Join(l.Dir, "wine"))
	s := newCaptureLab(t, l, winPath)
	in := s.user(s.ou, s.group, "wsvc", true)
	cfg := filepath.Join(s.dir, "adjc.yaml")
	svcLog := filepath.Join(s.dir, "state", "adjc-service.log")

	// Output goes through a file, not a pipe: the first Wine process to
	// start services.exe hands it its handles, and a service it starts
	// (an automatic one) would hold a pipe open for as long as it runs.
	wine := func(args ...string) (string, error) {
		out, err := os.CreateTemp(w.dir, "out")
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		c := exec.CommandContext(ctx, "wine", args...)
		c.Env, c.Dir, c.Stdout, c.Stderr = w.env, w.dir, out, out
		err = c.Run()
		b, _ := os.ReadFile(out.Name())
		return string(b), err
	}
	adjc := func(args ...string) (string, error) { return wine(append([]string{"adjc.exe"}, args...)...) }
	const eventSource = `HKLM\System\CurrentControlSet\Services\EventLog\Application\adjc`
	must := func(args ...string) string {
		t.Helper()
		out, err := adjc(args...)
		if err != nil {
			b, _ := os.ReadFile(svcLog)
			t.Fatalf("adjc.exe %s: %v\n%s\nservice log:\n%s", strings.Join(args, " "), err, out, b)
		}
		return out
	}
	regQuery := func() (string, error) { return wine("reg", "query", `HKLM\System\CurrentControlSet\Services\adjc`) }
	waitLog := func(what string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			b, _ := os.ReadFile(svcLog)
			if bytes.Contains(b, []byte(what)) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the service did not log %q within a minute; its log:\n%s", what, b)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Wine's services.exe gives a service 10 s to connect (Windows: 30 s);
	// a loaded CI machine starting a Go program under Wine can take longer.
	// ServicesPipeTimeout is Windows' own setting for it, read when
	// services.exe starts, hence the restart. Then a persistent wineserver
	// keeps one services.exe for the whole test: Wine starts automatic
	// services each time services.exe starts, which would restart the
	// service behind the test's back after a stop.
	if out, err := wine("reg", "add", `HKLM\System\CurrentControlSet\Control`, "/v", "ServicesPipeTimeout", "/t", "REG_DWORD", "/d", "120000", "/f"); err != nil {
		t.Fatalf("reg add ServicesPipeTimeout: %v\n%s", err, out)
	}
	_ = w.command("wineserver", "-k").Run() // fails when none runs
	_ = w.command("wineserver", "-w").Run()
	if err := w.command("wineserver", "-p").Run(); err != nil { // no pipes: the server lives on
		t.Fatalf("wineserver -p: %v", err)
	}
	// A service left behind by an interrupted run would hold the pipe.
	_, _ = adjc("service", "uninstall")
	t.Cleanup(func() { _, _ = adjc("service", "uninstall") })

	out := must("service", "install", "--config", winPath(cfg), "--what", "both",
		"--schedule-arg=--interval=10m", "--password-sync-arg=--retry-for=20s")
	t.Logf("install: %s", out)
	if !strings.Contains(out, "installed service adjc (automatic start") {
		t.Errorf("install said %q", out)
	}

	t.Run("registered with the SCM", func(t *testing.T) {
		img, err := regQuery()
		if err != nil {
			t.Fatalf("reg query: %v\n%s", err, img)
		}
		for _, want := range []string{`adjc.exe service run`, "--what both", "--config " + winPath(cfg), "--schedule-arg=--interval=10m",
			"Start    REG_DWORD    0x2", // automatic
		} {
			if !strings.Contains(img, want) {
				t.Errorf("the service's key lacks %q:\n%s", want, img)
			}
		}
		for _, secret := range []string{"jc-key", "bind-password"} {
			b, _ := os.ReadFile(filepath.Join(s.dir, secret))
			if len(b) > 0 && strings.Contains(img, string(b)) {
				t.Errorf("a secret (%s) is on the service's command line", secret)
			}
		}
		if out, err := wine("reg", "query", eventSource); err != nil {
			t.Errorf("no event log source: %v\n%s", err, out)
		}
		st := must("service", "status")
		if !strings.Contains(st, "service adjc: ") || !strings.Contains(st, "start: automatic") {
			t.Errorf("status = %q", st)
		}
	})

	t.Run("start: Running, the pipe answers and a schedule run reaches JumpCloud", func(t *testing.T) {
		out := must("service", "start")
		if !strings.Contains(out, "is running") && !strings.Contains(out, "was running already") {
			t.Errorf("start said %q", out)
		}
		if st := must("service", "status"); !strings.Contains(st, "service adjc: running") {
			t.Errorf("status after start = %q", st)
		}
		waitLog("serving the password filter pipe")
		waitLog("run finished")
		before := auditLines(t, s.audit)
		pw := "Svc-" + randHex(6) + "-Kk9x"
		s.secrets = append(s.secrets, pw)
		start := time.Now()
		if got := w.harness(pw, "notify", in.rid, in.sam); !strings.HasSuffix(got, " dropped=0") {
			t.Fatalf("PasswordChangeNotify: %q, want nothing dropped", got)
		}
		for {
			ok, err := s.srv.PasswordMatches(s.org, in.jcID, pw)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			if time.Since(start) > 5*time.Second {
				b, _ := os.ReadFile(svcLog)
				t.Fatalf("JumpCloud does not hold the password 5 s after the notification; service log:\n%s", b)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if e, _ := s.outcome(in.sam, before); e["outcome"] != "applied" {
			t.Errorf("audit line = %v, want applied", e)
		}
	})

	t.Run("stop: the work ends through its context and the service exits 0", func(t *testing.T) {
		out := must("service", "stop")
		if !strings.Contains(out, "service adjc stopped") {
			t.Errorf("stop said %q", out)
		}
		st := must("service", "status")
		if !strings.Contains(st, "service adjc: stopped") || !strings.Contains(st, "last exit code: 0") {
			t.Errorf("status after stop = %q, want stopped with exit code 0", st)
		}
		b, _ := os.ReadFile(svcLog)
		for _, want := range []string{"schedule stopped", "msg=\"service stopped\""} {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("the service log lacks %q (a graceful stop); log:\n%s", want, b)
			}
		}
		if got := w.harness("Gone-"+randHex(6)+"-Ll0x", "notify", in.rid, in.sam); !strings.HasSuffix(got, " dropped=1") {
			t.Errorf("the pipe still answers after the stop: %q", got)
		}
	})

	t.Run("uninstall removes it", func(t *testing.T) {
		out := must("service", "uninstall")
		if !strings.Contains(out, "removed service adjc") {
			t.Errorf("uninstall said %q", out)
		}
		if v, err := regQuery(); err == nil {
			t.Errorf("the registration is still there:\n%s", v)
		}
		if out, err := wine("reg", "query", eventSource); err == nil {
			t.Errorf("the event log source is still there:\n%s", out)
		}
		if st := must("service", "status"); !strings.Contains(st, "not installed") {
			t.Errorf("status after uninstall = %q", st)
		}
	})

	t.Run("cleartext not in the service log", func(t *testing.T) {
		b, _ := os.ReadFile(svcLog)
		for _, p := range s.secrets {
			if bytes.Contains(b, []byte(p)) {
				t.Error("a password is in the service log")
			}
		}
	})
}
