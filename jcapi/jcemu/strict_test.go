package jcemu_test

import (
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
)

// TestStrictness: requests the spec does not allow fail on the emulator,
// each with a status and a message naming what is wrong.
func TestStrictness(t *testing.T) {
	t.Parallel()
	s := jcemu.New()
	org := s.AddOrg("o")
	require.NoError(t, s.AddAPIKey("k", org))
	_, err := s.AddActiveDirectory(org, "DC=example,DC=com")
	require.NoError(t, err)
	_, err = s.AddUserGroup(org, jcapi.UserGroup{Name: "Sales, EMEA"})
	require.NoError(t, err)
	key := map[string]string{"x-api-key": "k"}
	withOrg := map[string]string{"x-api-key": "k", "x-org-id": org}
	q := url.QueryEscape
	tests := []struct {
		name, path string
		hdr        map[string]string
		status     int
		body       string
	}{
		{"comma in a v2 filter value", "/api/v2/activedirectories?filter=" + q("domain:eq:DC=example,DC=com"), key, 400, `\"DC=com\" is not field:op:value`},
		{"comma in a group name filter", "/api/v2/usergroups?filter=" + q("name:eq:Sales, EMEA"), key, 400, "is not field:op:value"},
		{"comma-joined v2 filters", "/api/v2/usergroups?filter=" + q("name:ne:a,name:ne:b"), key, 400, "its own filter= key"},
		{"repeated v2 filter keys", "/api/v2/usergroups?filter=name:ne:a&filter=name:ne:b", key, 200, "Sales, EMEA"},
		{"comma in a v1 filter", "/api/systemusers?filter=" + q("username:$eq:a,b"), key, 400, "holds a comma"},
		{"x-org-id on /organizations/{id}", "/api/organizations/" + org, withOrg, 403, "x-org-id is not supported"},
		{"x-org-id on /organizations", "/api/organizations", withOrg, 403, "x-org-id is not supported"},
		{"org by path", "/api/organizations/" + org, key, 200, org},
		{"undeclared query parameter", "/api/v2/usergroups?limit=10&expand=all", key, 400, "no query parameter expand for GET /api/v2/usergroups"},
		{"sort where none is declared", "/api/v2/activedirectories/" + "65a0c0de0000000000000002" + "/users?sort=id", key, 400, "query parameter sort"},
		{"undeclared header", "/api/systemusers", map[string]string{"x-api-key": "k", "x-unfiltered-total-count": "1"}, 400, "header x-unfiltered-total-count"},
		{"v1 sort field on v2", "/api/v2/usergroups?sort=_id", key, 400, `sort field \"_id\"`},
		{"v2 sort by id", "/api/v2/usergroups?sort=-id", key, 200, "Sales, EMEA"},
		{"v1 indexed filters", "/api/systemusers?filter[0]=username:$eq:a&filter[or][0]=email:$eq:b", key, 200, `"totalCount":0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := get(t, s, tt.path, tt.hdr)
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), tt.body)
		})
	}
	t.Run("suspend takes no x-org-id", func(t *testing.T) {
		t.Parallel()
		u, err := s.AddUser(org, jcapi.SystemUser{Username: "sus", Email: "sus@example.com"})
		require.NoError(t, err)
		req := httptest.NewRequest("POST", "/api/systemusers/"+u.ID+"/state/suspend", nil)
		req.Header.Set("x-api-key", "k")
		req.Header.Set("x-org-id", org)
		rec := serve(s, req)
		assert.Equal(t, 403, rec.Code, rec.Body.String())
		req.Header.Del("x-org-id")
		rec = serve(s, req)
		assert.Equal(t, 200, rec.Code, rec.Body.String())
	})
}

// TestDeclaredMatchesSpec: every parameter and header the emulator accepts
// on a route is one the route's operation declares in the vendored spec,
// and every route the emulator serves is an operation of the spec.
func TestDeclaredMatchesSpec(t *testing.T) {
	t.Parallel()
	load := func(name string) *openapi3.T {
		doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join("..", "testdata", "spec", name))
		require.NoError(t, err)
		return doc
	}
	v1, v2, di := load("v1-index.yaml"), load("v2-index.yaml"), load("directory-insights-v1-index.yaml")
	braces := regexp.MustCompile(`\{[^}]*\}`)
	norm := func(p string) string { return braces.ReplaceAllString(p, "{}") }
	for pattern, names := range jcemu.Declared() {
		method, path, _ := strings.Cut(pattern, " ")
		doc, rel := v1, strings.TrimPrefix(path, "/api")
		if strings.HasPrefix(path, "/api/v2/") {
			doc, rel = v2, strings.TrimPrefix(path, "/api/v2")
		}
		if strings.HasPrefix(path, "/insights/directory/v1/") {
			doc, rel = di, strings.TrimPrefix(path, "/insights/directory/v1")
		}
		var op *openapi3.Operation
		var item *openapi3.PathItem
		for p, pi := range doc.Paths.Map() {
			if norm(p) == norm(rel) {
				op, item = pi.GetOperation(method), pi
			}
		}
		if !assert.NotNil(t, op, "%s: no such operation in the spec", pattern) {
			continue
		}
		var spec []string
		for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
			switch p.Value.In {
			case "query":
				spec = append(spec, p.Value.Name)
			case "header":
				spec = append(spec, "h:"+strings.ToLower(p.Value.Name))
			}
		}
		if op.Security != nil {
			// Directory Insights declares x-org-id as a security scheme.
			for _, req := range *op.Security {
				for name := range req {
					if name != "x-api-key" {
						spec = append(spec, "h:"+name)
					}
				}
			}
		}
		for _, n := range names {
			assert.Contains(t, spec, n, "%s: the emulator accepts %q, which the spec does not declare", pattern, n)
		}
	}
}

// TestDelegatedAuthorityForms: a user's delegatedAuthority takes what
// systemuserput allows, {name: ActiveDirectory, id: an AD instance} or null
// (which clears it), and nothing else.
func TestDelegatedAuthorityForms(t *testing.T) {
	t.Parallel()
	s := jcemu.New()
	org := s.AddOrg("o")
	require.NoError(t, s.AddAPIKey("k", org))
	ad, err := s.AddActiveDirectory(org, "DC=example,DC=com")
	require.NoError(t, err)
	u, err := s.AddUser(org, jcapi.SystemUser{Username: "del", Email: "del@example.com"})
	require.NoError(t, err)
	put := func(body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("PUT", "/api/systemusers/"+u.ID, strings.NewReader(body))
		req.Header.Set("x-api-key", "k")
		req.Header.Set("Content-Type", "application/json")
		return serve(s, req)
	}
	tests := []struct {
		name, body string
		status     int
		want       string // the stored value's JSON, when accepted
	}{
		{"object", `{"delegatedAuthority":{"name":"ActiveDirectory","id":"` + ad.ID + `"}}`, 200, `"delegatedAuthority":{"id":"` + ad.ID + `","name":"ActiveDirectory"}`},
		{"null clears", `{"delegatedAuthority":null}`, 200, `"delegatedAuthority":null`},
		{"another name", `{"delegatedAuthority":{"name":"LDAP","id":"` + ad.ID + `"}}`, 400, "delegatedAuthority.name"},
		{"no such AD instance", `{"delegatedAuthority":{"name":"ActiveDirectory","id":"5f00000000000000000000ff"}}`, 400, "not an Active Directory instance"},
		{"a string", `{"delegatedAuthority":"ActiveDirectory"}`, 400, "object or null"},
		{"an array", `{"delegatedAuthority":[]}`, 400, "object or null"},
		{"false", `{"delegatedAuthority":false}`, 400, "object or null"},
	}
	for _, tt := range tests { // in order: the object is set before null clears it
		rec := put(tt.body)
		assert.Equal(t, tt.status, rec.Code, "%s: %s", tt.name, rec.Body.String())
		assert.Contains(t, rec.Body.String(), tt.want, tt.name)
	}
}
