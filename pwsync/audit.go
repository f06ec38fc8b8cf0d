package pwsync

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
)

// auditEntry is one line of the audit log, in the shape and vocabulary the
// apply pipeline writes for `adjc sync password` (action "update", kind
// "password", object the account, outcome applied/failed/skipped), so one
// reader and one filter (kind == "password") find every password set,
// captured or typed. It has no field that could hold the password; anchor,
// result and latency_seconds are the capture's own additions.
type auditEntry struct {
	Time    string           `json:"time"`
	Domain  string           `json:"domain"`
	Action  string           `json:"action"`
	Kind    reconcile.Kind   `json:"kind"`
	Object  string           `json:"object"`
	UserID  string           `json:"user_id,omitempty"`
	Anchor  string           `json:"anchor,omitempty"`
	Reason  string           `json:"reason,omitempty"`
	Outcome reconcile.Status `json:"outcome"`
	Result  Result           `json:"result"`
	Error   string           `json:"error,omitempty"`
	// Latency is capture to delivery, in seconds as every duration adjc
	// writes for programs.
	Latency float64 `json:"latency_seconds,omitempty"`
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
	outcome := reconcile.StatusApplied
	switch {
	case o.Ignored():
		outcome = reconcile.StatusSkipped
	case o.Result != Delivered:
		outcome = reconcile.StatusFailed
	}
	e := auditEntry{Time: a.now().UTC().Format(time.RFC3339Nano), Domain: a.domain, Action: reconcile.Update.Name(), Kind: reconcile.KindPassword,
		Object: o.Account, UserID: o.UserID, Anchor: o.GUID, Reason: "password changed in AD (captured on the domain controller)",
		Outcome: outcome, Result: o.Result, Error: o.Reason}
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

// LogOutcome logs o as one line: info when delivered or ignored, a warning
// that says JumpCloud keeps the old password otherwise, and for a change
// given up after [Options.RetryFor] a line of its own, since it is the one
// an operator must act on (the user changes the password again, or
// `adjc sync password` sets it; `adjc diff` shows the drift meanwhile).
func LogOutcome(log *slog.Logger, o Outcome) {
	args := []any{"account", o.Account, "id", o.ID.String(), "result", string(o.Result), "attempts", o.Attempts}
	if o.UserID != "" {
		args = append(args, "jc_id", o.UserID)
	}
	switch {
	case o.Result == Delivered:
		log.Info("password delivered to jumpcloud", append(args, "latency", o.Done.Sub(o.Captured))...)
	case o.Ignored():
		log.Info("password change ignored", append(args, "reason", o.Reason)...)
	case o.Result == GaveUp:
		log.Warn("password change NOT delivered: gave up retrying; jumpcloud keeps the old password until the next change", append(args, "reason", o.Reason)...)
	default:
		log.Warn("password change NOT delivered: jumpcloud keeps the old password until the next change", append(args, "reason", o.Reason)...)
	}
}
