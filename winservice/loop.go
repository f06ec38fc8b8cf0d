package winservice

import (
	"context"
	"errors"
	"time"
)

// State is a service's state as the SCM knows it (the values of
// SERVICE_STOPPED … SERVICE_RUNNING, so a Windows status converts as is).
type State uint32

const (
	Stopped      State = 1
	StartPending State = 2
	StopPending  State = 3
	Running      State = 4
)

func (s State) String() string {
	switch s {
	case Stopped:
		return "stopped"
	case StartPending:
		return "starting"
	case StopPending:
		return "stopping"
	case Running:
		return "running"
	case 5:
		return "continuing"
	case 6:
		return "pausing"
	case 7:
		return "paused"
	}
	return "unknown"
}

// Request is a control request from the SCM that [Loop] acts on; every
// other control code arrives as Interrogate's sibling, Other.
type Request int

const (
	InterrogateRequest Request = iota // report the current status again
	StopRequest                       // the administrator (or sc stop) asked to stop
	ShutdownRequest                   // the machine is shutting down
	OtherRequest                      // anything else: answered with the current status
)

// Status is what [Loop] reports: the state, whether it takes Stop and
// Shutdown requests now, and during StopPending a checkpoint that grows
// while the work finishes (the SCM's sign that the service is not hung).
type Status struct {
	State       State
	AcceptsStop bool
	CheckPoint  uint32
	WaitHint    time.Duration
}

// StopHint is the wait hint reported while stopping; [Loop] raises the
// checkpoint every StopHint/2 until the work returns, however long the
// current run takes.
const StopHint = 10 * time.Second

// ErrStopRequested is the cause of the context [Loop] gives the work when
// the SCM asked it to stop.
var ErrStopRequested = errors.New("the service manager asked adjc to stop")

// Loop runs work under a context that a Stop or Shutdown request cancels
// (cause [ErrStopRequested]), and reports the service's status through
// report: StartPending, then Running, then StopPending once a stop was
// asked or the work returned on its own. It returns the work's error when
// the work returned; the caller reports Stopped with it (x/sys's svc.Run
// does). requests must be drained promptly, which Loop does until the work
// returns: the SCM waits on each request it sends.
func Loop(ctx context.Context, work func(context.Context) error, requests <-chan Request, report func(Status)) error {
	report(Status{State: StartPending, WaitHint: StopHint})
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan error, 1)
	go func() { done <- work(ctx) }()

	cur := Status{State: Running, AcceptsStop: true}
	report(cur)
	var tick <-chan time.Time
	for {
		select {
		case err := <-done:
			if cur.State != StopPending {
				report(Status{State: StopPending, CheckPoint: cur.CheckPoint + 1, WaitHint: StopHint})
			}
			if errors.Is(err, context.Canceled) && errors.Is(context.Cause(ctx), ErrStopRequested) {
				err = nil // the stop asked for, not a failure
			}
			return err
		case r := <-requests:
			switch r {
			case StopRequest, ShutdownRequest:
				if cur.State == StopPending {
					report(cur)
					continue
				}
				cur = Status{State: StopPending, CheckPoint: 1, WaitHint: StopHint}
				report(cur)
				cancel(ErrStopRequested)
				t := time.NewTicker(StopHint / 2)
				defer t.Stop()
				tick = t.C
			default:
				report(cur)
			}
		case <-tick:
			cur.CheckPoint++
			report(cur)
		}
	}
}
