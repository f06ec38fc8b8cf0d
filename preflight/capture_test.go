package preflight

import (
	"os"
	"path/filepath"
	"testing"
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
