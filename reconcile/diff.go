package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// diffToJumpCloud plans the AD → JumpCloud direction ([Diff] with
// [ToJumpCloud]): the changes that make jc (JumpCloud) match ad (Active
// Directory) under policy p.
//
// Diff is pure: no I/O, clock, logging or randomness, and it never modifies
// its inputs, so a plan can be computed, shown and saved freely. Applying the
// plan and diffing again yields an empty plan (level-based, STYLE §3).
//
// The rules, from DESIGN.md and the seeds:
//   - A JumpCloud user is matched by its anchor (objectGUID); failing that an
//     unanchored one is adopted by username, then email ([Adopt]); failing
//     that a user is created. A changed username is an update of the same id.
//   - firstname ← givenName, lastname ← sn, email ← mail or else
//     userPrincipalName, username ← the configured attribute; usernames and
//     emails compare case-insensitively, as JumpCloud does.
//   - A user without username or email, and a privileged (adminCount=1)
//     user, is skipped with the reason; if already imported it is left as is.
//   - Disabled in AD → suspend (or delete, [Policy.OnDisabled]); enabled
//     again → unsuspend; a managed user out of scope → delete (or suspend,
//     [Policy.OnRemoved]). A disabled user never imported is not created.
//   - Groups mirror AD groups with flattened membership; only anchored groups
//     are renamed or deleted, and only memberships of AD-managed users are
//     removed: JumpCloud-only users keep theirs (seed 001).
//   - `sudo` follows membership of `JumpCloud Admins`.
//   - Never-touch objects ([NeverTouch], [ADUser.SID], [ADUser.Critical],
//     [ADUser.Computer], the same on groups) are never imported or
//     mirrored; one imported earlier is left as is, never deleted.
//   - A group whose AD member list is empty while its JumpCloud group holds
//     managed members loses them only when [ADGroup.MembersConfirmed] is
//     set; until then the plan asks for a second read ([Skip.Recheck]).
func diffToJumpCloud(ad Directory, jc Cloud, p Policy) Plan {
	d := newDiffer(&ad, &jc, p)
	d.indexCloud()
	d.diffUsers()
	d.diffRemoved()
	d.diffMapped()
	d.diffAdmins()
	d.diffGroups()
	d.report()
	plan := Plan{
		Version:     PlanVersion,
		Direction:   ToJumpCloud,
		Fingerprint: Fingerprint(ToJumpCloud, ad, jc),
		Managed:     d.managed,
		Changes:     d.changes,
		Skipped:     d.skipped,
	}
	sortPlan(&plan)
	return plan
}

// fate is what the plan does with an AD user.
type fate uint8

const (
	fateNone    fate = iota // not in JumpCloud and not created (skipped)
	fateFrozen              // in JumpCloud, left as is this run (privileged, incomplete)
	fateActive              // managed: matched, adopted or created; follows AD
	fateDeleted             // deleted by this plan
)

// role is what the plan does with a JumpCloud user or group.
type role uint8

const (
	roleUnmanaged role = iota // no anchor: JumpCloud-only, never touched
	roleAnchored              // anchored, not (yet) matched to an AD object
	roleActive                // matched or adopted; follows AD
	roleFrozen                // matched to a skipped AD user; left as is
	roleDeleted               // deleted by this plan
	roleOutKept               // out of scope but suspended, not deleted
	roleDuplicate             // a second object with an anchor already seen
)

type adUser struct {
	u    *ADUser
	guid string // lower-cased objectGUID
	fate fate
	jc   int    // index into Cloud.Users, -1 when created or absent
	name string // username that JumpCloud will hold after the plan
	chg  int    // 1 + index into differ.changes of its create, adopt or update; 0 for none
}

type differ struct {
	dir   *Directory
	jc    *Cloud
	pol   Policy
	guard guard

	users  []adUser
	byGUID map[string]int // lower objectGUID → index in users
	byDN   map[string]int // lower DN → index in users, built when a field needs it

	jcRole     []role
	jcAnchor   []string       // effective anchor after adoption, lower-cased
	jcByID     map[string]int // JumpCloud id → index
	jcByAnchor map[string]int
	jcByName   map[string]int // lower username → index
	jcByEmail  map[string]int // lower email → index
	claimName  map[string]int // lower username → AD user index claiming it
	claimEmail map[string]int
	managed    int

	grRole     []role
	grByAnchor map[string]int
	grByName   map[string]int

	changes []Change
	skipped []Skip
}

func newDiffer(dir *Directory, jc *Cloud, p Policy) *differ {
	n := len(dir.Users)
	return &differ{
		dir:        dir,
		jc:         jc,
		pol:        p,
		guard:      newGuard(dir.NeverTouch),
		users:      make([]adUser, n),
		byGUID:     make(map[string]int, n),
		jcRole:     make([]role, len(jc.Users)),
		jcAnchor:   make([]string, len(jc.Users)),
		jcByID:     make(map[string]int, len(jc.Users)),
		jcByAnchor: make(map[string]int, len(jc.Users)),
		jcByName:   make(map[string]int, len(jc.Users)),
		jcByEmail:  make(map[string]int, len(jc.Users)),
		claimName:  make(map[string]int, n),
		claimEmail: make(map[string]int, n),
		grRole:     make([]role, len(jc.Groups)),
		grByAnchor: make(map[string]int, len(jc.Groups)),
		grByName:   make(map[string]int, len(jc.Groups)),
		changes:    make([]Change, 0),
		skipped:    make([]Skip, 0),
	}
}

func (d *differ) skip(k Kind, key, format string, args ...any) {
	d.skipped = append(d.skipped, Skip{Kind: k, Key: key, Reason: fmt.Sprintf(format, args...)})
}

func (d *differ) indexCloud() {
	for i := range d.jc.Users {
		cu := &d.jc.Users[i]
		d.jcByID[cu.ID] = i
		if cu.Username != "" {
			d.jcByName[strings.ToLower(cu.Username)] = i
		}
		if cu.Email != "" {
			d.jcByEmail[strings.ToLower(cu.Email)] = i
		}
		if cu.Anchor == "" {
			continue
		}
		a := strings.ToLower(cu.Anchor)
		d.jcAnchor[i] = a
		d.jcRole[i] = roleAnchored
		if j, ok := d.jcByAnchor[a]; ok {
			// Two JumpCloud users claim one AD object (a restored backup, a
			// hand edit): keep the lower id, leave the other alone and say so.
			if d.jc.Users[j].ID > cu.ID {
				i, j = j, i
				d.jcByAnchor[a] = j
			}
			d.jcRole[i] = roleDuplicate
			other := &d.jc.Users[i]
			d.skip(KindUser, strings.ToLower(other.Username),
				"JumpCloud user %s has the same anchor %s as user %s; left as is", other.ID, a, d.jc.Users[j].ID)
			continue
		}
		d.jcByAnchor[a] = i
		d.managed++
	}
	for i := range d.jc.Groups {
		g := &d.jc.Groups[i]
		d.grByName[strings.ToLower(g.Name)] = i
		if g.Anchor == "" {
			continue
		}
		a := strings.ToLower(g.Anchor)
		d.grRole[i] = roleAnchored
		if j, ok := d.grByAnchor[a]; ok {
			if d.jc.Groups[j].ID > g.ID {
				i, j = j, i
				d.grByAnchor[a] = j
			}
			d.grRole[i] = roleDuplicate
			d.skip(KindGroup, d.jc.Groups[i].Name,
				"JumpCloud group %s has the same anchor %s as group %s; left as is", d.jc.Groups[i].ID, a, d.jc.Groups[j].ID)
			continue
		}
		d.grByAnchor[a] = i
	}
}

// desiredEmail is JumpCloud email for u: mail, else userPrincipalName
// (seed 001: "If both values are populated the value on the General tab
// takes precedence").
func desiredEmail(u *ADUser) string {
	if u.Mail != "" {
		return u.Mail
	}
	return u.UPN
}

func userKey(u *ADUser) string {
	switch {
	case u.Username != "":
		return strings.ToLower(u.Username)
	case u.DN != "":
		return u.DN
	}
	return u.GUID
}

func (d *differ) diffUsers() {
	// Anchored users go first so that they keep their usernames and emails
	// when a new AD user collides with them, and so that names they give up
	// by a rename are free for creates in the second pass (Apply runs updates
	// before creates).
	order := make([]int, 0, len(d.dir.Users))
	for i := range d.dir.Users {
		u := &d.dir.Users[i]
		g := strings.ToLower(u.GUID)
		if _, dup := d.byGUID[g]; dup || g == "" {
			d.skip(KindUser, userKey(u), "AD user %s has an empty or repeated objectGUID", u.DN)
			d.users[i] = adUser{u: u, guid: g, jc: -1}
			continue
		}
		d.byGUID[g] = i
		d.users[i] = adUser{u: u, guid: g, jc: -1}
		order = append(order, i)
	}
	anchored := func(i int) bool { _, ok := d.jcByAnchor[d.users[i].guid]; return ok }
	slices.SortFunc(order, func(a, b int) int {
		aa, ab := anchored(a), anchored(b)
		if aa != ab {
			if aa {
				return -1
			}
			return 1
		}
		return cmp.Compare(d.users[a].guid, d.users[b].guid)
	})
	split := len(order)
	for n, i := range order {
		if !anchored(i) {
			split = n
			break
		}
	}
	var released []release
	for _, i := range order[:split] {
		released = d.diffAnchoredUser(i, released)
	}
	// Usernames and emails that anchored users give up by a rename are free
	// for the users created below.
	for _, r := range released {
		idx := d.jcByName
		if r.email {
			idx = d.jcByEmail
		}
		if idx[r.key] == r.jc {
			delete(idx, r.key)
		}
	}
	for _, i := range order[split:] {
		d.diffNewUser(i)
	}
}

// release is a lower-cased username or email a JumpCloud user gives up.
type release struct {
	key   string
	email bool
	jc    int
}

// missing returns why u cannot be imported for lack of a required field
// (seed 001: username and email "are required to be populated in AD").
func missing(u *ADUser) string {
	switch {
	case u.Username == "":
		return "no username: the username attribute is empty in AD"
	case desiredEmail(u) == "":
		return "no email: mail and userPrincipalName are both empty in AD"
	}
	return ""
}

// nameTaken reports who else holds or claims the lower-cased username key,
// other than AD user i and JumpCloud user j.
func (d *differ) nameTaken(key string, i, j int) (string, bool) {
	if c, ok := d.claimName[key]; ok && c != i {
		return "AD user " + d.users[c].u.DN, true
	}
	if jj, ok := d.jcByName[key]; ok && jj != j {
		return "JumpCloud user " + d.jc.Users[jj].ID, true
	}
	return "", false
}

func (d *differ) emailTaken(key string, i, j int) (string, bool) {
	if c, ok := d.claimEmail[key]; ok && c != i {
		return "AD user " + d.users[c].u.DN, true
	}
	if jj, ok := d.jcByEmail[key]; ok && jj != j {
		return "JumpCloud user " + d.jc.Users[jj].ID, true
	}
	return "", false
}

func boolText(b bool) string { return strconv.FormatBool(b) }

// diffAnchoredUser plans AD user i, which has a JumpCloud user with its
// anchor, and appends the names that user gives up to released.
func (d *differ) diffAnchoredUser(i int, released []release) []release {
	s := &d.users[i]
	u := s.u
	j := d.jcByAnchor[s.guid]
	cu := &d.jc.Users[j]
	s.jc = j
	s.name = cu.Username
	if u.Privileged {
		// AdminSDHolder strips delegated rights from adminCount=1 accounts
		// (seed 002), so adjc stops managing one that became privileged,
		// without deleting what was imported before.
		s.fate, d.jcRole[j] = fateFrozen, roleFrozen
		d.skip(KindUser, strings.ToLower(cu.Username),
			"privileged in AD (adminCount=1): not managed; JumpCloud user %s left as is", cu.ID)
		return released
	}
	if why := d.guard.user(u); why != "" {
		s.fate, d.jcRole[j] = fateFrozen, roleFrozen
		d.skip(KindUser, strings.ToLower(cu.Username), "%s: never managed; JumpCloud user %s left as is", why, cu.ID)
		return released
	}
	if why := missing(u); why != "" {
		s.fate, d.jcRole[j] = fateFrozen, roleFrozen
		d.skip(KindUser, strings.ToLower(cu.Username), "%s; JumpCloud user %s left as is", why, cu.ID)
		return released
	}
	ref := &Ref{Anchor: s.guid, ID: cu.ID, Name: cu.Username}
	if u.Disabled && d.pol.onDisabled() == DispositionDelete {
		s.fate, d.jcRole[j] = fateDeleted, roleDeleted
		d.changes = append(d.changes, Change{
			Action: Delete, Kind: KindUser, Key: strings.ToLower(cu.Username),
			Reason: "disabled in AD (policy: delete)", User: ref,
		})
		return released
	}
	s.fate, d.jcRole[j] = fateActive, roleActive

	var fields []FieldChange
	var why []string
	email := desiredEmail(u)
	if !strings.EqualFold(email, cu.Email) {
		if who, taken := d.emailTaken(strings.ToLower(email), i, j); taken {
			d.skip(KindUser, strings.ToLower(cu.Username), "email %q not applied: already used by %s", email, who)
		} else {
			fields = append(fields, FieldChange{FieldEmail, cu.Email, email})
			released = append(released, release{key: strings.ToLower(cu.Email), email: true, jc: j})
			why = append(why, "email changed in AD")
			d.claimEmail[strings.ToLower(email)] = i
		}
	} else {
		d.claimEmail[strings.ToLower(email)] = i
	}
	fields, why = plainFields(fields, why, u, cu)
	if u.Disabled != cu.Suspended {
		fields = append(fields, FieldChange{FieldSuspended, boolText(cu.Suspended), boolText(u.Disabled)})
		why = append(why, map[bool]string{true: "disabled in AD", false: "enabled in AD"}[u.Disabled])
	}
	fields, why = activation(fields, why, u, cu)
	if !strings.EqualFold(u.Username, cu.Username) {
		if who, taken := d.nameTaken(strings.ToLower(u.Username), i, j); taken {
			d.skip(KindUser, strings.ToLower(cu.Username), "rename to %q not applied: username already used by %s", u.Username, who)
		} else {
			// Same JumpCloud id, new username: bindings survive, unlike the
			// seed agent's delete and re-create (seed 001).
			fields = append(fields, FieldChange{FieldUsername, cu.Username, u.Username})
			released = append(released, release{key: strings.ToLower(cu.Username), jc: j})
			why = append(why, "renamed in AD")
			s.name = u.Username
		}
	}
	d.claimName[strings.ToLower(s.name)] = i
	if mf := markerFields(nil, cu.Markers, wantMarkers(u, d.dir.Authority, d.dir.Mapped), d.dir.Authority); len(mf) > 0 {
		fields = append(fields, mf...)
		why = append(why, markerReason(mf))
		sortFields(fields)
	}
	if len(fields) > 0 {
		ref.Name = s.name
		d.changes = append(d.changes, Change{
			Action: Update, Kind: KindUser, Key: strings.ToLower(s.name),
			Reason: strings.Join(why, "; "), User: ref, Fields: fields,
		})
		s.chg = len(d.changes)
	}
	if why := PasswordDrift(u, cu); why != "" {
		d.skip(KindPassword, strings.ToLower(s.name), "%s", why)
	}
	return released
}

// diffNewUser plans AD user i, which no JumpCloud user is anchored to.
func (d *differ) diffNewUser(i int) {
	s := &d.users[i]
	u := s.u
	key := userKey(u)
	switch {
	case u.Privileged:
		d.skip(KindUser, key, "privileged in AD (adminCount=1): never imported")
		return
	case d.guard.user(u) != "":
		d.skip(KindUser, key, "%s: never imported", d.guard.user(u))
		return
	case missing(u) != "":
		d.skip(KindUser, key, "%s", missing(u))
		return
	case u.Disabled:
		d.skip(KindUser, key, "disabled in AD: not imported while disabled")
		return
	}
	email := desiredEmail(u)
	ln, le := strings.ToLower(u.Username), strings.ToLower(email)
	if c, ok := d.claimName[ln]; ok {
		d.skip(KindUser, key, "username %q is also the username of AD user %s", u.Username, d.users[c].u.DN)
		return
	}
	if c, ok := d.claimEmail[le]; ok {
		d.skip(KindUser, key, "email %q is also the email of AD user %s", email, d.users[c].u.DN)
		return
	}
	jU, byName := d.jcByName[ln]
	jE, byEmail := d.jcByEmail[le]
	if byName && byEmail && jU != jE {
		d.skip(KindUser, key, "username matches JumpCloud user %s but email matches JumpCloud user %s: adopt neither; resolve by hand",
			d.jc.Users[jU].ID, d.jc.Users[jE].ID)
		return
	}
	d.claimName[ln], d.claimEmail[le] = i, i
	s.name = u.Username
	if !byName && !byEmail {
		s.fate = fateActive
		d.changes = append(d.changes, Change{
			Action: Create, Kind: KindUser, Key: ln, Reason: "in scope in AD",
			User: &Ref{Anchor: s.guid, Name: u.Username},
			Fields: d.createFields(u, []FieldChange{
				{FieldAnchor, "", s.guid},
				{FieldEmail, "", email},
				{FieldFirstname, "", u.GivenName},
				{FieldLastname, "", u.Surname},
				{FieldUsername, "", u.Username},
			}),
		})
		s.chg = len(d.changes)
		return
	}
	j, match := jU, "username"
	if !byName {
		j, match = jE, "email"
	} else if byEmail {
		match = "username and email"
	}
	cu := &d.jc.Users[j]
	if d.jcRole[j] != roleUnmanaged {
		delete(d.claimName, ln)
		delete(d.claimEmail, le)
		d.skip(KindUser, key, "%s matches JumpCloud user %s, which adjc manages for AD object %s", match, cu.ID, d.jcAnchor[j])
		return
	}
	s.fate, s.jc = fateActive, j
	d.jcRole[j], d.jcAnchor[j] = roleActive, s.guid
	fields := []FieldChange{{FieldAnchor, "", s.guid}}
	why := []string{match + " matches JumpCloud-only user " + cu.ID}
	if !strings.EqualFold(email, cu.Email) {
		fields = append(fields, FieldChange{FieldEmail, cu.Email, email})
	}
	fields, why = plainFields(fields, why, u, cu)
	if cu.Suspended {
		fields = append(fields, FieldChange{FieldSuspended, "true", "false"})
		why = append(why, "enabled in AD")
	}
	fields, why = activation(fields, why, u, cu)
	if !strings.EqualFold(u.Username, cu.Username) {
		fields = append(fields, FieldChange{FieldUsername, cu.Username, u.Username})
	}
	fields = markerFields(fields, cu.Markers, wantMarkers(u, d.dir.Authority, d.dir.Mapped), d.dir.Authority)
	sortFields(fields)
	d.changes = append(d.changes, Change{
		Action: Adopt, Kind: KindUser, Key: ln, Reason: strings.Join(why, "; "),
		User: &Ref{Anchor: s.guid, ID: cu.ID, Name: u.Username}, Fields: fields,
	})
	s.chg = len(d.changes)
}

// diffRemoved plans managed JumpCloud users whose AD object is out of scope.
func (d *differ) diffRemoved() {
	for j := range d.jc.Users {
		if d.jcRole[j] != roleAnchored {
			continue
		}
		cu := &d.jc.Users[j]
		ref := &Ref{Anchor: d.jcAnchor[j], ID: cu.ID, Name: cu.Username}
		key := strings.ToLower(cu.Username)
		if d.pol.onRemoved() == DispositionDelete {
			d.jcRole[j] = roleDeleted
			d.changes = append(d.changes, Change{
				Action: Delete, Kind: KindUser, Key: key, User: ref,
				Reason: "no longer in scope in AD (not in the JumpCloud group, or deleted)",
			})
			continue
		}
		d.jcRole[j] = roleOutKept
		if !cu.Suspended {
			d.changes = append(d.changes, Change{
				Action: Update, Kind: KindUser, Key: key, User: ref,
				Reason: "no longer in scope in AD (policy: suspend)",
				Fields: []FieldChange{{FieldSuspended, "false", "true"}},
			})
		}
	}
}

// diffAdmins plans the `sudo` flag of every managed user from membership of
// `JumpCloud Admins` (seed 001: members that are "also a member of the
// JumpCloud group will have Global Administrator permissions").
func (d *differ) diffAdmins() {
	admins := make(map[string]struct{}, len(d.dir.Admins))
	for _, g := range d.dir.Admins {
		admins[strings.ToLower(g)] = struct{}{}
	}
	if d.pol.NestedAdmins {
		for _, g := range d.dir.NestedAdmins {
			admins[strings.ToLower(g)] = struct{}{}
		}
	}
	for i := range d.users {
		s := &d.users[i]
		if s.fate != fateActive {
			continue
		}
		_, want := admins[s.guid]
		have := false
		ref := &Ref{Anchor: s.guid, Name: s.name}
		if s.jc >= 0 {
			have = d.jc.Users[s.jc].Admin
			ref.ID = d.jc.Users[s.jc].ID
		}
		if want == have {
			continue
		}
		c := Change{
			Action: Create, Kind: KindAdmin, Key: strings.ToLower(s.name), User: ref,
			Reason: "member of JumpCloud Admins", Fields: []FieldChange{{FieldAdmin, boolText(have), boolText(want)}},
		}
		if !want {
			c.Action, c.Reason = Delete, "not a member of JumpCloud Admins"
		}
		d.changes = append(d.changes, c)
	}
}

// report copies what the reader found into the plan.
func (d *differ) report() {
	for _, c := range d.dir.Cycles {
		d.skip(KindGroup, strings.Join(c.Path, " > "), "nesting cycle in AD: flattened with each member once")
	}
	d.skipped = append(d.skipped, d.dir.Skipped...)
}
