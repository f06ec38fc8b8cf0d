package commands

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pwsync"
)

func TestNewPasswordSyncCmd(t *testing.T) {
	t.Parallel()
	f, _ := testFactory(nil)
	var got *PasswordSyncOptions
	cmd := newPasswordSyncCmd(f, func(_ context.Context, o *PasswordSyncOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--source", "stdin", "--retry-for", "30s", "--never-touch", "svc-a,svc-b", "--metrics-addr", "127.0.0.1:9465"})
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got.Source != "stdin" || got.RetryFor != 30*time.Second || strings.Join(got.NeverTouch, ",") != "svc-a,svc-b" || got.MetricsAddr != "127.0.0.1:9465" {
		t.Errorf("password-sync options = %+v", *got)
	}
}

func TestRunPasswordSyncUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mode config.Mode
		opts PasswordSyncOptions
		want string
	}{
		{"unknown source", config.ModeADAuthority, PasswordSyncOptions{Source: "ldap", RetryFor: time.Minute}, "--source"},
		{"no retry", config.ModeADAuthority, PasswordSyncOptions{Source: "stdin"}, "--retry-for"},
		{"jc-authority", config.ModeJCAuthority, PasswordSyncOptions{Source: "stdin", RetryFor: time.Minute}, "jc-authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := &config.Config{Domains: []config.Domain{{Name: "adjc.lab", Mode: tt.mode}}, AuditLog: "/nonexistent/audit.jsonl"}
			opts := tt.opts
			opts.Config = func() (*config.Config, error) { return cfg, nil }
			err := runPasswordSync(t.Context(), &opts)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("runPasswordSync(%s) = %v, want a usage error naming %s", tt.name, err, tt.want)
			}
			if ExitCode(err) != 2 {
				t.Errorf("exit code = %d, want 2", ExitCode(err))
			}
		})
	}
}

// idleService is a delivery whose source is stdin reading in, with no
// change: an empty one ends at once, as a failed capture source does.
func idleService(t *testing.T, in io.Reader) *passwordService {
	t.Helper()
	ios, _, _, _ := output.Test()
	ios.In = in
	audit, err := pwsync.OpenAuditLog(filepath.Join(t.TempDir(), "audit.jsonl"), "example.com", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return &passwordService{opts: &PasswordSyncOptions{Source: "stdin", IO: ios}, log: slog.New(slog.DiscardHandler),
		deliverer: pwsync.New(pwsync.Options{}), audit: audit}
}

// TestAlongside: the schedule and the password delivery stop together. A
// delivery that ends on its own stops the schedule with an error (so a
// service manager restarts the process); a schedule that ends stops the
// delivery; with no delivery the schedule runs alone.
func TestAlongside(t *testing.T) {
	t.Parallel()
	waitStop := func(ctx context.Context) error { <-ctx.Done(); return nil }
	err := alongside(t.Context(), idleService(t, strings.NewReader("")), waitStop)
	if err == nil || !strings.Contains(err.Error(), "password sync stopped: its source ended") {
		t.Errorf("alongside(source ends) = %v, want the schedule stopped with the reason", err)
	}
	boom := errors.New("boom")
	r, w := io.Pipe()
	fail := func(ctx context.Context) error {
		context.AfterFunc(ctx, func() { w.Close() }) // stdin ends only once the schedule has
		return boom
	}
	if err := alongside(t.Context(), idleService(t, r), fail); !errors.Is(err, boom) {
		t.Errorf("alongside(schedule fails) = %v, want %v", err, boom)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := alongside(ctx, nil, waitStop); err != nil {
		t.Errorf("alongside(no delivery, stopped) = %v, want nil", err)
	}
}
