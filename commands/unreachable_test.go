package commands

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/secret"
)

// TestUnreachableJumpCloud: a JumpCloud API that refuses connections is not
// a silent wait. On a terminal each retry is one stderr line; the error
// names the URL and what failed, and the hint says where to look. Off a
// terminal the retry lines are not printed (the error and hint are).
func TestUnreachableJumpCloud(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, tty := range []bool{true, false} {
		name := "commands/jumpcloud_unreachable_notty.txt"
		if tty {
			name = "commands/jumpcloud_unreachable_tty.txt"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, errOut := output.Test()
			ios.SetStderrTTY(tty)
			c, err := jcapi.New("http://"+addr+"/api", secret.New("k"),
				// No jitter on a zero base: the wait printed is 0.0 s.
				jcapi.WithRetry(2, 0, 0),
				jcapi.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }),
				jcapi.WithRetryNotify(retryNotice(ios)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetSystemUser(t.Context(), "65a0c0de0000000000000099")
			PrintError(errOut, authHint(err))
			got := strings.NewReplacer(addr, "127.0.0.1:PORT", "\r", "<CR>", "\x1b[K", "<EL>").Replace(errOut.String())
			golden.Assert(t, []byte(got), name)
		})
	}
}
