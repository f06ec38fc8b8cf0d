package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/adjc/adjc/golden"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets scripts run the real adjc — main itself, flags, env, exit
// status and all — as a program named adjc, without building it first.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"adjc": main})
}

// TestScripts runs the transcripts in golden/script. Run
// scripts/update-golden.sh to rewrite their `cmp stdout want.txt` blocks.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join(golden.Dir(), "script"),
		UpdateScripts: golden.Update(),
		// Transcripts that need the lab DC and the emulator live in
		// golden/script/lab and run under TestLabScripts.
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/xdg-config") // never the developer's own config
			env.Setenv("XDG_STATE_HOME", env.WorkDir+"/xdg-state")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status": cmdStatus,
		},
	})
}

// cmdStatus runs a program and checks its exit status, which `exec` and
// `! exec` cannot tell apart beyond zero and non-zero:
//
//	status 2 adjc config show --config bad.yaml
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status code program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %q is not an exit status", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("status: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}
