package adapter_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/reconcile"
)

// TestUpdateGroupKeepsOtherFields: adopting or renaming a JumpCloud group
// PUTs it whole (PUT /usergroups/{id} replaces the group), so every field
// adjc does not model — a dynamic group's memberQuery and exemptions, the
// POSIX group id, RADIUS reply attributes — must be sent back as it was
// read, or an adopt silently strips them.
func TestUpdateGroupKeepsOtherFields(t *testing.T) {
	t.Parallel()
	srv, org, c := emulator(t)
	body := `{"name":"eng","description":"engineers","membershipMethod":"DYNAMIC_REVIEW_REQUIRED",
		"memberQuery":{"queryType":"FilterQuery","filters":[{"field":"department","operator":"eq","value":"eng"}]},
		"memberQueryExemptions":[{"id":"65a0c0de0000000000000123","type":"USER"}],
		"memberSuggestionsNotify":true,
		"attributes":{"sudo":{"enabled":true,"withoutPassword":false},
			"posixGroups":[{"id":4242,"name":"eng"}],
			"radius":{"reply":[{"name":"Session-Timeout","value":"3600"}]}}}`
	req := httptest.NewRequest("POST", "/api/v2/usergroups", strings.NewReader(body))
	req.Header.Set("x-api-key", testKey)
	req.Header.Set("x-org-id", org)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
		t.Fatalf("seed group: %d %s", rec.Code, rec.Body)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}

	const guid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	target := adapter.NewJumpCloudTarget(c, reconcile.Directory{})
	anchor, name := guid, "Engineering"
	if err := target.UpdateGroup(t.Context(), created.ID, reconcile.GroupPatch{Anchor: &anchor, Name: &name}); err != nil {
		t.Fatal(err)
	}

	req = httptest.NewRequest("GET", "/api/v2/usergroups/"+created.ID, nil)
	req.Header.Set("x-api-key", testKey)
	req.Header.Set("x-org-id", org)
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var after map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &after); err != nil {
		t.Fatalf("get group: %d %s", rec.Code, rec.Body)
	}
	if after["name"] != "Engineering" || adapter.GroupAnchor(after["description"].(string)) != guid {
		t.Errorf("UpdateGroup did not rename and anchor: %s", rec.Body)
	}
	if after["membershipMethod"] != "DYNAMIC_REVIEW_REQUIRED" || after["memberSuggestionsNotify"] != true {
		t.Errorf("UpdateGroup lost membershipMethod or memberSuggestionsNotify: %s", rec.Body)
	}
	for _, k := range []string{"memberQuery", "memberQueryExemptions"} {
		if after[k] == nil {
			t.Errorf("UpdateGroup dropped %s: %s", k, rec.Body)
		}
	}
	attrs, _ := after["attributes"].(map[string]any)
	for _, k := range []string{"sudo", "posixGroups", "radius"} {
		if attrs[k] == nil {
			t.Errorf("UpdateGroup dropped attributes.%s: %s", k, rec.Body)
		}
	}
	if b, _ := json.Marshal(attrs["posixGroups"]); string(b) != `[{"id":4242,"name":"eng"}]` {
		t.Errorf("attributes.posixGroups = %s, want the GID kept", b)
	}
}
