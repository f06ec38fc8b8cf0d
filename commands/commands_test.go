package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/secret"
	"github.com/spf13/cobra"
)

func fakeBuildInfo() (*debug.BuildInfo, bool) {
	return &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/adjc/adjc", Version: "v0.1.0"},
		Settings: []debug.BuildSetting{
			{Key: "GOOS", Value: "linux"},
			{Key: "GOARCH", Value: "amd64"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2025-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}, true
}

// testFactory returns a hermetic Factory: test streams, env from a map,
// a fixed clock, no logs, fixed build info.
func testFactory(env map[string]string) (*Factory, *output.Streams) {
	ios, _, _, _ := output.Test()
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["HOME"]; !ok {
		env["HOME"] = "/home/user"
	}
	return &Factory{
		IO:        ios,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Now:       func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) },
		Logger:    slog.New(slog.DiscardHandler),
		BuildInfo: fakeBuildInfo,
	}, ios
}

// runCLI runs args as main would and returns stdout, stderr and the exit status.
func runCLI(t *testing.T, f *Factory, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	out, errOut := f.IO.Out.(fmt.Stringer), f.IO.ErrOut.(fmt.Stringer)
	err := Execute(t.Context(), f, args)
	PrintError(f.IO.ErrOut, err)
	return out.String(), errOut.String(), ExitCode(err)
}

// verb builds one command of the tree around a test's runF, as
// newImportCmd(f, runF) does.
type verb func(*Factory) *cobra.Command

// executeWith runs args as [Execute] does, with each verb replacing the
// tree's command of the same name. This is cli/cli's seam (NewCmdX(f,
// runF)): cobra parses the real flags, environment and config file into the
// options, and runF swaps only what reaches outside the process before
// calling the real run function.
func executeWith(ctx context.Context, f *Factory, args []string, verbs ...verb) error {
	root, st := newRoot(f)
	for _, v := range verbs {
		c := v(f)
		for _, old := range root.Commands() {
			if old.Name() == c.Name() {
				root.RemoveCommand(old)
			}
		}
		root.AddCommand(c)
	}
	return execute(ctx, root, st, args)
}

// runCLIWith is [runCLI] through [executeWith].
func runCLIWith(t *testing.T, f *Factory, verbs []verb, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	out, errOut := f.IO.Out.(fmt.Stringer), f.IO.ErrOut.(fmt.Stringer)
	err := executeWith(t.Context(), f, args, verbs...)
	PrintError(f.IO.ErrOut, err)
	return out.String(), errOut.String(), ExitCode(err)
}

// fixedVerbs are diff, import and sync reading the given states instead of
// AD and JumpCloud (AD has no in-memory double: STYLE §1); sync may be nil.
func fixedVerbs(state ReadStateFunc, sync ReadStateFunc) []verb {
	return []verb{
		func(f *Factory) *cobra.Command {
			return newDiffCmd(f, func(ctx context.Context, o *DiffOptions) error {
				o.ReadState = state
				if sync != nil {
					o.SyncState = sync
				}
				return runDiff(ctx, o)
			})
		},
		func(f *Factory) *cobra.Command {
			return newImportCmd(f, func(ctx context.Context, o *ImportOptions) error {
				o.ReadState = state
				return runImport(ctx, o)
			})
		},
		func(f *Factory) *cobra.Command {
			return newSyncCmd(f, func(ctx context.Context, o *SyncOptions) error {
				if sync != nil {
					o.ReadState = sync
				}
				return runSync(ctx, o)
			})
		},
	}
}

func transcript(stdout, stderr string, code int) []byte {
	return []byte(fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", code, stdout, stderr))
}

func TestCLI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tty  bool
		env  map[string]string
		args []string
	}{
		{name: "version", args: []string{"version"}},
		{name: "version_json", args: []string{"version", "-o", "json"}},
		{name: "version_plain", args: []string{"-o", "plain", "version"}},
		{name: "version_extra_arg", args: []string{"version", "extra"}},
		{name: "version_bad_flag", args: []string{"version", "--bogus"}},
		{name: "bad_output", args: []string{"version", "-o", "yaml"}},
		{name: "bad_log_format", args: []string{"version", "--log-format", "xml"}},
		{name: "unknown_command", args: []string{"verison"}},
		{name: "help_exit_codes", args: []string{"help", "exit-codes"}},
		{name: "help_environment", args: []string{"help", "environment"}},
		{name: "help_config_file", args: []string{"help", "config-file"}},
		{name: "help_version", args: []string{"version", "--help"}},
		{name: "config_show", args: []string{"config", "show", "--config", "$TMP/adjc.yaml"}},
		{name: "config_show_tty", tty: true, env: map[string]string{"ADJC_LDAP_URL": "ldaps://dc.example.com", "ADJC_BASE_DN": "DC=example,DC=com", "ADJC_BIND": "svc@example.com"}, args: []string{"config", "show", "--domain", "example.com"}},
		{name: "config_show_json", args: []string{"config", "show", "-o", "json", "--config", "$TMP/adjc.yaml"}},
		{name: "config_show_env", env: map[string]string{"ADJC_LDAP_URL": "ldaps://dc.example.com", "ADJC_BASE_DN": "DC=example,DC=com", "ADJC_BIND": "svc@example.com", "ADJC_BIND_PASSWORD": "hunter2", "ADJC_JC_REGION": "eu"}, args: []string{"config", "show", "--mode", "ad-authority"}},
		{name: "config_show_invalid", args: []string{"config", "show", "--config", "$TMP/adjc.yaml", "--ldap-url", "http://dc", "--base-dn", "nope"}},
		{name: "config_unknown_sub", args: []string{"config", "bogus"}},
		// Boolean settings are switches: the word after one is the command.
		{name: "boolean_flags_before_command", env: map[string]string{"ADJC_LDAP_URL": "ldap://dc.example.com", "ADJC_BASE_DN": "DC=example,DC=com", "ADJC_BIND": "svc@example.com"}, args: []string{"--allow-plaintext", "--start-tls", "config", "show", "--domain", "example.com"}},
		{name: "no_config", args: []string{"diff"}},
		{name: "completion_bash", args: []string{"completion", "bash"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			writeLabConfig(t, tmp)
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			f, ios := testFactory(env)
			ios.SetStdoutTTY(tt.tty)
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "$TMP", tmp)
			}
			stdout, stderr, code := runCLI(t, f, args...)
			if tt.name == "completion_bash" { // cobra's script: check it is there, not its text
				if code != 0 || !strings.Contains(stdout, "__start_adjc") {
					t.Errorf("adjc completion bash: exit %d, stdout lacks __start_adjc", code)
				}
				return
			}
			got := transcript(stdout, stderr, code)
			golden.Assert(t, []byte(strings.ReplaceAll(string(got), tmp, "$TMP")), "commands/cli_"+tt.name+".txt")
		})
	}
}

func writeLabConfig(t *testing.T, dir string) {
	t.Helper()
	yaml := strings.ReplaceAll(`jumpcloud:
  api_url: http://127.0.0.1:8080/api
  api_key_file: $TMP/jc-api-key
domains:
  - name: adjc.lab
    ldap_url: ldaps://127.0.0.1:636
    base_dn: DC=adjc,DC=lab
    bind: jcimport@adjc.lab
    bind_password_file: $TMP/jcimport.pw
state_dir: $TMP/state
`, "$TMP", dir)
	if err := os.WriteFile(filepath.Join(dir, "adjc.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "nil", err: nil, want: 0},
		{name: "plain", err: errors.New("boom"), want: 1},
		{name: "wrapped plain", err: fmt.Errorf("jcapi: list users: %w", errors.New("boom")), want: 1},
		{name: "usage", err: Usagef("bad flag"), want: 2},
		{name: "wrapped usage", err: fmt.Errorf("sync: %w", &UsageError{Err: errors.New("x")}), want: 2},
		{name: "config", err: &config.ValidationError{Problems: []config.Problem{{Field: "x", Msg: "y"}}}, want: 2},
		{name: "wrapped config", err: fmt.Errorf("load: %w", &config.ValidationError{}), want: 2},
		{name: "auth", err: fmt.Errorf("jcapi: %w", ErrAuth), want: 4},
		{name: "pending", err: ErrChangesPending, want: 8},
		{name: "canceled", err: context.Canceled, want: 130},
		{name: "wrapped canceled", err: fmt.Errorf("ldapx: search: %w", context.Canceled), want: 130},
		{name: "canceled beats auth", err: errors.Join(context.Canceled, ErrAuth), want: 130},
		{name: "deadline is a failure", err: context.DeadlineExceeded, want: 1},
		{name: "silent", err: &SilentError{}, want: 1},
		{name: "silent pending", err: &SilentError{Err: ErrChangesPending}, want: 8},
		{name: "silent usage", err: &SilentError{Err: Usagef("x")}, want: 2},
		{name: "hint keeps code", err: WithHint(fmt.Errorf("bind: %w", ErrAuth), "run 'adjc preflight'"), want: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestPrintError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "nil", err: nil, want: ""},
		{name: "plain", err: fmt.Errorf("jcapi: list users: page 3: %w", errors.New("connection reset")), want: "adjc: error: list users: page 3: connection reset\n"},
		{name: "package names left out", err: fmt.Errorf("domain x: %w", fmt.Errorf("ldapx: bind: %w", errors.New("reconcile: no"))), want: "adjc: error: domain x: bind: no\n"},
		{name: "usage", err: &UsageError{Err: errors.New("unknown flag: --x"), Usage: "adjc diff [flags]", Path: "adjc diff"}, want: "adjc: error: unknown flag: --x\nusage: adjc diff [flags]\nrun 'adjc diff --help' for more\n"},
		{name: "hint", err: WithHint(ErrAuth, "run 'adjc preflight'"), want: "adjc: error: authentication failed\nadjc: hint: run 'adjc preflight'\n"},
		{name: "silent", err: &SilentError{Err: errors.New("x")}, want: ""},
		{name: "pending", err: fmt.Errorf("diff: %w", ErrChangesPending), want: ""},
		{name: "interrupted", err: fmt.Errorf("sync: %w", context.Canceled), want: "adjc: interrupted\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			PrintError(&b, tt.err)
			if b.String() != tt.want {
				t.Errorf("PrintError(%v) printed %q, want %q", tt.err, b.String(), tt.want)
			}
		})
	}
}

// TestPrintErrorDetail: with -v the package names stay in, for a developer.
func TestPrintErrorDetail(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	PrintErrorDetail(&b, fmt.Errorf("jcapi: list users: %w", errors.New("boom")), true)
	if want := "adjc: error: jcapi: list users: boom\n"; b.String() != want {
		t.Errorf("PrintErrorDetail(detail) printed %q, want %q", b.String(), want)
	}
}

func TestNewVersionCmd(t *testing.T) {
	t.Parallel()
	f, _ := testFactory(nil)
	NewRootCmd(f) // fills f.Printer
	var got *VersionOptions
	cmd := newVersionCmd(f, func(_ context.Context, o *VersionOptions) error { got = o; return nil })
	cmd.SetArgs([]string{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.IO != f.IO || got.BuildInfo == nil || got.Printer == nil {
		t.Fatalf("newVersionCmd options = %+v, want IO, BuildInfo and Printer from the Factory", got)
	}
	cmd = newVersionCmd(f, func(context.Context, *VersionOptions) error { return nil })
	cmd.SetArgs([]string{"extra"})
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	if err := cmd.Execute(); err == nil {
		t.Error("version extra: err = nil, want an argument error")
	}
}

func TestNewConfigShowCmd(t *testing.T) {
	t.Parallel()
	f, _ := testFactory(nil)
	f.Config = func() (*config.Config, error) { return nil, errors.New("must not be called by the constructor") }
	var got *ConfigShowOptions
	cmd := newConfigShowCmd(f, func(_ context.Context, o *ConfigShowOptions) error { got = o; return nil })
	cmd.SetArgs([]string{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.IO != f.IO || got.Config == nil {
		t.Fatalf("newConfigShowCmd options = %+v", got)
	}
}

func TestRootFlags(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := output.Test()
	ios.SetColorEnabled(true)
	f := NewFactory(ios, func(string) (string, bool) { return "", false })
	f.BuildInfo = fakeBuildInfo
	root, st := newRoot(f)
	root.SetArgs([]string{"-o", "json", "-vv", "--log-format", "json", "--no-color", "version"})
	if err := root.ExecuteContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st.format != output.FormatJSON || st.verbosity != 2 || st.logFormat != "json" || !st.noColor {
		t.Errorf("root flags parsed as %+v", st)
	}
	if ios.ColorEnabled() {
		t.Error("--no-color left colour on")
	}
	if f.logs.level.Level() != slog.LevelDebug || !f.logs.json.Load() {
		t.Errorf("logger level %v json %v, want debug and json", f.logs.level.Level(), f.logs.json.Load())
	}
	if f.Printer().Format != output.FormatJSON {
		t.Errorf("Printer().Format = %q, want json", f.Printer().Format)
	}
}

func TestLogger(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	logger, c := newLogger(&b)
	logger.Info("hidden at the default level")
	c.set(1, "json")
	logger.With("domain", "adjc.lab").Info("user created", "user", "alice", "key", secret.New("hunter2"))
	c.set(0, "text")
	logger.Warn("shown")
	out := b.String()
	if strings.Contains(out, "hidden") || strings.Contains(out, "hunter2") {
		t.Errorf("log output leaks or ignores the level:\n%s", out)
	}
	if !strings.Contains(out, `"msg":"user created"`) || !strings.Contains(out, `"domain":"adjc.lab"`) || !strings.Contains(out, "msg=shown") {
		t.Errorf("log output lacks the expected records:\n%s", out)
	}
}

// Commands must not set PersistentPreRun(E): it would replace the root's,
// which Execute relies on to classify errors.
func TestNoPersistentPreRun(t *testing.T) {
	t.Parallel()
	f, _ := testFactory(nil)
	root := NewRootCmd(f)
	for _, c := range root.Commands() {
		if c.PersistentPreRun != nil || c.PersistentPreRunE != nil {
			t.Errorf("%s sets PersistentPreRun", c.CommandPath())
		}
	}
}
