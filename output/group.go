package output

import "io"

// Group is a run of a table's rows that share the text of one column (the
// kind of object, in a plan), with the title printed above them.
type Group struct {
	Key   string   // the grouping column's text, the same in every row
	Title string   // printed above the rows on a terminal, e.g. a [TotalLine]
	Rows  [][]Cell // in the table's order
}

// Groups splits t's rows by the text of column col. Groups come in the order
// of their first row and rows keep their order inside a group, so a table
// sorted by that column (a plan is sorted by kind) gives one group per key.
// Titles are left empty for the caller to fill.
func (t Table) Groups(col int) []Group {
	var groups []Group
	index := map[string]int{}
	for _, row := range t.Rows {
		key := ""
		if col < len(row) {
			key = row[col].Text
		}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, Group{Key: key})
		}
		groups[i].Rows = append(groups[i].Rows, row)
	}
	return groups
}

// CountRows returns how many rows hold text in column col: with a plan's
// action column, CountRows(g.Rows, 0, "+") is the number of creates.
func CountRows(rows [][]Cell, col int, text string) int {
	n := 0
	for _, row := range rows {
		if col < len(row) && row[col].Text == text {
			n++
		}
	}
	return n
}

// WriteGroups writes t's rows as groups split on column col (see
// [Table.Groups]); title returns the line printed above each group, e.g.
//
//	func(g output.Group) string {
//		return output.TotalLine(g.Key+"s",
//			output.Count{N: output.CountRows(g.Rows, 0, "+"), What: "to create"},
//			output.Count{N: output.CountRows(g.Rows, 0, "~"), What: "to update"})
//	}
//
// which prints "users: 3 to create, 1 to update".
//
// On a terminal each group is its title (styled as a header) over a bordered
// table of its rows, the grouping column left out (the title names it), with
// the same column widths in every group and no row wider than the terminal,
// as [Streams.WriteTable] does. Anywhere else it is exactly WriteTable's
// tab-separated table of t: one header, every row with its grouping column,
// no titles, so a pipe sees the same shape grouped or not.
func (s *Streams) WriteGroups(t Table, col int, title func(Group) string) error {
	if !s.stdoutTTY {
		return writeTSV(s.Out, t.Headers, t.Rows, true)
	}
	groups := t.Groups(col)
	headers := dropColumn(t.Headers, col)
	details := t.details - 1
	switch {
	case details == col:
		details = -1
	case details > col:
		details--
	}
	shown := make([][][]Cell, len(groups)) // each group's rows without the grouping column
	var all [][]Cell
	for i, g := range groups {
		shown[i] = dropColumns(g.Rows, col)
		all = append(all, shown[i]...)
	}
	l := s.newLayout(headers, all, details)
	for i, g := range groups {
		if i > 0 {
			if _, err := io.WriteString(s.Out, "\n"); err != nil {
				return err
			}
		}
		if title != nil {
			if err := s.WriteLine(Header, truncateText(title(g), l.width)); err != nil {
				return err
			}
		}
		if err := s.writeBordered(headers, shown[i], l); err != nil {
			return err
		}
	}
	return s.writeShortenedNote(l)
}

func dropColumn[T any](row []T, col int) []T {
	if col < 0 || col >= len(row) {
		return row
	}
	out := make([]T, 0, len(row)-1)
	out = append(out, row[:col]...)
	return append(out, row[col+1:]...)
}

func dropColumns(rows [][]Cell, col int) [][]Cell {
	out := make([][]Cell, len(rows))
	for i, r := range rows {
		out[i] = dropColumn(r, col)
	}
	return out
}
