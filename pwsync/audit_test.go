package pwsync

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
)

// TestAuditVocabulary: a captured password and one set by `adjc sync
// password` are written with one vocabulary (action update, kind password,
// the account as object, outcome applied), so one filter finds both.
func TestAuditVocabulary(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	a, err := OpenAuditLog(path, "example.com", now)
	if err != nil {
		t.Fatal(err)
	}
	a.Record(Outcome{ID: ID{RID: 1105}, Account: "alice", UserID: "u1", Result: Delivered})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	err = pipeline.Record(path, "example.com", now, reconcile.Outcome{Status: reconcile.StatusApplied,
		Change: reconcile.Change{Action: reconcile.Update, Kind: reconcile.KindPassword, Key: "alice", Reason: "password set by 'adjc sync password' in JumpCloud"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("audit log has %d lines, want 2:\n%s", len(lines), b)
	}
	type line struct{ Action, Kind, Object, Outcome string }
	var got [2]line
	for i, l := range lines {
		if err := json.Unmarshal(l, &got[i]); err != nil {
			t.Fatal(err)
		}
	}
	want := line{Action: "update", Kind: "password", Object: "alice", Outcome: "applied"}
	if got[0] != want || got[1] != want {
		t.Errorf("captured = %+v, sync password = %+v; want both %+v", got[0], got[1], want)
	}
}
