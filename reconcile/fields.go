package reconcile

import "slices"

// Field is one mapped field, declared once: what it is called in a plan
// (the JumpCloud JSON name), which Active Directory attribute it comes from
// or goes to, which directions carry it, and how it compares. The LDAP
// attributes a change watch follows, preflight's writable-attribute check,
// the AD names a JumpCloud → AD plan shows and docs/fields.md all derive
// from [Fields]; TestFingerprintCoversEveryField keeps the fingerprint in
// step with the values the table's fields live in.
type Field struct {
	// Name is the plan's field name, JumpCloud's JSON name
	// (FieldChange.Name).
	Name string
	// Object is what the field belongs to: [KindUser] or [KindGroup].
	Object Kind
	// AD is the Active Directory attribute, as a plan towards AD names it.
	AD string
	// Import is set when AD → JumpCloud carries the field; Sync when
	// JumpCloud → AD writes it to the AD attribute.
	Import, Sync bool
	// Required fields must be set for the object to be synced at all.
	Required bool
	// Fold is set when values compare case-insensitively, as the service
	// that holds them does.
	Fold bool
	// Note says what else there is to know, for the docs.
	Note string
}

// Fields is the one table of mapped fields.
var Fields = []Field{
	{Name: FieldUsername, Object: KindUser, AD: "sAMAccountName", Import: true, Sync: true, Required: true, Fold: true,
		Note: "the AD attribute is configurable (username_attribute, the seeds' UserFieldMapping); a change is a rename of the same user"},
	{Name: FieldEmail, Object: KindUser, AD: "mail", Import: true, Sync: true, Required: true, Fold: true,
		Note: "on import, userPrincipalName when mail is empty"},
	{Name: FieldFirstname, Object: KindUser, AD: "givenName", Import: true, Sync: true},
	{Name: FieldLastname, Object: KindUser, AD: "sn", Import: true, Sync: true},
	{Name: FieldSuspended, Object: KindUser, AD: "userAccountControl", Import: true, Sync: true,
		Note: "the ACCOUNTDISABLE bit; shown as 'disabled' in a plan towards AD"},
	{Name: FieldAdmin, Object: KindUser, AD: "member", Import: true,
		Note: "sudo for members of the admins group (direct members; nested with nested_admins)"},
	{Name: FieldName, Object: KindGroup, AD: "cn", Import: true, Sync: true, Required: true,
		Note: "sAMAccountName too, cleaned where AD cannot hold the name"},
}

// FieldByName returns the table's entry for a plan field name of an object
// kind.
func FieldByName(kind Kind, name string) (Field, bool) {
	i := slices.IndexFunc(Fields, func(f Field) bool { return f.Object == kind && f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return Fields[i], true
}

// ADAttributes returns the AD attributes of the table's fields of an object
// kind that a direction carries (import: read from AD; sync: written to
// AD), in table order, without repeats.
func ADAttributes(kind Kind, sync bool) []string {
	var out []string
	for _, f := range Fields {
		if f.Object != kind || (sync && !f.Sync) || (!sync && !f.Import) || slices.Contains(out, f.AD) {
			continue
		}
		out = append(out, f.AD)
	}
	return out
}

// Carries reports whether direction d carries field f: [ToJumpCloud] the
// fields marked Import, [ToAD] those marked Sync.
func (d Direction) Carries(f Field) bool {
	switch d {
	case ToJumpCloud:
		return f.Import
	case ToAD:
		return f.Sync
	}
	return false
}
