// This file holds what a targeted run does with a [Base]: fold in what it
// read again, plan the users it is about, fold in what it applied.

package reconcile

import (
	"slices"
	"strings"
)

// Refresh folds f into the state in place, as [Refresh] does into a copy:
// the AD users of f.GUIDs, their group memberships and admin status, and
// the JumpCloud users of f.CloudUsers and f.Gone with their bindings. It
// costs what f holds, plus the members of the groups it changes.
func (b *Base) Refresh(f Fresh) {
	guids := lowerSet(f.GUIDs)
	for g := range guids {
		for _, i := range slices.Clone(b.adKeys["g:"+g]) {
			b.killAD(i)
		}
	}
	for _, u := range f.Users {
		b.appendAD(u)
	}
	// Groups: the touched users leave every group listing them, then join
	// those f says; the scope group holds every fresh user.
	inGroup := map[string][]string{} // lower group GUID → fresh members
	for _, u := range f.Users {
		for _, g := range f.Groups[u.GUID] {
			inGroup[strings.ToLower(g)] = append(inGroup[strings.ToLower(g)], u.GUID)
		}
	}
	touched := map[int]bool{}
	for g := range guids {
		for _, gi := range b.adGroupsOf[g] {
			touched[gi] = true
		}
	}
	for g := range inGroup {
		for _, gi := range b.adGroupByGUID[g] {
			touched[gi] = true
		}
	}
	if len(f.Users) > 0 {
		for _, gi := range b.scope {
			touched[gi] = true
		}
	}
	for _, gi := range slices.Sorted(mapKeysInt(touched)) {
		g := &b.dir.Groups[gi]
		had := len(g.Members)
		members := slices.DeleteFunc(slices.Clone(g.Members), func(m string) bool {
			if guids[strings.ToLower(m)] {
				delIdx(b.adGroupsOf, strings.ToLower(m), gi)
				return true
			}
			return false
		})
		add := func(m string) {
			members = append(members, m)
			addIdx(b.adGroupsOf, strings.ToLower(m), gi)
		}
		for _, m := range inGroup[strings.ToLower(g.GUID)] {
			add(m)
		}
		if g.Scope {
			for _, u := range f.Users {
				if !slices.Contains(b.adGroupsOf[strings.ToLower(u.GUID)], gi) {
					add(u.GUID)
				}
			}
		}
		g.Members = members
		if had > 0 && len(members) == 0 {
			g.MembersConfirmed = true
		}
	}
	keep := func(l []string) []string {
		return slices.DeleteFunc(l, func(g string) bool { return guids[strings.ToLower(g)] })
	}
	// Mirrored groups deleted in AD: gone from the state, as a full read
	// would find them; their members were re-read (f.GUIDs) above.
	for _, g := range f.DeletedGroups {
		for _, gi := range b.adGroupByGUID[strings.ToLower(g)] {
			for _, m := range b.dir.Groups[gi].Members {
				delIdx(b.adGroupsOf, strings.ToLower(m), gi)
			}
			b.dir.Groups[gi].Members = nil
			b.adGone[gi] = true
		}
	}
	b.dir.Admins = append(keep(b.dir.Admins), f.Admins...)
	b.dir.NestedAdmins = append(keep(b.dir.NestedAdmins), f.NestedAdmins...)

	// JumpCloud: the users read again replace those with their ids.
	ids := map[string]bool{}
	for _, u := range f.CloudUsers {
		ids[u.ID] = true
	}
	for _, id := range f.Gone {
		ids[id] = true
	}
	wasBound := map[string]bool{}
	for id := range ids {
		for _, i := range slices.Clone(b.jcKeys["id:"+strings.ToLower(id)]) {
			if b.cloud.Users[i].ID != id {
				continue
			}
			wasBound[id] = wasBound[id] || b.cloud.Users[i].Markers.Bound
			b.killJC(i)
		}
	}
	for _, u := range f.CloudUsers {
		u.Markers.Bound = u.Markers.Bound || wasBound[u.ID]
		b.appendJC(u)
	}
	bound := map[string][]string{} // group ID → fresh member IDs
	for _, u := range f.CloudUsers {
		for _, g := range f.CloudGroups[u.ID] {
			bound[g] = append(bound[g], u.ID)
		}
	}
	touched = map[int]bool{}
	for id := range ids {
		for _, gi := range b.jcGroupsOf[id] {
			touched[gi] = true
		}
	}
	for g := range bound {
		for _, gi := range b.jcGroupByID[g] {
			touched[gi] = true
		}
	}
	for _, gi := range slices.Sorted(mapKeysInt(touched)) {
		g := &b.cloud.Groups[gi]
		members := slices.DeleteFunc(slices.Clone(g.Members), func(id string) bool {
			if ids[id] {
				delIdx(b.jcGroupsOf, id, gi)
				return true
			}
			return false
		})
		for _, id := range bound[g.ID] {
			members = append(members, id)
			addIdx(b.jcGroupsOf, id, gi)
		}
		g.Members = members
	}
}

func mapKeysInt(m map[int]bool) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Anchored folds in what res applied, as [Anchored] does into a copy: a
// created user with its new id and anchor, an adopted one with its anchor,
// a deleted one gone; a deleted group gone.
func (b *Base) Anchored(res Result) {
	for _, o := range res.Outcomes {
		c := o.Change
		if o.Status == StatusApplied && c.Kind == KindGroup && c.Action == Delete && c.Group != nil {
			for _, gi := range b.jcGroupByID[c.Group.ID] {
				for _, m := range b.cloud.Groups[gi].Members {
					delIdx(b.jcGroupsOf, m, gi)
				}
				b.cloud.Groups[gi].Members = nil
				b.jcGone[gi] = true
			}
			continue
		}
		if o.Status != StatusApplied || c.Kind != KindUser || c.User == nil {
			continue
		}
		switch c.Action {
		case Create:
			u := created(o)
			b.appendJC(u)
		case Adopt:
			for _, i := range slices.Clone(b.jcKeys["id:"+strings.ToLower(c.User.ID)]) {
				if b.cloud.Users[i].ID == c.User.ID {
					b.indexJC(i, false)
					b.cloud.Users[i].Anchor = c.User.Anchor
					b.indexJC(i, true)
				}
			}
		case Delete:
			for _, i := range slices.Clone(b.jcKeys["id:"+strings.ToLower(c.User.ID)]) {
				if b.cloud.Users[i].ID == c.User.ID {
					b.killJC(i)
				}
			}
		}
	}
}

// component returns the live AD and JumpCloud users whose plan the plan of
// the AD users guids can depend on, in state order: those reachable from
// guids through shared identities (objectGUID and anchor, username, email,
// DN) and the users a user-reference field ([ValueUserRef]) names. Diff
// decides every other user without looking at these, nor these by looking
// at any other.
func (b *Base) component(guids []string) (ad, jc []int) {
	seen := map[string]bool{}
	adSeen, jcSeen := map[int]bool{}, map[int]bool{}
	var queue []string
	push := func(k string) {
		if !seen[k] {
			seen[k] = true
			queue = append(queue, k)
		}
	}
	for _, g := range guids {
		if g != "" {
			push("g:" + strings.ToLower(g))
		}
	}
	for len(queue) > 0 {
		k := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, i := range b.adKeys[k] {
			if adSeen[i] {
				continue
			}
			adSeen[i] = true
			ad = append(ad, i)
			u := &b.dir.Users[i]
			for _, k := range adUserKeys(u) {
				push(k)
			}
			for _, f := range Fields {
				if v := u.Attrs[f.Name]; f.Value == ValueUserRef && v != "" {
					push("g:" + strings.ToLower(v))
					push("dn:" + strings.ToLower(v))
				}
			}
		}
		for _, j := range b.jcKeys[k] {
			if !jcSeen[j] {
				jcSeen[j] = true
				jc = append(jc, j)
				for _, k := range jcUserKeys(&b.cloud.Users[j]) {
					push(k)
				}
			}
		}
	}
	slices.Sort(ad)
	slices.Sort(jc)
	return ad, jc
}

// Plan plans the AD users guids against the rest of the state: the
// changes of [DiffTargeted] (every rule of [Diff], restricted to those
// users, with [Plan.Managed] counting every managed user), computed over
// the users they can depend on ([Base.component]) and every group, each
// group listing only those users; and the deletions of the mirrored groups
// groups, deleted in AD ([Fresh.DeletedGroups]). The plan has no
// fingerprint: it is not a plan of a state that could be read again to
// check it.
func (b *Base) Plan(guids []string, p Policy, groups ...string) Plan {
	ad, jc := b.component(guids)
	b.planned = [2]int{len(ad), len(jc)}
	sub := Directory{Container: b.dir.Container, NeverTouch: b.dir.NeverTouch, Authority: b.dir.Authority, Mapped: b.dir.Mapped}
	in := map[string]bool{} // lower GUIDs of the AD users planned
	for _, i := range ad {
		sub.Users = append(sub.Users, b.dir.Users[i])
		in[strings.ToLower(b.dir.Users[i].GUID)] = true
	}
	for _, a := range b.dir.Admins {
		if in[strings.ToLower(a)] {
			sub.Admins = append(sub.Admins, a)
		}
	}
	for _, a := range b.dir.NestedAdmins {
		if in[strings.ToLower(a)] {
			sub.NestedAdmins = append(sub.NestedAdmins, a)
		}
	}
	pos := make([]int, len(b.dir.Groups)) // dir.Groups → sub.Groups, -1 when gone
	for gi, g := range b.dir.Groups {
		if b.adGone[gi] {
			pos[gi] = -1
			continue
		}
		// Members are filled in below. A group that lists anyone is not
		// an emptied list waiting for its second read, whoever is left in
		// it here.
		g.MembersConfirmed = g.MembersConfirmed || len(g.Members) > 0
		g.Members = nil
		pos[gi] = len(sub.Groups)
		sub.Groups = append(sub.Groups, g)
	}
	listed := map[string]bool{}
	for _, u := range sub.Users {
		g := strings.ToLower(u.GUID)
		if listed[g] {
			continue
		}
		listed[g] = true
		for _, gi := range b.adGroupsOf[g] {
			if pos[gi] >= 0 {
				sub.Groups[pos[gi]].Members = append(sub.Groups[pos[gi]].Members, g)
			}
		}
	}
	var cloud Cloud
	cpos := make([]int, len(b.cloud.Groups)) // cloud.Groups → the plan's, -1 when gone
	for gi, g := range b.cloud.Groups {
		if b.jcGone[gi] {
			cpos[gi] = -1
			continue
		}
		g.Members = nil
		cpos[gi] = len(cloud.Groups)
		cloud.Groups = append(cloud.Groups, g)
	}
	ids := map[string]bool{}
	for _, j := range jc {
		u := b.cloud.Users[j]
		cloud.Users = append(cloud.Users, u)
		if ids[u.ID] {
			continue
		}
		ids[u.ID] = true
		for _, gi := range b.jcGroupsOf[u.ID] {
			if cpos[gi] >= 0 {
				cloud.Groups[cpos[gi]].Members = append(cloud.Groups[cpos[gi]].Members, u.ID)
			}
		}
	}
	plan := Diff(ToJumpCloud, sub, cloud, p).Restrict(guids, groups...)
	plan.Managed = b.Managed()
	plan.Fingerprint = ""
	return plan
}
