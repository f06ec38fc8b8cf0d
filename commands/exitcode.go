package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
)

// Exit statuses (STYLE.md §8). `adjc help exit-codes` documents them.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitPartial     = 3
	ExitAuth        = 4
	ExitPending     = 8
	ExitInterrupted = 130
)

// UsageError is a bad flag, argument or configuration value: exit 2, and
// the usage line is printed after the message.
type UsageError struct {
	Err error
	// Usage is the command's usage line ("adjc version [flags]") and Path
	// its name ("adjc version"); [Execute] fills them in when empty.
	Usage string
	Path  string
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a *UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// SilentError is a failure that has already been reported to the user: main
// prints nothing. The exit status is the one Err maps to, or 1 without Err.
type SilentError struct{ Err error }

func (e *SilentError) Error() string {
	if e.Err == nil {
		return "silent error"
	}
	return e.Err.Error()
}
func (e *SilentError) Unwrap() error { return e.Err }

// ErrChangesPending is returned by `diff --detailed-exitcode` when the plan
// is not empty: exit 8, nothing printed beyond the plan itself.
var ErrChangesPending = errors.New("changes pending")

// ErrAuth marks an authentication failure: exit 4. Wrap it (with %w) around
// a rejected credential; jcapi.ErrUnauthorized and
// ldapx.ErrInvalidCredentials map to 4 as well.
var ErrAuth = errors.New("authentication failed")

// hintError carries a suggestion printed after the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// WithHint attaches a hint that main prints on its own line after the error,
// as "adjc: hint: <hint>".
func WithHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: hint}
}

// ExitCode maps an error returned by a command to the process exit status.
// It is the only place that does so, and it uses errors.Is and errors.As only.
func ExitCode(err error) int {
	var (
		silent *SilentError
		usage  *UsageError
		badCfg *config.ValidationError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &silent):
		if silent.Err == nil {
			return ExitFailure
		}
		return ExitCode(silent.Err)
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &usage), errors.As(err, &badCfg):
		return ExitUsage
	// Partial before auth: once some changes were applied, that one side
	// moved without the other matters more to a script than why the rest
	// failed (e.g. 'sync password' set AD, then JumpCloud refused the key).
	case errors.As(err, new(*reconcile.PartialError)), errors.As(err, new(*pipeline.HeldError)):
		return ExitPartial
	case errors.Is(err, ErrAuth), errors.Is(err, jcapi.ErrUnauthorized), errors.Is(err, ldapx.ErrInvalidCredentials):
		return ExitAuth
	case errors.Is(err, ErrChangesPending):
		return ExitPending
	default:
		return ExitFailure
	}
}

// PrintError reports err on w (stderr) once, as "adjc: error: …", followed
// by the usage line for a usage error and by any hint. It prints nothing for
// nil, a [SilentError] or [ErrChangesPending], and "adjc: interrupted" for a
// cancelled context.
func PrintError(w io.Writer, err error) { PrintErrorDetail(w, err, false) }

// packagePrefix matches the package names Go code puts before its errors
// ("ldapx: ", "jcapi: "): detail for a developer, noise for an operator.
var packagePrefix = regexp.MustCompile(`\b(ldapx|jcapi|jcemu|reconcile|schedule|adwatch|config|adapter|planfile|pipeline|preflight|secret|output): `)

// PrintErrorDetail is [PrintError] that keeps the package names inside the
// message when detail is set (-v); without it they are left out, so the
// error says what failed in the operator's terms.
func PrintErrorDetail(w io.Writer, err error, detail bool) {
	var (
		silent *SilentError
		usage  *UsageError
		hint   *hintError
	)
	switch {
	case err == nil, errors.As(err, &silent), errors.Is(err, ErrChangesPending):
		return
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(w, "adjc: interrupted")
		return
	}
	msg := strings.TrimRight(err.Error(), "\n")
	if !detail {
		msg = packagePrefix.ReplaceAllString(msg, "")
	}
	fmt.Fprintf(w, "adjc: error: %s\n", output.SafeLines(msg))
	if errors.As(err, &usage) && usage.Usage != "" {
		fmt.Fprintf(w, "usage: %s\n", usage.Usage)
		if usage.Path != "" {
			fmt.Fprintf(w, "run '%s --help' for more\n", usage.Path)
		}
	}
	if errors.As(err, &hint) {
		fmt.Fprintf(w, "adjc: hint: %s\n", output.SafeLines(hint.hint))
	}
}
