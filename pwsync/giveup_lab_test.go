//go:build unix

package pwsync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/pwsync"
	"github.com/adjc/adjc/secret"
)

// fakeClock is the Deliverer's clock and sleep: a sleep moves the clock on
// at once, so the retry bound is reached without waiting for it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// TestGiveUpLab: JumpCloud answers 503 (and 429) to every password write. The
// change is retried from memory until RetryFor, then given up: outcome
// gave_up, one warning naming it, an audit line (outcome failed, result
// gave_up) and adjc_password_sync_total{result="gave_up"} 1; JumpCloud keeps
// the old password. The real DC answers the lookups.
func TestGiveUpLab(t *testing.T) {
	s := newCaptureLab(t, ldaptest.Get(t), func(p string) string { return p })
	u := s.user(s.ou, s.group, "pwgive", true)
	s.srv.FailNext(jcemu.Fault{Method: "PUT", Path: "/api/systemusers/*", Times: 2, Status: 429})
	s.srv.FailNext(jcemu.Fault{Method: "PUT", Path: "/api/systemusers/*", Times: 1 << 20, Status: 503})
	ts := httptest.NewServer(s.srv)
	t.Cleanup(ts.Close)
	key, err := os.ReadFile(filepath.Join(s.dir, "jc-key"))
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	// The client's own retries are cut to one try: the Deliverer's bound
	// is what is under test.
	jc, err := jcapi.New(ts.URL+"/api", secret.New(string(key)), jcapi.WithRetry(0, time.Millisecond, time.Millisecond),
		jcapi.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	l := s.lab
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	audit, err := pwsync.OpenAuditLog(s.audit, "adjc.lab", clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	metrics := pwsync.NewMetrics("adjc.lab")
	var outcomes []pwsync.Outcome
	d := pwsync.New(pwsync.Options{
		Directory: func(ctx context.Context) (*ldapx.Conn, error) {
			return ldapx.Dial(ctx, ldapx.Options{URL: l.URL, BindDN: l.Import.Bind, Password: l.Import.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
		},
		JumpCloud: jc, ScopeGroupDN: "CN=" + s.group + "," + s.ou,
		RetryFor: 20 * time.Second, Logger: log, Now: clock.Now, Sleep: clock.Sleep,
		OnOutcome: func(o pwsync.Outcome) {
			outcomes = append(outcomes, o)
			metrics.Observe(o)
			audit.Record(o)
			pwsync.LogOutcome(log, o)
		},
	})
	newPW := "Given-" + randHex(6) + "-Up7x"
	if !d.Enqueue(pwsync.Request{Op: pwsync.OpNotify, ID: pwsync.ID{GUID: u.guid}, Account: u.sam, Password: []byte(newPW)}) {
		t.Fatal("Enqueue = false")
	}
	d.Close()
	if err := d.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := audit.Close(); err != nil {
		t.Fatal(err)
	}

	if len(outcomes) != 1 || outcomes[0].Result != pwsync.GaveUp {
		t.Fatalf("outcomes = %+v, want one %s", outcomes, pwsync.GaveUp)
	}
	o := outcomes[0]
	// Backoff 0.5 s doubling: 0.5+1+2+4+8 = 15.5 s, and 16 s more would pass 20 s.
	if o.Attempts != 6 || !strings.Contains(o.Reason, "gave up after 6 attempts in 20s") {
		t.Errorf("outcome = %d attempts, reason %q; want 6 attempts and the bound named", o.Attempts, o.Reason)
	}
	if ok, err := s.srv.PasswordMatches(s.org, u.jcID, newPW); err != nil || ok {
		t.Errorf("JumpCloud holds the password of a change it always refused (%v)", err)
	}
	if n := strings.Count(logs.String(), "not delivered yet; retrying"); n != 5 {
		t.Errorf("logged %d retries, want 5:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `level=WARN msg="password change NOT delivered: gave up retrying`) {
		t.Errorf("no give-up warning in the log:\n%s", logs.String())
	}
	var line struct{ Kind, Object, Outcome, Result, Error string }
	b, err := os.ReadFile(s.audit)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bytes.TrimSpace(b), &line); err != nil {
		t.Fatalf("audit log %q: %v", b, err)
	}
	if line.Kind != "password" || line.Object != u.sam || line.Outcome != "failed" || line.Result != "gave_up" || !strings.Contains(line.Error, "gave up") {
		t.Errorf("audit line = %+v, want kind password, outcome failed, result gave_up", line)
	}
	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := `adjc_password_sync_total{domain="adjc.lab",result="gave_up"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %s:\n%s", want, rec.Body.String())
	}
	for _, where := range [][]byte{logs.Bytes(), b, rec.Body.Bytes()} {
		if bytes.Contains(where, []byte(newPW)) {
			t.Error("the password is in the log, audit line or metrics")
		}
	}
}
