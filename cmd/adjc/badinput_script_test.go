package main

import (
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestBadInputScripts runs the bad-input corpus in golden/script/badinput:
// each transcript feeds adjc one wrong input (a file, flag, variable, saved
// plan or name) and checks the exit status, that the message names the
// input and the fix, and — with `nowrite` — that nothing was written to
// JumpCloud, AD or the state directory.
//
// Each script gets a working configuration in $ADJC_CONFIG (the lab DC,
// bound as the read-only jcimport account, and a fresh emulated org whose
// AD domain object is $JC_AD_ID), and the pieces to build a broken one:
// $LAB_URL, $LAB_BASE_DN, $LAB_CA, $LAB_BIND, $LAB_PW_FILE, $JC_URL and
// $JC_KEY_FILE.
func TestBadInputScripts(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	const key = "badinput-api-key-0123456789abcdef"
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join(golden.Dir(), "script", "badinput"),
		UpdateScripts: golden.Update(),
		Setup: func(env *testscript.Env) error {
			emu := jcemu.New()
			org := emu.AddOrg("adjc badinput")
			if err := emu.AddAPIKey(key, org); err != nil {
				return err
			}
			ad, err := emu.AddActiveDirectory(org, "adjc.lab")
			if err != nil {
				return err
			}
			ts := httptest.NewServer(emu)
			env.Defer(ts.Close)
			keyFile := filepath.Join(env.WorkDir, "jc-api-key")
			if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
				return err
			}
			cfg := fmt.Sprintf(`jumpcloud:
  api_url: %s/api
  api_key_file: %s
domains:
  - name: adjc.lab
    mode: two-way
    ldap_url: %s
    base_dn: %s
    bind: %s
    bind_password_file: %s
    ca_file: %s
    jumpcloud_domain_id: %s
state_dir: %s
`, ts.URL, keyFile, l.URL, l.BaseDN, l.Import.Bind, l.Import.PasswordFile, l.CAFile, ad.ID, filepath.Join(env.WorkDir, "state"))
			cfgFile := filepath.Join(env.WorkDir, "adjc.yaml")
			if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
				return err
			}
			for k, v := range map[string]string{
				"ADJC_CONFIG": cfgFile, "NO_COLOR": "1",
				"XDG_CONFIG_HOME": env.WorkDir + "/xdg-config", "XDG_STATE_HOME": env.WorkDir + "/xdg-state",
				"LAB_URL": l.URL, "LAB_BASE_DN": l.BaseDN, "LAB_CA": l.CAFile, "LAB_BIND": l.Import.Bind,
				"LAB_PW_FILE": l.Import.PasswordFile, "JC_URL": ts.URL + "/api", "JC_KEY_FILE": keyFile, "JC_AD_ID": ad.ID,
			} {
				env.Setenv(k, v)
			}
			env.Values["emu"] = emu
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":  cmdStatus,
			"nowrite": cmdNoWrite,
			"mkfile":  cmdMkfile,
		},
	})
}

// cmdNoWrite fails if anything was written: a JumpCloud call that changes
// state (any method but GET, apart from the read-only search), or a file in
// the state directory or the XDG state home (audit log, plans, state). A
// domain's lock file is allowed: a writing command takes the lock before it
// reads, so the plan it shows is the one it applies, and the file holds only
// the holder's process id.
//
//	nowrite
func cmdNoWrite(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: nowrite")
	}
	emu := ts.Value("emu").(*jcemu.Server)
	calls := emu.Calls()
	var writes []string
	for _, route := range slices.Sorted(func(yield func(string) bool) {
		for k := range calls {
			if !yield(k) {
				return
			}
		}
	}) {
		method, path, _ := strings.Cut(route, " ")
		if method == "GET" || (method == "POST" && strings.HasPrefix(path, "/api/search/")) {
			continue
		}
		writes = append(writes, fmt.Sprintf("%s (%d)", route, calls[route]))
	}
	if len(writes) > 0 {
		ts.Fatalf("JumpCloud was written to: %s", strings.Join(writes, ", "))
	}
	for _, dir := range []string{ts.MkAbs("state"), ts.MkAbs("xdg-state")} {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.HasSuffix(path, ".lock") {
				ts.Fatalf("adjc wrote %s", path)
			}
			return nil
		})
	}
}

// cmdMkfile writes a file of generated content, for inputs a txtar cannot
// hold (bytes that are not UTF-8, megabytes):
//
//	mkfile NAME repeat N TEXT   TEXT (with \n, \xHH escapes) N times
//	mkfile NAME bytes TEXT      TEXT with \n, \xHH escapes, once
func cmdMkfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: mkfile NAME repeat N TEXT | mkfile NAME bytes TEXT")
	}
	n, text := 1, args[2]
	if args[1] == "repeat" {
		if len(args) != 4 {
			ts.Fatalf("usage: mkfile NAME repeat N TEXT")
		}
		if _, err := fmt.Sscan(args[2], &n); err != nil {
			ts.Fatalf("mkfile: bad count %q", args[2])
		}
		text = args[3]
	}
	unq, err := unescape(text)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.Repeat(unq, n)), 0o600))
}

func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case 'n':
			b.WriteByte('\n')
			i++
		case 'x':
			var c byte
			if i+4 > len(s) {
				return "", fmt.Errorf("short \\x escape in %q", s)
			}
			if _, err := fmt.Sscanf(s[i+2:i+4], "%02x", &c); err != nil {
				return "", fmt.Errorf("bad \\x escape in %q", s)
			}
			b.WriteByte(c)
			i += 3
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}
