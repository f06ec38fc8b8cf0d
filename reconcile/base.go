package reconcile

import (
	"slices"
	"strings"
)

// Base is the state of the last full read as a long-lived caller
// (`schedule`) keeps it for targeted runs, indexed so that a targeted run
// costs what it touches rather than what exists: [Base.Refresh] folds in
// what a run read again, [Base.Plan] plans the users it is about, and
// [Base.Anchored] folds in what the run applied, each in place and in time
// that grows with the users concerned (and the number of groups), not with
// the number of users in scope.
//
// Refresh then Plan has the changes and the managed count of
// [DiffTargeted] over the same state; Anchored does what [Anchored] does.
// A Base is not safe for concurrent use.
type Base struct {
	dir   Directory // Users may hold dead entries (adLive false)
	cloud Cloud     // Users may hold dead entries (jcLive false)

	adLive, jcLive []bool
	// adKeys and jcKeys map a user's lower-cased identities to the live
	// entries holding them: "g:" objectGUID (AD) or anchor (JumpCloud),
	// "n:" username, "e:" email (AD: the one JumpCloud gets), "dn:" DN
	// (AD), "id:" id (JumpCloud). Diff couples two users only through
	// such a value, so a user's plan depends on those reachable through
	// them alone ([Base.component]).
	adKeys, jcKeys map[string][]int
	// adGroupsOf maps a lower-cased member objectGUID to the groups of
	// dir.Groups listing it, once per listing; jcGroupsOf the same for
	// JumpCloud user ids and cloud.Groups.
	adGroupsOf, jcGroupsOf map[string][]int
	adGroupByGUID          map[string][]int // lower GUID → dir.Groups
	jcGroupByID            map[string][]int // id → cloud.Groups
	scope                  []int            // dir.Groups with Scope set
	anchors                map[string]int   // lower anchor → live JumpCloud users holding it
	// adGone and jcGone mark groups deleted since the full read: an AD
	// group a targeted run saw deleted, a JumpCloud group a run deleted.
	// They stay in place (the indexes hold positions) but out of plans.
	adGone, jcGone map[int]bool
	liveJC         int
	planned        [2]int // users of each side the last Plan looked at
}

// NewBase indexes dir and cloud, read in full. It copies what it later
// changes in place: dir and cloud are not modified.
func NewBase(dir Directory, cloud Cloud) *Base {
	b := &Base{dir: dir, cloud: cloud,
		adKeys: map[string][]int{}, jcKeys: map[string][]int{}, adGroupsOf: map[string][]int{}, jcGroupsOf: map[string][]int{},
		adGroupByGUID: map[string][]int{}, jcGroupByID: map[string][]int{}, anchors: map[string]int{},
		adGone: map[int]bool{}, jcGone: map[int]bool{}}
	b.dir.Users = slices.Clone(dir.Users)
	b.dir.Groups = slices.Clone(dir.Groups)
	b.dir.Admins = slices.Clone(dir.Admins)
	b.dir.NestedAdmins = slices.Clone(dir.NestedAdmins)
	b.cloud.Users = slices.Clone(cloud.Users)
	b.cloud.Groups = slices.Clone(cloud.Groups)
	b.adLive = make([]bool, len(b.dir.Users))
	for i := range b.dir.Users {
		b.adLive[i] = true
		b.indexAD(i, true)
	}
	b.jcLive = make([]bool, len(b.cloud.Users))
	for i := range b.cloud.Users {
		b.jcLive[i] = true
		b.indexJC(i, true)
	}
	for gi := range b.dir.Groups {
		g := &b.dir.Groups[gi]
		addIdx(b.adGroupByGUID, strings.ToLower(g.GUID), gi)
		if g.Scope {
			b.scope = append(b.scope, gi)
		}
		for _, m := range g.Members {
			addIdx(b.adGroupsOf, strings.ToLower(m), gi)
		}
	}
	for gi := range b.cloud.Groups {
		g := &b.cloud.Groups[gi]
		addIdx(b.jcGroupByID, g.ID, gi)
		for _, m := range g.Members {
			addIdx(b.jcGroupsOf, m, gi)
		}
	}
	return b
}

func addIdx(m map[string][]int, k string, i int) {
	if k != "" {
		m[k] = append(m[k], i)
	}
}

// delIdx removes one listing of i under k.
func delIdx(m map[string][]int, k string, i int) {
	l := m[k]
	if n := slices.Index(l, i); n >= 0 {
		l = slices.Delete(l, n, n+1)
	}
	if len(l) == 0 {
		delete(m, k)
		return
	}
	m[k] = l
}

func adUserKeys(u *ADUser) []string {
	return keys("g:", u.GUID, "n:", u.Username, "e:", desiredEmail(u), "dn:", u.DN)
}

func jcUserKeys(u *CloudUser) []string {
	return keys("g:", u.Anchor, "n:", u.Username, "e:", u.Email, "id:", u.ID)
}

// keys pairs prefixes with lower-cased values, leaving out empty values.
func keys(kv ...string) []string {
	var out []string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			out = append(out, kv[i]+strings.ToLower(kv[i+1]))
		}
	}
	return out
}

func (b *Base) indexAD(i int, add bool) {
	for _, k := range adUserKeys(&b.dir.Users[i]) {
		if add {
			addIdx(b.adKeys, k, i)
		} else {
			delIdx(b.adKeys, k, i)
		}
	}
}

func (b *Base) indexJC(i int, add bool) {
	u := &b.cloud.Users[i]
	for _, k := range jcUserKeys(u) {
		if add {
			addIdx(b.jcKeys, k, i)
		} else {
			delIdx(b.jcKeys, k, i)
		}
	}
	d := 1
	if !add {
		d = -1
		b.liveJC--
	} else {
		b.liveJC++
	}
	if a := strings.ToLower(u.Anchor); a != "" {
		b.anchors[a] += d
		if b.anchors[a] == 0 {
			delete(b.anchors, a)
		}
	}
}

func (b *Base) killAD(i int) {
	if b.adLive[i] {
		b.indexAD(i, false)
		b.adLive[i] = false
	}
}

func (b *Base) killJC(i int) {
	if b.jcLive[i] {
		b.indexJC(i, false)
		b.jcLive[i] = false
	}
}

func (b *Base) appendAD(u ADUser) {
	b.dir.Users = append(b.dir.Users, u)
	b.adLive = append(b.adLive, true)
	b.indexAD(len(b.dir.Users)-1, true)
}

func (b *Base) appendJC(u CloudUser) {
	b.cloud.Users = append(b.cloud.Users, u)
	b.jcLive = append(b.jcLive, true)
	b.indexJC(len(b.cloud.Users)-1, true)
}

// Managed is the number of JumpCloud users anchored to an AD object (one
// per anchor): [Plan.Managed] of a full plan of the state.
func (b *Base) Managed() int { return len(b.anchors) }

// Planned returns how many AD and JumpCloud users the last [Base.Plan]
// planned over.
func (b *Base) Planned() (ad, jc int) { return b.planned[0], b.planned[1] }

// Size returns the numbers of JumpCloud users and groups the state holds.
func (b *Base) Size() (users, groups int) { return b.liveJC, len(b.cloud.Groups) - len(b.jcGone) }

// HasUser reports whether the AD user guid is in the state (in scope).
func (b *Base) HasUser(guid string) bool { return len(b.adKeys["g:"+strings.ToLower(guid)]) > 0 }

// HasAnchor reports whether a JumpCloud user is anchored to guid.
func (b *Base) HasAnchor(guid string) bool { return b.anchors[strings.ToLower(guid)] > 0 }

// User returns the AD user guid as the state holds it.
func (b *Base) User(guid string) (ADUser, bool) {
	for _, i := range b.adKeys["g:"+strings.ToLower(guid)] {
		if strings.EqualFold(b.dir.Users[i].GUID, guid) {
			return b.dir.Users[i], true
		}
	}
	return ADUser{}, false
}

// Group returns the AD group guid as the state holds it (with its members
// as targeted runs since the full read left them); false when the state
// has no such group or it was deleted since.
func (b *Base) Group(guid string) (ADGroup, bool) {
	for _, gi := range b.adGroupByGUID[strings.ToLower(guid)] {
		if !b.adGone[gi] {
			return b.dir.Groups[gi], true
		}
	}
	return ADGroup{}, false
}

// Groups returns the objectGUIDs of the groups, the scope group left out,
// that list the AD user guid as a member, once per listing.
func (b *Base) Groups(guid string) []string {
	var out []string
	for _, gi := range b.adGroupsOf[strings.ToLower(guid)] {
		if g := &b.dir.Groups[gi]; !g.Scope {
			out = append(out, g.GUID)
		}
	}
	return out
}

// AnchoredTo returns the ids of the JumpCloud users anchored to any of
// guids, in the order the state holds them.
func (b *Base) AnchoredTo(guids []string) []string {
	var idx []int
	for _, g := range guids {
		idx = append(idx, b.jcKeys["g:"+strings.ToLower(g)]...)
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	ids := make([]string, len(idx))
	for n, i := range idx {
		ids[n] = b.cloud.Users[i].ID
	}
	return ids
}
