package reconcile

import (
	"cmp"
	"slices"
	"strings"
)

// Authority is the JumpCloud AD domain object an import marks its objects
// with (DESIGN "JumpCloud as the vendor leaves it"; seed 001: imported users
// show the AD icon and their mirrored fields are read-only in JumpCloud).
type Authority struct {
	// ID is the JumpCloud id of the AD domain object (jumpcloud_domain_id).
	// Empty until `adjc connect` made one: then `restrictedFields`,
	// `delegatedAuthority` and the association, which all name it, are
	// neither planned nor compared.
	ID string
	// Password reports that AD is the only password authority (mode
	// ad-authority, seed 003: "Changing passwords in JumpCloud is not
	// possible with this use case"): `password` is restricted as well.
	Password bool
	// Delegation is what managed users' `delegatedAuthority` should be;
	// the zero value leaves it as it is.
	Delegation Delegation
}

// Delegation is what an import does with the `delegatedAuthority` of the
// users it manages (v1 components.schemas.systemuserput: {name:
// ActiveDirectory, id: the AD domain object}, "Used by auth to determine
// password delegation authority"). JumpCloud-only users are never written.
type Delegation string

const (
	// DelegationLeave neither compares nor writes it.
	DelegationLeave Delegation = ""
	// DelegationSet makes it name the [Authority]'s AD domain object.
	DelegationSet Delegation = "set"
	// DelegationClear makes it null.
	DelegationClear Delegation = "clear"
)

// SourceActiveDirectory is the value of `external_source_type` and of
// `restrictedField.type` for Active Directory (v1 spec,
// components.schemas.restrictedField.type).
const SourceActiveDirectory = "active_directory"

// Marker field names in [FieldChange.Name]: the JumpCloud JSON names, plus
// [FieldBound] for the association with the AD domain object.
const (
	FieldExternalDN         = "external_dn"
	FieldExternalSourceType = "external_source_type"
	FieldExternallyManaged  = "externally_managed"
	FieldDelegatedAuthority = "delegatedAuthority"
	FieldRestrictedFields   = "restrictedFields"
	// FieldBound is the association of the user or group with the AD
	// domain object (v2 /activedirectories/{id}/associations): the id of
	// the AD domain object it is associated with, "" for none.
	FieldBound = "bound"
)

// RestrictedField is one `restrictedFields` entry of a JumpCloud user: field
// is owned by the authority of Type with id ID.
type RestrictedField struct {
	Field string
	Type  string
	ID    string
}

// Markers are what makes a JumpCloud user AD-managed in the console.
type Markers struct {
	// ExternalDN is `external_dn`: the AD user's DN, which follows a move.
	ExternalDN string
	// ExternalSourceType is `external_source_type`.
	ExternalSourceType string
	// ExternallyManaged is `externally_managed` (deprecated in the spec,
	// still set by the vendor's agent).
	ExternallyManaged bool
	// DelegatedAuthority is `delegatedAuthority.id`; "" when null.
	DelegatedAuthority string
	// Restricted are the `restrictedFields` entries.
	Restricted []RestrictedField
	// Bound reports a direct association with the AD domain object of the
	// [Authority] the state was read for.
	Bound bool
}

// RestrictedText is the plan's text for the [SourceActiveDirectory] entries
// of rs: "active_directory:<id>:<field>,<field>…", fields sorted, one such
// group per id joined by ";"; "" when there are none. Entries of other
// authorities are not adjc's and are left out (and left as they are).
func RestrictedText(rs []RestrictedField) string {
	byID := map[string][]string{}
	for _, r := range rs {
		if r.Type == SourceActiveDirectory {
			byID[r.ID] = append(byID[r.ID], r.Field)
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		fs := byID[id]
		slices.Sort(fs)
		fs = slices.Compact(fs)
		parts = append(parts, SourceActiveDirectory+":"+id+":"+strings.Join(fs, ","))
	}
	return strings.Join(parts, ";")
}

// ParseRestricted reads the text [RestrictedText] writes back into entries.
func ParseRestricted(s string) []RestrictedField {
	var out []RestrictedField
	for part := range strings.SplitSeq(s, ";") {
		typ, rest, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		id, fields, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		for f := range strings.SplitSeq(fields, ",") {
			if f != "" {
				out = append(out, RestrictedField{Field: f, Type: typ, ID: id})
			}
		}
	}
	return out
}

// wantMarkers returns the markers an AD-managed user mirrored from u carries.
// The fields restricted to AD are those it mirrors (seed 001: first and
// last name, email, username; the [Field.Restrict] entries of the table),
// with the opt-in ones in mapped.
func wantMarkers(u *ADUser, a Authority, mapped []string) Markers {
	m := Markers{ExternalDN: u.DN, ExternalSourceType: SourceActiveDirectory, ExternallyManaged: true}
	if a.ID == "" {
		return m
	}
	// delegatedAuthority follows the delegated_authority setting, which
	// the caller turned into a.Delegation (by default from the AD domain
	// object's delegationState: the console's password delegation).
	if a.Delegation == DelegationSet {
		m.DelegatedAuthority = a.ID
	}
	m.Bound = true
	fields := restrictedFields(mapped)
	if a.Password {
		fields = append(fields, "password")
	}
	for _, f := range fields {
		m.Restricted = append(m.Restricted, RestrictedField{Field: f, Type: SourceActiveDirectory, ID: a.ID})
	}
	return m
}

// markerFields appends to fields the marker changes that take have to want;
// the fields that name the authority are compared only when it is known.
func markerFields(fields []FieldChange, have, want Markers, a Authority) []FieldChange {
	if want.ExternalDN != "" && have.ExternalDN != want.ExternalDN {
		fields = append(fields, FieldChange{FieldExternalDN, have.ExternalDN, want.ExternalDN})
	}
	if have.ExternalSourceType != want.ExternalSourceType {
		fields = append(fields, FieldChange{FieldExternalSourceType, have.ExternalSourceType, want.ExternalSourceType})
	}
	if have.ExternallyManaged != want.ExternallyManaged {
		fields = append(fields, FieldChange{FieldExternallyManaged, boolText(have.ExternallyManaged), boolText(want.ExternallyManaged)})
	}
	if a.ID == "" {
		return fields
	}
	if a.Delegation != DelegationLeave && have.DelegatedAuthority != want.DelegatedAuthority {
		fields = append(fields, FieldChange{FieldDelegatedAuthority, have.DelegatedAuthority, want.DelegatedAuthority})
	}
	if h, w := RestrictedText(have.Restricted), RestrictedText(want.Restricted); h != w {
		fields = append(fields, FieldChange{FieldRestrictedFields, h, w})
	}
	if have.Bound != want.Bound {
		fields = append(fields, FieldChange{FieldBound, boundText(have.Bound, a), boundText(want.Bound, a)})
	}
	return fields
}

// markerReason says why marker changes were planned: a move in AD, or
// markers missing or changed in JumpCloud.
func markerReason(fields []FieldChange) string {
	moved, other := false, false
	for _, f := range fields {
		switch {
		case f.Name == FieldExternalDN && f.Old != "":
			moved = true
		case isMarker(f.Name):
			other = true
		}
	}
	switch {
	case moved && other:
		return "moved in AD; AD-managed markers missing or changed in JumpCloud"
	case moved:
		return "moved in AD"
	case other:
		return "AD-managed markers missing or changed in JumpCloud"
	}
	return ""
}

// MarkersOnly reports whether every field of c is an AD-managed marker: a
// change that makes a user look AD-managed in the console and nothing else.
func MarkersOnly(c Change) bool {
	if len(c.Fields) == 0 {
		return false
	}
	for _, f := range c.Fields {
		if !isMarker(f.Name) {
			return false
		}
	}
	return true
}

func isMarker(name string) bool {
	switch name {
	case FieldExternalDN, FieldExternalSourceType, FieldExternallyManaged,
		FieldDelegatedAuthority, FieldRestrictedFields, FieldBound:
		return true
	}
	return false
}

// sortFields orders a change's fields by name, as plans list them.
func sortFields(fields []FieldChange) {
	slices.SortStableFunc(fields, func(a, b FieldChange) int { return cmp.Compare(a.Name, b.Name) })
}

// createFields returns the fields of a user create with the markers added,
// each from "" as every field of a create is.
func (d *differ) createFields(u *ADUser, fields []FieldChange) []FieldChange {
	n := len(fields)
	fields = markerFields(fields, Markers{}, wantMarkers(u, d.dir.Authority, d.dir.Mapped), d.dir.Authority)
	for i := n; i < len(fields); i++ {
		fields[i].Old = ""
	}
	sortFields(fields)
	return fields
}

// bindGroups plans the association of every mirrored group with the AD
// domain object, when it is known: in the group's create or adopt change,
// or in an update of its own.
func (d *differ) bindGroups(groups []adGroup) {
	a := d.dir.Authority
	if a.ID == "" {
		return
	}
	for n := range groups {
		ag := &groups[n]
		if !ag.ok || (ag.gi >= 0 && d.jc.Groups[ag.gi].Bound) {
			continue
		}
		f := FieldChange{FieldBound, "", a.ID}
		merged := false
		for i := range d.changes {
			c := &d.changes[i]
			if c.Kind != KindGroup || c.Group != &ag.ref {
				continue
			}
			c.Fields = append(c.Fields, f)
			sortFields(c.Fields)
			merged = true
			break
		}
		if !merged {
			d.changes = append(d.changes, Change{
				Action: Update, Kind: KindGroup, Key: ag.ref.Name, Group: &ag.ref,
				Reason: "AD-managed markers missing or changed in JumpCloud", Fields: []FieldChange{f},
			})
		}
	}
}

// boundText is the plan's value of [FieldBound].
func boundText(bound bool, a Authority) string {
	if bound {
		return a.ID
	}
	return ""
}
