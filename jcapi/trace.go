package jcapi

import (
	"context"
	"sync/atomic"
)

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

// Calls counts the HTTP requests sent on behalf of a context, every attempt
// included (a retried call counts each time it is sent): what a run cost in
// JumpCloud's request budget. Safe for concurrent use.
type Calls struct {
	n      atomic.Int64
	parent *Calls
}

type callsKey struct{}

// CountCalls returns a context whose requests, on any client, are counted
// by the returned Calls. Counting nests: a request counted by an inner
// Calls is counted by the outer ones too.
func CountCalls(ctx context.Context) (context.Context, *Calls) {
	c := &Calls{parent: callsFrom(ctx)}
	return context.WithValue(ctx, callsKey{}, c), c
}

// N returns the requests counted so far.
func (c *Calls) N() int64 {
	if c == nil {
		return 0
	}
	return c.n.Load()
}

func (c *Calls) add() {
	for ; c != nil; c = c.parent {
		c.n.Add(1)
	}
}

func callsFrom(ctx context.Context) *Calls {
	c, _ := ctx.Value(callsKey{}).(*Calls)
	return c
}
