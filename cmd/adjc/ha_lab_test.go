package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adjc/adjc/ha"
	"github.com/adjc/adjc/ha/etcdtest"
)

// haProc is one `adjc schedule --watch` of the HA group, with its own state
// folder and audit log, as on its own host.
type haProc struct {
	name   string
	cmd    *exec.Cmd
	audit  string
	stderr *bytes.Buffer
	exited chan struct{}
}

// TestScheduleHA is issue 18's "done when": three `schedule --watch`
// processes for one domain on one etcd; exactly one applies; SIGKILL of the
// leader during a burst of AD changes hands over within the lease TTL (10 s)
// plus 2 s; across the three audit logs every change is applied once, none
// twice, and JumpCloud ends converged with AD.
func TestScheduleHA(t *testing.T) {
	t.Parallel()
	fl := newFaultLab(t, 6)
	etcd := etcdtest.Start(t)
	bin := filepath.Join(t.TempDir(), "adjc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const ttl = ha.DefaultLeaseTTL

	procs := map[string]*haProc{} // by pid
	var all []*haProc
	for i := range 3 {
		dir := filepath.Join(fl.dir, fmt.Sprintf("host%d", i))
		p := &haProc{name: fmt.Sprintf("host%d", i), audit: filepath.Join(dir, "audit.jsonl"), stderr: &bytes.Buffer{}, exited: make(chan struct{})}
		p.cmd = exec.Command(bin, "schedule", "--watch", "--interval", "1h", "--concurrency", "1", "-v",
			"--state-dir", dir, "--audit-log", p.audit)
		p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ADJC_ETCD_ENDPOINTS=" + etcd.Endpoint}
		for k, v := range fl.env() {
			p.cmd.Env = append(p.cmd.Env, k+"="+v)
		}
		p.cmd.Stderr = &lockedWriter{w: p.stderr}
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { p.cmd.Wait(); close(p.exited) }()
		t.Cleanup(func() {
			p.cmd.Process.Kill()
			<-p.exited
			if t.Failed() {
				t.Logf("%s stderr:\n%s", p.name, p.stderr.String())
			}
		})
		procs[strconv.Itoa(p.cmd.Process.Pid)] = p
		all = append(all, p)
	}
	admin, err := ha.Dial(ha.Config{Endpoints: []string{etcd.Endpoint}})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	leaderOf := func() *haProc {
		st, err := ha.ReadStatus(t.Context(), admin, "", "adjc.lab")
		if err != nil || st.Leader == "" {
			return nil
		}
		return procs[st.Leader[strings.LastIndex(st.Leader, ":")+1:]]
	}

	// The start run: one leader imports the six users and two groups.
	deadline := time.Now().Add(2 * time.Minute)
	var first *haProc
	for {
		first = leaderOf()
		if first != nil && lines(first.audit) >= 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader finished the start run within 2 minutes (leader %v)", first)
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitConverged(t, fl, time.Minute)
	for _, p := range all {
		if p != first && lines(p.audit) != 0 {
			t.Errorf("follower %s applied %d changes, want none", p.name, lines(p.audit))
		}
	}

	// A burst of AD changes: every 200 ms a user's givenName changes; the
	// leader is killed in the middle of it.
	var (
		burst    sync.WaitGroup
		stopAt   = make(chan struct{})
		changes  int
		changeMu sync.Mutex
	)
	burst.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stopAt:
				return
			case <-time.After(200 * time.Millisecond):
			}
			u := fl.users[i%len(fl.users)]
			dn, err := fl.findDN(u)
			if err == nil {
				err = fl.admin.Modify(context.Background(), dn, map[string][]string{"givenName": {fmt.Sprintf("Burst%03d", i)}})
			}
			if err != nil {
				t.Errorf("burst change %d: %v", i, err)
				return
			}
			changeMu.Lock()
			changes++
			changeMu.Unlock()
		}
	})
	time.Sleep(2 * time.Second)
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	<-first.exited
	firstLines := lines(first.audit)

	var next *haProc
	for next = leaderOf(); next == nil || next == first; next = leaderOf() {
		if time.Since(killed) > ttl+2*time.Second {
			t.Fatalf("no new leader %s after SIGKILL of the leader (TTL %s)", time.Since(killed), ttl)
		}
		time.Sleep(20 * time.Millisecond)
	}
	takeover := time.Since(killed)
	for lines(next.audit) == 0 {
		if time.Since(killed) > ttl+time.Minute {
			t.Fatalf("new leader %s applied nothing within %s of the kill", next.name, time.Since(killed))
		}
		time.Sleep(20 * time.Millisecond)
	}
	applied := time.Since(killed)
	time.Sleep(2 * time.Second)
	close(stopAt)
	burst.Wait()
	t.Logf("SIGKILL of %s: %s leader after %s, first change applied after %s (TTL %s); %d AD changes in the burst",
		first.name, next.name, takeover.Round(time.Millisecond), applied.Round(time.Millisecond), ttl, changes)

	waitConverged(t, fl, 2*time.Minute)
	fl.checkConverged()
	if lines(first.audit) != firstLines {
		t.Errorf("the killed leader's audit log grew after the kill")
	}
	// Across the three logs: each (object, fields) update applied once, and
	// every line names the instance of the process that wrote it.
	seen := map[string]string{}
	for _, p := range all {
		if lines(p.audit) > 0 {
			checkAuditWhole(t, p.audit)
		}
		for _, e := range auditEntries(t, p.audit) {
			if pid := ":" + strconv.Itoa(p.cmd.Process.Pid); !strings.HasSuffix(e.Instance, pid) {
				t.Errorf("%s audit line for %s has instance %q, want this process's (host%s)", p.name, e.Object, e.Instance, pid)
			}
			key := e.Action + " " + e.Object + " " + string(e.Fields)
			if other, dup := seen[key]; dup && e.Outcome == "applied" {
				t.Errorf("change %s applied twice: by %s and %s", key, other, p.name)
			}
			if e.Outcome == "applied" {
				seen[key] = p.name
			}
		}
	}
	for _, p := range all {
		if p != first && p != next && lines(p.audit) != 0 {
			t.Errorf("%s, never leader, applied %d changes", p.name, lines(p.audit))
		}
	}

	// etcd goes away: the leader must stop writing before its lease could
	// have expired (TTL after its last keepalive, at most TTL after the
	// stop), although AD keeps changing; when etcd is back, a leader
	// applies what changed meanwhile.
	before := lines(next.audit)
	etcd.Stop()
	stopped := time.Now()
	for i := range 10 {
		dn, err := fl.findDN(fl.users[i%len(fl.users)])
		if err == nil {
			err = fl.admin.Modify(context.Background(), dn, map[string][]string{"givenName": {fmt.Sprintf("Outage%02d", i)}})
		}
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
	}
	for _, p := range all {
		if p == first {
			continue
		}
		for _, e := range auditEntries(t, p.audit) {
			if at, err := time.Parse(time.RFC3339Nano, e.Time); err == nil && at.After(stopped.Add(ttl)) {
				t.Errorf("%s applied %s %s at %s, %s after etcd stopped (TTL %s)", p.name, e.Action, e.Object, e.Time, at.Sub(stopped).Round(time.Millisecond), ttl)
			}
		}
	}
	t.Logf("etcd stopped for 10 s: %s applied %d of the 10 AD changes made meanwhile", next.name, lines(next.audit)-before)
	etcd.Start()
	restarted := time.Now()
	waitConverged(t, fl, 2*time.Minute)
	t.Logf("etcd back: converged %s later", time.Since(restarted).Round(time.Millisecond))
	fl.checkConverged()
}

type auditLine struct {
	Time     string          `json:"time"`
	Instance string          `json:"instance"`
	Action   string          `json:"action"`
	Object   string          `json:"object"`
	Fields   json.RawMessage `json:"fields"`
	Outcome  string          `json:"outcome"`
}

func auditEntries(t *testing.T, path string) []auditLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []auditLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e auditLine
		if err := json.Unmarshal(sc.Bytes(), &e); err == nil {
			out = append(out, e)
		}
	}
	return out
}

// waitConverged waits until `adjc diff` plans nothing.
func waitConverged(t *testing.T, fl *faultLab, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, errOut, code := fl.run("diff", "-o", "plain", "--detailed-exitcode")
		if code == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not converged after %s: diff exit %d\n%s%s", limit, code, out, errOut)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// lockedWriter lets a process write its stderr while the test reads it.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
