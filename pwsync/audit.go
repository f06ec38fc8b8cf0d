package pwsync

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/adjc/adjc/pipeline"
)

// auditEntry is one line of the audit log, in the shape the apply pipeline
// writes (time, domain, action, kind, object, user_id, reason, fields,
// outcome, error), so one reader handles both. It has no password field:
// "fields" names the password as changed, with no value.
type auditEntry struct {
	Time    string       `json:"time"`
	Domain  string       `json:"domain"`
	Action  string       `json:"action"`
	Kind    string       `json:"kind"`
	Object  string       `json:"object"`
	UserID  string       `json:"user_id,omitempty"`
	Anchor  string       `json:"anchor,omitempty"`
	Reason  string       `json:"reason,omitempty"`
	Fields  []auditField `json:"fields"`
	Outcome string       `json:"outcome"`
	Result  Result       `json:"result"`
	Error   string       `json:"error,omitempty"`
	// Latency is capture to delivery, in seconds as every duration adjc
	// writes for programs.
	Latency float64 `json:"latency_seconds,omitempty"`
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

// OpenAuditLog opens the audit log at path as every writer of it does
// (pipeline.OpenAuditFile: folder 0700 on every start, file 0600).
func OpenAuditLog(path, domain string, now func() time.Time) (*AuditLog, error) {
	f, err := pipeline.OpenAuditFile(path)
	if err != nil {
		return nil, err
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
		e.Latency = o.Done.Sub(o.Captured).Seconds()
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
