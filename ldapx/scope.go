package ldapx

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// Strategy selects how [Conn.ReadScope] expands nested groups.
type Strategy int

const (
	// StrategyDefault is StrategyWalk; see the measurements on [StrategyWalk].
	StrategyDefault Strategy = iota
	// StrategyWalk reads each group's member attribute (ranged when AD
	// splits it), resolves the member DNs it has not seen in batches, and
	// flattens the group graph in memory, detecting cycles as it goes.
	//
	// It is the default because it was faster on every nest measured on the
	// lab DC (Samba 4.17.12, 2 shared cores; BenchmarkReadScope and
	// BenchmarkReadScopeNest in bench_lab_test.go):
	//
	//	                                   walk         in-chain
	//	fixture (1615 users, 8 groups)     0.28-0.45 s  3.2-3.4 s
	//	nest (3000 users, G1 ∋ … ∋ G10)    0.48 s       19.8 s
	//
	// The DC evaluates each in-chain filter by expanding the whole nest
	// again, once for the scope and once per group, while the walk reads
	// each group and each user once and flattens in memory. The walk also
	// sees the direct members that cycle detection and Group.Members need,
	// which in-chain results do not carry.
	StrategyWalk
	// StrategyInChain asks the DC to expand nesting with the in-chain
	// matching rule (memberOf:1.2.840.113556.1.4.1941:=<group DN>): one
	// search for the users in scope, one for the groups, and one per group
	// for its flattened user set. The DC handles cycles itself; they are
	// still found and reported from the groups' direct members.
	StrategyInChain
)

func (s Strategy) String() string {
	switch s {
	case StrategyWalk:
		return "walk"
	case StrategyInChain:
		return "in-chain"
	}
	return "default"
}

// Defaults for [ScopeOptions].
const (
	DefaultJumpCloudGroup = "JumpCloud"
	DefaultAdminsGroup    = "JumpCloud Admins"
)

// ScopeOptions configure [Conn.ReadScope].
type ScopeOptions struct {
	// RootContainer holds the JumpCloud and admins groups; CN=Users,<domain DN>
	// when empty. Users and nested groups may live anywhere in the domain.
	RootContainer string
	// JumpCloudGroup is the cn or sAMAccountName of the scope group.
	JumpCloudGroup string
	// AdminsGroup is the cn or sAMAccountName of the group whose in-scope
	// members become JumpCloud administrators. "-" reads no admins group.
	AdminsGroup string
	// NestedAdmins counts members of groups nested in the admins group too
	// (the seeds' agent counts direct members only).
	NestedAdmins bool
	// UsernameAttribute is read into [User.Attrs] when it is not one of
	// [User]'s fields (UserFieldMapping).
	UsernameAttribute string
	Strategy          Strategy
	// Attributes are further single-valued attributes read into
	// [User.Attrs] with every user: the AD attributes of the fields a
	// domain maps (reconcile.MappedADAttributes), so the field table, not
	// this package, says what an import reads beyond identity and scope.
	Attributes []string
}

// ScopedGroup is a group in scope with its memberships resolved.
type ScopedGroup struct {
	Group
	// Users holds the GUIDs of every user in the group, directly or through
	// nested groups, sorted. This is the JumpCloud group's membership.
	Users []string
	// Subgroups holds the GUIDs of the groups that are direct members, sorted.
	Subgroups []string
}

// Scope is what AD says JumpCloud should mirror, read at one moment.
type Scope struct {
	// Root is the JumpCloud group itself; Root.Users is every user in scope.
	Root ScopedGroup
	// Users are all users in scope by GUID, disabled and privileged ones
	// included: deciding what to do with them is the engine's job.
	Users map[string]User
	// Groups are the groups nested (at any depth) under Root, by GUID.
	// Root is not among them, even when a cycle leads back to it.
	Groups map[string]ScopedGroup
	// AdminsGroup is the admins group, or nil when it does not exist.
	AdminsGroup *Group
	// Admins holds the GUIDs of in-scope users who are members of the admins
	// group (directly, or nested with NestedAdmins).
	Admins map[string]bool
	// AdminsOutOfScope lists admin-group members that are users but are not
	// in scope (DNs, sorted); they are not made administrators.
	AdminsOutOfScope []string
	// AdminsNest holds the GUIDs of the groups nested in the admins group
	// (with NestedAdmins only; the admins group itself is not in it): the
	// deletion of one changes its members' admin status.
	AdminsNest map[string]bool
	// Cycles lists each nesting loop once, as the sorted DNs of its groups.
	Cycles [][]string
	// Other lists member DNs that are neither users nor groups, or that could
	// not be read (contacts, computers, foreign principals), sorted.
	Other    []string
	Strategy Strategy
}

// ReadScope reads the import scope: the JumpCloud group, every user and
// group nested under it with flattened memberships, the admins, and any
// nesting cycles.
func (c *Conn) ReadScope(ctx context.Context, opts ScopeOptions) (*Scope, error) {
	c.wireStart()
	defer c.wireEnd()
	domain, err := c.DomainDN(ctx)
	if err != nil {
		return nil, err
	}
	if opts.RootContainer == "" {
		opts.RootContainer = JoinDN("CN=Users", domain)
	}
	if opts.JumpCloudGroup == "" {
		opts.JumpCloudGroup = DefaultJumpCloudGroup
	}
	if opts.AdminsGroup == "" {
		opts.AdminsGroup = DefaultAdminsGroup
	}
	if opts.Strategy == StrategyDefault {
		opts.Strategy = StrategyWalk
	}
	extra := []string{}
	if opts.UsernameAttribute != "" {
		extra = append(extra, opts.UsernameAttribute)
	}
	extra = append(extra, opts.Attributes...)
	root, err := c.findGroup(ctx, opts.RootContainer, opts.JumpCloudGroup)
	if err != nil {
		return nil, err
	}
	var g *graph
	switch opts.Strategy {
	case StrategyWalk:
		g, err = c.walk(ctx, domain, root, extra)
	case StrategyInChain:
		g, err = c.inChain(ctx, domain, root, extra)
	default:
		return nil, fmt.Errorf("ldapx: unknown strategy %d", opts.Strategy)
	}
	if err != nil {
		return nil, err
	}
	if err := c.addPrimaryMembers(ctx, domain, g, extra); err != nil {
		return nil, err
	}
	s := g.scope(root)
	s.Strategy = opts.Strategy

	if opts.AdminsGroup != "-" {
		if err := c.readAdmins(ctx, domain, opts, s, extra); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// findGroup finds the group named name (cn or sAMAccountName) directly in
// container.
func (c *Conn) findGroup(ctx context.Context, container, name string) (Group, error) {
	filter := "(&(objectClass=group)(|" + EqualityFilter("cn", name) + EqualityFilter("sAMAccountName", name) + "))"
	es, err := c.SearchAll(ctx, Query{Base: container, Scope: ldap.ScopeSingleLevel, Filter: filter, Attributes: groupAttrs})
	if err != nil {
		return Group{}, err
	}
	switch len(es) {
	case 0:
		return Group{}, &Error{Op: "find group", DN: container, Kind: ErrNoSuchObject,
			Reason: fmt.Sprintf("no group named %q", name),
			Hint:   fmt.Sprintf("create a security group named %q directly in %s", name, container)}
	case 1:
		return c.completeGroup(ctx, es[0])
	}
	return Group{}, &Error{Op: "find group", DN: container, Kind: ErrConstraint, Reason: fmt.Sprintf("%d groups are named %q", len(es), name)}
}

// graph is the membership graph under one group, keyed by normalised DN.
type graph struct {
	users  map[string]User
	groups map[string]Group
	other  map[string]string // members that are neither, key → DN
	// flat, when set, holds each group's flattened user GUIDs as the DC
	// computed them (in-chain); otherwise they are computed from the graph.
	flat map[string][]string
}

func newGraph() *graph {
	return &graph{users: map[string]User{}, groups: map[string]Group{}, other: map[string]string{}}
}

// resolveBatch is how many DNs one search resolves in the walk, as an OR of
// distinguishedName equalities. Samba's cost grows faster than linearly
// with the OR's width: reading the fixture's scope took 0.25 s in batches
// of 10, 0.28 s of 25, 0.38 s of 50, 0.67 s of 100 and 0.91 s of 500. Very
// small batches would cost round trips over a WAN, so 25 it is.
const resolveBatch = 25

// walk expands root client-side: breadth first, one batch search per up
// to resolveBatch unseen member DNs, so a nest costs about
// depth + members/resolveBatch searches, and never revisits an object.
func (c *Conn) walk(ctx context.Context, domain string, root Group, extra []string) (*graph, error) {
	g := newGraph()
	g.groups[normDN(root.DN)] = root
	frontier := root.Members
	attrs := withExtra(userAttrs, append(extra, "objectClass", "cn", "description", "member")...)
	pre := map[string]*ldap.Entry{} // read by scanContainers, not yet reached
	scans := newScanner(c, attrs)
	defer scans.close()
	for len(frontier) > 0 {
		var todo []string
		seen := map[string]bool{}
		for _, dn := range frontier {
			k := normDN(dn)
			if seen[k] {
				continue
			}
			seen[k] = true
			if _, ok := g.users[k]; ok {
				continue
			}
			if _, ok := g.groups[k]; ok {
				continue
			}
			if _, ok := g.other[k]; ok {
				continue
			}
			todo = append(todo, dn)
		}
		frontier = nil
		if err := scans.scanContainers(ctx, todo, pre); err != nil {
			return nil, err
		}
		var rest []string
		for _, dn := range todo {
			k := normDN(dn)
			e, ok := pre[k]
			if !ok {
				rest = append(rest, dn)
				continue
			}
			delete(pre, k)
			members, err := c.addEntry(ctx, g, k, e, extra)
			if err != nil {
				return nil, err
			}
			frontier = append(frontier, members...)
		}
		for chunk := range slices.Chunk(rest, resolveBatch) {
			found := map[string]bool{}
			var b strings.Builder
			b.WriteString("(|")
			for _, dn := range chunk {
				b.WriteString(EqualityFilter("distinguishedName", dn))
			}
			b.WriteString(")")
			for e, err := range c.Search(ctx, Query{Base: domain, Scope: ldap.ScopeWholeSubtree, Filter: b.String(), Attributes: attrs}) {
				if err != nil {
					return nil, err
				}
				k := normDN(e.DN)
				found[k] = true
				members, err := c.addEntry(ctx, g, k, e, extra)
				if err != nil {
					return nil, err
				}
				frontier = append(frontier, members...)
			}
			for _, dn := range chunk {
				if k := normDN(dn); !found[k] {
					g.other[k] = dn
				}
			}
		}
	}
	return g, nil
}

// inChain expands root on the DC with the in-chain matching rule.
func (c *Conn) inChain(ctx context.Context, domain string, root Group, extra []string) (*graph, error) {
	g := newGraph()
	g.groups[normDN(root.DN)] = root
	chain := "(memberOf:" + OIDInChain + ":=" + ldap.EscapeFilter(root.DN) + ")"
	for e, err := range c.Search(ctx, Query{Base: domain, Scope: ldap.ScopeWholeSubtree, Filter: "(&" + userFilter + chain + ")", Attributes: withExtra(userAttrs, extra...)}) {
		if err != nil {
			return nil, err
		}
		u, err := userFromEntry(e, extra...)
		if err != nil {
			return nil, err
		}
		g.users[normDN(e.DN)] = u
	}
	for e, err := range c.Search(ctx, Query{Base: domain, Scope: ldap.ScopeWholeSubtree, Filter: "(&(objectClass=group)" + chain + ")", Attributes: groupAttrs}) {
		if err != nil {
			return nil, err
		}
		grp, err := c.completeGroup(ctx, e)
		if err != nil {
			return nil, err
		}
		g.groups[normDN(e.DN)] = grp
	}
	// Each group's flattened set, as the DC computes it.
	g.flat = map[string][]string{}
	for k, grp := range g.groups {
		if k == normDN(root.DN) {
			continue
		}
		f := "(&" + userFilter + "(memberOf:" + OIDInChain + ":=" + ldap.EscapeFilter(grp.DN) + "))"
		var set []string
		for e, err := range c.Search(ctx, Query{Base: domain, Scope: ldap.ScopeWholeSubtree, Filter: f, Attributes: []string{"objectGUID"}}) {
			if err != nil {
				return nil, err
			}
			guid, err := GUIDString(e.GetRawAttributeValue("objectGUID"))
			if err != nil {
				return nil, err
			}
			set = append(set, guid)
		}
		g.flat[k] = set
	}
	for _, grp := range g.groups {
		for _, m := range grp.Members {
			k := normDN(m)
			if _, ok := g.users[k]; ok {
				continue
			}
			if _, ok := g.groups[k]; ok {
				continue
			}
			g.other[k] = m
		}
	}
	return g, nil
}

// readAdmins fills the admin fields of s.
func (c *Conn) readAdmins(ctx context.Context, domain string, opts ScopeOptions, s *Scope, extra []string) error {
	admins, err := c.findGroup(ctx, opts.RootContainer, opts.AdminsGroup)
	if err != nil {
		if errors.Is(err, ErrNoSuchObject) {
			return nil
		}
		return err
	}
	s.AdminsGroup = &admins
	s.Admins = map[string]bool{}
	byDN := map[string]User{}
	for _, u := range s.Users {
		byDN[normDN(u.DN)] = u
	}
	var userDNs []string
	if opts.NestedAdmins {
		g, err := c.walk(ctx, domain, admins, extra)
		if err != nil {
			return err
		}
		for _, u := range g.users {
			userDNs = append(userDNs, u.DN)
		}
		s.AdminsNest = map[string]bool{}
		for _, ng := range g.groups {
			if !strings.EqualFold(ng.GUID, admins.GUID) {
				s.AdminsNest[ng.GUID] = true
			}
		}
	} else {
		userDNs = admins.Members
	}
	out := map[string]bool{}
	for _, dn := range userDNs {
		if u, ok := byDN[normDN(dn)]; ok {
			s.Admins[u.GUID] = true
			continue
		}
		out[dn] = true
	}
	if !opts.NestedAdmins && len(out) > 0 {
		// Direct members not in scope may be groups or other objects; keep
		// only users, so the list means "would be an admin, but is not in scope".
		users, err := c.resolveUsers(ctx, domain, slices.Collect(maps.Keys(out)))
		if err != nil {
			return err
		}
		clear(out)
		for _, u := range users {
			out[u.DN] = true
		}
	}
	s.AdminsOutOfScope = slices.Sorted(maps.Keys(out))
	return nil
}

// resolveUsers returns the users among dns, in batches of resolveBatch.
func (c *Conn) resolveUsers(ctx context.Context, domain string, dns []string) ([]User, error) {
	var users []User
	for chunk := range slices.Chunk(dns, resolveBatch) {
		var b strings.Builder
		b.WriteString("(&" + userFilter + "(|")
		for _, dn := range chunk {
			b.WriteString(EqualityFilter("distinguishedName", dn))
		}
		b.WriteString("))")
		for e, err := range c.Search(ctx, Query{Base: domain, Scope: ldap.ScopeWholeSubtree, Filter: b.String(), Attributes: userAttrs}) {
			if err != nil {
				return nil, err
			}
			u, err := userFromEntry(e)
			if err != nil {
				return nil, err
			}
			users = append(users, u)
		}
	}
	return users, nil
}
