package jcapi_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/secret"
)

// TestLiveReadOnly is an opt-in smoke test against a real JumpCloud org. It
// only reads: the org, its password policy, one page of users and groups,
// and the AD domain objects. Set ADJC_LIVE_JC_API_KEY (and optionally
// ADJC_LIVE_JC_URL, ADJC_LIVE_JC_ORG_ID). Traffic is checked against the
// vendored spec as well.
func TestLiveReadOnly(t *testing.T) {
	key := os.Getenv("ADJC_LIVE_JC_API_KEY")
	if key == "" {
		t.Skip("ADJC_LIVE_JC_API_KEY is unset: no live JumpCloud org to read from")
	}
	url := os.Getenv("ADJC_LIVE_JC_URL")
	if url == "" {
		url = "https://console.jumpcloud.com/api"
	}
	opts := []jcapi.Option{jcapi.WithOrgID(os.Getenv("ADJC_LIVE_JC_ORG_ID")), jcapi.WithRateLimit(2, 2)}
	vt := newValidatingTransport(t)
	opts = append(opts, jcapi.WithHTTPClient(&http.Client{Transport: vt, Timeout: 30 * time.Second}))
	c, err := jcapi.New(url, secret.New(key), opts...)
	require.NoError(t, err)
	ctx := t.Context()

	o, err := c.CurrentOrganization(ctx)
	require.NoError(t, err)
	compliance, _, err := c.PasswordPolicy(ctx)
	require.NoError(t, err)
	t.Logf("org %s, password compliance %q", o.ID, compliance)

	users := 0
	for _, err := range c.SystemUsers(ctx, jcapi.ListOptions{PageSize: 5}) {
		require.NoError(t, err)
		if users++; users == 5 {
			break
		}
	}
	groups := 0
	for _, err := range c.UserGroups(ctx, jcapi.ListOptions{PageSize: 5}) {
		require.NoError(t, err)
		if groups++; groups == 5 {
			break
		}
	}
	ads, err := jcapi.Collect(c.ActiveDirectories(ctx, jcapi.ListOptions{}))
	require.NoError(t, err)
	for _, ad := range ads {
		n := 0
		for _, err := range c.ActiveDirectoryUsers(ctx, ad.ID, jcapi.ADUsersOptions{ListOptions: jcapi.ListOptions{PageSize: 5}}) {
			require.NoError(t, err)
			if n++; n == 5 {
				break
			}
		}
	}
	t.Logf("read %d users, %d groups, %d AD domains", users, groups, len(ads))
}
