package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/secret"
)

// startJcemu runs the command until the test ends and returns the base URL
// from --addr-file and the stdout lines.
func startJcemu(t *testing.T, dir string, extra ...string) (string, string) {
	t.Helper()
	keyFile := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(keyFile, []byte("lab-key-123\n"), 0o600))
	addrFile := filepath.Join(dir, "addr")
	os.Remove(addrFile)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	args := append([]string{"--api-key-file", keyFile, "--addr-file", addrFile, "--domain", "DC=example,DC=com"}, extra...)
	go func() { done <- run(ctx, args, &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	for range 200 {
		if b, err := os.ReadFile(addrFile); err == nil {
			return strings.TrimSpace(string(b)), stdout.String()
		}
		select {
		case err := <-done:
			require.FailNow(t, "jcemu exited", "%v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	require.FailNow(t, "jcemu did not write its address")
	return "", ""
}

func TestServeAndPersist(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	const org = "65a0c0de00000000000000aa"

	// Each subtest stops its emulator on cleanup, so the restart reads what
	// the first one saved on shutdown.
	run1 := func(t *testing.T) (string, string) {
		return startJcemu(t, dir, "--state", state, "--org-id", org)
	}
	t.Run("first start", func(t *testing.T) {
		url, out := run1(t)
		assert.Contains(t, out, "JC_API_URL="+url+"\n")
		assert.Contains(t, out, "JC_ORG_ID="+org+"\n")
		assert.Contains(t, out, "JC_AD_ID=")
		c, err := jcapi.New(url, secret.New("lab-key-123"))
		require.NoError(t, err)
		_, err = c.CreateSystemUser(t.Context(), jcapi.SystemUser{Username: "alice", Email: "alice@example.com"})
		require.NoError(t, err)
	})
	t.Run("restart keeps state", func(t *testing.T) {
		url, _ := run1(t)
		c, err := jcapi.New(url, secret.New("lab-key-123"), jcapi.WithOrgID(org))
		require.NoError(t, err)
		u, err := c.SystemUserByUsername(t.Context(), "alice")
		require.NoError(t, err)
		assert.Equal(t, "alice@example.com", u.Email)
		ads, err := jcapi.Collect(c.ActiveDirectories(t.Context(), jcapi.ListOptions{}))
		require.NoError(t, err)
		assert.Len(t, ads, 1, "the domain object is not seeded twice")
	})
	// One emulator at a time: each subtest stops its own on cleanup.
	for _, st := range []string{"DISABLED", "PENDING", "ENABLED"} {
		t.Run("--delegation-state "+st, func(t *testing.T) {
			url, _ := startJcemu(t, dir, "--state", state, "--org-id", org, "--delegation-state", st)
			c, err := jcapi.New(url, secret.New("lab-key-123"))
			require.NoError(t, err)
			ads, err := jcapi.Collect(c.ActiveDirectories(t.Context(), jcapi.ListOptions{}))
			require.NoError(t, err)
			require.Len(t, ads, 1)
			assert.Equal(t, st, ads[0].DelegationState)
		})
	}
	info, err := os.Stat(state)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	b, _ := os.ReadFile(state)
	assert.NotContains(t, string(b), "lab-key-123", "only the key's hash is stored")
}

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no key file", nil, "--api-key-file is required"},
		{"not loopback", []string{"--api-key-file", "k", "--listen", "0.0.0.0:80"}, "not a loopback address"},
		{"bad rate", []string{"--api-key-file", "k", "--rate-429", "2"}, "between 0 and 1"},
		{"no api key flag", []string{"--api-key", "secret"}, "flag provided but not defined"},
		{"bad delegation state", []string{"--api-key-file", "k", "--domain", "DC=x", "--delegation-state", "OFF"}, "want ENABLED, PENDING or DISABLED"},
		{"delegation state without domain", []string{"--api-key-file", "k", "--delegation-state", "PENDING"}, "needs --domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(t.Context(), tt.args, &bytes.Buffer{}, &bytes.Buffer{})
			require.ErrorIs(t, err, errUsage)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}
