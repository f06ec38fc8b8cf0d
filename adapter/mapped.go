package adapter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
)

// jcText says where jcapi holds each opt-in field of the table that
// JumpCloud keeps as one string ([reconcile.ValueText] and
// [reconcile.ValueUserRef]): in a user read and in an update.
// TestJCTextCoversTable fails when a table field has no entry.
var jcText = map[string]struct {
	get func(*jcapi.SystemUser) *string
	put func(*jcapi.SystemUserUpdate) **string
}{
	"department": {
		func(u *jcapi.SystemUser) *string { return &u.Department },
		func(u *jcapi.SystemUserUpdate) **string { return &u.Department }},
	"jobTitle": {
		func(u *jcapi.SystemUser) *string { return &u.JobTitle },
		func(u *jcapi.SystemUserUpdate) **string { return &u.JobTitle }},
	"employeeIdentifier": {
		func(u *jcapi.SystemUser) *string { return &u.EmployeeIdentifier },
		func(u *jcapi.SystemUserUpdate) **string { return &u.EmployeeIdentifier }},
	"manager": {
		func(u *jcapi.SystemUser) *string { return &u.Manager },
		func(u *jcapi.SystemUserUpdate) **string { return &u.Manager }},
}

// cloudAttrs returns the opt-in fields JumpCloud holds for u, by field
// name; nil when it holds none. The engine compares only the fields a
// domain maps, so reading them all changes no plan.
func cloudAttrs(u *jcapi.SystemUser) map[string]string {
	var m map[string]string
	for _, f := range reconcile.Fields {
		if !f.OptIn {
			continue
		}
		var v string
		if f.Value == reconcile.ValueWorkPhone {
			v = workPhone(u.PhoneNumbers)
		} else if t, ok := jcText[f.Name]; ok {
			v = *t.get(u)
		}
		if v != "" {
			if m == nil {
				m = map[string]string{}
			}
			m[f.Name] = v
		}
	}
	return m
}

// workPhone is the number of the first phoneNumbers entry of type work.
func workPhone(ps []jcapi.PhoneNumber) string {
	for _, p := range ps {
		if strings.EqualFold(p.Type, jcapi.PhoneWork) {
			return p.Number
		}
	}
	return ""
}

// withWorkPhone returns ps with the work entry set to number (removed for
// ""), every other entry as it was.
func withWorkPhone(ps []jcapi.PhoneNumber, number string) []jcapi.PhoneNumber {
	out := make([]jcapi.PhoneNumber, 0, len(ps)+1)
	done := false
	for _, p := range ps {
		if !strings.EqualFold(p.Type, jcapi.PhoneWork) {
			out = append(out, p)
			continue
		}
		if !done && number != "" {
			out = append(out, jcapi.PhoneNumber{Number: number, Type: p.Type})
		}
		done = true
	}
	if !done && number != "" {
		out = append(out, jcapi.PhoneNumber{Number: number, Type: jcapi.PhoneWork})
	}
	return out
}

// createAttrs puts the opt-in fields of a create into its body.
func createAttrs(su *jcapi.SystemUser, attrs map[string]string) error {
	for _, name := range slices.Sorted(mapKeys(attrs)) {
		v := attrs[name]
		f, ok := reconcile.FieldByName(reconcile.KindUser, name)
		switch {
		case ok && f.Value == reconcile.ValueWorkPhone:
			su.PhoneNumbers = withWorkPhone(su.PhoneNumbers, v)
		case jcText[name].get != nil:
			*jcText[name].get(su) = v
		default:
			return fmt.Errorf("plan field %q: adjc cannot write it to JumpCloud", name)
		}
	}
	return nil
}

// updateAttrs puts the opt-in fields of an update into upd. A work phone
// is written by replacing phoneNumbers, so the user's other numbers are
// read first (cur) and kept.
func updateAttrs(upd *jcapi.SystemUserUpdate, attrs map[string]string, cur func() (jcapi.SystemUser, error)) error {
	for _, name := range slices.Sorted(mapKeys(attrs)) {
		v := attrs[name]
		f, ok := reconcile.FieldByName(reconcile.KindUser, name)
		switch {
		case ok && f.Value == reconcile.ValueWorkPhone:
			u, err := cur()
			if err != nil {
				return err
			}
			ps := withWorkPhone(u.PhoneNumbers, v)
			upd.PhoneNumbers = &ps
		case jcText[name].put != nil:
			*jcText[name].put(upd) = &v
		default:
			return fmt.Errorf("plan field %q: adjc cannot write it to JumpCloud", name)
		}
	}
	return nil
}

// adAttrs returns the opt-in fields mapped reads from AD, by field name:
// the attribute as AD holds it (a DN for a user reference, which the
// engine resolves).
func adAttrs(u ldapx.User, mapped []string) map[string]string {
	if len(mapped) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, f := range reconcile.Fields {
		if f.OptIn && slices.Contains(mapped, f.Name) {
			if v := attrValue(u.Attrs, f.AD); v != "" {
				m[f.Name] = v
			}
		}
	}
	return m
}

// attrValue reads an attribute from ldapx's Attrs, whose keys are the
// names asked for; LDAP names are case-insensitive.
func attrValue(attrs map[string]string, name string) string {
	if v, ok := attrs[name]; ok {
		return v
	}
	for k, v := range attrs {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// ErrUnknownField is matched by the error of [Mapping] for a name in
// field_mapping that is no opt-in field of the table.
var ErrUnknownField = errors.New("unknown field")

// Mapping decides the opt-in fields an import carries
// ([ReadOptions.Mapped]) and the notes to show with every plan: names are
// field_mapping's fields (JumpCloud names or AD attributes), and with
// rules set the translation rules of AD domain object adID are read and
// honoured as [reconcile.Mapping] says. Without rules nothing is read.
func Mapping(ctx context.Context, c *jcapi.Client, adID string, names []string, rules bool) ([]string, []reconcile.Skip, error) {
	configured := make([]string, 0, len(names))
	for _, n := range names {
		f, err := reconcile.OptInField(n)
		if err != nil {
			return nil, nil, fmt.Errorf("field_mapping: %w %q: use one of %s (docs/fields.md), or translation-rules",
				ErrUnknownField, n, strings.Join(reconcile.OptInFields(), ", "))
		}
		configured = append(configured, f.Name)
	}
	var rs []reconcile.TranslationRule
	if rules {
		if adID == "" {
			return nil, nil, fmt.Errorf("field_mapping: %s needs jumpcloud_domain_id", "translation-rules")
		}
		for r, err := range c.TranslationRules(ctx, adID) {
			if err != nil {
				return nil, nil, fmt.Errorf("read translation rules: %w", err)
			}
			rs = append(rs, reconcile.TranslationRule{ID: r.ID, Source: r.Source, Destination: r.Destination,
				SourceType: r.SourceType, Direction: r.Direction, AppliedOn: r.AppliedOn})
		}
	}
	mapped, notes := reconcile.Mapping(configured, rs)
	return mapped, notes, nil
}
