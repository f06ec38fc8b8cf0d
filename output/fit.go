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

// runeWidth is displayWidth for one rune.
func runeWidth(r rune) int { return twwidth.Width(string(r)) }

// borderCost is what borders and padding add to a bordered table of n
// columns: "│ " before each cell, " " after it and the closing "│".
func borderCost(n int) int { return 3*n + 1 }

// fitWidths returns the width each column may use so that a bordered table
// of columns as wide as natural fits in total columns. The details column
// (-1 for none) gives up width first, down to a third of the room (or 10
// columns, whichever is more); if that is not enough, every column is
// capped at the largest width that fits, which narrows the widest first.
// A terminal too narrow for even one column per cell gets that anyway.
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
		w[i] = max(min(w[i], limit), 1)
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

// truncateText shortens an escaped value to at most w columns, ending in
// "…". It cuts between runes, never inside one, and never splits a wide
// character; a combining mark stays with the letter before it, because it
// takes no width and so always fits after it.
func truncateText(s string, w int) string {
	if displayWidth(s) <= w {
		return s
	}
	mark := ellipsis
	if displayWidth(mark) > w { // a one-column cell in an East Asian locale
		mark = strings.Repeat(".", max(w, 0))
	}
	room := w - displayWidth(mark)
	var b strings.Builder
	used := 0
	for _, r := range s {
		rw := runeWidth(r)
		if used+rw > room {
			break
		}
		b.WriteRune(r)
		used += rw
	}
	return b.String() + mark
}

// wrapText breaks an escaped value into lines of at most w columns, after a
// space where it can and between runes where a word is longer than a line.
// Spaces at a break are dropped; nothing else is.
func wrapText(s string, w int) []string {
	w = max(w, 1)
	var lines []string
	var line strings.Builder
	used := 0
	flush := func() {
		lines = append(lines, strings.TrimRight(line.String(), " "))
		line.Reset()
		used = 0
	}
	for _, word := range splitAfterSpaces(s) {
		ww := displayWidth(strings.TrimRight(word, " "))
		if used > 0 && used+ww > w {
			flush()
		}
		if used == 0 {
			word = strings.TrimLeft(word, " ")
			if word == "" {
				continue
			}
		}
		for _, r := range word {
			rw := runeWidth(r)
			if used+rw > w && r != ' ' {
				flush()
			}
			if used+rw > w { // a space at the end of a full line
				continue
			}
			line.WriteRune(r)
			used += rw
		}
	}
	if used > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// splitAfterSpaces cuts s after each run of spaces: "a b  c" → "a ", "b  ", "c".
func splitAfterSpaces(s string) []string {
	var words []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && (i+1 == len(s) || s[i+1] != ' ') {
			words = append(words, s[start:i+1])
			start = i + 1
		}
	}
	if start < len(s) {
		words = append(words, s[start:])
	}
	return words
}
