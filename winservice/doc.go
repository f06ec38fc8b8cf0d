// Package winservice runs adjc as a native Windows service and manages its
// registration with the Service Control Manager (SCM), so that neither the
// password filter's pipe server nor the scheduler needs a third-party
// wrapper on a Windows host.
//
// [Loop] is the service's state machine, kept free of Windows types so it
// is tested on every OS: it starts the work, reports StartPending, Running,
// StopPending as the SCM expects, and turns a Stop or Shutdown request into
// a cancelled context, so the work finishes what it is doing (schedule's
// current run) before the service reports Stopped. On Windows, [Run] binds
// it to golang.org/x/sys/windows/svc, and [Install], [Uninstall], [Start],
// [Stop] and [Query] drive the SCM through golang.org/x/sys/windows/svc/mgr.
// On other OSes they return [ErrUnsupported]: there, systemd units run
// adjc (scripts/adjc.service, scripts/adjc-password-sync.service).
package winservice
