package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// WriteJSON writes v as indented JSON followed by a newline. v should be a
// struct or a slice of structs (fixed field order; maps are sorted by key by
// encoding/json, but STYLE.md §5 asks for structs: the shape is an API).
// HTML characters are not escaped: a DN like CN=A&B stays readable.
//
// encoding/json escapes the C0 controls but writes DEL, the C1 controls and
// the bidi and other format characters (U+202E…) as they are; WriteJSON
// writes every rune [Safe] would escape as \uXXXX (a surrogate pair above
// U+FFFF), so JSON on a terminal is as safe as a table, and decodes to the
// same value.
func WriteJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("output: encode json: %w", err)
	}
	_, err := w.Write(escapeJSON(b.Bytes()))
	return err
}

// escapeJSON rewrites the unsafe runes left in encoded JSON. Outside strings
// JSON is printable ASCII and whitespace, so only string contents change.
func escapeJSON(js []byte) []byte {
	var out []byte
	for i := 0; i < len(js); {
		r, size := utf8.DecodeRune(js[i:])
		if r == '\n' || printable(r) || r == utf8.RuneError {
			// encoding/json has already replaced invalid UTF-8 with U+FFFD.
			if out != nil {
				out = append(out, js[i:i+size]...)
			}
			i += size
			continue
		}
		if out == nil {
			out = append(make([]byte, 0, len(js)+16), js[:i]...)
		}
		if r > 0xffff {
			r1, r2 := utf16Pair(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	if out == nil {
		return js
	}
	return out
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}
