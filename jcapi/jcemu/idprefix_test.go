package jcemu_test

import (
	"strings"
	"testing"

	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/stretchr/testify/assert"
)

func TestWithIDPrefix(t *testing.T) {
	t.Parallel()
	s := jcemu.New(jcemu.WithIDPrefix("0badcafe"))
	id := s.AddOrg("prefixed")
	assert.True(t, strings.HasPrefix(id, "0badcafe"), "AddOrg() = %q, want it to start 0badcafe", id)
	assert.Len(t, id, 24, "AddOrg() = %q, want 24 hex digits", id)
	assert.True(t, strings.HasPrefix(jcemu.New().AddOrg("default"), jcemu.DefaultIDPrefix), "AddOrg() without WithIDPrefix: want the default prefix %s", jcemu.DefaultIDPrefix)
	_, err := jcemu.Open(jcemu.WithIDPrefix("XYZ"))
	assert.Error(t, err, "Open(WithIDPrefix(\"XYZ\")) must refuse a prefix that is not hex")
	a, b := jcemu.RandomIDPrefix(), jcemu.RandomIDPrefix()
	assert.NotEqual(t, a, b, "RandomIDPrefix() twice")
	assert.Len(t, a, 8, "RandomIDPrefix() = %q, want 8 hex digits", a)
}
