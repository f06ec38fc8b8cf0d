package jcemu

import "testing"

// TestExternallyManagedRefillsRestrictedFields checks the emulator's reading
// of components.schemas.externallymanagedpropertyinfo: a change of
// externally_managed replaces restrictedFields, those in the same body too.
func TestExternallyManagedRefillsRestrictedFields(t *testing.T) {
	t.Parallel()
	sent := []any{map[string]any{"field": "email", "type": "active_directory", "id": "5f0000000000000000000001"}}
	d := doc{"externally_managed": true, "restrictedFields": sent}
	applyExternallyManaged(d, doc{"externally_managed": true, "restrictedFields": sent}, nil)
	if got := d["restrictedFields"].([]any); len(got) != 4 || got[0].(map[string]any)["id"] != nil {
		t.Errorf("after a create with externally_managed: restrictedFields = %v, want the four mirrored fields without id", got)
	}
	d = doc{"externally_managed": true, "restrictedFields": sent}
	applyExternallyManaged(d, doc{"externally_managed": true}, true)
	if got := d["restrictedFields"].([]any); len(got) != 1 {
		t.Errorf("unchanged externally_managed: restrictedFields = %v, want it left", got)
	}
	applyExternallyManaged(d, doc{"externally_managed": false}, true)
	if got := d["restrictedFields"].([]any); len(got) != 0 {
		t.Errorf("cleared externally_managed: restrictedFields = %v, want none", got)
	}
	if e := validateRestrictedIDs(doc{"restrictedFields": []any{map[string]any{"id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}}}); e == nil {
		t.Error("a 36-character restrictedFields id was accepted; the spec's maxLength is 24")
	}
}
