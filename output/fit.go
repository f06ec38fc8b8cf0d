package output

import (
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// ellipsis marks a shortened value.
const ellipsis = "…"

// displayWidth is how many terminal columns s takes. It is tablewriter's
// own measure (East Asian wide characters count 2, combining marks 0), so
// the widths computed here are the ones tablewriter draws.
func displayWidth(s string) int { return twwidth.Width(s) }

// borderCost is what borders and padding add to a bordered table of n
// columns: "│ " before each cell, " " after it and the closing "│".
func borderCost(n int) int { return 3*n + 1 }

// fitWidths returns the width each column may use so that a bordered table
// of columns as wide as natural fits in total columns. The details column
// (-1 for none) gives up width first, down to a third of the room (or 10
// columns, whichever is more); if that is not enough, every column is
// capped at the largest width that fits, which narrows the widest first.
// A terminal too narrow for even one column per cell gets that anyway,
// and a wider table than it.
func fitWidths(natural []int, details, total int) []int {
	w := append([]int(nil), natural...)
	room := total - borderCost(len(w))
	if sum(w) <= room {
		return w
	}
	if details >= 0 && details < len(w) {
		others := sum(w) - w[details]
		floor := min(natural[details], max(10, room/3))
		w[details] = max(room-others, floor)
		if sum(w) <= room {
			return w
		}
	}
	limit := 0
	for _, x := range w {
		limit = max(limit, x)
	}
	for ; limit > 1; limit-- {
		capped := 0
		for _, x := range w {
			capped += min(x, limit)
		}
		if capped <= room {
			break
		}
	}
	for i := range w {
		w[i] = min(w[i], limit)
	}
	return w
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// truncateText escapes a value with [Safe] and shortens it to at most w
// columns, ending in "…". It cuts between runes, never inside one, never
// splits a wide character and never an escape like \u202e; a combining mark
// stays with the letter before it, because it takes no width and so always
// fits after it.
func truncateText(raw string, w int) string {
	safe := Safe(raw)
	if displayWidth(safe) <= w {
		return safe
	}
	mark := ellipsis
	if displayWidth(mark) > w { // a one-column cell in an East Asian locale
		mark = strings.Repeat(".", max(w, 0))
	}
	room := w - displayWidth(mark)
	var b strings.Builder
	used := 0
	for _, u := range safeUnits(raw) {
		uw := displayWidth(u)
		if used+uw > room {
			break
		}
		b.WriteString(u)
		used += uw
	}
	return b.String() + mark
}

// wrapText escapes a value with [Safe] and breaks it into lines of at most w
// columns: after a space where it can, between units (see truncateText)
// where a word is longer than a line. Spaces at a break are dropped.
func wrapText(raw string, w int) []string {
	w = max(w, 1)
	var lines []string
	var line strings.Builder
	used := 0
	flush := func() {
		lines = append(lines, strings.TrimRight(line.String(), " "))
		line.Reset()
		used = 0
	}
	for _, word := range splitWords(safeUnits(raw)) {
		if used > 0 && used+wordWidth(word) > w {
			flush()
		}
		for _, u := range word {
			uw := displayWidth(u)
			if u == " " && (used == 0 || used+uw > w) {
				continue // no space opens or overflows a line
			}
			if used+uw > w {
				flush()
			}
			line.WriteString(u)
			used += uw
		}
	}
	if used > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// splitWords cuts units after each run of spaces: "a b  c" → "a ", "b  ", "c".
func splitWords(units []string) [][]string {
	var words [][]string
	start := 0
	for i, u := range units {
		if u == " " && (i+1 == len(units) || units[i+1] != " ") {
			words = append(words, units[start:i+1])
			start = i + 1
		}
	}
	if start < len(units) {
		words = append(words, units[start:])
	}
	return words
}

// wordWidth is the width of a word without its trailing spaces.
func wordWidth(word []string) int {
	n := 0
	for _, u := range word {
		if u != " " {
			n += displayWidth(u)
		}
	}
	return n
}
