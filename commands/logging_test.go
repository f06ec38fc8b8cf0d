package commands

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestJSONLogDurations: JSON logs give durations in seconds as numbers;
// text logs keep Go's form.
func TestJSONLogDurations(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	l, c := newLogger(&b)
	c.set(1, "json")
	l.Info("run finished", "duration", 84*time.Millisecond)
	if !strings.Contains(b.String(), `"duration":0.084`) {
		t.Errorf("JSON log = %s, want \"duration\":0.084", b.String())
	}
	b.Reset()
	c.set(1, "text")
	l.Info("run finished", "duration", 84*time.Millisecond)
	if !strings.Contains(b.String(), "duration=84ms") {
		t.Errorf("text log = %s, want duration=84ms", b.String())
	}
}

// TestScheduleLogsByDefault: schedule raises the default level (warn) to
// info, so it says it started and what each run did without -v; a level
// chosen with -vv stays.
func TestScheduleLogsByDefault(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	l, c := newLogger(&b)
	c.set(0, "text")
	c.atLeastInfo()
	l.Info("schedule started")
	if !strings.Contains(b.String(), "schedule started") {
		t.Errorf("default verbosity after atLeastInfo logged %q, want the start line", b.String())
	}
	c.set(2, "text")
	c.atLeastInfo()
	b.Reset()
	l.Debug("detail")
	if !strings.Contains(b.String(), "detail") {
		t.Errorf("-vv after atLeastInfo lost debug lines")
	}
}
