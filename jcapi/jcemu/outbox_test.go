package jcemu_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
)

// TestActivationOutbox: POST .../state/activate mails the user exactly as
// the operation's "Email Flag" section says, and the outbox shows it.
func TestActivationOutbox(t *testing.T) {
	t.Parallel()
	s := jcemu.New()
	org := s.AddOrg("o")
	require.NoError(t, s.AddAPIKey("k", org))
	withPW, err := s.AddUser(org, jcapi.SystemUser{Username: "pw", Email: "pw@example.com", State: jcapi.StateStaged})
	require.NoError(t, err)
	require.NoError(t, s.SetUserPassword(org, withPW.ID, "Long-enough-1"))
	noPW, err := s.AddUser(org, jcapi.SystemUser{Username: "nopw", Email: "nopw@example.com", AlternateEmail: "alt@example.com", State: jcapi.StateStaged})
	require.NoError(t, err)
	activate := func(id, body string) int {
		req := httptest.NewRequest("POST", "/api/systemusers/"+id+"/state/activate", strings.NewReader(body))
		req.Header.Set("x-api-key", "k")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return serve(s, req).Code
	}
	steps := []struct {
		name, id, body string
		status         int
		want           []jcemu.Email // new outbox entries
	}{
		{"false suppresses", withPW.ID, `{"email": false}`, 200, nil},
		{"no body sends the default", withPW.ID, "", 200, []jcemu.Email{{UserID: withPW.ID, To: "pw@example.com", Kind: "welcome"}}},
		{"empty object sends the default", withPW.ID, `{}`, 200, []jcemu.Email{{UserID: withPW.ID, To: "pw@example.com", Kind: "welcome"}}},
		{"true sends the default", noPW.ID, `{"email": true}`, 200, []jcemu.Email{{UserID: noPW.ID, To: "alt@example.com", Kind: "activation"}}},
		{"an address overrides", noPW.ID, `{"email": "x@example.org"}`, 200, []jcemu.Email{{UserID: noPW.ID, To: "x@example.org", Kind: "activation"}}},
		{"an object is refused", noPW.ID, `{"email": {}}`, 400, nil},
		{"other fields are refused", noPW.ID, `{"email": false, "notify": true}`, 400, nil},
	}
	for _, st := range steps {
		before := len(s.Outbox(org))
		require.Equal(t, st.status, activate(st.id, st.body), st.name)
		got := s.Outbox(org)[before:]
		for i := range got {
			got[i].At = ""
		}
		if st.want == nil {
			assert.Empty(t, got, st.name)
		} else {
			assert.Equal(t, st.want, got, st.name)
		}
	}

	path := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, s.Save(path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"outbox"`)
	assert.Contains(t, string(b), "x@example.org")
}
