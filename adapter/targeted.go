package adapter

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
)

// ErrFullRun is matched (errors.Is) by the error of [ReadFresh] when what
// changed cannot be decided user by user; the error says why, and the
// caller does a full run instead.
var ErrFullRun = errors.New("a full run is needed")

// errNotGroup: the object is not a group; errGone: there is no such object
// (any more).
var (
	errNotGroup = errors.New("not a group")
	errGone     = errors.New("no such object")
)

func fullRun(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFullRun, fmt.Sprintf(format, args...))
}

// Index is what a full read of the directory leaves for targeted reads
// ([ReadFresh]): the shape of the scope, so that one user's scope and
// mirrored groups follow from its memberOf without reading the nest again.
// It is valid while no group in scope changes (a change to a group's
// members, name or nesting is a full run).
type Index struct {
	attr     string // the username attribute
	rootDN   string // the JumpCloud group
	adminsDN string // JumpCloud Admins; "" when there is none
	// mapped are the opt-in fields read ([ReadOptions.Mapped]).
	mapped []string
	// groups maps the lower-cased DN of the JumpCloud group and of every
	// group nested in it to the objectGUIDs of the mirrored groups that a
	// direct member of it belongs to (itself and the groups it is nested
	// in; the JumpCloud group is not mirrored).
	groups map[string][]string
	// isGroup holds the lower-cased objectGUIDs of the same groups.
	isGroup map[string]bool
	// adminsNest holds the lower-cased objectGUIDs of the groups nested in
	// the admins group (when nested admins count).
	adminsNest map[string]bool
}

// newIndex builds the index of a scope read by ReadScope, and checks it:
// for every user in scope, the mirrored groups computed from the groups it
// is directly in must be the ones the reader flattened. It returns nil when
// they are not (which would mean the index misreads this nest), so that
// every run stays a full one.
func newIndex(s *ldapx.Scope, attr string) *Index {
	idx := &Index{attr: attr, rootDN: s.Root.DN, groups: map[string][]string{}, isGroup: map[string]bool{}}
	if s.AdminsGroup != nil {
		idx.adminsDN = s.AdminsGroup.DN
	}
	idx.adminsNest = map[string]bool{}
	for g := range s.AdminsNest {
		idx.adminsNest[strings.ToLower(g)] = true
	}
	byGUID := map[string]ldapx.ScopedGroup{strings.ToLower(s.Root.GUID): s.Root}
	for g, sg := range s.Groups {
		byGUID[strings.ToLower(g)] = sg
	}
	for g, sg := range byGUID {
		idx.isGroup[g] = true
		if dn := strings.ToLower(sg.DN); idx.groups[dn] == nil {
			idx.groups[dn] = []string{} // present, maybe empty
		}
	}
	for _, g := range slices.Sorted(mapKeys(s.Groups)) {
		// Every group reachable from g (g included) puts its direct
		// members in g; seen keeps a nesting cycle from looping.
		seen := map[string]bool{}
		todo := []string{strings.ToLower(g)}
		for len(todo) > 0 {
			k := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			sg, ok := byGUID[k]
			if !ok || seen[k] {
				continue
			}
			seen[k] = true
			dn := strings.ToLower(sg.DN)
			idx.groups[dn] = append(idx.groups[dn], s.Groups[g].GUID)
			for _, sub := range sg.Subgroups {
				todo = append(todo, strings.ToLower(sub))
			}
		}
	}
	// The check: direct memberships from the groups' member values.
	direct := map[string][]string{} // lower user DN → lower group DNs
	for _, sg := range byGUID {
		for _, m := range sg.Members {
			direct[strings.ToLower(m)] = append(direct[strings.ToLower(m)], strings.ToLower(sg.DN))
		}
	}
	want := map[string][]string{} // user GUID → mirrored group GUIDs, sorted
	for _, g := range slices.Sorted(mapKeys(s.Groups)) {
		for _, u := range s.Groups[g].Users {
			want[u] = append(want[u], s.Groups[g].GUID)
		}
	}
	for guid, u := range s.Users {
		in, got := idx.resolve(direct[strings.ToLower(u.DN)])
		w := want[guid]
		slices.Sort(w)
		if !in || !slices.Equal(got, w) {
			return nil
		}
	}
	return idx
}

// resolve returns whether a user directly in the groups memberOf (DNs) is
// in scope, and the mirrored groups it belongs to, sorted.
func (idx *Index) resolve(memberOf []string) (bool, []string) {
	in := false
	var groups []string
	for _, dn := range memberOf {
		gs, ok := idx.groups[strings.ToLower(dn)]
		if !ok {
			continue
		}
		in = true
		for _, g := range gs {
			if !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
	}
	slices.Sort(groups)
	return in, groups
}

// ReadDirectoryIndex is [ReadDirectory] that also returns the [Index] of
// the scope for targeted reads; the index is nil when targeted reads are
// not possible for this scope (RootOnly, or a nest the index misreads).
func ReadDirectoryIndex(ctx context.Context, conn *ldapx.Conn, opts ReadOptions) (reconcile.Directory, *Index, error) {
	s, root, attr, err := readScope(ctx, conn, opts)
	if err != nil {
		return reconcile.Directory{}, nil, err
	}
	dir := directoryFromScope(s, root, attr, opts.RootOnly)
	if dir.NeverTouch, err = readNeverTouch(ctx, conn, opts, root); err != nil {
		return reconcile.Directory{}, nil, err
	}
	dir.Authority = opts.Authority
	mapDirectory(&dir, s, opts)
	if opts.RootOnly {
		return dir, nil, nil
	}
	idx := newIndex(s, attr)
	if idx != nil {
		idx.mapped = opts.Mapped
	}
	return dir, idx, nil
}

// Snapshot is one full read of both sides, kept by a long-lived caller
// (`schedule`) so that a run for a few changed users re-reads only them.
// Make a new one rather than change a copy's fields: a copy shares the
// state [Snapshot.Base] indexed.
type Snapshot struct {
	// Directory and Cloud are the full read as it was made; targeted runs
	// fold what they read and apply into [Snapshot.Base], not into them.
	Directory reconcile.Directory
	Cloud     reconcile.Cloud
	// Index is nil when targeted reads are not possible.
	Index *Index
	// ReadCalls is the JumpCloud requests the full read took (0 when not
	// counted): what [TargetedLimit] weighs a targeted run against.
	ReadCalls int64 `json:",omitempty"`

	base *reconcile.Base
}

// Base returns the state targeted runs plan against: the full read,
// indexed once ([reconcile.NewBase]), with what targeted runs since read
// and applied folded in.
func (s *Snapshot) Base() *reconcile.Base {
	if s.base == nil {
		s.base = reconcile.NewBase(s.Directory, s.Cloud)
	}
	return s.base
}

// MaxTargeted is the fewest AD users [ReadFresh] will re-read one by one
// in any scope; in a larger one it re-reads as many as cost less than a
// full read ([TargetedLimit]).
const MaxTargeted = 50

// targetedCalls is about what re-reading one changed user costs in
// JumpCloud: the user by id and its group bindings, and a search for its
// username or email when it holds a new one (a rename, a user to create
// or adopt). In AD it costs three searches by GUID and DN, all indexed.
const targetedCalls = 3

// TargetedLimit is the most changed users [ReadFresh] re-reads one by one
// against snap before a full run is the cheaper way, in JumpCloud calls
// (the API's request budget, and most of the time of either way): a full
// run reads JumpCloud once to plan and, when it applies changes, once more
// afterwards, each read costing what the last full read took
// ([Snapshot.ReadCalls]; estimated from the sizes when unknown: a page per
// 100 users and per 100 groups plus a member list per group), while a
// targeted run costs about three calls a user ([targetedCalls]). The
// writes are the same either way. It is never below [MaxTargeted].
func TargetedLimit(snap *Snapshot) int {
	if snap == nil {
		return MaxTargeted
	}
	return max(MaxTargeted, 2*FullReadCalls(snap)/targetedCalls)
}

// FullReadCalls is the JumpCloud requests of one full read of snap's org:
// what the last one took when it was counted, else an estimate from the
// numbers of users and groups.
func FullReadCalls(snap *Snapshot) int {
	if snap.ReadCalls > 0 {
		return int(snap.ReadCalls)
	}
	users, groups := len(snap.Cloud.Users), len(snap.Cloud.Groups)
	if snap.base != nil {
		users, groups = snap.base.Size()
	}
	pages := func(n int) int { return (n + 99) / 100 }
	return pages(users) + pages(groups) + groups
}

// TargetedCalls is about the JumpCloud requests of re-reading n changed
// users one by one.
func TargetedCalls(n int) int { return n * targetedCalls }

// tooMany is the error of a change too large to re-read one by one.
func tooMany(snap *Snapshot, users int) error {
	return fullRun("%d users changed: a full run (about %d JumpCloud calls: %d to read, as the last full read took, and as many to read again after applying) is cheaper than re-reading them one by one (about %d, %d a user; the limit here is %d users)",
		users, 2*FullReadCalls(snap), FullReadCalls(snap), TargetedCalls(users), targetedCalls, TargetedLimit(snap))
}

// Changed is what a watch saw change in AD since the last run.
type Changed struct {
	// Users are the objectGUIDs of objects whose attributes changed:
	// users, mostly.
	Users []string
	// Groups are the objectGUIDs of groups whose name, class or whole
	// member list changed.
	Groups []string
	// Members maps the objectGUID of a group whose members, and nothing
	// else, changed to the DNs of the members added or removed.
	Members map[string][]string
	// Deleted are the objectGUIDs of objects DirSync reported deleted
	// (tombstones); they cannot be read any more.
	Deleted []string
}

// ReadFresh re-reads, for [reconcile.DiffTargeted], the AD users that ch
// names and the JumpCloud users they concern: in AD each user by objectGUID
// with its memberOf, its scope and mirrored groups from the index
// (cross-checked with an in-chain search on the JumpCloud group, so a
// nesting change the index missed stops it), and its admin status; in
// JumpCloud the users cached as anchored to them, by id, and those holding
// their usernames and emails (adoption candidates and name collisions),
// each with its group bindings.
//
// Groups outside the scope and the admins group's nest change nothing
// JumpCloud mirrors (other teams' groups change all day): each is checked
// (an in-chain search on the JumpCloud and admins groups, in case it was
// just nested) and passed over. A group in scope or in the admins nest
// whose members alone changed makes its added and removed members targeted
// users, when they are all users (a group added or removed is a nesting
// change); any other change to such a group is a full run.
//
// Scope and memberships move only through a group's members. So a user
// the change does not name as a member added or removed, whose scope or
// mirrored groups differ from snap's, is not decided here: something was
// missed, or the service account cannot read memberOf (a user would look
// out of scope, and be deleted).
//
// A deleted object (ch.Deleted) is matched by objectGUID against snap: a
// user of the last full read, on either side, is planned as out of scope,
// as a full read would find it (disabled or deleted in JumpCloud, as the
// policy says, and out of its groups); a mirrored group is deleted in
// JumpCloud too, as the full plan would, and its members re-read (they lost
// its membership, those of the groups it was nested in, maybe their scope),
// unless groups were nested in it or it is the JumpCloud group (a full
// run); a group nested in the admins group (its members' admin status
// changes) is a full run; any other object snap never held is passed over.
//
// It returns an error matching [ErrFullRun] when a full run must decide:
// a group in scope changed otherwise than by user members, a group newly
// nested in scope, a user of the last full read that is gone, a scope or
// membership that moved unannounced, a scope the index and the DC disagree
// on, more users than [TargetedLimit] (a full read is cheaper then).
func ReadFresh(ctx context.Context, conn *ldapx.Conn, jc *jcapi.Client, snap *Snapshot, ch Changed) (reconcile.Fresh, error) {
	f := reconcile.Fresh{Groups: map[string][]string{}, CloudGroups: map[string][]string{}}
	if snap == nil || snap.Index == nil {
		return f, fullRun("no index of the scope from a full read")
	}
	idx := snap.Index
	if len(ch.Users) > TargetedLimit(snap) {
		return f, tooMany(snap, len(ch.Users))
	}
	// A group the index does not know that is gone by now (another team's
	// group deleted right after its members changed) is passed over: it was
	// not in scope at the last full read, nesting it into scope would have
	// changed a group in scope (an event of its own), and its deletion is
	// reported by the watch separately.
	for _, g := range ch.Groups {
		related, err := groupRole(ctx, conn, idx, g)
		switch {
		case errors.Is(err, errGone):
			continue
		case errors.Is(err, errNotGroup):
			return f, fullRun("object %s changed its members but is not a group", g)
		case err != nil:
			return f, err
		case related:
			return f, fullRun("group %s in scope or in the admins group changed", g)
		}
	}
	// What the last full read (and the targeted runs since) hold, looked
	// up user by user: a user in it on either side, in scope, its groups
	// (the JumpCloud group's membership is scope itself; the index lists
	// the groups nested in it).
	base := snap.Base()
	known := func(g string) bool { return base.HasUser(g) || base.HasAnchor(g) }
	guids := slices.Clone(ch.Users)
	gone := lowerSet(nil)      // deleted users of the last full read: planned, not read
	moved := map[string]bool{} // lower GUIDs of users added to or removed from a group that matters
	for _, g := range ch.Deleted {
		switch {
		case idx.isGroup[strings.ToLower(g)]:
			members, err := deletedGroup(idx, base, g)
			if err != nil {
				return f, err
			}
			f.DeletedGroups = append(f.DeletedGroups, g)
			for _, m := range members {
				if !moved[strings.ToLower(m)] {
					moved[strings.ToLower(m)] = true
					guids = append(guids, m)
				}
			}
		case known(g):
			gone[strings.ToLower(g)] = true
			guids = append(guids, g)
		case idx.adminsNest[strings.ToLower(g)]:
			return f, fullRun("group %s nested in the admins group was deleted", g)
		}
	}
	// A deletion also removes the object from the groups it was in; a DC
	// may report that as member values removed, naming the object by its
	// old DN or its tombstone's. The deletion is planned from the
	// tombstone: those values are not members to read.
	deletedDN := lowerSet(nil)
	for g := range gone {
		if u, ok := base.User(g); ok {
			deletedDN[strings.ToLower(u.DN)] = true
		}
	}
	for _, d := range f.DeletedGroups {
		if g, ok := base.Group(d); ok {
			deletedDN[strings.ToLower(g.DN)] = true
		}
	}
	for _, g := range slices.Sorted(maps.Keys(ch.Members)) {
		related, err := groupRole(ctx, conn, idx, g)
		switch {
		case errors.Is(err, errGone): // see above
			continue
		case errors.Is(err, errNotGroup):
			return f, fullRun("object %s changed its members but is not a group", g)
		case err != nil:
			return f, err
		case !related:
			continue
		}
		for _, dn := range ch.Members[g] {
			if guid, ok := tombstoneGUID(dn); ok || deletedDN[strings.ToLower(dn)] {
				if ok && known(guid) && !gone[strings.ToLower(guid)] {
					gone[strings.ToLower(guid)] = true // its tombstone came in an earlier change
					guids = append(guids, guid)
				}
				continue
			}
			u, err := conn.User(ctx, dn)
			if errors.Is(err, ldapx.ErrNoSuchObject) {
				return f, fullRun("member %s of group %s is not a user (nesting changed, or it is gone)", dn, g)
			}
			if err != nil {
				return f, fmt.Errorf("read member %s: %w", dn, err)
			}
			if !moved[strings.ToLower(u.GUID)] {
				moved[strings.ToLower(u.GUID)] = true
				guids = append(guids, u.GUID)
			}
		}
	}
	slices.SortFunc(guids, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	guids = slices.CompactFunc(guids, strings.EqualFold)
	if len(guids) > TargetedLimit(snap) {
		return f, tooMany(snap, len(guids))
	}
	f.GUIDs = guids
	reads, err := readUsers(ctx, conn, idx, guids, gone)
	if err != nil {
		return f, err
	}
	for i, g := range guids {
		if idx.isGroup[strings.ToLower(g)] {
			return f, fullRun("group %s in scope changed", g)
		}
		if gone[strings.ToLower(g)] {
			// Deleted: out of scope and of every group, which is what a
			// full read would say (a tombstone keeps no memberships).
			continue
		}
		u, memberOf, err := reads[i].u, reads[i].memberOf, reads[i].err
		if errors.Is(err, ldapx.ErrNoSuchObject) {
			if known(g) {
				return f, fullRun("user %s, in the last full read, is no longer a user", g)
			}
			// A group whose name changed (DirSync did not say it is a
			// group), or an object adjc never imports: a computer, a
			// contact, or one deleted since (its deletion is an event of
			// its own, which asks for a full run).
			related, err := groupRole(ctx, conn, idx, g)
			switch {
			case errors.Is(err, errNotGroup), errors.Is(err, errGone):
			case err != nil:
				return f, err
			case related:
				return f, fullRun("group %s in scope or in the admins group changed", g)
			}
			continue
		}
		if err != nil {
			return f, fmt.Errorf("read user %s: %w", g, err)
		}
		in, groups := idx.resolve(memberOf)
		chain, err := reads[i].chain, reads[i].chainErr
		if errors.Is(err, ldapx.ErrNoSuchObject) || errors.Is(reads[i].nestedErr, ldapx.ErrNoSuchObject) {
			// Deleted between its reads (another team's test user, a
			// clean-up script): its tombstone is an event of its own.
			if known(g) {
				return f, fullRun("user %s was deleted while it was read", u.DN)
			}
			continue
		}
		if err != nil {
			return f, fmt.Errorf("read scope of %s: %w", u.DN, err)
		}
		if chain != in {
			return f, fullRun("scope of %s changed since the last full read (nesting changed)", u.DN)
		}
		had := base.Groups(g)
		slices.Sort(had)
		if !moved[strings.ToLower(g)] && (in != base.HasUser(g) || !slices.Equal(groups, had)) {
			return f, fullRun("group memberships of %s changed unannounced", u.DN)
		}
		if !in {
			continue
		}
		fu := adUser(u, idx.attr)
		fu.Attrs = adAttrs(u, idx.mapped)
		f.Users = append(f.Users, fu)
		f.Groups[u.GUID] = groups
		if idx.adminsDN == "" {
			continue
		}
		nested, err := reads[i].nested, reads[i].nestedErr
		if err != nil {
			return f, fmt.Errorf("read admin status of %s: %w", u.DN, err)
		}
		switch {
		case slices.ContainsFunc(memberOf, func(dn string) bool { return strings.EqualFold(dn, idx.adminsDN) }):
			f.Admins = append(f.Admins, u.GUID)
		case nested:
			f.NestedAdmins = append(f.NestedAdmins, u.GUID)
		}
	}
	if err := readFreshCloud(ctx, jc, base, &f); err != nil {
		return f, err
	}
	return f, nil
}

// userRead is what ReadFresh asks the DC about one changed user.
type userRead struct {
	u                   ldapx.User
	memberOf            []string
	err                 error
	chain, nested       bool // in the JumpCloud group's nest, in the admins group's
	chainErr, nestedErr error
}

// readUsers asks the DC about each of guids at once, four at a time on the
// one connection (a takeover's catch-up, or a burst, names several users,
// and each costs up to three searches); ReadFresh then decides in order.
// Objects the index knows as groups, and deleted ones (gone), are not read.
func readUsers(ctx context.Context, conn *ldapx.Conn, idx *Index, guids []string, gone map[string]bool) ([]userRead, error) {
	// The RootDSE is read once, before the reads share the connection.
	if _, err := conn.DomainDN(ctx); err != nil {
		return nil, err
	}
	reads := make([]userRead, len(guids))
	sem := make(chan struct{}, 4)
	_ = each(len(guids), func(i int) error {
		if idx.isGroup[strings.ToLower(guids[i])] || gone[strings.ToLower(guids[i])] {
			return nil
		}
		sem <- struct{}{}
		defer func() { <-sem }()
		r := &reads[i]
		r.u, r.memberOf, r.err = conn.UserWithGroups(ctx, guids[i], append([]string{idx.attr}, reconcile.MappedADAttributes(idx.mapped)...)...)
		if r.err != nil {
			return nil
		}
		r.chain, r.chainErr = conn.InChain(ctx, r.u.DN, idx.rootDN)
		if idx.adminsDN != "" {
			r.nested, r.nestedErr = conn.InChain(ctx, r.u.DN, idx.adminsDN)
		}
		return nil
	})
	return reads, nil
}

// groupRole reports whether the group guid matters to JumpCloud: in scope
// (known to the index) or in the admins group's nest. It returns
// errNotGroup when guid is an object but not a group, errGone when there is
// no object with that GUID, and an error matching ErrFullRun
// for a group nested in scope since the index was read.
func groupRole(ctx context.Context, conn *ldapx.Conn, idx *Index, guid string) (bool, error) {
	if idx.isGroup[strings.ToLower(guid)] {
		return true, nil
	}
	g, err := conn.GroupByGUID(ctx, guid)
	if errors.Is(err, ldapx.ErrNoSuchObject) {
		switch ok, err := conn.Exists(ctx, guid); {
		case err != nil:
			return false, fmt.Errorf("look up %s: %w", guid, err)
		case ok:
			return false, errNotGroup
		}
		return false, errGone
	}
	if err != nil {
		return false, fmt.Errorf("read group %s: %w", guid, err)
	}
	if strings.EqualFold(g.DN, idx.rootDN) || strings.EqualFold(g.DN, idx.adminsDN) {
		return true, nil
	}
	in, err := conn.InChain(ctx, g.DN, idx.rootDN)
	if errors.Is(err, ldapx.ErrNoSuchObject) {
		return false, errGone // deleted between the two reads
	}
	if err != nil {
		return false, fmt.Errorf("read nesting of %s: %w", g.DN, err)
	}
	if in {
		return false, fullRun("group %s was nested in scope since the last full read", g.Name)
	}
	if idx.adminsDN == "" {
		return false, nil
	}
	in, err = conn.InChain(ctx, g.DN, idx.adminsDN)
	if errors.Is(err, ldapx.ErrNoSuchObject) {
		return false, errGone
	}
	if err != nil {
		return false, fmt.Errorf("read nesting of %s: %w", g.DN, err)
	}
	return in, nil
}

// AdminsDN returns the DN of the admins group the index was read with, or
// "" when there is none.
func (idx *Index) AdminsDN() string { return idx.adminsDN }
