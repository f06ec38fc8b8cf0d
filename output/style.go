package output

import "github.com/charmbracelet/lipgloss"

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

// Style renders text in the role st. With colour off it returns text
// unchanged, so goldens and pipes never see escape sequences.
func (s *Streams) Style(st Style, text string) string {
	if !s.color || st == Plain {
		return text
	}
	return s.lipglossStyle(st).Render(text)
}
