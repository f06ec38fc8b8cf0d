package commands

// onFullNowSignal does nothing on Windows, which has no SIGUSR1: 'adjc
// schedule full-now' asks for a full reconcile there.
func onFullNowSignal(func()) (stop func()) { return func() {} }
