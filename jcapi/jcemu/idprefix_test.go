package jcemu_test

import (
	"strings"
	"testing"

	"github.com/adjc/adjc/jcapi/jcemu"
)

func TestWithIDPrefix(t *testing.T) {
	t.Parallel()
	s := jcemu.New(jcemu.WithIDPrefix("0badcafe"))
	if id := s.AddOrg("prefixed"); !strings.HasPrefix(id, "0badcafe") || len(id) != 24 {
		t.Errorf("AddOrg() = %q, want a 24-hex id starting 0badcafe", id)
	}
	if id := jcemu.New().AddOrg("default"); !strings.HasPrefix(id, jcemu.DefaultIDPrefix) {
		t.Errorf("AddOrg() = %q, want the default prefix %s", id, jcemu.DefaultIDPrefix)
	}
	if _, err := jcemu.Open(jcemu.WithIDPrefix("XYZ")); err == nil {
		t.Error("Open(WithIDPrefix(\"XYZ\")) = nil error, want a refusal")
	}
	if a, b := jcemu.RandomIDPrefix(), jcemu.RandomIDPrefix(); a == b || len(a) != 8 {
		t.Errorf("RandomIDPrefix() = %q, %q: want two different 8-hex prefixes", a, b)
	}
}
