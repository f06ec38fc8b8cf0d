package output

import (
	"fmt"
	"io"
)

// Format is the value of --output.
type Format string

// The formats --output accepts.
const (
	FormatTable Format = "table" // for people: a table or a styled report
	FormatJSON  Format = "json"  // for programs: a stable, golden-tested shape
	FormatPlain Format = "plain" // for shell pipelines: tab-separated, no header
)

// Formats lists the accepted --output values, for help text and completion.
func Formats() []string {
	return []string{string(FormatTable), string(FormatJSON), string(FormatPlain)}
}

// ParseFormat checks an --output value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatTable, FormatJSON, FormatPlain:
		return f, nil
	default:
		return "", fmt.Errorf("invalid output format %q: want table, json or plain", s)
	}
}

// Tabular is a result that can be shown as a [Table].
type Tabular interface {
	Table() Table
}

// Report is a result that prints itself for people (a plan, a preflight
// report) rather than as a table. It writes through s so it can use styles,
// and it prints every value from outside through [Streams.WriteTable],
// [Streams.WriteLine], [Streams.Style] or [Safe], never raw to s.Out.
type Report interface {
	Report(s *Streams) error
}

// Printer writes results to a Streams in the format chosen by --output.
type Printer struct {
	IO     *Streams
	Format Format
}

// NewPrinter returns a Printer; an empty format means [FormatTable].
func NewPrinter(s *Streams, f Format) *Printer {
	if f == "" {
		f = FormatTable
	}
	return &Printer{IO: s, Format: f}
}

// Print writes v:
//   - json: v marshalled with [WriteJSON];
//   - table: v's own [Report] if it has one, else its [Tabular] table through
//     [Streams.WriteTable] (bordered on a TTY, tab-separated otherwise);
//   - plain: v's [Tabular] rows, tab-separated, no header, no styles; or,
//     for a value with a WritePlain(io.Writer) method, its own lines, passed
//     through [SafeLines] so they cannot carry a terminal escape.
//
// Tables and styled text are escaped with [Safe] wherever they are written;
// JSON escapes control characters itself.
//
// A value that supports none of these for the format is a programming error.
func (p *Printer) Print(v any) error {
	switch p.Format {
	case FormatJSON:
		return WriteJSON(p.IO.Out, v)
	case FormatPlain:
		if t, ok := v.(Tabular); ok {
			return p.IO.WriteTSV(t.Table())
		}
		if w, ok := v.(interface{ WritePlain(io.Writer) error }); ok {
			sw := &safeWriter{w: p.IO.Out}
			if err := w.WritePlain(sw); err != nil {
				return err
			}
			return sw.Flush()
		}
	case FormatTable, "":
		if r, ok := v.(Report); ok {
			return r.Report(p.IO)
		}
		if t, ok := v.(Tabular); ok {
			return p.IO.WriteTable(t.Table())
		}
	}
	return fmt.Errorf("output: %T cannot be printed as %q", v, p.Format)
}
