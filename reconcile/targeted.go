package reconcile

import (
	"slices"
	"strings"
)

// Fresh is what a targeted run read again, from both directories, about a
// few AD users (a watch run in `schedule`: the users whose attributes
// changed). [Refresh] folds it into the state kept from the last full run,
// and [DiffTargeted] plans those users only.
type Fresh struct {
	// GUIDs are the objectGUIDs of the AD users the run is about.
	GUIDs []string
	// Users are those of GUIDs that are in scope now, as AD has them. A GUID
	// without an entry here has left scope.
	Users []ADUser
	// Groups maps each GUID in Users to the objectGUIDs of the mirrored
	// groups it is a member of now, directly or through nested groups.
	Groups map[string][]string
	// Admins and NestedAdmins are those of GUIDs that are direct and nested
	// members of `JumpCloud Admins` now, as in [Directory].
	Admins, NestedAdmins []string
	// CloudUsers are the JumpCloud users read again: those anchored to
	// GUIDs and those holding their usernames or emails (who may be adopted
	// or collide with a rename). They replace the cached users with the
	// same ID.
	CloudUsers []CloudUser
	// CloudGroups maps the ID of each of CloudUsers to the IDs of the user
	// groups it is bound to now.
	CloudGroups map[string][]string
	// Gone are IDs of cached JumpCloud users that JumpCloud no longer has.
	Gone []string
	// DeletedGroups are the objectGUIDs of mirrored groups deleted in AD
	// since the full read: gone from the directory, as a full read would
	// find them. Their members that lost memberships by it are in GUIDs.
	DeletedGroups []string
}

// Refresh returns the state dir and cloud (read in full earlier) with what
// f says about its users put in place of what they held: the AD users of
// f.GUIDs, their group memberships and admin status, and the JumpCloud users
// of f.CloudUsers and f.Gone with their group bindings. Everything else is
// kept as it was read. Refresh is pure and does not modify its inputs.
func Refresh(dir Directory, cloud Cloud, f Fresh) (Directory, Cloud) {
	guids := lowerSet(f.GUIDs)
	out := Directory{Cycles: dir.Cycles, Skipped: dir.Skipped, NeverTouch: dir.NeverTouch, Authority: dir.Authority, Mapped: dir.Mapped}
	for _, u := range dir.Users {
		if !guids[strings.ToLower(u.GUID)] {
			out.Users = append(out.Users, u)
		}
	}
	out.Users = append(out.Users, f.Users...)
	inGroup := make(map[string][]string) // lower group GUID → fresh members
	for _, u := range f.Users {
		for _, g := range f.Groups[u.GUID] {
			inGroup[strings.ToLower(g)] = append(inGroup[strings.ToLower(g)], u.GUID)
		}
	}
	deleted := lowerSet(f.DeletedGroups)
	out.Groups = make([]ADGroup, 0, len(dir.Groups))
	for _, g := range dir.Groups {
		if deleted[strings.ToLower(g.GUID)] {
			continue
		}
		had := len(g.Members)
		g.Members = slices.DeleteFunc(slices.Clone(g.Members), func(m string) bool { return guids[strings.ToLower(m)] })
		g.Members = append(g.Members, inGroup[strings.ToLower(g.GUID)]...)
		if g.Scope {
			// The scope group holds every user in scope: each fresh user
			// that is in scope is one of its members.
			for _, u := range f.Users {
				if !slices.ContainsFunc(g.Members, func(m string) bool { return strings.EqualFold(m, u.GUID) }) {
					g.Members = append(g.Members, u.GUID)
				}
			}
		}
		if had > 0 && len(g.Members) == 0 {
			// Every member it had was read again, one by one, and is no
			// longer in it: that is the second read an emptied list needs.
			g.MembersConfirmed = true
		}
		out.Groups = append(out.Groups, g)
	}
	keep := func(l []string) []string {
		return slices.DeleteFunc(slices.Clone(l), func(g string) bool { return guids[strings.ToLower(g)] })
	}
	out.Admins = append(keep(dir.Admins), f.Admins...)
	out.NestedAdmins = append(keep(dir.NestedAdmins), f.NestedAdmins...)

	ids := make(map[string]bool, len(f.CloudUsers)+len(f.Gone))
	for _, u := range f.CloudUsers {
		ids[u.ID] = true
	}
	for _, id := range f.Gone {
		ids[id] = true
	}
	var oc Cloud
	for _, u := range cloud.Users {
		if !ids[u.ID] {
			oc.Users = append(oc.Users, u)
		}
	}
	// A targeted read does not list the AD domain object's associations:
	// a user keeps the association the full read found.
	wasBound := make(map[string]bool)
	for _, u := range cloud.Users {
		if u.Markers.Bound {
			wasBound[u.ID] = true
		}
	}
	for _, u := range f.CloudUsers {
		u.Markers.Bound = u.Markers.Bound || wasBound[u.ID]
		oc.Users = append(oc.Users, u)
	}
	bound := make(map[string][]string) // group ID → fresh member IDs
	for _, u := range f.CloudUsers {
		for _, g := range f.CloudGroups[u.ID] {
			bound[g] = append(bound[g], u.ID)
		}
	}
	oc.Groups = make([]CloudGroup, len(cloud.Groups))
	for i, g := range cloud.Groups {
		g.Members = slices.DeleteFunc(slices.Clone(g.Members), func(id string) bool { return ids[id] })
		g.Members = append(g.Members, bound[g.ID]...)
		oc.Groups[i] = g
	}
	return out, oc
}

// Restrict returns the plan with only the changes about the AD users guids
// (matched by the anchor of [Change.User]): their user, admin and membership
// changes; and the deletions of the AD groups groups (matched by the anchor
// of [Change.Group]). Other group changes and other users' changes are
// dropped, and so are the skips, which name users by key rather than
// anchor. Managed and the fingerprint are kept, so the deletion threshold
// still counts against every managed user. Restrict does not modify p.
func (p Plan) Restrict(guids []string, groups ...string) Plan {
	set, gset := lowerSet(guids), lowerSet(groups)
	out := p
	out.Changes = make([]Change, 0)
	for _, c := range p.Changes {
		switch {
		case c.User != nil && c.User.Anchor != "" && set[strings.ToLower(c.User.Anchor)]:
			out.Changes = append(out.Changes, c)
		case c.Kind == KindGroup && c.Action == Delete && c.Group != nil && c.Group.Anchor != "" && gset[strings.ToLower(c.Group.Anchor)]:
			out.Changes = append(out.Changes, c)
		}
	}
	out.Skipped = make([]Skip, 0)
	return out
}

// DiffTargeted plans the users of f only: [Diff] towards JumpCloud over the
// state refreshed with f ([Refresh]), restricted to f.GUIDs
// ([Plan.Restrict]). It has no direction argument: a targeted run is about
// AD users whose attributes changed, which only the import direction has. Every rule of
// Diff applies unchanged, against every other user and group as last read:
// a rename or adoption still sees the names the others hold, and the
// deletion threshold the full number of managed users.
//
// When only the users of f changed since dir and cloud were read, the
// result has the same changes as Diff over a complete fresh read (the
// property tests check this over the scenarios of [Diff]'s tests).
func DiffTargeted(dir Directory, cloud Cloud, f Fresh, p Policy) Plan {
	d, c := Refresh(dir, cloud, f)
	return Diff(ToJumpCloud, d, c, p).Restrict(f.GUIDs, f.DeletedGroups...)
}

func lowerSet(l []string) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, s := range l {
		m[strings.ToLower(s)] = true
	}
	return m
}

// Anchored returns cloud with the users that res created, adopted or
// deleted as JumpCloud now holds them, as far as identity goes: a created
// user with its new id and anchor, an adopted one with its anchor, a
// deleted one gone; and without the groups res deleted. It does not modify
// cloud.
func Anchored(cloud Cloud, res Result) Cloud {
	out := Cloud{Users: slices.Clone(cloud.Users), Groups: cloud.Groups}
	gone, goneGroups := map[string]bool{}, map[string]bool{}
	for _, o := range res.Outcomes {
		c := o.Change
		if o.Status == StatusApplied && c.Kind == KindGroup && c.Action == Delete && c.Group != nil {
			goneGroups[c.Group.ID] = true
		}
		if o.Status != StatusApplied || c.Kind != KindUser || c.User == nil {
			continue
		}
		switch c.Action {
		case Create:
			u := created(o)
			out.Users = append(out.Users, u)
		case Adopt:
			for i := range out.Users {
				if out.Users[i].ID == c.User.ID {
					out.Users[i].Anchor = c.User.Anchor
				}
			}
		case Delete:
			gone[c.User.ID] = true
		}
	}
	out.Users = slices.DeleteFunc(out.Users, func(u CloudUser) bool { return gone[u.ID] })
	if len(goneGroups) > 0 {
		out.Groups = slices.DeleteFunc(slices.Clone(cloud.Groups), func(g CloudGroup) bool { return goneGroups[g.ID] })
	}
	return out
}

// created is the JumpCloud user the applied creation o made, as far as a
// targeted run needs it: its id, anchor, username and email.
func created(o Outcome) CloudUser {
	c := o.Change
	u := CloudUser{ID: o.ID, Anchor: c.User.Anchor, Username: c.User.Name}
	if f, ok := c.Field(FieldEmail); ok {
		u.Email = f.New
	}
	return u
}
