package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/adjc/adjc/commands"
)

// TestPrintErrorEscapes checks that an error or hint quoting a hostile value
// (issue 14, point 5) reaches stderr with its control characters escaped
// and its own line structure intact.
func TestPrintErrorEscapes(t *testing.T) {
	t.Parallel()
	err := commands.WithHint(
		errors.New("create user \"\x1b]0;owned\a\x1b[1A\x1b[2Kmallory\u202e\": rejected\nsecond \x00line"),
		"rename \x1b[31mmallory\u2066 in AD")
	var b strings.Builder
	printError(&b, err, false)
	want := `adjc: error: create user "\x1b]0;owned\a\x1b[1A\x1b[2Kmallory\u202e": rejected` + "\n" +
		`second \x00line` + "\n" +
		`adjc: hint: rename \x1b[31mmallory\u2066 in AD` + "\n"
	if b.String() != want {
		t.Errorf("printError = %q, want %q", b.String(), want)
	}
}
