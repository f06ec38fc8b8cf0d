package output

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes v as indented JSON followed by a newline. v should be a
// struct or a slice of structs (fixed field order; maps are sorted by key by
// encoding/json, but STYLE.md §5 asks for structs: the shape is an API).
// HTML characters are not escaped: a DN like CN=A&B stays readable.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("output: encode json: %w", err)
	}
	return nil
}
