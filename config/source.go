package config

import (
	"encoding/json"
	"fmt"
)

// Kind is the layer a value came from. Higher kinds win.
type Kind int

// The layers, lowest precedence first.
const (
	KindDefault Kind = iota
	KindFile
	KindEnv
	KindFlag
	KindPrompt // secrets only: typed at a no-echo prompt
)

func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindEnv:
		return "env"
	case KindFlag:
		return "flag"
	case KindPrompt:
		return "prompt"
	default:
		return "default"
	}
}

// Source is where one value came from: the layer, plus the file and line,
// the variable or the flag.
type Source struct {
	Kind Kind
	// Name is the file path, the environment variable or the flag ("--ldap-url").
	Name string
	// Line is the 1-based line in the file, for KindFile.
	Line int
}

// String renders the source for people: "default", "file adjc.yaml:7",
// "env ADJC_LDAP_URL", "flag --ldap-url".
func (s Source) String() string {
	switch {
	case s.Kind == KindFile && s.Line > 0:
		return fmt.Sprintf("file %s:%d", s.Name, s.Line)
	case s.Name != "":
		return s.Kind.String() + " " + s.Name
	default:
		return s.Kind.String()
	}
}

// MarshalJSON renders the source as its String, the shape of
// `adjc config show -o json`.
func (s Source) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }
