package jcapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/secret"
)

// BenchmarkListUsers10k lists 10,000 users through the client against the
// emulator (no spec validation in the loop: it measures the client and the
// emulator, not kin-openapi) and reports HTTP calls per listing.
func BenchmarkListUsers10k(b *testing.B) {
	const n = 10_000
	emu := jcemu.New()
	org := emu.AddOrg("Bench")
	require.NoError(b, emu.AddAPIKey(testKey, org))
	for i := range n {
		_, err := emu.AddUser(org, jcapi.SystemUser{Username: fmt.Sprintf("u%05d", i), Email: fmt.Sprintf("u%05d@example.com", i)})
		require.NoError(b, err)
	}
	srv := startServer(b, emu)
	c, err := jcapi.New(srv.URL+"/api", secret.New(testKey),
		jcapi.WithHTTPClient(&http.Client{Timeout: time.Minute}), jcapi.WithRateLimit(0, 0))
	require.NoError(b, err)
	emu.ResetCalls()
	b.ResetTimer()
	for b.Loop() {
		count := 0
		for _, err := range c.SystemUsers(b.Context(), jcapi.ListOptions{}) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("listed %d users, want %d", count, n)
		}
	}
	b.ReportMetric(float64(emu.TotalCalls())/float64(b.N), "calls/op")
}
