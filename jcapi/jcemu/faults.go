// This file holds fault injection: chaos, faults for the next matching
// calls, and the call counts tests read.

package jcemu

import (
	"net/http"
	"path"
	"strings"
	"time"
)

// Chaos is random trouble applied to every call.
type Chaos struct {
	Rate429 float64       // share of calls answered 429 before processing
	Rate5xx float64       // share of calls answered 503 before processing
	Latency time.Duration // added to every call
}

// SetChaos replaces the random faults and latency.
func (s *Server) SetChaos(c Chaos) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chaos = c
}

// Fault makes the next Times calls matching Method and Path fail.
type Fault struct {
	// Method matches the HTTP method; "" matches any.
	Method string
	// Path is a path.Match pattern on the URL path, e.g. "/api/systemusers"
	// or "/api/v2/usergroups/*/members"; "" matches any.
	Path string
	// Times is how many matching calls fail (default 1).
	Times int
	// Status answers the call with this status and an error body, without
	// processing it (429, 500, 503, …).
	Status int
	// RetryAfter, with Status, sends a Retry-After header in whole seconds.
	RetryAfter time.Duration
	// Drop processes the call, then closes the connection without an
	// answer: the client cannot tell whether it happened.
	Drop bool
	// Skew, on a list call, adds this to the request's skip before it is
	// served: -limit serves the previous page again, -1 a page shifted by
	// one (as when an object is created ahead of the reader between pages),
	// +n skips n objects (as when one is deleted).
	Skew int
	// After lets this many matching calls through untouched before the
	// fault applies, e.g. After: 1 to hit the second page of a list.
	After int
	// Empty answers a list call with 200, an empty list and a total of 0,
	// consistent in itself: a list that reads as emptied (a v2 member list
	// answered as [] by a service having a bad moment).
	Empty bool
}

// FailNext schedules a fault. Faults are checked in the order scheduled.
func (s *Server) FailNext(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times < 1 {
		f.Times = 1
	}
	s.fails = append(s.fails, &f)
}

// Calls returns how many calls each route served, keyed like
// "GET /api/systemusers" (the route pattern, not the concrete path).
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// TotalCalls returns how many calls the server received, faults included.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// ResetCalls zeroes the call counters.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls, s.total = map[string]int{}, 0
}

func (s *Server) takeFault(r *http.Request) *Fault {
	for i, f := range s.fails {
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if f.Path != "" {
			if ok, _ := path.Match(f.Path, r.URL.Path); !ok {
				continue
			}
		}
		if f.After > 0 {
			f.After-- // this call passes this fault; a later one may still match
			continue
		}
		f.Times--
		if f.Times <= 0 {
			s.fails = append(s.fails[:i], s.fails[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}
