package commands

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/schedule"
)

// TestSchedulePauseResume: 'adjc schedule pause' sets the flag the
// scheduler asks before every run, and 'resume' clears it.
func TestSchedulePauseResume(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	writeLabConfig(t, tmp)
	cfgArgs := []string{"--config", filepath.Join(tmp, "adjc.yaml")}
	cfg := &config.Config{StateDir: filepath.Join(tmp, "state")}
	d := &config.Domain{Name: "adjc.lab"}
	paused := func() bool {
		p, err := domainPaused(cfg, d)(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if paused() {
		t.Fatal("paused before any pause")
	}
	f, _ := testFactory(nil)
	if out, stderr, code := runCLI(t, f, append(cfgArgs, "schedule", "pause")...); code != 0 || !strings.Contains(out, "Paused scheduled runs for adjc.lab") {
		t.Fatalf("schedule pause: exit %d\n%s%s", code, out, stderr)
	}
	if !paused() {
		t.Error("not paused after 'schedule pause'")
	}
	if p, at, err := schedule.PausedSince(cfg.StateDir, d.Name); !p || at.IsZero() || err != nil {
		t.Errorf("PausedSince = %v, %v, %v; want paused with its time", p, at, err)
	}
	f, _ = testFactory(nil)
	if _, stderr, code := runCLI(t, f, append(cfgArgs, "schedule", "resume")...); code != 0 {
		t.Fatalf("schedule resume: exit %d\n%s", code, stderr)
	}
	if paused() {
		t.Error("still paused after 'schedule resume'")
	}
}
