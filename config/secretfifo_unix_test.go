//go:build unix

package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/adjc/adjc/config"
)

// TestSecretNotRegularFile: a FIFO (with no writer: reading it would block
// for ever), a device and a directory named as a secret file are refused
// at once, with the field named and a fix. Issue 14.8 found a FIFO as
// api_key_file hanging adjc.
func TestSecretNotRegularFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "key.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path, want string }{
		{"fifo", fifo, "is a FIFO (named pipe), not a regular file"},
		{"device", "/dev/null", "is a device, not a regular file"},
		{"directory", dir, "is a directory, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := load(t, dir, map[string]string{config.EnvAPIKeyFile: tt.path})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.JumpCloud.APIKey.Resolve()
			var ve *config.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Resolve() = %v, want a *ValidationError", err)
			}
			msg := err.Error()
			for _, want := range []string{"jumpcloud.api_key_file", tt.want, "fix: "} {
				if !strings.Contains(msg, want) {
					t.Errorf("Resolve() = %q, want it to contain %q", msg, want)
				}
			}
		})
	}
}
