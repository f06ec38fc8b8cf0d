package preflight

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/adjc/adjc/winservice"
)

// TestCaptureCheck: the password-capture check reads a Samba DC's smb.conf
// and says whether changed passwords are kept for capture; elsewhere it
// says it has nothing to look at.
func TestCaptureCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		path string
		want Status
	}{
		{"configured DC", write("ok.conf", "[global]\n\tserver role = active directory domain controller\n\tPassword Hash GPG Key IDs = 4F0A9E2B\n"), Pass},
		{"DC without keys", write("nokeys.conf", "[global]\n  server role = active directory domain controller\n  # password hash gpg key ids = commented out\n"), Warn},
		{"file server", write("member.conf", "[global]\n  server role = member server\n  password hash gpg key ids = 1\n"), Skip},
		{"no samba", filepath.Join(dir, "missing.conf"), Skip},
	}
	for _, tt := range tests {
		f := Facts{Capture: gatherCapture(tt.path)}
		c := captureChecks(f)[0]
		if c.Status != tt.want || c.Name != "capture" {
			t.Errorf("%s: capture check = %s %q, want %s", tt.name, c.Status, c.Reason, tt.want)
		}
	}
}

// TestServiceCheck: on a Windows DC whose filter is registered, the adjc
// service must be installed and run password-sync.
func TestServiceCheck(t *testing.T) {
	t.Parallel()
	dc := CaptureFacts{Windows: true, WindowsDC: true, FilterRegistered: true}
	both := winservice.Info{Installed: true, State: winservice.Running, StartType: "automatic",
		CommandLine: `C:\adjc.exe service run --name adjc --what both --config C:\c.yaml`}
	sched := both
	sched.CommandLine = `C:\adjc.exe service run --name adjc --what schedule --config C:\c.yaml`
	tests := []struct {
		name string
		c    CaptureFacts
		svc  winservice.Info
		want Status
	}{
		{"DC, service runs both", dc, both, Pass},
		{"DC, no service", dc, winservice.Info{}, Warn},
		{"DC, service runs only schedule", dc, sched, Warn},
		{"member server, no service", CaptureFacts{Windows: true}, winservice.Info{}, Skip},
		{"member server, schedule", CaptureFacts{Windows: true}, sched, Pass},
	}
	for _, tt := range tests {
		tt.c.Service = tt.svc
		got := captureChecks(Facts{Capture: tt.c})
		if len(got) != 2 || got[1].Name != "service" || got[1].Status != tt.want {
			t.Errorf("%s: checks = %+v, want a service check %s", tt.name, got, tt.want)
		}
	}
	if got := captureChecks(Facts{Capture: CaptureFacts{}}); len(got) != 1 {
		t.Errorf("off Windows: %d checks, want only capture", len(got))
	}
}
