//go:build !windows

package commands

import (
	"os"
	"os/signal"
	"syscall"
)

// onFullNowSignal calls ask for each SIGUSR1 until the returned stop is
// called: the signal asks a running scheduler for a full reconcile at its
// next tick, as 'adjc schedule full-now' does.
func onFullNowSignal(ask func()) (stop func()) {
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, syscall.SIGUSR1)
	go func() {
		for {
			select {
			case <-ch:
				ask()
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
