//go:build windows

package winservice

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// ErrUnsupported is never returned on Windows; it exists so callers build
// on every OS.
var ErrUnsupported = errors.New("unsupported")

// IsService reports whether the SCM started this process (x/sys's test:
// the parent is services.exe in session 0). Wine's services.exe fails the
// test, so [Run] does not depend on it.
func IsService() (bool, error) { return svc.IsWindowsService() }

type handler struct {
	name     string
	work     func(context.Context) error
	exitCode func(error) uint32
	err      error
}

// event writes one line to the Application event log under the service's
// source (registered by Install), for administrators who look there
// first; the full log is adjc's own. Failures are ignored: the log file
// has the same lines.
func (h *handler) event(fail bool, code uint32, msg string) {
	l, err := eventlog.Open(h.name)
	if err != nil {
		return
	}
	defer l.Close()
	if fail {
		_ = l.Error(code, msg)
		return
	}
	_ = l.Info(1, msg)
}

func (h *handler) Execute(_ []string, in <-chan svc.ChangeRequest, out chan<- svc.Status) (bool, uint32) {
	reqs := make(chan Request)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case c := <-in:
				r := OtherRequest
				switch c.Cmd {
				case svc.Interrogate:
					r = InterrogateRequest
				case svc.Stop:
					r = StopRequest
				case svc.Shutdown:
					r = ShutdownRequest
				}
				select {
				case reqs <- r:
				case <-stop:
					return
				}
			case <-stop:
				return
			}
		}
	}()
	h.event(false, 0, "adjc service "+h.name+" started")
	h.err = Loop(context.Background(), h.work, reqs, func(s Status) {
		st := svc.Status{State: svc.State(s.State), CheckPoint: s.CheckPoint, WaitHint: uint32(s.WaitHint / time.Millisecond)}
		if s.AcceptsStop {
			st.Accepts = svc.AcceptStop | svc.AcceptShutdown
		}
		out <- st
	})
	if h.err != nil {
		code := h.exitCode(h.err)
		h.event(true, code, fmt.Sprintf("adjc service %s stopped with exit code %d: %v", h.name, code, h.err))
		return true, code
	}
	h.event(false, 0, "adjc service "+h.name+" stopped")
	return true, 0
}

// Run connects to the SCM as service name and runs work under [Loop]; it
// returns work's error, or an error saying the process was not started by
// the SCM. exitCode maps work's error to the service-specific exit code
// the SCM records (and its recovery actions react to).
func Run(name string, work func(context.Context) error, exitCode func(error) uint32) error {
	h := &handler{name: name, work: work, exitCode: exitCode}
	if err := svc.Run(name, h); err != nil {
		if errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
			return fmt.Errorf("not started by the service manager: 'adjc service run' is what the %s service runs; start it with 'adjc service start', or run 'adjc schedule' or 'adjc password-sync' in a console", name)
		}
		return fmt.Errorf("service %s: %w", name, err)
	}
	return h.err
}

// Install registers spec with the SCM (automatic start as LocalSystem) and
// as a source of the Application event log, with recovery actions restarting it after a failure (5 s, 30 s, then 5
// minutes; the count resets after a day). It returns warnings for the
// settings the SCM refused that the service works without (Wine refuses
// the flag that applies recovery to a non-zero exit, not only a crash).
func Install(spec Spec) ([]string, error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, fmt.Errorf("connect to the service manager (run as an administrator): %w", err)
	}
	defer m.Disconnect()
	start := uint32(mgr.StartAutomatic)
	if spec.Manual {
		start = mgr.StartManual
	}
	s, err := m.CreateService(spec.Name, spec.Exe, mgr.Config{DisplayName: spec.DisplayName, Description: spec.Description,
		StartType: start, ErrorControl: mgr.ErrorNormal}, spec.Args...)
	if errors.Is(err, windows.ERROR_SERVICE_EXISTS) {
		return nil, fmt.Errorf("service %s is installed already: 'adjc service uninstall' first to change it", spec.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("create service %s: %w", spec.Name, err)
	}
	defer s.Close()
	var warn []string
	actions := []mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second}, {Type: mgr.ServiceRestart, Delay: 5 * time.Minute}}
	if err := s.SetRecoveryActions(actions, uint32((24 * time.Hour).Seconds())); err != nil {
		warn = append(warn, fmt.Sprintf("recovery actions not set (the service is not restarted after a failure): %v", err))
	} else if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		warn = append(warn, fmt.Sprintf("recovery applies to crashes only, not to a failed start (exit code): %v", err))
	}
	// The service's start, stop and failure also go to the Application
	// event log, under a source named after it.
	if err := eventlog.InstallAsEventCreate(spec.Name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		warn = append(warn, fmt.Sprintf("no event log source (start, stop and failures go to the log file only): %v", err))
	}
	return warn, nil
}

func open(name string) (*mgr.Mgr, *mgr.Service, error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the service manager: %w", err)
	}
	s, err := m.OpenService(name)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		m.Disconnect()
		return nil, nil, fmt.Errorf("service %s: %w", name, ErrNotInstalled)
	}
	if err != nil {
		m.Disconnect()
		return nil, nil, fmt.Errorf("open service %s: %w", name, err)
	}
	return m, s, nil
}

// Uninstall stops the service when it runs (its current run finishes
// first) and removes its registration.
func Uninstall(ctx context.Context, name string) error {
	if _, err := Stop(ctx, name); err != nil {
		return err
	}
	m, s, err := open(name)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	if err := s.Delete(); err != nil {
		return fmt.Errorf("delete service %s: %w", name, err)
	}
	_ = eventlog.Remove(name) // absent when install could not add it
	return nil
}

// Start starts the service and waits until it runs; already reports that
// it was running.
func Start(ctx context.Context, name string) (already bool, err error) {
	m, s, err := open(name)
	if err != nil {
		return false, err
	}
	defer m.Disconnect()
	defer s.Close()
	if err := s.Start(); errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
		already = true
	} else if err != nil {
		return false, fmt.Errorf("start service %s: %w", name, err)
	}
	st, err := wait(ctx, s, Running)
	if err != nil {
		return already, err
	}
	if State(st.State) == Stopped {
		return already, fmt.Errorf("service %s stopped while starting, with exit code %d: see its log", name, st.ServiceSpecificExitCode)
	}
	return already, nil
}

// Stop asks the service to stop and waits until it has (after its current
// run); already reports that it was not running.
func Stop(ctx context.Context, name string) (already bool, err error) {
	m, s, err := open(name)
	if err != nil {
		return false, err
	}
	defer m.Disconnect()
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		return false, fmt.Errorf("query service %s: %w", name, err)
	}
	if State(st.State) == Stopped {
		return true, nil
	}
	if _, err := s.Control(svc.Stop); err != nil && !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
		return false, fmt.Errorf("stop service %s: %w", name, err)
	}
	_, err = wait(ctx, s, Stopped)
	return false, err
}

// wait polls until the service is in want or stopped, or ctx ends.
func wait(ctx context.Context, s *mgr.Service, want State) (svc.Status, error) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		st, err := s.Query()
		if err != nil {
			return st, fmt.Errorf("query service %s: %w", s.Name, err)
		}
		if State(st.State) == want || State(st.State) == Stopped {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("service %s is still %s: %w", s.Name, State(st.State), context.Cause(ctx))
		case <-t.C:
		}
	}
}

// Query reports the service's registration and status; a service that
// is not registered is Info{Installed: false} and no error.
func Query(name string) (Info, error) {
	m, s, err := open(name)
	if errors.Is(err, ErrNotInstalled) {
		return Info{}, nil
	}
	if err != nil {
		return Info{}, err
	}
	defer m.Disconnect()
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		return Info{}, fmt.Errorf("query service %s: %w", name, err)
	}
	info := Info{Installed: true, State: State(st.State), ExitCode: st.ServiceSpecificExitCode, PID: st.ProcessId}
	// QueryServiceConfig alone: mgr's Config also asks for settings Wine
	// does not keep (delayed start, SID type) and fails there.
	n := uint32(1024)
	for {
		b := make([]byte, n)
		p := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&b[0]))
		err := windows.QueryServiceConfig(s.Handle, p, n, &n)
		if errors.Is(err, syscall.ERROR_INSUFFICIENT_BUFFER) && n > uint32(len(b)) {
			continue
		}
		if err != nil {
			return info, fmt.Errorf("query the configuration of service %s: %w", name, err)
		}
		info.CommandLine = windows.UTF16PtrToString(p.BinaryPathName)
		info.Account = windows.UTF16PtrToString(p.ServiceStartName)
		switch p.StartType {
		case mgr.StartAutomatic:
			info.StartType = "automatic"
		case mgr.StartManual:
			info.StartType = "manual"
		case mgr.StartDisabled:
			info.StartType = "disabled"
		default:
			info.StartType = fmt.Sprint(p.StartType)
		}
		return info, nil
	}
}
