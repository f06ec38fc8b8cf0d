package commands

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestServiceInstallRefuses: install checks the flags it hands to schedule
// and password-sync with their own flag sets, and refuses settings the
// service would not see, before it touches the service manager (so these
// hold on every OS).
func TestServiceInstallRefuses(t *testing.T) {
	dir := t.TempDir()
	writeLabConfig(t, dir)
	cfg := filepath.Join(dir, "adjc.yaml")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown what", nil, []string{"--what", "sync"}, `--what "sync": use schedule, password-sync or both`},
		{"schedule flag typo", nil, []string{"--schedule-arg=--wach"}, "unknown flag: --wach (flags of 'adjc schedule')"},
		{"schedule flags without schedule", nil, []string{"--what", "password-sync", "--schedule-arg=--watch"}, "the service runs no schedule"},
		{"stdin source", nil, []string{"--what", "both", "--password-sync-arg=--source=stdin"}, "a service has no stdin"},
		{"secret from the environment", map[string]string{"ADJC_JC_API_KEY": "not-a-real-key"}, nil, "the service would not see jumpcloud.api_key (env ADJC_JC_API_KEY)"},
		{"setting from a flag", nil, []string{"--mode", "two-way"}, "the service would not see domains[0].mode (flag --mode)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := testFactory(tt.env)
			_, stderr, code := runCLI(t, f, append([]string{"service", "install", "--config", cfg}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, tt.want)
			}
			if strings.Contains(stderr, "not-a-real-key") {
				t.Error("the secret is in the error")
			}
		})
	}
}

// TestServiceElsewhere: off Windows every verb says to use systemd and
// names the unit files.
func TestServiceElsewhere(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the service manager is real here")
	}
	for _, verb := range []string{"status", "start", "stop", "uninstall"} {
		f, _ := testFactory(nil)
		_, stderr, code := runCLI(t, f, "service", verb)
		if code != 1 || !strings.Contains(stderr, "systemd") || !strings.Contains(stderr, "scripts/adjc.service") {
			t.Errorf("service %s: exit %d, stderr %q; want exit 1 naming systemd and the unit files", verb, code, stderr)
		}
	}
}
