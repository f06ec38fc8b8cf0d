package jcapi_test

import (
	"context"
	"testing"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCountCalls: the count is what the server received, each retry
// included, and nested counters both see a request made under the inner one.
func TestCountCalls(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedUsers(t, 250)
	f.emu.ResetCalls()

	ctx, outer := jcapi.CountCalls(t.Context())
	_, err := jcapi.Collect(f.c.SystemUsers(ctx, jcapi.ListOptions{}))
	require.NoError(t, err)
	inner, in := jcapi.CountCalls(ctx)
	f.emu.SetChaos(jcemu.Chaos{Rate429: 1})
	_, err = jcapi.Collect(f.c.SystemUsers(inner, jcapi.ListOptions{}))
	require.Error(t, err, "every call answered 429 fails after the retries")
	f.emu.SetChaos(jcemu.Chaos{})

	assert.Equal(t, int64(f.emu.TotalCalls()), outer.N(), "outer counter: every request sent")
	assert.Equal(t, int64(5), in.N(), "inner counter: the first attempt and 4 retries")
	assert.Equal(t, int64(3), outer.N()-in.N(), "three pages of 100")
	var none *jcapi.Calls
	assert.Zero(t, none.N())
	_, err = jcapi.Collect(f.c.SystemUsers(context.Background(), jcapi.ListOptions{}))
	require.NoError(t, err)
	assert.Equal(t, int64(8), outer.N(), "a request outside the context is not counted")
}
