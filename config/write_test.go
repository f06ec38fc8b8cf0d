package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/adjc/adjc/secret"
)

func TestEditFile(t *testing.T) {
	t.Parallel()
	const in = "# top\njumpcloud:\n  api_url: http://127.0.0.1/api # the emulator\ndomains:\n  - name: a.b\n    mode: two-way   # why\n    jumpcloud_domain_id:\nstate_dir: /s\n"
	const want = "# top\njumpcloud:\n  api_url: http://127.0.0.1/api # the emulator\n  api_key_file: k\ndomains:\n  - name: a.b\n    mode: two-way # why\n    jumpcloud_domain_id: \"000000000000000000000001\"\nstate_dir: /s\n"
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	if err := os.WriteFile(real, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	edit := FileEdit{
		JumpCloud: []KeyValue{{Key: "api_key_file", Value: "k"}, {Key: "api_url", Value: "http://other/api"}},
		Domain:    0,
		DomainKeys: []KeyValue{
			{Key: "mode", Value: "jc-authority"}, // in the file: kept
			{Key: "jumpcloud_domain_id", Value: "000000000000000000000001", Replace: true},
		},
	}
	for i, wantChanged := range []bool{true, false} {
		changed, err := EditFile(link, edit)
		if err != nil || changed != wantChanged {
			t.Fatalf("EditFile #%d = %v, %v; want %v, nil", i, changed, err, wantChanged)
		}
	}
	got, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("EditFile wrote\n%s\nwant\n%s", got, want)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("EditFile replaced the symlink: %v %v", st.Mode(), err)
	}
	if st, _ := os.Stat(real); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %04o, want 0600", st.Mode().Perm())
	}
	// The edit reads back as it was meant: the id stays a string.
	doc, problems := parseFile(real, got)
	if len(problems) > 0 || doc.domains[0]["jumpcloud_domain_id"].s != "000000000000000000000001" {
		t.Errorf("parseFile(edited) = %v, %v", doc, problems)
	}
	if _, err := EditFile(real, FileEdit{DomainKeys: []KeyValue{{Key: "bogus", Value: "x"}}}); err == nil {
		t.Errorf("EditFile with an unknown key succeeded")
	}
}

func TestWriteSecretFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "sub", "secret")
	s := secret.New("s3cret")
	for i, want := range []bool{true, false} {
		changed, err := WriteSecretFile(p, s)
		if err != nil || changed != want {
			t.Fatalf("WriteSecretFile #%d = %v, %v; want %v, nil", i, changed, err, want)
		}
	}
	os.Chmod(p, 0o644)
	if changed, _ := WriteSecretFile(p, s); !changed {
		t.Errorf("WriteSecretFile left a file others can read")
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %04o, want 0600", st.Mode().Perm())
	}
	if _, err := WriteSecretFile(p, secret.Secret{}); err == nil {
		t.Errorf("WriteSecretFile wrote an empty secret")
	}
}
