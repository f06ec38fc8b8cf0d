package reconcile

import (
	"slices"
	"strings"
)

// diffMapped plans the opt-in fields of [Directory.Mapped] for every user
// the plan keeps following AD: into the user's create, adopt or update
// change when it has one, else into an update of their own. Without
// mapped fields it plans nothing, so a plan without field_mapping is the
// plan it was before opt-in fields existed.
func (d *differ) diffMapped() {
	if len(d.dir.Mapped) == 0 {
		return
	}
	for i := range d.users {
		s := &d.users[i]
		if s.fate != fateActive {
			continue
		}
		var have map[string]string
		if s.jc >= 0 {
			have = d.jc.Users[s.jc].Attrs
		}
		var fields []FieldChange
		var why []string
		for _, f := range Fields {
			if !f.OptIn || !slices.Contains(d.dir.Mapped, f.Name) {
				continue
			}
			want := s.u.Attrs[f.Name]
			if f.Value == ValueUserRef {
				var ok bool
				if want, ok = d.userRef(s, f, want); !ok {
					continue
				}
			}
			old := have[f.Name]
			if want == old {
				continue
			}
			fields = append(fields, FieldChange{f.Name, old, want})
			if r := f.AD + " changed in AD"; !slices.Contains(why, r) {
				why = append(why, r)
			}
		}
		if len(fields) == 0 {
			continue
		}
		if s.chg > 0 {
			c := &d.changes[s.chg-1]
			c.Fields = append(c.Fields, fields...)
			sortFields(c.Fields)
			if c.Action == Update {
				c.Reason += "; " + strings.Join(why, "; ")
			}
			continue
		}
		sortFields(fields)
		cu := &d.jc.Users[s.jc]
		d.changes = append(d.changes, Change{
			Action: Update, Kind: KindUser, Key: strings.ToLower(s.name),
			Reason: strings.Join(why, "; "), User: &Ref{Anchor: s.guid, ID: cu.ID, Name: s.name}, Fields: fields,
		})
		s.chg = len(d.changes)
	}
}

// userRef resolves a [ValueUserRef] field of user s, which holds the DN (or
// objectGUID) of another AD user, to the JumpCloud id of the user that AD
// user is imported as. A user adjc does not import gives "" with the
// reason in the plan: JumpCloud's manager must be a JumpCloud user, and
// pointing it at one adjc does not keep in step would go stale unseen.
// ok is false when the field is to be left as it is this run: the other
// user is created by this very plan, so its id is not known yet (the next
// run sets it).
func (d *differ) userRef(s *adUser, f Field, v string) (id string, ok bool) {
	if v == "" {
		return "", true
	}
	k, found := d.byGUID[strings.ToLower(v)]
	if !found {
		if d.byDN == nil {
			d.byDN = make(map[string]int, len(d.users))
			for i := range d.users {
				if d.users[i].u.DN != "" {
					d.byDN[strings.ToLower(d.users[i].u.DN)] = i
				}
			}
		}
		k, found = d.byDN[strings.ToLower(v)]
	}
	key := strings.ToLower(s.name)
	if found {
		m := &d.users[k]
		switch {
		case m.jc >= 0 && (m.fate == fateActive || m.fate == fateFrozen):
			return d.jc.Users[m.jc].ID, true
		case m.fate == fateActive:
			d.skip(KindUser, key, "%s %s is created by this plan: %s is set on the next run", f.AD, m.u.DN, f.Name)
			return "", false
		}
		v = m.u.DN
	}
	d.skip(KindUser, key, "%s %s is not imported by adjc: %s left unset", f.AD, v, f.Name)
	return "", true
}

// plainFields appends the changes of the table's plainly compared fields
// ([Field] with an ad reader: firstname and lastname), in table order, and
// each distinct reason once.
func plainFields(fields []FieldChange, why []string, u *ADUser, cu *CloudUser) ([]FieldChange, []string) {
	for _, f := range Fields {
		if f.ad == nil {
			continue
		}
		if want, have := f.ad(u), f.cloud(cu); want != have {
			fields = append(fields, FieldChange{f.Name, have, want})
			if !slices.Contains(why, f.why) {
				why = append(why, f.why)
			}
		}
	}
	return fields, why
}
