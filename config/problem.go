package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem is one thing wrong with the configuration: the field, the bad
// value (never a secret), where the value came from, what is wrong and how
// to fix it.
type Problem struct {
	// Field is the YAML path ("domains[0].base_dn"), or the flag or variable
	// when the problem is with one ("--domain").
	Field  string
	Value  string
	Source Source
	Msg    string
	Fix    string
}

// String renders the problem on one line, plus a second for the fix:
//
//	domains[0].base_dn = "DC=example,,DC=com" (file adjc.yaml:7): not a valid DN: …
//	    fix: write it as RDNs separated by commas, e.g. DC=example,DC=com
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Field)
	if p.Value != "" {
		b.WriteString(" = ")
		b.WriteString(strconv.Quote(p.Value))
	}
	if p.Source.Kind != KindDefault || p.Source.Name != "" {
		fmt.Fprintf(&b, " (%s)", p.Source)
	}
	b.WriteString(": ")
	b.WriteString(p.Msg)
	if p.Fix != "" {
		b.WriteString("\n    fix: ")
		b.WriteString(p.Fix)
	}
	return b.String()
}

// ValidationError is every problem found in the configuration, collected
// before any network call. commands maps it to exit status 2 (usage).
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid configuration: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid configuration (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(strings.ReplaceAll(p.String(), "\n", "\n  "))
	}
	return b.String()
}
