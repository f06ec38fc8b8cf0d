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
