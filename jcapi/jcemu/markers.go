package jcemu

import "fmt"

// externallyManagedDefault is what the emulator puts in restrictedFields when
// a request changes externally_managed. The spec
// (components.schemas.externallymanagedpropertyinfo) says only: "Whenever a
// user has their externally_managed field modified their restrictedFields
// property gets populated with the appropriate value, even if it is already
// set to a value an administrator manually set." It does not say which
// value, nor which wins when one body carries both fields, so the emulator
// takes the strictest reading: the change replaces restrictedFields, those
// sent in the same body included, with entries that name no authority id
// (the mirrored fields of seed 001 when set, none when cleared). A client
// that wants particular entries must send them in a later request.
func externallyManagedDefault(on bool) []any {
	if !on {
		return []any{}
	}
	var out []any
	for _, f := range []string{"email", "firstname", "lastname", "username"} {
		out = append(out, map[string]any{"field": f, "type": "active_directory"})
	}
	return out
}

// applyExternallyManaged enforces the rule above on d, the stored user
// after body was applied; before is the stored value of externally_managed
// before the request (nil for a create).
func applyExternallyManaged(d, body doc, before any) {
	v, ok := body["externally_managed"].(bool)
	if !ok {
		return
	}
	if b, _ := before.(bool); before != nil && b == v {
		return
	}
	if before == nil && !v {
		return // a create that leaves the default (false) modifies nothing
	}
	d["restrictedFields"] = externallyManagedDefault(v)
}

// validateRestrictedIDs checks restrictedField.id's maxLength (24, an
// ObjectId: v1 components.schemas.restrictedField.properties.id), which
// rules out, for example, an AD objectGUID.
func validateRestrictedIDs(d doc) *apiError {
	list, _ := d["restrictedFields"].([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		if id, _ := m["id"].(string); len(id) > 24 {
			return newError(400, fmt.Sprintf("restrictedFields id %q is longer than 24 characters", id))
		}
	}
	return nil
}
