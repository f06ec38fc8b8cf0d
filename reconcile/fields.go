package reconcile

import (
	"fmt"
	"slices"
	"strings"
)

// Field is one mapped field, declared once: what it is called in a plan
// (the JumpCloud JSON name), which Active Directory attribute it comes from
// or goes to, which directions carry it, and how it compares. The LDAP
// attributes import reads and a change watch follows, the import diff's
// comparisons of plain fields, the apply specs and patches of opt-in
// fields, preflight's writable-attribute check, the AD names a JumpCloud →
// AD plan shows and docs/fields.md all derive from [Fields];
// TestFingerprintCoversEveryField keeps the fingerprint in step with the
// values the table's fields live in.
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
	// OptIn fields are carried only when the operator names them in
	// field_mapping, or a translation rule of the domain maps them
	// ([Directory.Mapped]); their values live in [ADUser.Attrs] and
	// [CloudUser.Attrs] under Name. Without one nothing reads, plans or
	// writes them.
	OptIn bool
	// Value is how JumpCloud holds the value.
	Value Value
	// Restrict is set when an imported user's `restrictedFields` name the
	// field (read-only in the console while AD owns it): only fields the
	// spec's restrictedField.field enum lists can be.
	Restrict bool
	// Note says what else there is to know, for the docs.
	Note string

	// ad and cloud read a field that is not opt-in and that the import
	// diff compares plainly (nil for fields with rules of their own:
	// username, email, suspended, sudo); why is the plan's reason.
	ad    func(*ADUser) string
	cloud func(*CloudUser) string
	why   string
}

// Value is how JumpCloud holds a mapped field's value.
type Value uint8

const (
	// ValueText is a plain string field.
	ValueText Value = iota
	// ValueWorkPhone is the number of the `phoneNumbers` entry of type
	// "work"; the other entries are left as they are.
	ValueWorkPhone
	// ValueUserRef is the JumpCloud id of another system user. AD holds
	// the DN of a user; the reader gives the engine that user's objectGUID
	// when it is in scope (the DN otherwise), and [Diff] plans the
	// JumpCloud id of the user it is imported as.
	ValueUserRef
)

// Fields is the one table of mapped fields.
var Fields = []Field{
	{Name: FieldUsername, Object: KindUser, AD: "sAMAccountName", Import: true, Sync: true, Required: true, Fold: true, Restrict: true,
		Note: "the AD attribute is configurable (username_attribute, the seeds' UserFieldMapping); a change is a rename of the same user"},
	{Name: FieldEmail, Object: KindUser, AD: "mail", Import: true, Sync: true, Required: true, Fold: true, Restrict: true,
		Note: "on import, userPrincipalName when mail is empty"},
	{Name: FieldFirstname, Object: KindUser, AD: "givenName", Import: true, Sync: true, Restrict: true,
		ad: func(u *ADUser) string { return u.GivenName }, cloud: func(u *CloudUser) string { return u.Firstname }, why: "name changed in AD"},
	{Name: FieldLastname, Object: KindUser, AD: "sn", Import: true, Sync: true, Restrict: true,
		ad: func(u *ADUser) string { return u.Surname }, cloud: func(u *CloudUser) string { return u.Lastname }, why: "name changed in AD"},
	{Name: FieldSuspended, Object: KindUser, AD: "userAccountControl", Import: true, Sync: true,
		Note: "the ACCOUNTDISABLE bit; shown as 'disabled' in a plan towards AD"},
	{Name: FieldAdmin, Object: KindUser, AD: "member", Import: true,
		Note: "sudo for members of the admins group (direct members; nested with nested_admins)"},
	{Name: FieldName, Object: KindGroup, AD: "cn", Import: true, Sync: true, Required: true,
		Note: "sAMAccountName too, cleaned where AD cannot hold the name"},
	{Name: "department", Object: KindUser, AD: "department", Import: true, OptIn: true, Restrict: true},
	{Name: "jobTitle", Object: KindUser, AD: "title", Import: true, OptIn: true, Restrict: true},
	{Name: "employeeIdentifier", Object: KindUser, AD: "employeeID", Import: true, OptIn: true, Restrict: true,
		Note: "JumpCloud keeps it unique in the organisation"},
	{Name: "phoneNumbers", Object: KindUser, AD: "telephoneNumber", Import: true, OptIn: true, Restrict: true, Value: ValueWorkPhone,
		Note: "the entry of type work; other entries are left as they are"},
	{Name: "manager", Object: KindUser, AD: "manager", Import: true, OptIn: true, Value: ValueUserRef,
		Note: "the JumpCloud id of the manager's user when adjc imports the manager too; unset, with the reason, otherwise"},
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
// AD), in table order, without repeats. Opt-in fields are left out: see
// [MappedADAttributes].
func ADAttributes(kind Kind, sync bool) []string {
	var out []string
	for _, f := range Fields {
		if f.Object != kind || f.OptIn || (sync && !f.Sync) || (!sync && !f.Import) || slices.Contains(out, f.AD) {
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

// OptInFields returns the names of the opt-in user fields, in table order.
func OptInFields() []string {
	var out []string
	for _, f := range Fields {
		if f.OptIn {
			out = append(out, f.Name)
		}
	}
	return out
}

// MappedADAttributes returns the AD attributes of the opt-in user fields
// named in mapped, in table order: what an import reads beyond the fields
// every import carries.
func MappedADAttributes(mapped []string) []string {
	var out []string
	for _, f := range Fields {
		if f.OptIn && slices.Contains(mapped, f.Name) && !slices.Contains(out, f.AD) {
			out = append(out, f.AD)
		}
	}
	return out
}

// OptInField finds the opt-in user field a name in field_mapping means: the
// JumpCloud name or the AD attribute, in any case.
func OptInField(name string) (Field, error) {
	for _, f := range Fields {
		if f.OptIn && (strings.EqualFold(f.Name, name) || strings.EqualFold(f.AD, name)) {
			return f, nil
		}
	}
	return Field{}, fmt.Errorf("unknown mapped field %q (want one of %s)", name, strings.Join(OptInFields(), ", "))
}

// restrictedFields returns the user fields an import restricts to AD:
// the table's restrictable fields every import carries, and the opt-in
// ones in mapped.
func restrictedFields(mapped []string) []string {
	var out []string
	for _, f := range Fields {
		if f.Object == KindUser && f.Import && f.Restrict && (!f.OptIn || slices.Contains(mapped, f.Name)) {
			out = append(out, f.Name)
		}
	}
	slices.Sort(out)
	return out
}
