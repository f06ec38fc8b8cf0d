package jcapi_test

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/secret"
)

// TestUnreachable: an API that never answers is retried with a notice per
// retry (the caller shows it; jcapi prints nothing), and the final error
// names the URL and what failed, so the operator knows where to look.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: bind one, note it, close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := "http://" + ln.Addr().String() + "/api"
	require.NoError(t, ln.Close())

	tests := []struct {
		name, url, why string
	}{
		{"connection refused", refused, "connection refused"},
		{"name does not resolve", "http://adjc-no-such-host.invalid/api", "the host name does not resolve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var notices []jcapi.Retry
			c, err := jcapi.New(tt.url, secret.New("k"),
				jcapi.WithRetry(2, time.Millisecond, time.Millisecond),
				jcapi.WithRetryNotify(func(r jcapi.Retry) {
					mu.Lock()
					defer mu.Unlock()
					notices = append(notices, r)
				}))
			require.NoError(t, err)
			_, err = c.GetSystemUser(t.Context(), "65a0c0de0000000000000099")
			var ue *jcapi.UnreachableError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, tt.url, ue.URL)
			assert.Equal(t, 3, ue.Attempts, "1 try + 2 retries")
			assert.Contains(t, err.Error(), "could not reach the JumpCloud API at "+tt.url+" ("+tt.why+", 3 attempts)")
			require.Len(t, notices, 2)
			for i, n := range notices {
				assert.Equal(t, i+1, n.Attempt)
				assert.Equal(t, 2, n.Max)
				assert.Equal(t, "GET", n.Method)
				assert.Error(t, n.Err)
			}
		})
	}
}

// TestTrace: a context's Trace sees every response of the calls made with
// it, one per page of a paged list, and a context without one sees none.
func TestTrace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedUsers(t, 3)
	var mu sync.Mutex
	var got []string
	ctx := jcapi.WithTrace(t.Context(), &jcapi.Trace{Response: func(method, path string, status int) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf("%s %s %d", method, path, status))
	}})
	users, err := jcapi.Collect(f.c.SystemUsers(ctx, jcapi.ListOptions{PageSize: 2}))
	require.NoError(t, err)
	assert.Len(t, users, 3)
	require.GreaterOrEqual(t, len(got), 2, "a page of at most 2 users per response: %v", got)
	n := len(got)
	for _, g := range got {
		assert.Contains(t, g, "GET /systemusers")
	}
	_, err = jcapi.Collect(f.c.SystemUsers(t.Context(), jcapi.ListOptions{}))
	require.NoError(t, err)
	assert.Len(t, got, n, "no trace on a plain context")
}
