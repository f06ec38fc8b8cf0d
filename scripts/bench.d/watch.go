package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/reconcile"
)

// serveLoopback serves h on a free loopback port and returns the API base
// URL and a function that stops serving.
func serveLoopback(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/api", func() { srv.Close() }, nil
}

// measureWatch times AD change → JumpCloud effect with `adjc schedule
// --watch --import` running on the imported fixture: for each sample it
// changes one in-scope user's givenName over LDAP and waits for the
// emulator to finish the resulting write to that system user. The clock
// starts before the LDAP modify is sent and stops when the emulator has
// answered the write, so the figure includes the notification, DirSync,
// the debounce, the run (AD and JumpCloud reads, plan) and the API call.
func measureWatch(ctx context.Context, o options, l *lab, logf logFunc) ([]row, error) {
	p50 := row{Name: "watch-p50", Unit: "s", Target: "< 1 s", TargetMax: 1, Baseline: "vendor poll", BaselineValue: 90,
		What: fmt.Sprintf("AD change → JumpCloud effect, adjc schedule --watch, %d users / %d groups", o.users, o.groups)}
	p99 := row{Name: "watch-p99", Unit: "s", Target: "< 3 s", TargetMax: 3, Baseline: "vendor poll", BaselineValue: 90,
		What: "same samples, 99th percentile (nearest rank) in the median column"}
	if _, err := ensureImported(ctx, o, l, logf); err != nil {
		return nil, err
	}
	// Users to change: enabled, unprivileged, with a username and email.
	c, err := l.dial(ctx, false)
	if err != nil {
		return nil, err
	}
	dir, err := adapter.ReadDirectory(ctx, c, adapter.ReadOptions{RootContainer: l.scope(), JumpCloudGroup: jumpCloudGroup, AdminsGroup: adminsGroup})
	c.Close()
	if err != nil {
		return nil, err
	}
	var targets []reconcile.ADUser
	for _, u := range dir.Users {
		if !u.Disabled && !u.Privileged && u.Mail != "" && u.Username != "" {
			targets = append(targets, u)
		}
	}
	if len(targets) < o.watchSamples {
		return nil, fmt.Errorf("only %d users to change", len(targets))
	}

	e, err := startEmulator(o, l, o.jcCache)
	if err != nil {
		return nil, err
	}
	defer e.close()
	cfg, err := writeConfig(o, l, e)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := adjcCmd(runCtx, o, cfg, "schedule", "--watch", "--import", "--interval", "1h", "-v", "--log-format", "json")
	cmd.Cancel = func() error { return cmd.Process.Signal(interruptSignal) }
	cmd.WaitDelay = 10 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer cmd.Wait()
	defer cancel()
	runs := make(chan map[string]any, 64)
	var mu sync.Mutex
	var lastLines []string // the schedule's last stderr lines, for errors
	recent := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(lastLines, "\n")
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			mu.Lock()
			lastLines = append(lastLines[max(0, len(lastLines)-20):], sc.Text())
			mu.Unlock()
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			if msg, _ := m["msg"].(string); strings.HasPrefix(msg, "run ") {
				runs <- m
			}
		}
		close(runs)
	}()
	waitRun := func(trigger string, timeout time.Duration) (map[string]any, error) {
		t := time.NewTimer(timeout)
		defer t.Stop()
		for {
			select {
			case m, ok := <-runs:
				if !ok {
					return nil, fmt.Errorf("adjc schedule exited:\n%s", recent())
				}
				if m["trigger"] == trigger {
					if m["msg"] != "run finished" {
						return nil, fmt.Errorf("%s run: %v: %v", trigger, m["msg"], m["error"])
					}
					return m, nil
				}
			case <-t.C:
				return nil, fmt.Errorf("no %s run within %v:\n%s", trigger, timeout, recent())
			}
		}
	}
	first, err := waitRun("start", 5*time.Minute)
	if err != nil {
		return nil, err
	}
	logf("schedule up: first run %s, planned %v", dur(first["duration"]), first["planned"])
	time.Sleep(time.Second) // let the watch connection settle after the first run

	admin, err := l.dial(ctx, true)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	// Put every changed givenName back once the schedule has stopped, so
	// the lab still matches the cached JumpCloud org (the no-op cycle and a
	// later run rely on it). Deferred calls run last-in first-out: this one
	// runs after cancel and cmd.Wait above it are registered, so first.
	changed := map[string]string{}
	defer func() {
		cancel()
		cmd.Wait()
		for dn, given := range changed {
			if err := admin.Modify(context.WithoutCancel(ctx), dn, map[string][]string{"givenName": {given}}); err != nil {
				logf("watch: could not restore givenName of %s: %v", dn, err)
			}
		}
	}()
	var internal []float64
	for i := range o.watchSamples {
		u := targets[(i*7919)%len(targets)]
		for len(e.writes) > 0 {
			<-e.writes
		}
		if _, ok := changed[u.DN]; !ok {
			changed[u.DN] = u.GivenName
		}
		start := time.Now()
		if err := admin.Modify(ctx, u.DN, map[string][]string{"givenName": {fmt.Sprintf("W%d-%d", i, start.UnixNano()%1e6)}}); err != nil {
			return nil, err
		}
		var at time.Time
		select {
		case at = <-e.writes:
		case <-time.After(60 * time.Second):
			return nil, fmt.Errorf("sample %d: no JumpCloud write within 60 s of changing %s", i+1, u.DN)
		}
		lat := at.Sub(start).Seconds()
		p50.Runs = append(p50.Runs, lat)
		m, err := waitRun("watch", 60*time.Second)
		if err != nil {
			return nil, err
		}
		if v, ok := m["propagation_latency"].(float64); ok {
			internal = append(internal, v) // seconds: adjc's JSON log writes durations so
		}
		logf("watch sample %d: %.3f s (run %s, targeted %v)", i+1, lat, dur(m["duration"]), m["targeted"])
		time.Sleep(300 * time.Millisecond)
	}
	p99.Runs, p99.Pct = p50.Runs, 99
	if len(internal) > 0 {
		p50.Note = fmt.Sprintf("adjc's own propagation_latency (notification → run end) median %.3f s", median(internal))
	}
	return []row{p50, p99}, nil
}

// dur formats a duration from adjc's JSON log, which writes durations in
// seconds (commands' durationSeconds), not slog's nanoseconds.
func dur(v any) string {
	if f, ok := v.(float64); ok {
		return time.Duration(f * float64(time.Second)).Round(time.Millisecond).String()
	}
	return fmt.Sprint(v)
}
