package jcemu_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
)

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestIDsAreSequential(t *testing.T) {
	t.Parallel()
	s := jcemu.New()
	org := s.AddOrg("o")
	a, err := s.AddUser(org, jcapi.SystemUser{Username: "a", Email: "a@x"})
	require.NoError(t, err)
	b, err := s.AddUser(org, jcapi.SystemUser{Username: "b", Email: "b@x"})
	require.NoError(t, err)
	assert.Equal(t, "65a0c0de0000000000000001", org)
	assert.Equal(t, "65a0c0de0000000000000002", a.ID)
	assert.Equal(t, "65a0c0de0000000000000003", b.ID)
}

func TestListErrors(t *testing.T) {
	t.Parallel()
	s := jcemu.New()
	org := s.AddOrg("o")
	require.NoError(t, s.AddAPIKey("k", org))
	key := map[string]string{"x-api-key": "k"}
	tests := []struct {
		name, path string
		hdr        map[string]string
		status     int
		body       string
	}{
		{"no key", "/api/systemusers", nil, 401, `"status":"UNAUTHENTICATED"`},
		{"limit over 100", "/api/systemusers?limit=101", key, 400, "at most 100"},
		{"bad v1 filter", "/api/systemusers?filter=username:eq:x", key, 400, "field:$op:value"},
		{"co needs eventual consistency", "/api/systemusers?filter=username:$co:x", key, 400, "x-eventually-consistent"},
		{"co with header", "/api/systemusers?filter=username:$co:x", map[string]string{"x-api-key": "k", "x-eventually-consistent": "true"}, 200, `"totalCount":0`},
		{"bad v2 filter", "/api/v2/usergroups?filter=name:$eq:x", key, 400, "field:op:value"},
		{"unknown AD", "/api/v2/activedirectories/65a0c0de0000000000000009/associations", key, 404, "not found"},
		{"unknown route", "/api/v2/nothing", key, 404, "no such route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := get(t, s, tt.path, tt.hdr)
			assert.Equal(t, tt.status, rec.Code)
			assert.Contains(t, rec.Body.String(), tt.body)
		})
	}
}

func TestFaultsFromGo(t *testing.T) {
	t.Parallel()
	s := jcemu.New()
	org := s.AddOrg("o")
	require.NoError(t, s.AddAPIKey("k", org))
	key := map[string]string{"x-api-key": "k"}
	s.FailNext(jcemu.Fault{Path: "/api/v2/*", Status: 503, Times: 2})
	assert.Equal(t, 200, get(t, s, "/api/systemusers", key).Code, "other paths unaffected")
	assert.Equal(t, 503, get(t, s, "/api/v2/usergroups", key).Code)
	assert.Equal(t, 503, get(t, s, "/api/v2/usergroups", key).Code)
	assert.Equal(t, 200, get(t, s, "/api/v2/usergroups", key).Code)

	s.SetChaos(jcemu.Chaos{Rate429: 1})
	assert.Equal(t, 429, get(t, s, "/api/systemusers", key).Code)
	s.SetChaos(jcemu.Chaos{})
	assert.Equal(t, 5, s.TotalCalls())
}

func TestStateFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	s := jcemu.New(jcemu.WithStateFile(path))
	org := s.AddOrg("o")
	require.NoError(t, s.AddAPIKey("k", org))
	u, err := s.AddUser(org, jcapi.SystemUser{Username: "a", Email: "a@x", Attributes: []jcapi.Attribute{{Name: "n", Value: "v"}}})
	require.NoError(t, err)
	require.NoError(t, s.Save(path))

	s2, err := jcemu.Open(jcemu.WithStateFile(path))
	require.NoError(t, err)
	assert.Equal(t, s.Users(org), s2.Users(org))
	// ids continue where they stopped, and the key still works.
	g, err := s2.AddUserGroup(org, jcapi.UserGroup{Name: "g"})
	require.NoError(t, err)
	assert.Greater(t, g.ID, u.ID)
	assert.Equal(t, 200, get(t, s2, "/api/systemusers", map[string]string{"x-api-key": "k"}).Code)
	// Uniqueness survives the reload.
	_, err = s2.AddUser(org, jcapi.SystemUser{Username: "A", Email: "other@x"})
	require.ErrorContains(t, err, "already exists")
}

func TestPasswordPresets(t *testing.T) {
	t.Parallel()
	s := jcemu.New()
	org := s.AddOrg("o")
	u, err := s.AddUser(org, jcapi.SystemUser{Username: "bob", Email: "b@x"})
	require.NoError(t, err)
	require.NoError(t, s.SetPasswordPolicy(org, "windows", jcapi.PasswordPolicy{}))
	err = s.SetUserPassword(org, u.ID, "bob-Passw0rd")
	require.ErrorContains(t, err, "Password validation fail", "windows mode refuses the username inside")
	require.NoError(t, s.SetUserPassword(org, u.ID, "Zx9-Qw7-Er5"))
	require.NoError(t, s.SetPasswordPolicy(org, "custom", jcapi.PasswordPolicy{DisallowSequentialOrRepetitiveChars: true, AllowUsernameSubstring: true}))
	for _, pw := range []string{"aaa-1", "xabc", "x321"} {
		assert.Error(t, s.SetUserPassword(org, u.ID, pw), "SetUserPassword(%q)", pw)
	}
	assert.NoError(t, s.SetUserPassword(org, u.ID, "a1b3c5"))
	assert.True(t, strings.HasPrefix(s.Users(org)[0].PasswordDate, "20"))
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
