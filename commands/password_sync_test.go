package commands

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
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
