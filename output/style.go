package output

import (
	"io"

	"github.com/charmbracelet/lipgloss"
)

// Style is the role a piece of text plays; [Streams.Style] turns it into
// colour when colour is on and leaves the text alone when it is off. Roles,
// not colours, so every command paints the same thing the same way.
type Style int

// The roles. Plans print Added/Changed/Removed beside their "+", "~", "-";
// preflight prints Pass/Warn/Fail.
const (
	Plain   Style = iota // no styling
	Header               // table headers, section titles
	Muted                // secondary text: sources, hints
	Added                // "+ user alice"
	Changed              // "~ group eng"
	Removed              // "- user bob"
	Pass                 // a check that passed
	Warn                 // a warning
	Fail                 // a failure or an error
)

func (s *Streams) lipglossStyle(st Style) lipgloss.Style {
	base := s.renderer.NewStyle()
	switch st {
	case Header:
		return base.Bold(true)
	case Muted:
		return base.Faint(true)
	case Added, Pass:
		return base.Foreground(lipgloss.Color("2")) // green
	case Changed, Warn:
		return base.Foreground(lipgloss.Color("3")) // yellow
	case Removed, Fail:
		return base.Foreground(lipgloss.Color("1")) // red
	default:
		return base
	}
}

// Style renders text, escaped with [Safe], in the role st. With colour off
// it returns the escaped text alone, so goldens and pipes never see an
// escape sequence; with colour on the only escape sequences in the result
// are the style's own. Text that must keep its line breaks is styled one
// line at a time.
func (s *Streams) Style(st Style, text string) string {
	text = Safe(text)
	if !s.color || st == Plain {
		return text
	}
	return s.lipglossStyle(st).Render(text)
}

// WriteLine writes text, escaped and styled as st (see [Streams.Style]), and
// a newline to s.Out: the way to print a title or a summary line that may
// hold a value from AD or JumpCloud.
func (s *Streams) WriteLine(st Style, text string) error {
	_, err := io.WriteString(s.Out, s.Style(st, text)+"\n")
	return err
}
