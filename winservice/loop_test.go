package winservice

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// recorder keeps the statuses Loop reports, as the SCM would see them.
type recorder struct {
	mu  sync.Mutex
	got []Status
}

func (r *recorder) report(s Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, s)
}

func (r *recorder) states() []State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []State
	for _, s := range r.got {
		out = append(out, s.State)
	}
	return out
}

func (r *recorder) last() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[len(r.got)-1]
}

func equalStates(a, b []State) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A stop cancels the work's context; the work finishes its "run" (here 25 s
// of fake time, longer than the wait hint) while the loop keeps answering
// the SCM and raising the checkpoint; then Loop returns no error.
func TestLoopStopFinishesTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reqs := make(chan Request)
		rec := &recorder{}
		finished := false
		work := func(ctx context.Context) error {
			<-ctx.Done()
			if !errors.Is(context.Cause(ctx), ErrStopRequested) {
				t.Errorf("cause = %v, want ErrStopRequested", context.Cause(ctx))
			}
			time.Sleep(25 * time.Second) // the current run
			finished = true
			return ctx.Err()
		}
		done := make(chan error, 1)
		go func() { done <- Loop(context.Background(), work, reqs, rec.report) }()
		synctest.Wait()
		if got := rec.states(); !equalStates(got, []State{StartPending, Running}) {
			t.Fatalf("before any request: %v, want starting, running", got)
		}
		if !rec.last().AcceptsStop {
			t.Error("Running does not accept Stop")
		}
		reqs <- InterrogateRequest
		synctest.Wait()
		if s := rec.last(); s.State != Running {
			t.Errorf("interrogate answered %v, want running", s.State)
		}
		reqs <- StopRequest
		synctest.Wait()
		if s := rec.last(); s.State != StopPending || s.AcceptsStop || s.CheckPoint != 1 || s.WaitHint != StopHint {
			t.Errorf("after Stop: %+v, want stopping, checkpoint 1, hint %v, not accepting stop", s, StopHint)
		}
		reqs <- StopRequest // a second stop while stopping is answered, not acted on twice
		reqs <- InterrogateRequest
		time.Sleep(StopHint)
		synctest.Wait()
		if s := rec.last(); s.State != StopPending || s.CheckPoint < 3 {
			t.Errorf("while the run finishes: %+v, want stopping with a growing checkpoint", s)
		}
		select {
		case err := <-done:
			t.Fatalf("Loop returned (%v) before the run finished", err)
		default:
		}
		time.Sleep(20 * time.Second)
		synctest.Wait()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Loop after a requested stop = %v, want nil", err)
			}
		default:
			t.Fatal("Loop did not return after the work did")
		}
		if !finished {
			t.Error("the run did not finish")
		}
		for _, s := range rec.got {
			if s.State == Stopped {
				t.Errorf("Loop reported Stopped itself: svc.Run does that, with the exit code")
			}
		}
	})
}

// Shutdown is a stop too.
func TestLoopShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reqs := make(chan Request)
		rec := &recorder{}
		done := make(chan error, 1)
		go func() {
			done <- Loop(context.Background(), func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, reqs, rec.report)
		}()
		reqs <- ShutdownRequest
		if err := <-done; err != nil {
			t.Errorf("Loop = %v, want nil", err)
		}
		if got := rec.states(); !equalStates(got, []State{StartPending, Running, StopPending}) {
			t.Errorf("states = %v", got)
		}
	})
}

// Work that fails on its own (AD unreachable at start) ends the service
// with its error, after StopPending; the SCM then records the exit code.
func TestLoopWorkFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		rec := &recorder{}
		err := Loop(context.Background(), func(context.Context) error { return boom }, make(chan Request), rec.report)
		if !errors.Is(err, boom) {
			t.Errorf("Loop = %v, want boom", err)
		}
		if got := rec.states(); !equalStates(got, []State{StartPending, Running, StopPending}) {
			t.Errorf("states = %v", got)
		}
	})
}

// A work error that is not the context's own is kept even after a stop.
func TestLoopErrorAfterStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("audit log not writable")
		reqs := make(chan Request)
		done := make(chan error, 1)
		go func() {
			done <- Loop(context.Background(), func(ctx context.Context) error { <-ctx.Done(); return boom }, reqs, func(Status) {})
		}()
		reqs <- StopRequest
		if err := <-done; !errors.Is(err, boom) {
			t.Errorf("Loop = %v, want the work's error", err)
		}
	})
}
