package commands

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
)

func TestNewScheduleCmd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    ScheduleOptions
		wantErr bool
	}{
		{name: "defaults", args: nil, want: ScheduleOptions{Interval: 90 * time.Second, Concurrency: 4}},
		{name: "all", args: []string{"--interval", "2m", "--watch", "--metrics-addr", "127.0.0.1:9464", "--health-max-age", "10m", "--import"},
			want: ScheduleOptions{Interval: 2 * time.Minute, WatchChanges: true, MetricsAddr: "127.0.0.1:9464", HealthMaxAge: 10 * time.Minute, Import: true, Concurrency: 4}},
		{name: "sync", args: []string{"--sync", "--no-unsuspend"}, want: ScheduleOptions{Interval: 90 * time.Second, Sync: true, NoUnsuspend: true, Concurrency: 4}},
		{name: "import and sync", args: []string{"--import", "--sync"}, wantErr: true},
		{name: "bad interval", args: []string{"--interval", "soon"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, _ := testFactory(nil)
			var got *ScheduleOptions
			cmd := newScheduleCmd(f, func(_ context.Context, o *ScheduleOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(f.IO.Out)
			cmd.SetErr(f.IO.ErrOut)
			err := cmd.ExecuteContext(t.Context())
			if tt.wantErr {
				if err == nil {
					t.Errorf("schedule %v = nil, want an error", tt.args)
				}
				return
			}
			if err != nil {
				t.Fatalf("schedule %v = %v", tt.args, err)
			}
			if got.Interval != tt.want.Interval || got.WatchChanges != tt.want.WatchChanges || got.MetricsAddr != tt.want.MetricsAddr ||
				got.HealthMaxAge != tt.want.HealthMaxAge || got.Import != tt.want.Import || got.Sync != tt.want.Sync ||
				got.NoUnsuspend != tt.want.NoUnsuspend || got.Concurrency != tt.want.Concurrency {
				t.Errorf("schedule %v options = %+v, want %+v", tt.args, *got, tt.want)
			}
		})
	}
}

func TestRunScheduleUsage(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{Domains: []config.Domain{{Name: "adjc.lab", Mode: config.ModeADAuthority}}}
	tests := []struct {
		name string
		opts ScheduleOptions
	}{
		{name: "interval too short", opts: ScheduleOptions{Interval: time.Second, Concurrency: 1}},
		{name: "sync in ad-authority", opts: ScheduleOptions{Interval: time.Minute, Concurrency: 1, Sync: true}},
		{name: "no state folder", opts: ScheduleOptions{Interval: time.Minute, Concurrency: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := tt.opts
			o.Config = func() (*config.Config, error) { return cfg, nil }
			o.policy = policyFlags{onDisabled: "suspend", onRemoved: "delete", maxDeletes: 10, maxDeletePercent: 10}
			err := runSchedule(t.Context(), &o)
			if ExitCode(err) != ExitUsage {
				t.Errorf("runSchedule(%s) = %v (exit %d), want a usage error", tt.name, err, ExitCode(err))
			}
		})
	}
}

func TestScheduleDirections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode             config.Mode
		onlyImport, only bool
		imp, syn         bool
		err              bool
	}{
		{mode: config.ModeADAuthority, imp: true},
		{mode: config.ModeJCAuthority, syn: true},
		{mode: config.ModeTwoWay, imp: true, syn: true},
		{mode: config.ModeTwoWay, onlyImport: true, imp: true},
		{mode: config.ModeTwoWay, only: true, syn: true},
		{mode: config.ModeJCAuthority, onlyImport: true, err: true},
		{mode: config.ModeADAuthority, only: true, err: true},
	}
	for _, tt := range tests {
		imp, syn, err := scheduleDirections(&config.Domain{Name: "d", Mode: tt.mode}, tt.onlyImport, tt.only)
		var usage *UsageError
		if imp != tt.imp || syn != tt.syn || (err != nil) != tt.err || (err != nil && !errors.As(err, &usage)) {
			t.Errorf("scheduleDirections(%s, import=%v, sync=%v) = %v, %v, %v", tt.mode, tt.onlyImport, tt.only, imp, syn, err)
		}
	}
}

// TestSchedulePasswordSyncFlags: the delivery's flags are password-sync's
// own, prefixed, and fill the options schedule runs it with.
func TestSchedulePasswordSyncFlags(t *testing.T) {
	t.Parallel()
	f, _ := testFactory(nil)
	var got *ScheduleOptions
	cmd := newScheduleCmd(f, func(_ context.Context, o *ScheduleOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--password-sync-source", "stdin", "--password-sync-retry-for", "30s", "--password-sync-smb-conf", "/etc/samba/smb.conf",
		"--password-sync-never-touch", "breakglass"})
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	p := got.Password
	if p.Source != "stdin" || p.RetryFor != 30*time.Second || p.SMBConf != "/etc/samba/smb.conf" || len(p.NeverTouch) != 1 || p.SambaTool != "samba-tool" {
		t.Errorf("password sync options = %+v", *p)
	}
}

// TestSchedulePasswordSyncUsage: password_sync settings that cannot work
// are usage errors before anything is dialled or locked.
func TestSchedulePasswordSyncUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ok := PasswordSyncOptions{Source: "samba", RetryFor: time.Minute, flagPrefix: "password-sync-"}
	tests := []struct {
		name string
		mode config.Mode
		ha   bool
		pw   PasswordSyncOptions
		want string
	}{
		{name: "jc-authority", mode: config.ModeJCAuthority, pw: ok, want: "jc-authority"},
		{name: "with ha", mode: config.ModeADAuthority, ha: true, pw: ok, want: "ha.etcd"},
		{name: "bad source", mode: config.ModeADAuthority, pw: PasswordSyncOptions{Source: "pigeon", RetryFor: time.Minute, flagPrefix: "password-sync-"}, want: "--password-sync-source"},
		{name: "no retry", mode: config.ModeTwoWay, pw: PasswordSyncOptions{Source: "samba", flagPrefix: "password-sync-"}, want: "--password-sync-retry-for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := &config.Config{StateDir: dir, AuditLog: dir + "/audit.jsonl",
				Domains: []config.Domain{{Name: "adjc.lab", Mode: tt.mode, PasswordSync: true}}}
			if tt.ha {
				cfg.HA.Endpoints = []string{"https://127.0.0.1:1"}
			}
			pw := tt.pw
			o := ScheduleOptions{Interval: time.Minute, Concurrency: 1, Password: &pw,
				Config: func() (*config.Config, error) { return cfg, nil },
				policy: policyFlags{onDisabled: "suspend", onRemoved: "delete", maxDeletes: 10, maxDeletePercent: 10}}
			err := runSchedule(t.Context(), &o)
			if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("runSchedule(%s) = %v (exit %d), want a usage error naming %q", tt.name, err, ExitCode(err), tt.want)
			}
		})
	}
}
