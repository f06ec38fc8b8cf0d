package jcapi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// Sentinel errors matched by [APIError] through errors.Is.
var (
	ErrUnauthorized = errors.New("jcapi: unauthorized") // 401: missing or bad API key, or x-org-id missing for a multi-tenant admin
	ErrForbidden    = errors.New("jcapi: forbidden")    // 403
	ErrNotFound     = errors.New("jcapi: not found")    // 404
	ErrConflict     = errors.New("jcapi: conflict")     // 409
	ErrRateLimited  = errors.New("jcapi: rate limited") // 429 after every retry was spent
	ErrBadRequest   = errors.New("jcapi: bad request")  // 400
	ErrServer       = errors.New("jcapi: server error") // 5xx after every retry was spent
)

// APIError is a non-2xx answer from JumpCloud. The body follows the spec's
// components.schemas.Error / ErrorDetails: {code, message, status, details}.
type APIError struct {
	// Method and Path locate the call (the path has ids but never the key).
	Method string
	Path   string
	// Status is the HTTP status code.
	Status int
	// Code is the body's "status" field: a stable machine code such as
	// INVALID_ARGUMENT (v1) or invalidName (v2). It may be empty.
	Code string
	// Message is the body's "message" field, or the HTTP status text.
	Message string
	// Details are the body's google.rpc-style details; with
	// fullValidationDetails=password they name the password rules that failed.
	Details []ErrorDetail
	// RetryAfter is the response's Retry-After, if it sent one.
	RetryAfter time.Duration
}

// ErrorDetail is one element of an error's details array.
type ErrorDetail struct {
	Type            string           `json:"@type,omitempty"`
	FieldViolations []FieldViolation `json:"fieldViolationsList,omitempty"`
}

// FieldViolation names a field and the rule it broke, e.g.
// {field: "password", description: "passwordHistory"}.
type FieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", strings.TrimRight(e.Message, "."))
	}
	if v := e.FieldViolations(); len(v) > 0 {
		parts := make([]string, len(v))
		for i, fv := range v {
			parts[i] = fv.Field + ": " + fv.Description
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	return b.String()
}

// FieldViolations returns every field violation in the details, in order.
func (e *APIError) FieldViolations() []FieldViolation {
	var out []FieldViolation
	for _, d := range e.Details {
		out = append(out, d.FieldViolations...)
	}
	return out
}

// Is matches the sentinel error for the status code.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrBadRequest:
		return e.Status == http.StatusBadRequest
	case ErrServer:
		return e.Status >= 500
	}
	return false
}

// UnreachableError is a call that got no answer from the API at URL in any
// of its attempts: the host name does not resolve, the connection is
// refused or reset, or no answer came in time.
type UnreachableError struct {
	URL      string // the v1 base URL
	Attempts int
	Err      error // the last attempt's failure
}

// Error implements error: the URL, what failed in plain words, and the call.
func (e *UnreachableError) Error() string {
	tries := "1 attempt"
	if e.Attempts != 1 {
		tries = fmt.Sprintf("%d attempts", e.Attempts)
	}
	why := Unreachable(e.Err)
	var te *transportError
	if why != "no answer" && errors.As(e.Err, &te) {
		// The cause has a name: the call is enough, not Go's dial chain.
		return fmt.Sprintf("could not reach the JumpCloud API at %s (%s, %s): %s %s", e.URL, why, tries, te.method, te.path)
	}
	return fmt.Sprintf("could not reach the JumpCloud API at %s (%s, %s): %v", e.URL, why, tries, e.Err)
}

// Unwrap returns the last attempt's failure.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Unreachable says in a few words why a request got no answer: "the host
// name does not resolve", "connection refused", "no answer in time", or
// "no answer" when the cause has no better name.
func Unreachable(err error) string {
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		return "the host name does not resolve"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer in time"
	}
	return "no answer"
}
