package jcemu_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
)

// TestProfileAndRulesStrict: the fields a field mapping writes and the
// translation rules are checked as strictly as the spec allows: manager
// names another user of the org, employeeIdentifier is unique,
// phoneNumbers are {number, type}, and a rule's enums are the spec's.
func TestProfileAndRulesStrict(t *testing.T) {
	t.Parallel()
	s := jcemu.New()
	org := s.AddOrg("o")
	require.NoError(t, s.AddAPIKey("k", org))
	ad, err := s.AddActiveDirectory(org, "DC=example,DC=com")
	require.NoError(t, err)
	a, err := s.AddUser(org, jcapi.SystemUser{Username: "a", Email: "a@example.com", EmployeeIdentifier: "E1"})
	require.NoError(t, err)
	b, err := s.AddUser(org, jcapi.SystemUser{Username: "b", Email: "b@example.com"})
	require.NoError(t, err)
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"manager is a user", "PUT", "/api/systemusers/" + b.ID, `{"manager":"` + a.ID + `"}`, 200, a.ID},
		{"manager unknown", "PUT", "/api/systemusers/" + b.ID, `{"manager":"65a0c0de00000000000000ff"}`, 400, "not a user of this organization"},
		{"manager self", "PUT", "/api/systemusers/" + b.ID, `{"manager":"` + b.ID + `"}`, 400, "another user"},
		{"employeeIdentifier taken", "PUT", "/api/systemusers/" + b.ID, `{"employeeIdentifier":"e1"}`, 400, "already used"},
		{"phone entry", "PUT", "/api/systemusers/" + b.ID, `{"phoneNumbers":[{"number":"1","type":"work"}]}`, 200, `"type":"work"`},
		{"phone entry shape", "PUT", "/api/systemusers/" + b.ID, `{"phoneNumbers":[{"number":1}]}`, 400, "phoneNumbers"},
		{"rule", "POST", "/api/v2/activedirectories/" + ad.ID + "/translation-rules", `{"source":"title","destination":"jobTitle","direction":"IMPORT","sourceType":"PATH","appliedOn":["CREATE","UPDATE"]}`, 200, `"translation_rule"`},
		{"rule direction", "POST", "/api/v2/activedirectories/" + ad.ID + "/translation-rules", `{"source":"title","destination":"jobTitle","direction":"BOTH"}`, 400, "invalid direction"},
		{"rule snake case", "POST", "/api/v2/activedirectories/" + ad.ID + "/translation-rules", `{"source":"title","destination":"jobTitle","source_type":"PATH"}`, 400, "unknown field"},
		{"rule list", "GET", "/api/v2/activedirectories/" + ad.ID + "/translation-rules?limit=10", "", 200, `"totalCount":1`},
	}
	for _, tt := range tests {
		var body *strings.Reader
		if tt.body != "" {
			body = strings.NewReader(tt.body)
		} else {
			body = strings.NewReader("")
		}
		req := httptest.NewRequest(tt.method, tt.path, body)
		req.Header.Set("x-api-key", "k")
		if tt.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := serve(s, req)
		assert.Equal(t, tt.status, rec.Code, "%s: %s", tt.name, rec.Body.String())
		assert.Contains(t, rec.Body.String(), tt.want, tt.name)
	}
}
