package jcemu

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A small state is saved every flushEvery; a large one, whose save takes
// long, leaves the lock free for at least flushShare-1 times the save.
func TestNextFlush(t *testing.T) {
	assert.Equal(t, flushEvery, nextFlush(time.Millisecond))
	assert.Equal(t, 40*time.Second, nextFlush(2*time.Second))
	took := 1500 * time.Millisecond
	assert.GreaterOrEqual(t, nextFlush(took), (flushShare-1)*took)
}
