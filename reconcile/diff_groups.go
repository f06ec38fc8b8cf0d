// This file holds the group half of Diff: mirrored groups, their
// flattened members, and emptied member lists held for a second read.

package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

type adGroup struct {
	g    *ADGroup
	guid string
	gi   int // index into Cloud.Groups, -1 when created
	ref  Ref
	ok   bool // mirrored by this plan (not skipped)
}

func (d *differ) diffGroups() {
	groups := make([]adGroup, 0, len(d.dir.Groups))
	seen := make(map[string]struct{}, len(d.dir.Groups))
	for i := range d.dir.Groups {
		g := &d.dir.Groups[i]
		k := strings.ToLower(g.GUID)
		if _, dup := seen[k]; dup || k == "" {
			d.skip(KindGroup, g.Name, "AD group %s has an empty or repeated objectGUID", g.DN)
			continue
		}
		seen[k] = struct{}{}
		gi, ok := d.grByAnchor[k]
		if why := d.groupGuard(g); why != "" {
			// Never mirrored; a JumpCloud group mirrored from it before is
			// left as is rather than deleted as out of scope.
			if ok {
				d.grRole[gi] = roleFrozen
				why += "; JumpCloud group " + d.jc.Groups[gi].ID + " left as is"
			}
			d.skip(KindGroup, g.Name, "%s", why)
			continue
		}
		if !ok {
			gi = -1
		}
		groups = append(groups, adGroup{g: g, guid: k, gi: gi})
	}
	slices.SortFunc(groups, func(a, b adGroup) int {
		if (a.gi >= 0) != (b.gi >= 0) {
			if a.gi >= 0 {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.guid, b.guid)
	})
	claims := make(map[string]string, len(groups)) // lower name → DN
	var released []release
	for n := range groups {
		ag := &groups[n]
		if ag.gi < 0 {
			continue
		}
		jg := &d.jc.Groups[ag.gi]
		d.grRole[ag.gi] = roleActive
		ag.ref = Ref{Anchor: ag.guid, ID: jg.ID, Name: jg.Name}
		ag.ok = true
		name := ag.g.Name
		ln := strings.ToLower(name)
		if name == jg.Name || name == "" {
			claims[strings.ToLower(jg.Name)] = ag.g.DN
			continue
		}
		if dn, ok := claims[ln]; ok {
			d.skip(KindGroup, jg.Name, "rename to %q not applied: AD group %s has the same name", name, dn)
			continue
		}
		if gi, ok := d.grByName[ln]; ok && gi != ag.gi {
			d.skip(KindGroup, jg.Name, "rename to %q not applied: JumpCloud group %s has that name", name, d.jc.Groups[gi].ID)
			claims[strings.ToLower(jg.Name)] = ag.g.DN
			continue
		}
		claims[ln] = ag.g.DN
		released = append(released, release{key: strings.ToLower(jg.Name), jc: ag.gi})
		ag.ref.Name = name
		d.changes = append(d.changes, Change{
			Action: Update, Kind: KindGroup, Key: name, Reason: "renamed in AD", Group: &ag.ref,
			Fields: []FieldChange{{FieldName, jg.Name, name}},
		})
	}
	for _, r := range released {
		if d.grByName[r.key] == r.jc {
			delete(d.grByName, r.key)
		}
	}
	for n := range groups {
		ag := &groups[n]
		if ag.gi >= 0 {
			continue
		}
		name := ag.g.Name
		ln := strings.ToLower(name)
		if name == "" {
			d.skip(KindGroup, ag.g.DN, "no name in AD")
			continue
		}
		if dn, ok := claims[ln]; ok {
			d.skip(KindGroup, name, "AD group %s has the same name", dn)
			continue
		}
		claims[ln] = ag.g.DN
		gi, exists := d.grByName[ln]
		if !exists {
			ag.ok, ag.ref = true, Ref{Anchor: ag.guid, Name: name}
			d.changes = append(d.changes, Change{
				Action: Create, Kind: KindGroup, Key: name, Reason: "in scope in AD", Group: &ag.ref,
				Fields: []FieldChange{{FieldAnchor, "", ag.guid}, {FieldName, "", name}},
			})
			continue
		}
		jg := &d.jc.Groups[gi]
		if d.grRole[gi] != roleUnmanaged {
			d.skip(KindGroup, name, "JumpCloud group %s has that name and is mirrored from another AD group", jg.ID)
			continue
		}
		// JumpCloud group names are unique, so a create would fail; take the
		// group over instead, keeping its JumpCloud-only members (seed 001).
		d.grRole[gi] = roleActive
		ag.gi, ag.ok, ag.ref = gi, true, Ref{Anchor: ag.guid, ID: jg.ID, Name: name}
		fields := []FieldChange{{FieldAnchor, "", ag.guid}}
		if jg.Name != name {
			fields = append(fields, FieldChange{FieldName, jg.Name, name})
		}
		d.changes = append(d.changes, Change{
			Action: Adopt, Kind: KindGroup, Key: name, Reason: "name matches JumpCloud-only group " + jg.ID,
			Group: &ag.ref, Fields: fields,
		})
	}
	d.bindGroups(groups)
	for n := range groups {
		if ag := &groups[n]; ag.ok {
			var have []string
			if ag.gi >= 0 {
				have = d.jc.Groups[ag.gi].Members
			}
			d.diffMembers(ag, have)
		}
	}
	for gi := range d.jc.Groups {
		if d.grRole[gi] != roleAnchored {
			continue
		}
		jg := &d.jc.Groups[gi]
		d.changes = append(d.changes, Change{
			Action: Delete, Kind: KindGroup, Key: jg.Name, Reason: "no longer in scope in AD",
			Group: &Ref{Anchor: strings.ToLower(jg.Anchor), ID: jg.ID, Name: jg.Name},
		})
	}
}

// diffMembers plans the bindings of one mirrored group. Only memberships of
// users adjc manages are added or removed: JumpCloud-only users bound to a
// mirrored group keep their membership (seed 001), and users left as is this
// run (privileged, incomplete) or deleted by the plan are not touched.
func (d *differ) diffMembers(ag *adGroup, have []string) {
	removals := len(d.changes)
	defer func() { d.holdEmptied(ag, removals) }()
	haveSet := make(map[string]struct{}, len(have))
	for _, id := range have {
		haveSet[id] = struct{}{}
	}
	want := make(map[string]struct{}, len(ag.g.Members))
	prefix := ag.ref.Name + "/"
	for _, m := range ag.g.Members {
		k := strings.ToLower(m)
		i, ok := d.byGUID[k]
		if !ok {
			d.skip(KindMembership, prefix+k, "member %s of AD group %s is not a user in scope", m, ag.g.DN)
			continue
		}
		s := &d.users[i]
		if s.fate != fateActive {
			continue
		}
		ref := &Ref{Anchor: s.guid, Name: s.name}
		id := "\x00" + s.guid // a user created by this plan has no id yet
		if s.jc >= 0 {
			ref.ID = d.jc.Users[s.jc].ID
			id = ref.ID
		}
		if _, dup := want[id]; dup {
			continue
		}
		want[id] = struct{}{}
		if _, ok := haveSet[id]; ok {
			continue
		}
		d.changes = append(d.changes, Change{
			Action: Create, Kind: KindMembership, Key: prefix + strings.ToLower(s.name),
			Reason: "member of " + ag.g.Name + " in AD", User: ref, Group: &ag.ref,
		})
	}
	for _, id := range have {
		if _, ok := want[id]; ok {
			continue
		}
		want[id] = struct{}{} // a repeated id is removed once
		j, ok := d.jcByID[id]
		if !ok {
			continue // not a user this org lists; not adjc's to remove
		}
		cu := &d.jc.Users[j]
		var reason, name string
		switch d.jcRole[j] {
		case roleActive:
			reason, name = "not a member of "+ag.g.Name+" in AD", d.users[d.byGUID[d.jcAnchor[j]]].name
		case roleOutKept:
			reason, name = "no longer in scope in AD", cu.Username
		default:
			continue
		}
		d.changes = append(d.changes, Change{
			Action: Delete, Kind: KindMembership, Key: prefix + strings.ToLower(name), Reason: reason,
			User: &Ref{Anchor: d.jcAnchor[j], ID: cu.ID, Name: name}, Group: &ag.ref,
		})
	}
}

// groupGuard says why AD group g is never mirrored, or "".
func (d *differ) groupGuard(g *ADGroup) string {
	if g.Privileged {
		return "privileged in AD (adminCount=1): never mirrored"
	}
	if why := d.guard.adGroup(g); why != "" {
		return why + ": never mirrored"
	}
	return ""
}

// holdEmptied takes back the membership removals planned from changes[from:]
// for ag when AD listed no member at all and no second read confirmed it:
// every managed member leaving at once is what a truncated or failed read
// looks like (issue 14.3), so the plan asks for the list again instead.
func (d *differ) holdEmptied(ag *adGroup, from int) {
	if len(ag.g.Members) > 0 || ag.g.MembersConfirmed {
		return
	}
	kept := d.changes[:from]
	n := 0
	for _, c := range d.changes[from:] {
		if c.Kind == KindMembership && c.Action == Delete {
			n++
			continue
		}
		kept = append(kept, c)
	}
	d.changes = kept
	if n > 0 {
		d.skipped = append(d.skipped, Skip{Kind: KindMembership, Key: ag.ref.Name, Recheck: ag.guid,
			Reason: fmt.Sprintf("AD group %s was read with no members while its JumpCloud group holds %d managed members: none removed until a second read confirms it is empty", ag.g.DN, n)})
	}
}
