package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Cell is one table cell: its text and the role it is painted in.
type Cell struct {
	Text  string
	Style Style
}

// C returns an unstyled cell.
func C(text string) Cell { return Cell{Text: text} }

// S returns a cell painted in style st.
func S(st Style, text string) Cell { return Cell{Text: text, Style: st} }

// Table is a header row and data rows, in the order they are printed: the
// caller sorts rows (STYLE.md §5), the table never reorders them.
type Table struct {
	Headers []string
	Rows    [][]Cell
}

// AddRow appends a row of cells.
func (t *Table) AddRow(cells ...Cell) { t.Rows = append(t.Rows, cells) }

// AddStrings appends a row of unstyled cells.
func (t *Table) AddStrings(texts ...string) {
	row := make([]Cell, len(texts))
	for i, s := range texts {
		row[i] = C(s)
	}
	t.Rows = append(t.Rows, row)
}

// WriteTable writes t to s.Out: with borders on a TTY, otherwise as
// tab-separated lines (header first) that are never truncated or styled.
func (s *Streams) WriteTable(t Table) error {
	if !s.stdoutTTY {
		return writeTSV(s.Out, t, true)
	}
	return s.writeBordered(t)
}

// WriteTSV writes t's rows as tab-separated lines without the header, the
// format of --output plain.
func (s *Streams) WriteTSV(t Table) error { return writeTSV(s.Out, t, false) }

// tsvEscaper keeps one record per line and one field per tab, whatever a
// value holds (an AD description may contain both).
var tsvEscaper = strings.NewReplacer("\t", " ", "\r\n", " ", "\n", " ", "\r", " ")

func writeTSV(w io.Writer, t Table, header bool) error {
	var b strings.Builder
	line := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(tsvEscaper.Replace(f))
		}
		b.WriteByte('\n')
	}
	if header && len(t.Headers) > 0 {
		line(t.Headers)
	}
	for _, row := range t.Rows {
		fields := make([]string, len(row))
		for i, c := range row {
			fields[i] = c.Text
		}
		line(fields)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (s *Streams) writeBordered(t Table) error {
	tbl := tablewriter.NewTable(s.Out,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off), // headers are printed as given
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	if len(t.Headers) > 0 {
		hs := make([]any, len(t.Headers))
		for i, h := range t.Headers {
			hs[i] = s.Style(Header, h)
		}
		tbl.Header(hs...)
	}
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = s.Style(c.Style, tsvEscaper.Replace(c.Text))
		}
		if err := tbl.Append(cells); err != nil {
			return fmt.Errorf("output: table row: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("output: render table: %w", err)
	}
	return nil
}
