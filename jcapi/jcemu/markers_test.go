package jcemu

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestExternallyManagedRefillsRestrictedFields checks the emulator's reading
// of components.schemas.externallymanagedpropertyinfo: a change of
// externally_managed replaces restrictedFields, those in the same body too.
func TestExternallyManagedRefillsRestrictedFields(t *testing.T) {
	t.Parallel()
	sent := []any{map[string]any{"field": "email", "type": "active_directory", "id": "5f0000000000000000000001"}}
	d := doc{"externally_managed": true, "restrictedFields": sent}
	applyExternallyManaged(d, doc{"externally_managed": true, "restrictedFields": sent}, nil)
	got := d["restrictedFields"].([]any)
	if assert.Len(t, got, 4, "after a create with externally_managed: want the four mirrored fields") {
		assert.Nil(t, got[0].(map[string]any)["id"], "after a create with externally_managed: want no id")
	}
	d = doc{"externally_managed": true, "restrictedFields": sent}
	applyExternallyManaged(d, doc{"externally_managed": true}, true)
	assert.Len(t, d["restrictedFields"], 1, "unchanged externally_managed: want restrictedFields left")
	applyExternallyManaged(d, doc{"externally_managed": false}, true)
	assert.Empty(t, d["restrictedFields"], "cleared externally_managed: want no restrictedFields")
	assert.NotNil(t, validateRestrictedIDs(doc{"restrictedFields": []any{map[string]any{"id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}}}),
		"a 36-character restrictedFields id was accepted; the spec's maxLength is 24")
}
