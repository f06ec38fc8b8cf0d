package output

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Safe returns s with everything a terminal could act on made visible, so a
// value read from Active Directory or JumpCloud (a givenName, a description,
// an error from a server) can never move the cursor, retitle the window,
// clear the screen or reorder the line around it.
//
// Every rune [strconv.IsPrint] rejects is written the way Go writes it in a
// quoted string: ESC becomes \x1b, NUL \x00, a tab \t, a newline \n, the
// right-to-left override U+202E \u202e. That covers the C0 and C1 controls,
// DEL, the bidi embeddings, overrides and isolates (U+202A–U+202E,
// U+2066–U+2069), the other format characters (zero-width space and joiner,
// soft hyphen, tag characters), line and paragraph separators, private-use
// and unassigned code points, and every space other than U+0020. A byte that
// is not valid UTF-8 becomes \xNN. Letters, marks, digits, punctuation and
// symbols of every script pass unchanged, so "Ünïcödé 中文" stays readable.
//
// A backslash is left alone (AD distinguished names are full of them), so
// a value that literally holds the text `\x1b` looks the same as one holding
// ESC: the output is safe to show, not a lossless encoding. Use JSON for that.
//
// Safe is idempotent: its output holds only printable runes.
func Safe(s string) string { return escape(s, false) }

// SafeLines is [Safe] for text of several lines (an error that joins
// several, a message with a hint): it keeps '\n' as a line break and
// escapes everything else Safe escapes, the tab and the carriage return
// included.
func SafeLines(s string) string { return escape(s, true) }

func escape(s string, keepNewline bool) string {
	i := firstUnsafe(s, keepNewline)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	eachUnit(s[i:], keepNewline, func(u string) { b.WriteString(u) })
	return b.String()
}

// eachUnit calls fn with s cut into what a reader sees as one piece: a
// printable rune as it is, or the escape that replaces an unsafe one ("\x1b",
// "\u202e"). Renderers that shorten or wrap a value cut between units, so a
// cut never falls inside an escape.
func eachUnit(s string, keepNewline bool, fn func(string)) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fn(fmt.Sprintf(`\x%02x`, s[i]))
		case printable(r) || (keepNewline && r == '\n'):
			fn(s[i : i+size])
		default:
			q := strconv.QuoteRune(r) // '\x1b', '\u202e', '\t'
			fn(q[1 : len(q)-1])
		}
		i += size
	}
}

// safeUnits is s escaped with [Safe], as a list of units (see eachUnit).
func safeUnits(s string) []string {
	units := make([]string, 0, len(s))
	eachUnit(s, false, func(u string) { units = append(units, u) })
	return units
}

// firstUnsafe returns the index of the first byte escape must change, or -1.
func firstUnsafe(s string, keepNewline bool) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
		if !printable(r) && !(keepNewline && r == '\n') {
			return i
		}
	}
	return -1
}

// printable is the one definition of a rune that may reach a terminal as is.
// strconv.IsPrint already rejects the format characters (category Cf, which
// holds every bidi control), so nothing needs adding to it.
func printable(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 0x20 && r < 0x7f
	}
	return strconv.IsPrint(r)
}

// safeWriter passes text through [SafeLines] on its way to w, for renderers
// that write lines themselves (a value's WritePlain). It keeps the bytes of
// a rune split across two writes until the rest arrives; Flush writes what
// is left.
type safeWriter struct {
	w       io.Writer
	pending []byte
}

func (sw *safeWriter) Write(p []byte) (int, error) {
	buf := append(sw.pending, p...)
	// Hold back an incomplete rune at the end (at most 3 bytes).
	cut := len(buf)
	for back := 1; back <= 3 && back <= len(buf); back++ {
		c := buf[len(buf)-back]
		if c < utf8.RuneSelf {
			break
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(buf[len(buf)-back:]) {
				cut = len(buf) - back
			}
			break
		}
	}
	sw.pending = append([]byte(nil), buf[cut:]...)
	if _, err := io.WriteString(sw.w, SafeLines(string(buf[:cut]))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a trailing incomplete rune, escaped.
func (sw *safeWriter) Flush() error {
	if len(sw.pending) == 0 {
		return nil
	}
	_, err := io.WriteString(sw.w, SafeLines(string(sw.pending)))
	sw.pending = nil
	return err
}
