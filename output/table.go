package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Cell is one table cell: its text and the role it is painted in. The text
// is data, as read from AD or JumpCloud: renderers escape it with [Safe].
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

	details int // 1 + the index of the details column; 0 when there is none
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

// SetDetails marks column col (counted from 0) as the table's details
// column: the long, least important one (a plan's field values). When a
// table is wider than the terminal, this column gives up its width first;
// the others are narrowed only if that is not enough.
func (t *Table) SetDetails(col int) { t.details = col + 1 }

// WriteTable writes t to s.Out.
//
// On a terminal it draws borders and no row is wider than [Streams.Width]:
// the details column (see [Table.SetDetails]), then if need be the widest
// other columns, are narrowed; a value that does not fit is shortened with
// "…" and a note under the table says how many were, or, when
// [Streams.Detailed] is set, wrapped onto more lines so it is shown in full.
//
// Anywhere else it writes tab-separated lines, header first, never
// shortened, wrapped or styled, so `cut -f` works. A header cell left empty
// for the terminal (the action column of a plan) is written as "-", so the
// header line never starts with a tab.
//
// Every header and cell goes through [Safe] in both forms: a tab or a
// newline inside a value is escaped and cannot split a cell or a row.
func (s *Streams) WriteTable(t Table) error {
	if !s.stdoutTTY {
		return writeTSV(s.Out, t.Headers, t.Rows, true)
	}
	l := s.newLayout(t.Headers, t.Rows, t.details-1)
	if err := s.writeBordered(t.Headers, t.Rows, l); err != nil {
		return err
	}
	return s.writeShortenedNote(l)
}

// WriteTSV writes t's rows as tab-separated lines without the header, the
// format of --output plain. Values are escaped with [Safe].
func (s *Streams) WriteTSV(t Table) error { return writeTSV(s.Out, t.Headers, t.Rows, false) }

func writeTSV(w io.Writer, headers []string, rows [][]Cell, header bool) error {
	var b strings.Builder
	line := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(Safe(f))
		}
		b.WriteByte('\n')
	}
	if header && len(headers) > 0 {
		hs := make([]string, len(headers))
		for i, h := range headers {
			hs[i] = h
			if h == "" {
				hs[i] = "-"
			}
		}
		line(hs)
	}
	for _, row := range rows {
		fields := make([]string, len(row))
		for i, c := range row {
			fields[i] = c.Text
		}
		line(fields)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// layout is how wide each column of a bordered table may be, and what
// happens to a value wider than that.
type layout struct {
	widths    []int
	wrap      bool // Streams.Detailed: wrap long values instead of shortening them
	width     int  // the terminal's width
	shortened int  // values shortened so far, for the note under the table
}

// newLayout measures the escaped headers and cells and fits the columns into
// the terminal's width.
func (s *Streams) newLayout(headers []string, rows [][]Cell, details int) *layout {
	n := len(headers)
	for _, r := range rows {
		n = max(n, len(r))
	}
	natural := make([]int, n)
	for i, h := range headers {
		natural[i] = max(natural[i], displayWidth(Safe(h)))
	}
	for _, r := range rows {
		for i, c := range r {
			natural[i] = max(natural[i], displayWidth(Safe(c.Text)))
		}
	}
	width := s.width
	if width <= 0 { // a terminal that reports no size
		width = defaultWidth
	}
	return &layout{widths: fitWidths(natural, details, width), wrap: s.detailed, width: width}
}

// fit returns the lines a value takes in column col, escaped, each padded
// to the column's width so tables drawn with one layout line up.
func (l *layout) fit(raw string, col int, counted bool) []string {
	w := l.widths[col]
	var lines []string
	switch safe := Safe(raw); {
	case displayWidth(safe) <= w:
		lines = []string{safe}
	case l.wrap:
		lines = wrapText(raw, w)
	default:
		lines = []string{truncateText(raw, w)}
		if counted {
			l.shortened++
		}
	}
	for i, ln := range lines {
		if pad := w - displayWidth(ln); pad > 0 {
			lines[i] = ln + strings.Repeat(" ", pad)
		}
	}
	return lines
}

func (s *Streams) writeBordered(headers []string, rows [][]Cell, l *layout) error {
	tbl := tablewriter.NewTable(s.Out,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off), // headers are printed as given
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone), // layout has already fitted every value
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	if len(headers) > 0 {
		hs := make([]any, len(l.widths))
		for i := range l.widths {
			h := ""
			if i < len(headers) {
				h = headers[i]
			}
			hs[i] = s.styleLines(Header, l.fit(h, i, false))
		}
		tbl.Header(hs...)
	}
	for _, row := range rows {
		cells := make([]string, len(l.widths))
		for i := range l.widths {
			c := Cell{}
			if i < len(row) {
				c = row[i]
			}
			cells[i] = s.styleLines(c.Style, l.fit(c.Text, i, true))
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

// styleLines paints each line on its own (a style must not span the line
// break tablewriter splits a cell at) and joins them into one cell. The
// padding stays outside the style.
func (s *Streams) styleLines(st Style, lines []string) string {
	for i, ln := range lines {
		text := strings.TrimRight(ln, " ")
		lines[i] = s.Style(st, text) + ln[len(text):]
	}
	return strings.Join(lines, "\n")
}

// writeShortenedNote tells the reader that some values are not shown in
// full and how to see them.
func (s *Streams) writeShortenedNote(l *layout) error {
	if l.shortened == 0 {
		return nil
	}
	note := fmt.Sprintf("%s shortened to fit %d columns; --detailed shows them in full",
		Plural(l.shortened, "value", "values"), l.width)
	return s.WriteLine(Muted, truncateText(note, l.width))
}
