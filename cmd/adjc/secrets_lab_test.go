package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/jcapi/jcemu"
)

// TestSecretsNeverLeak runs the built binary through every command that
// touches a secret — with the API key, the bind password and a pushed
// password known — at every log level and format, and looks for each
// secret in stdout, stderr, the audit log, every file under the state
// directory, saved plans and /proc/<pid>/cmdline. It also checks the mode
// of everything adjc wrote.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	fl := newFaultLab(t, 4)
	bin := filepath.Join(fl.dir, "adjc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bindPW := fl.lab.Import.Password.Reveal()
	const pushed = "Pushed-Secret-4711-xyzzy"
	secrets := map[string]string{"api key": faultKey, "bind password": bindPW, "pushed password": pushed}

	environ := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range fl.env() {
		environ = append(environ, k+"="+v)
	}
	plan := filepath.Join(fl.dir, "plan.json")
	runs := []struct {
		args  []string
		stdin string
	}{
		{args: []string{"config", "show"}},
		{args: []string{"config", "show", "-o", "json"}},
		{args: []string{"diff", "-vv"}},
		{args: []string{"diff", "-vv", "--log-format", "json", "-o", "json"}},
		{args: []string{"diff", "-v", "--out", plan}},
		{args: []string{"import", "--yes", "-vv", "--plan", plan}},
		{args: []string{"import", "--yes", "-vv", "--log-format", "json"}},
		{args: []string{"preflight", "-vv"}},
		{args: []string{"sync", "password", "-vv", "nosuchuser"}, stdin: pushed + "\n"},
		{args: []string{"sync", "password", "-vv", "--log-format", "json", fl.users[0]}, stdin: pushed + "\n"},
		// Wrong credentials: errors must not echo what was sent.
		{args: []string{"diff", "-vv", "--bind-password-file", writeSecret(t, fl.dir, "wrong.pw", "Wrong-"+bindPW)}},
		{args: []string{"diff", "-vv", "--api-key-file", writeSecret(t, fl.dir, "wrong.key", "wrong-"+faultKey)}},
	}
	fl.emu.SetChaos(jcemu.Chaos{Latency: 5 * time.Millisecond})
	for _, r := range runs {
		cmd := exec.Command(bin, r.args...)
		cmd.Env = environ
		cmd.Stdin = strings.NewReader(r.stdin)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// What ps shows, while the command runs.
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline")
		cmd.Wait()
		name := strings.Join(r.args, " ")
		for what, s := range secrets {
			for where, b := range map[string][]byte{"stdout": out.Bytes(), "stderr": errOut.Bytes(), "cmdline": cmdline} {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("adjc %s: the %s appears in %s", name, what, where)
				}
			}
		}
		if strings.Contains(errOut.String(), "panic") {
			t.Errorf("adjc %s panicked:\n%s", name, errOut.String())
		}
	}

	// Everything adjc wrote: the audit log, state, plans.
	wrote := 0
	filepath.WalkDir(fl.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == bin || strings.HasSuffix(path, ".pw") || strings.HasSuffix(path, ".key") ||
			path == fl.keyFile || path == fl.cfg {
			return nil
		}
		wrote++
		b, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			return nil
		}
		for what, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the %s", path, what)
			}
		}
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: group or others can read it", path, st.Mode().Perm())
		}
		return nil
	})
	filepath.WalkDir(filepath.Join(fl.dir, "state"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
				t.Errorf("directory %s has mode %v, want no access for group or others", path, st.Mode().Perm())
			}
		}
		return nil
	})
	if wrote < 2 { // at least the plan and the audit log
		t.Errorf("found %d files written by adjc, want the plan and the audit log at least", wrote)
	}
}

func writeSecret(t *testing.T, dir, name, v string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(v+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
