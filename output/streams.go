package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/term"
)

// defaultWidth is used when stdout is not a terminal or its size is unknown.
const defaultWidth = 80

// Streams is the process's standard IO plus the facts about it that output
// depends on. Build it with [System] in main and [Test] in tests; commands
// receive it through the Factory and never look at os.Stdout themselves.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	color     bool
	width     int
	detailed  bool

	// readSecret reads a line without echo; nil when stdin is not a terminal.
	readSecret func() (string, error)

	renderer *lipgloss.Renderer
}

// System returns Streams for the real stdin, stdout and stderr. lookupEnv is
// os.LookupEnv in main; it is consulted once, here, for NO_COLOR, CLICOLOR
// and CLICOLOR_FORCE (see [ColorWanted]).
func System(lookupEnv func(string) (string, bool)) *Streams {
	s := &Streams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		width:     defaultWidth,
	}
	if s.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			s.width = w
		}
	}
	if s.stdinTTY {
		fd := int(os.Stdin.Fd())
		s.readSecret = func() (string, error) {
			b, err := term.ReadPassword(fd)
			return string(b), err
		}
	}
	s.color = ColorWanted(s.stdoutTTY, lookupEnv)
	s.resetRenderer()
	return s
}

// Test returns Streams on in-memory buffers: nothing is a TTY, colour is off
// and the width is 80. The buffers are stdin, stdout and stderr.
func Test() (s *Streams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	s = &Streams{In: in, Out: out, ErrOut: errOut, width: defaultWidth}
	s.resetRenderer()
	return s, in, out, errOut
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// ColorWanted decides whether stdout gets colour, following
// https://no-color.org and https://bixense.com/clicolors:
// NO_COLOR (non-empty) turns it off whatever else is set; CLICOLOR_FORCE
// (non-empty, not "0") turns it on even when stdout is not a terminal;
// CLICOLOR=0 turns it off; otherwise colour is on exactly when stdout is a TTY.
func ColorWanted(stdoutTTY bool, lookupEnv func(string) (string, bool)) bool {
	get := func(k string) string {
		if lookupEnv == nil {
			return ""
		}
		v, _ := lookupEnv(k)
		return v
	}
	switch {
	case get("NO_COLOR") != "":
		return false
	case get("CLICOLOR_FORCE") != "" && get("CLICOLOR_FORCE") != "0":
		return true
	case get("CLICOLOR") == "0":
		return false
	default:
		return stdoutTTY
	}
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *Streams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *Streams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *Streams) IsStderrTTY() bool { return s.stderrTTY }

// ColorEnabled reports whether output to stdout may carry colour.
func (s *Streams) ColorEnabled() bool { return s.color }

// Width returns the terminal width of stdout, or 80 when it is not a terminal.
func (s *Streams) Width() int { return s.width }

// CanPrompt reports whether the user can be asked a question: both stdin and
// stderr (where prompts go) are terminals.
func (s *Streams) CanPrompt() bool { return s.stdinTTY && s.stderrTTY }

// SetStdinTTY overrides TTY detection for stdin (tests).
func (s *Streams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides TTY detection for stdout (tests).
func (s *Streams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides TTY detection for stderr (tests).
func (s *Streams) SetStderrTTY(v bool) { s.stderrTTY = v }

// SetWidth overrides the terminal width (tests).
func (s *Streams) SetWidth(w int) { s.width = w }

// SetDetailed chooses what a table on a terminal does with a value too wide
// for its column: false (the default) shortens it with an ellipsis, true
// wraps it over several lines so it is shown in full. Commands set it from
// --detailed. Tables that are not on a terminal are never shortened.
func (s *Streams) SetDetailed(v bool) { s.detailed = v }

// Detailed reports whether tables on a terminal show full values; see
// [Streams.SetDetailed].
func (s *Streams) Detailed() bool { return s.detailed }

// SetColorEnabled turns colour on or off; --no-color calls it with false.
func (s *Streams) SetColorEnabled(v bool) {
	s.color = v
	s.resetRenderer()
}

// SetSecretReader replaces the no-echo line reader used by [Streams.ReadSecret]
// (tests; a nil function means "no terminal to read from").
func (s *Streams) SetSecretReader(read func() (string, error)) { s.readSecret = read }

// WriteErrLine writes text, escaped with [Safe], and a newline to s.ErrOut:
// the way to print a note, a warning or a confirmation question on stderr
// ("Saved the plan to …") when it may hold a path, a domain or a name.
// Unstyled: colour is decided for stdout only.
func (s *Streams) WriteErrLine(text string) error {
	_, err := io.WriteString(s.ErrOut, Safe(text)+"\n")
	return err
}

// ErrNoTerminal is returned by [Streams.ReadSecret] when there is no terminal
// to prompt on.
var ErrNoTerminal = errors.New("no terminal to prompt on")

// ReadSecret writes prompt to stderr and reads one line from the terminal
// without echoing it. It returns [ErrNoTerminal] when stdin or stderr is not
// a terminal, so a script never hangs waiting for a password.
func (s *Streams) ReadSecret(prompt string) (string, error) {
	if !s.CanPrompt() || s.readSecret == nil {
		return "", ErrNoTerminal
	}
	fmt.Fprint(s.ErrOut, Safe(prompt)) // a prompt can name a user from AD
	v, err := s.readSecret()
	fmt.Fprintln(s.ErrOut) // the user's Enter was not echoed
	if err != nil {
		return "", fmt.Errorf("read from terminal: %w", err)
	}
	return strings.TrimRight(v, "\r\n"), nil
}

// resetRenderer binds a lipgloss renderer to Out with a profile that follows
// the colour decision. The profile is always set explicitly: lipgloss would
// otherwise inspect the writer and environment itself (and termenv.WithProfile
// is not honoured by lipgloss v1, see lipgloss issue #267).
func (s *Streams) resetRenderer() {
	r := lipgloss.NewRenderer(s.Out)
	// Styles use the 16 basic colours, never adaptive ones, so lipgloss never
	// queries the terminal for its background colour.
	r.SetHasDarkBackground(true)
	if s.color {
		r.SetColorProfile(termenv.ANSI)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	s.renderer = r
}
