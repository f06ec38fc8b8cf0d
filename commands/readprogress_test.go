package commands

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/output"
)

// TestReadProgress: on a terminal the reads are one rewritten stderr line
// (golden); off a terminal nothing is printed. Either way -v logs what was
// read, for which command.
func TestReadProgress(t *testing.T) {
	t.Parallel()
	for _, tty := range []bool{true, false} {
		ios, _, _, errOut := output.Test()
		ios.SetStderrTTY(tty)
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == "time" || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		}}))
		p := newReadProgress(ios, log, "import")
		p.response()
		p.response()
		p.jcDone(3, 2)
		p.adDone(1600, 8)
		p.finish()
		if !tty {
			if errOut.Len() != 0 {
				t.Errorf("off a terminal, stderr got %q", errOut.String())
			}
			continue
		}
		got := strings.NewReplacer("\r", "<CR>\n", "\x1b[K", "<EL>").Replace(errOut.String())
		golden.Assert(t, []byte(got+"--- log (-v)\n"+logs.String()), "commands/read_progress_tty.txt")
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1600: "1,600", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int]string{0: "0 users", 1: "1 user", 1600: "1,600 users"} {
		if got := users(n); got != want {
			t.Errorf("users(%d) = %q, want %q", n, got, want)
		}
	}
}
