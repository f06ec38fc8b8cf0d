package commands

import (
	"context"
	"errors"
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
