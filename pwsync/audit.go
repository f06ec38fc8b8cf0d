package pwsync

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// auditEntry is one line of the audit log, in the shape the apply pipeline
// writes (time, domain, action, kind, object, user_id, reason, fields,
// outcome, error), so one reader handles both. It has no password field:
// "fields" names the password as changed, with no value.
type auditEntry struct {
	Time    string        `json:"time"`
	Domain  string        `json:"domain"`
	Action  string        `json:"action"`
	Kind    string        `json:"kind"`
	Object  string        `json:"object"`
	UserID  string        `json:"user_id,omitempty"`
	Anchor  string        `json:"anchor,omitempty"`
	Reason  string        `json:"reason,omitempty"`
	Fields  []auditField  `json:"fields"`
	Outcome string        `json:"outcome"`
	Result  Result        `json:"result"`
	Error   string        `json:"error,omitempty"`
	Latency time.Duration `json:"latency_ns,omitempty"`
}

type auditField struct {
	Name string `json:"name"`
}

// AuditLog appends one JSON line per outcome to a 0600 file opened
// O_APPEND (one write per line: readers and other adjc runs see whole lines).
type AuditLog struct {
	mu     sync.Mutex
	f      *os.File
	domain string
	now    func() time.Time
	err    error
}

// OpenAuditLog opens (creating 0600, folder 0700) the audit log at path.
func OpenAuditLog(path, domain string, now func() time.Time) (*AuditLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return &AuditLog{f: f, domain: domain, now: now}, nil
}

// Record writes o: outcome "applied" when delivered, "skipped" when ignored
// by scope or safety rules, "failed" otherwise.
func (a *AuditLog) Record(o Outcome) {
	outcome := "applied"
	switch {
	case o.Ignored():
		outcome = "skipped"
	case o.Result != Delivered:
		outcome = "failed"
	}
	e := auditEntry{Time: a.now().UTC().Format(time.RFC3339Nano), Domain: a.domain, Action: "update", Kind: "user",
		Object: o.Account, UserID: o.UserID, Anchor: o.GUID, Reason: "password changed in AD (captured on the domain controller)",
		Fields: []auditField{{Name: "password"}}, Outcome: outcome, Result: o.Result, Error: o.Reason}
	if o.Result == Delivered && !o.Captured.IsZero() {
		e.Latency = o.Done.Sub(o.Captured)
	}
	b, err := json.Marshal(e)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err == nil {
		_, err = a.f.Write(append(b, '\n'))
	}
	if err != nil && a.err == nil {
		a.err = fmt.Errorf("audit log: %w", err)
	}
}

// Close closes the file and returns the first write error, if any.
func (a *AuditLog) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.f.Close(); err != nil && a.err == nil {
		a.err = fmt.Errorf("audit log: %w", err)
	}
	return a.err
}
