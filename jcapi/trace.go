package jcapi

import "context"

// Trace is a set of hooks a caller attaches to a context to watch the
// requests made on its behalf, as net/http/httptrace does for one request:
// commands count a read's responses to show progress, while jcapi itself
// stays free of terminals and logs. Hooks may be called concurrently.
type Trace struct {
	// Response is called once per response received (any status), after
	// its body is read.
	Response func(method, path string, status int)
}

type traceKey struct{}

// WithTrace returns a context whose requests call t's hooks.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

func traceFrom(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}
