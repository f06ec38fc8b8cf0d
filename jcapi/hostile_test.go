package jcapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/secret"
	"github.com/stretchr/testify/require"
)

// TestHostileResponses points the client at a server that answers lists with
// bodies that are malformed, huge or shaped unlike the spec. Each must be an
// error naming the call — never a panic, and never a silently short list
// (an import that believed JumpCloud empty would create every user again).
func TestHostileResponses(t *testing.T) {
	t.Parallel()
	user := func(i int) string {
		return fmt.Sprintf(`{"_id":"%024x","username":"u%d","email":"u%d@x.example"}`, i, i, i)
	}
	users := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = user(i)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name   string
		path   string // "/api/systemusers" (v1 list) or "/api/v2/usergroups" (v2 list)
		header map[string]string
		body   func(w io.Writer)
		want   string // substring of the error
	}{
		{"v1 not json", "/api/systemusers", nil, text(`<html>gateway</html>`), "decode response"},
		{"v1 truncated json", "/api/systemusers", nil, text(`{"totalCount":2,"results":[` + user(1)), "decode response"},
		{"v1 empty object", "/api/systemusers", nil, text(`{}`), "not a list"},
		{"v1 results missing", "/api/systemusers", nil, text(`{"totalCount":3}`), "not a list"},
		{"v1 results not an array", "/api/systemusers", nil, text(`{"totalCount":1,"results":{"a":1}}`), "decode response"},
		{"v1 results null", "/api/systemusers", nil, text(`{"totalCount":0,"results":null}`), "not a list"},
		{"v1 array instead of object", "/api/systemusers", nil, text(`[` + user(1) + `]`), "decode response"},
		{"v1 wrong field type", "/api/systemusers", nil, text(`{"totalCount":1,"results":[{"_id":1,"username":["a"]}]}`), "decode response"},
		{"v1 short page under totalCount", "/api/systemusers", nil, text(`{"totalCount":500,"results":[` + users(3) + `]}`), "reported 500"},
		{"v1 page larger than limit", "/api/systemusers", nil, text(`{"totalCount":101,"results":[` + users(101) + `]}`), "more than the limit"},
		{"v1 empty 200 body", "/api/systemusers", nil, text(``), "not a list"},
		{"v2 object instead of array", "/api/v2/usergroups", nil, text(`{"results":[]}`), "decode response"},
		{"v2 null", "/api/v2/usergroups", nil, text(`null`), "not a list"},
		{"v2 empty 200 body", "/api/v2/usergroups", nil, text(``), "not a list"},
		{"v2 short page under x-total-count", "/api/v2/usergroups", map[string]string{"x-total-count": "250"},
			text(`[{"id":"a","name":"g"}]`), "reported 250"},
		{"huge body", "/api/systemusers", nil, func(w io.Writer) {
			io.WriteString(w, `{"totalCount":1,"results":[{"username":"`)
			chunk := strings.Repeat("A", 1<<20)
			for range 70 { // 70 MiB, over the client's cap
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
			io.WriteString(w, `"}]}`)
		}, "larger than"},
		{"huge error body", "/api/systemusers", map[string]string{":status": "500"}, func(w io.Writer) {
			chunk := strings.Repeat("E", 1<<20)
			for range 70 {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		}, "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != tt.path {
					http.Error(w, "unexpected path", http.StatusTeapot)
					return
				}
				status := http.StatusOK
				for k, v := range tt.header {
					if k == ":status" {
						fmt.Sscan(v, &status)
						continue
					}
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				tt.body(w)
			}))
			defer srv.Close()
			c, err := jcapi.New(srv.URL+"/api", secret.New("hostile-test-key"),
				jcapi.WithRateLimit(0, 0), jcapi.WithRetry(1, time.Millisecond, time.Millisecond))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // generous: -race on a loaded 2-core machine reads 70 MiB slowly; a hang is what this catches
			defer cancel()
			var n int
			switch tt.path {
			case "/api/systemusers":
				var got []jcapi.SystemUser
				got, err = jcapi.Collect(c.SystemUsers(ctx, jcapi.ListOptions{}))
				n = len(got)
			default:
				var got []jcapi.UserGroup
				got, err = jcapi.Collect(c.UserGroups(ctx, jcapi.ListOptions{}))
				n = len(got)
			}
			require.Error(t, err, "list = %d items, nil error; want an error containing %q", n, tt.want)
			require.ErrorContains(t, err, tt.want)
			require.LessOrEqual(t, len(err.Error()), 2000, "a hostile body must not be echoed in the error")
			require.NotErrorIs(t, err, context.DeadlineExceeded, "the client hung on the body")
		})
	}
}

func text(s string) func(io.Writer) { return func(w io.Writer) { io.WriteString(w, s) } }
