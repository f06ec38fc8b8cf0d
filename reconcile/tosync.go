package reconcile

import (
	"fmt"
	"slices"
	"strings"
)

// MaxSAMAccountName is the longest sAMAccountName AD accepts for a user
// (the pre-Windows 2000 logon name).
const MaxSAMAccountName = 20

// samInvalid are the characters AD refuses in a sAMAccountName.
const samInvalid = "\"/\\[]:;|=,+*?<>@"

// SAMAccountNameProblem says why name cannot be an AD sAMAccountName, or "".
func SAMAccountNameProblem(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case len([]rune(name)) > MaxSAMAccountName:
		return fmt.Sprintf("it is longer than %d characters", MaxSAMAccountName)
	case strings.ContainsAny(name, samInvalid):
		return "it contains one of " + samInvalid
	case strings.HasSuffix(name, "."):
		return "it ends with a period"
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "it contains a control character"
		}
	}
	return ""
}

// groupSAMInvalid are the characters AD refuses in a group's
// sAMAccountName, which sync sets to the group name.
const groupSAMInvalid = "\"/\\[]:;|=,+*?<>"

// GroupNameProblem says why name cannot be the sAMAccountName of an AD
// group, or "". The cn can hold these characters escaped, but AD refuses
// them in sAMAccountName. Sync does not refuse such a name: it creates the
// group with that cn and the sAMAccountName [GroupSAMAccountName] cleans
// from it, as import already reads groups whose two names differ.
func GroupNameProblem(name string) string {
	if strings.ContainsAny(name, groupSAMInvalid) {
		return "it contains one of " + groupSAMInvalid
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "it contains a control character"
		}
	}
	return ""
}

// diffToAD plans the JumpCloud → AD direction ([Diff] with [ToAD]): the
// changes that make ad (Active Directory) hold jc (the users and groups
// bound to the JumpCloud AD domain object) under policy p. Like the import
// direction it is pure and level-based: applying the plan and diffing again
// yields an empty plan.
//
// In the plan, [Ref.Anchor] is the JumpCloud id (the authority's identity)
// and [Ref.ID] is the AD distinguishedName, empty for an object the plan
// creates. Field names are the JumpCloud ones: firstname → givenName,
// lastname → sn, email → mail, suspended → userAccountControl ACCOUNTDISABLE.
//
// The rules, from DESIGN.md and seeds 002/003:
//   - A bound user is matched by its anchor (objectGUID) when it has one,
//     else by username against the AD username attribute, case-insensitively.
//     A match is taken over without a password change; fields that differ
//     are updated ([Update]). No match: the user is created under the Root
//     User container ([Create]); the target gives it a random password that
//     meets the domain policy and enables it.
//   - A privileged AD account (adminCount=1) is refused and reported, as is
//     a username AD cannot hold and a suspended user not yet in AD.
//   - JumpCloud suspension disables the AD account; an active user's
//     disabled account is re-enabled when [Policy.Unsuspend] is set.
//   - A bound group is matched by the JumpCloud id recorded in an AD group
//     ([ADGroup.Anchor]), else by name, or created in the container with
//     its id recorded. A group matched by name gets its id recorded
//     ([FieldAnchor]); one whose name differs is renamed ([FieldName]), so a
//     rename in JumpCloud renames the AD group instead of creating another.
//     An AD group recording another JumpCloud group's id is not taken. Its AD
//     membership gains every member that exists (or is created) in AD, and
//     loses, value by value, members that are bound users but no longer in
//     the JumpCloud group. Other AD members are left alone.
//   - Objects outside the container are managed where they are, and
//     reported, never moved. Nothing in AD is ever deleted by sync.
//   - With [Policy.TwoWay], objects mirrored from AD are left to import.
//   - Never-touch objects ([Directory.NeverTouch], well-known or built-in
//     objectSid, isCriticalSystemObject, adminCount=1, computer accounts)
//     are never taken over, written, renamed or given or stripped of
//     members, whatever their names; no object is created under a
//     never-touch name.
//   - A bound group whose JumpCloud member list is empty while its AD group
//     holds bound users loses them only when [CloudGroup.MembersConfirmed]
//     is set; until then the plan asks for a second read ([Skip.Recheck]).
func diffToAD(ad Directory, jc Cloud, p Policy) Plan {
	s := &toAD{pol: p, dom: &ad, guard: newGuard(ad.NeverTouch)}
	s.index()
	s.users(jc.Users)
	s.groups(jc.Groups)
	plan := Plan{
		Version:     PlanVersion,
		Direction:   ToAD,
		Fingerprint: Fingerprint(ToAD, ad, jc),
		Managed:     s.managed,
		Changes:     s.changes,
		Skipped:     s.skipped,
	}
	if plan.Changes == nil {
		plan.Changes = []Change{}
	}
	if plan.Skipped == nil {
		plan.Skipped = []Skip{}
	}
	sortPlan(&plan)
	return plan
}

// adTarget is where a bound user ends up in AD after the plan.
type adTarget struct {
	ref  Ref    // Anchor = JumpCloud id, ID = DN ("" when created by the plan)
	guid string // objectGUID of the matched AD user, "" when created
	key  string // lower-cased username, the plan key
}

type toAD struct {
	pol   Policy
	dom   *Directory
	guard guard

	byName    map[string]int // lower username → index in dom.Users
	byMail    map[string]int // lower mail → index in dom.Users
	byGUID    map[string]int // lower objectGUID → index in dom.Users
	grpName   map[string]int // lower name → index in dom.Groups
	grpAnchor map[string]int // JumpCloud group id → index in dom.Groups

	resolved map[string]adTarget // JumpCloud user id → AD user
	managed  int

	changes []Change
	skipped []Skip
}

func (s *toAD) skip(k Kind, key, format string, args ...any) {
	s.skipped = append(s.skipped, Skip{Kind: k, Key: key, Reason: fmt.Sprintf(format, args...)})
}

func (s *toAD) index() {
	s.byName = make(map[string]int, len(s.dom.Users))
	s.byGUID = make(map[string]int, len(s.dom.Users))
	s.byMail = make(map[string]int, len(s.dom.Users))
	for i := range s.dom.Users {
		u := &s.dom.Users[i]
		if u.Username != "" {
			s.byName[strings.ToLower(u.Username)] = i
		}
		if u.Mail != "" {
			s.byMail[strings.ToLower(u.Mail)] = i
		}
		if u.GUID != "" {
			s.byGUID[strings.ToLower(u.GUID)] = i
		}
	}
	s.grpName = make(map[string]int, len(s.dom.Groups))
	s.grpAnchor = make(map[string]int, len(s.dom.Groups))
	for i := range s.dom.Groups {
		s.grpName[strings.ToLower(s.dom.Groups[i].Name)] = i
		if a := s.dom.Groups[i].Anchor; a != "" {
			s.grpAnchor[a] = i
		}
	}
	s.resolved = make(map[string]adTarget)
}

// inContainer reports whether dn is the container or below it.
func (s *toAD) inContainer(dn string) bool {
	c := strings.ToLower(s.dom.Container)
	d := strings.ToLower(dn)
	return c == "" || d == c || strings.HasSuffix(d, ","+c)
}

func (s *toAD) users(bound []CloudUser) {
	order := sortedIdx(len(bound), func(i int) string { return bound[i].ID })
	seen := make(map[string]string, len(bound)) // lower username → JumpCloud id
	for _, i := range order {
		u := &bound[i]
		key := strings.ToLower(u.Username)
		if key == "" {
			s.skip(KindUser, u.ID, "JumpCloud user %s has no username", u.ID)
			continue
		}
		if other, dup := seen[key]; dup {
			s.skip(KindUser, key, "JumpCloud users %s and %s have the same username; %s left as is", other, u.ID, u.ID)
			continue
		}
		seen[key] = u.ID
		s.user(u, key)
	}
}

func (s *toAD) user(u *CloudUser, key string) {
	ai, found := -1, false
	if u.Anchor != "" {
		ai, found = s.byGUID[strings.ToLower(u.Anchor)]
		if !found {
			s.skip(KindUser, key, "mirrored from AD object %s, which is no longer in AD; import decides what happens to it", u.Anchor)
			return
		}
	} else {
		ai, found = s.byName[key]
		if why := s.matchConflict(u, ai, found); why != "" {
			s.skip(KindUser, key, "%s; neither taken over nor created: resolve by hand", why)
			return
		}
	}
	if !found {
		s.newUser(u, key)
		return
	}
	a := &s.dom.Users[ai]
	if a.Privileged {
		s.skip(KindUser, key, "privileged AD account (adminCount=1): adjc never manages it")
		return
	}
	if why := s.guard.user(a); why != "" {
		s.skip(KindUser, key, "%s: never touched (AD account %s)", why, a.DN)
		return
	}
	s.managed++
	s.resolved[u.ID] = adTarget{ref: Ref{Anchor: u.ID, ID: a.DN, Name: u.Username}, guid: strings.ToLower(a.GUID), key: key}
	if !s.inContainer(a.DN) {
		s.skip(KindUser, key, "outside the Root User container (%s): managed where it is, not moved", a.DN)
	}
	if s.pol.TwoWay && u.Anchor != "" {
		return // AD's object: import mirrors it the other way
	}
	var fields []FieldChange
	var why []string
	add := func(name, old, new string) {
		if old != new {
			fields = append(fields, FieldChange{Name: name, Old: old, New: new})
		}
	}
	add(FieldEmail, a.Mail, u.Email)
	add(FieldFirstname, a.GivenName, u.Firstname)
	add(FieldLastname, a.Surname, u.Lastname)
	if len(fields) > 0 {
		why = append(why, "JumpCloud profile changed")
	}
	switch {
	case u.Suspended && !a.Disabled:
		fields = append(fields, FieldChange{Name: FieldSuspended, Old: "false", New: "true"})
		why = append(why, "suspended in JumpCloud")
	case !u.Suspended && a.Disabled && s.pol.Unsuspend:
		fields = append(fields, FieldChange{Name: FieldSuspended, Old: "true", New: "false"})
		why = append(why, "active in JumpCloud")
	case !u.Suspended && a.Disabled:
		s.skip(KindUser, key, "disabled in AD but active in JumpCloud; not re-enabled (re-enable is off)")
	}
	if len(fields) == 0 {
		return
	}
	slices.SortFunc(fields, func(x, y FieldChange) int { return strings.Compare(x.Name, y.Name) })
	ref := s.resolved[u.ID].ref
	s.changes = append(s.changes, Change{
		Action: Update, Kind: KindUser, Key: key,
		Reason: strings.Join(why, "; "),
		User:   &ref,
		Fields: fields,
	})
}

func (s *toAD) newUser(u *CloudUser, key string) {
	if why := s.guard.named(u.Username); why != "" {
		s.skip(KindUser, key, "%s: never touched, no AD account is created under this name", why)
		return
	}
	if u.Suspended {
		s.skip(KindUser, key, "suspended in JumpCloud and not in AD: not created")
		return
	}
	if why := SAMAccountNameProblem(u.Username); why != "" {
		s.skip(KindUser, key, "username %q cannot be an AD logon name: %s", u.Username, why)
		return
	}
	ref := Ref{Anchor: u.ID, Name: u.Username}
	s.resolved[u.ID] = adTarget{ref: ref, key: key}
	var fields []FieldChange
	for _, f := range []FieldChange{
		{Name: FieldEmail, New: u.Email},
		{Name: FieldFirstname, New: u.Firstname},
		{Name: FieldLastname, New: u.Lastname},
		{Name: FieldUsername, New: u.Username},
	} {
		if f.New != "" {
			fields = append(fields, f)
		}
	}
	s.changes = append(s.changes, Change{
		Action: Create, Kind: KindUser, Key: key,
		Reason: "bound to the AD domain in JumpCloud, not in AD",
		User:   &ref,
		Fields: fields,
	})
}

func (s *toAD) groups(bound []CloudGroup) {
	order := sortedIdx(len(bound), func(i int) string { return bound[i].ID })
	seen := make(map[string]string, len(bound))
	for _, i := range order {
		g := &bound[i]
		key := g.Name
		low := strings.ToLower(g.Name)
		if other, dup := seen[low]; dup {
			s.skip(KindGroup, key, "JumpCloud groups %s and %s have the same name; %s left as is", other, g.ID, g.ID)
			continue
		}
		seen[low] = g.ID
		if s.pol.TwoWay && g.Anchor != "" {
			s.skip(KindGroup, key, "mirrored from AD: in two-way mode AD is its authority")
			continue
		}
		if strings.TrimSpace(g.Name) == "" || len([]rune(g.Name)) > 64 {
			s.skip(KindGroup, key, "group name %q cannot be an AD common name (1 to 64 characters)", g.Name)
			continue
		}
		// The anchor first: a group renamed in JumpCloud keeps its AD
		// group. The name only for a group that records no other anchor.
		gi, found := s.grpAnchor[g.ID]
		if !found {
			gi, found = s.grpName[low]
			if found && s.dom.Groups[gi].Anchor != "" {
				s.skip(KindGroup, key, "AD group %s belongs to JumpCloud group %s (recorded in it), not to %s: rename one of them",
					s.dom.Groups[gi].DN, s.dom.Groups[gi].Anchor, g.ID)
				continue
			}
		}
		// A control character or "=" cannot be in a cn either (the lab's
		// Samba DC refuses "=" as "invalid DN"; not checked on Windows);
		// every other character AD refuses in sAMAccountName is cleaned
		// from it ([GroupSAMAccountName]) on a create or rename.
		if strings.ContainsFunc(g.Name, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '=' }) &&
			(!found || !strings.EqualFold(s.dom.Groups[gi].Name, g.Name)) {
			s.skip(KindGroup, key, "group name %q cannot be an AD group's name: it contains = or a control character", g.Name)
			continue
		}
		ref := Ref{Anchor: g.ID, Name: g.Name}
		var have []string
		if found {
			ag := &s.dom.Groups[gi]
			if ag.Privileged {
				s.skip(KindGroup, key, "privileged AD group (adminCount=1): adjc never manages it")
				continue
			}
			if why := s.guard.domainGroup(ag); why != "" {
				s.skip(KindGroup, key, "%s: never touched (AD group %s)", why, ag.DN)
				continue
			}
			ref.ID = ag.DN
			have = ag.Members
			if !s.inContainer(ag.DN) {
				s.skip(KindGroup, key, "outside the Root User container (%s): managed where it is, not moved", ag.DN)
			}
			var fields []FieldChange
			var why []string
			if ag.Anchor == "" && !ag.AnchorSlotTaken {
				fields = append(fields, FieldChange{Name: FieldAnchor, New: g.ID})
				why = append(why, "taken over: its JumpCloud group is recorded in it")
			}
			// AD compares cn case-insensitively, as the name match does:
			// a difference in case alone is not worth a rename.
			if !strings.EqualFold(ag.Name, g.Name) {
				fields = append(fields, FieldChange{Name: FieldName, Old: ag.Name, New: g.Name})
				why = append(why, "renamed in JumpCloud")
			}
			if len(fields) > 0 {
				s.changes = append(s.changes, Change{
					Action: Update, Kind: KindGroup, Key: key,
					Reason: strings.Join(why, "; "),
					Group:  &ref,
					Fields: fields,
				})
			}
		} else {
			if why := s.guard.named(g.Name); why != "" {
				s.skip(KindGroup, key, "%s: never touched, no AD group is created under this name", why)
				continue
			}
			s.changes = append(s.changes, Change{
				Action: Create, Kind: KindGroup, Key: key,
				Reason: "bound to the AD domain in JumpCloud, not in AD",
				Group:  &ref,
				Fields: groupCreateFields(g),
			})
		}
		s.members(g, ref, have)
	}
}

func (s *toAD) members(g *CloudGroup, gref Ref, have []string) {
	inAD := make(map[string]bool, len(have))
	for _, m := range have {
		inAD[strings.ToLower(m)] = true
	}
	want := make(map[string]bool, len(g.Members)) // objectGUIDs kept
	for _, id := range g.Members {
		t, ok := s.resolved[id]
		if !ok {
			continue // not in AD and not created (skipped above with the reason)
		}
		if t.guid != "" {
			want[t.guid] = true
			if inAD[t.guid] {
				continue
			}
		}
		s.membership(Create, g, gref, t, "member of the group in JumpCloud")
	}
	// Remove, value by value, members that sync manages (bound users) but
	// the JumpCloud group no longer has; AD-only members are left alone.
	var gone []adTarget
	for _, t := range s.sortedResolved() {
		if t.guid == "" || !inAD[t.guid] || want[t.guid] {
			continue
		}
		gone = append(gone, t)
	}
	if len(gone) > 0 && len(g.Members) == 0 && !g.MembersConfirmed {
		// Every bound member leaving at once is what a member list
		// answered as [] by mistake looks like (issue 14.3): ask for a
		// second read rather than empty the AD group.
		s.skipped = append(s.skipped, Skip{Kind: KindMembership, Key: g.Name, Recheck: g.ID,
			Reason: fmt.Sprintf("JumpCloud group %s was read with no members while its AD group holds %d bound users: none removed until a second read confirms it is empty", g.ID, len(gone))})
		return
	}
	for _, t := range gone {
		s.membership(Delete, g, gref, t, "no longer a member of the group in JumpCloud")
	}
}

func (s *toAD) membership(a Action, g *CloudGroup, gref Ref, t adTarget, reason string) {
	u, gr := t.ref, gref
	s.changes = append(s.changes, Change{
		Action: a, Kind: KindMembership, Key: g.Name + "/" + t.key,
		Reason: reason, User: &u, Group: &gr,
	})
}

func (s *toAD) sortedResolved() []adTarget {
	out := make([]adTarget, 0, len(s.resolved))
	for _, t := range s.resolved {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b adTarget) int { return strings.Compare(a.ref.Anchor, b.ref.Anchor) })
	return out
}

// matchConflict says why an unanchored JumpCloud user u may not be matched
// to AD user ai (found by username) or created, or "". Seed 002: "JumpCloud
// Users are associated with Active Directory Users based on the alignment of
// the Username and Email fields": a username match whose AD mail is another
// address, or no username match but an AD user holding the email, is a
// conflict to report, not a takeover or a second account. An AD user with
// no mail matches by username alone (sync then writes the email).
func (s *toAD) matchConflict(u *CloudUser, ai int, found bool) string {
	if found {
		a := &s.dom.Users[ai]
		if a.Mail != "" && u.Email != "" && !strings.EqualFold(a.Mail, u.Email) {
			return fmt.Sprintf("username matches AD user %s but its mail is %q, not %q", a.DN, a.Mail, u.Email)
		}
		return ""
	}
	if u.Email == "" {
		return ""
	}
	if mi, ok := s.byMail[strings.ToLower(u.Email)]; ok {
		a := &s.dom.Users[mi]
		return fmt.Sprintf("email matches AD user %s, whose username is %q", a.DN, a.Username)
	}
	return ""
}

// FieldSAMAccountName is a group create's sAMAccountName when it is not the
// group name (AD refuses some characters in it that a cn may hold).
const FieldSAMAccountName = "sAMAccountName"

// GroupSAMAccountName is the sAMAccountName sync gives a group named name:
// the name, with each character AD refuses there (and each control
// character) replaced by "_", as Active Directory Users and Computers
// fills its "pre-Windows 2000" name; "Sales, EMEA" becomes "Sales_ EMEA".
func GroupSAMAccountName(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(groupSAMInvalid, r) {
			return '_'
		}
		return r
	}, name)
}

// groupCreateFields are the fields of a group create: the id recorded, the
// cn, and the sAMAccountName when it has to differ from the cn.
func groupCreateFields(g *CloudGroup) []FieldChange {
	fields := []FieldChange{{Name: FieldAnchor, New: g.ID}, {Name: FieldName, New: g.Name}}
	if sam := GroupSAMAccountName(g.Name); sam != g.Name {
		fields = append(fields, FieldChange{Name: FieldSAMAccountName, New: sam})
	}
	return fields
}
