package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/reconcile"
)

// auditEntry is one line of the audit log: one applied (or failed) change.
// It carries names, emails, ids and the change's fields — the plan never
// holds a secret — and the outcome.
type auditEntry struct {
	Time   string `json:"time"`
	Domain string `json:"domain"`
	// Instance is the HA group member that applied it; absent alone.
	Instance string                  `json:"instance,omitempty"`
	Action   string                  `json:"action"`
	Kind     reconcile.Kind          `json:"kind"`
	Object   string                  `json:"object"`
	UserID   string                  `json:"user_id,omitempty"`
	GroupID  string                  `json:"group_id,omitempty"`
	Reason   string                  `json:"reason,omitempty"`
	Fields   []reconcile.FieldChange `json:"fields,omitempty"`
	Outcome  reconcile.Status        `json:"outcome"`
	ID       string                  `json:"created_id,omitempty"`
	Error    string                  `json:"error,omitempty"`
}

// auditLog appends JSON lines to a file opened O_APPEND, one write per
// line, so concurrent runs and readers see whole lines only.
type auditLog struct {
	f        *os.File
	domain   string
	instance string
	now      func() time.Time
	err      error // the first write error, reported once at the end
}

func openAuditLog(path, domain string, now func() time.Time) (*auditLog, error) {
	f, err := OpenAuditFile(path)
	if err != nil {
		return nil, err
	}
	return &auditLog{f: f, domain: domain, now: now}, nil
}

// OpenAuditFile opens the audit log at path for appending whole lines, the
// one way every writer of it does (plans here, captured passwords in
// pwsync): its folder made 0700 even if it existed, the file created 0600,
// and an existing file that others can read (copied in, or made by an older
// tool) made private too, since OpenFile's mode applies only to a new file.
func OpenAuditFile(path string) (*os.File, error) {
	if err := config.PrivateDir("audit_log", filepath.Dir(path)); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return f, nil
}

func (a *auditLog) record(o reconcile.Outcome) {
	c := o.Change
	e := auditEntry{
		Time: a.now().UTC().Format(time.RFC3339Nano), Domain: a.domain, Instance: a.instance,
		Action: c.Action.Name(), Kind: c.Kind, Object: c.Key, Reason: c.Reason,
		Fields: c.Fields, Outcome: o.Status, ID: o.ID,
	}
	if c.User != nil {
		e.UserID = c.User.ID
	}
	if c.Group != nil {
		e.GroupID = c.Group.ID
	}
	if o.Status != reconcile.StatusApplied {
		e.Error = o.Reason
	}
	b, err := json.Marshal(e)
	if err == nil {
		_, err = a.f.Write(append(b, '\n'))
	}
	if err != nil && a.err == nil {
		a.err = fmt.Errorf("audit log: %w", err)
	}
}

func (a *auditLog) close() error {
	if err := a.f.Close(); err != nil && a.err == nil {
		a.err = fmt.Errorf("audit log: %w", err)
	}
	return a.err
}

// Record appends outcomes that did not come from a plan — `sync password`
// setting one user's password on each side — to the audit log, as one line
// each: the same file, vocabulary and privacy as every applied plan. The
// password itself is never part of an outcome.
func Record(path, domain string, now func() time.Time, outcomes ...reconcile.Outcome) error {
	if path == "" {
		return ErrNoAuditLog
	}
	a, err := openAuditLog(path, domain, now)
	if err != nil {
		return err
	}
	for _, o := range outcomes {
		a.record(o)
	}
	return a.close()
}
