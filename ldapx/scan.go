package ldapx

import (
	"context"
	"maps"
	"slices"

	"github.com/go-ldap/ldap/v3"
)

// scanMin is how many of one walk level's unresolved DNs must share a
// container before the walk pages through that container instead of
// resolving them resolveBatch at a time.
//
// Why: on scripts/bench's fixture (10,000 users in one OU, 1,000 groups in
// another, nested 5 deep) the walk's 440 OR-of-DN searches took 3.2 s where
// ldapsearch paging the same entries took 1.96 s (1.63×, issue 9's target
// is 1.3×). A CPU profile of the read showed only ~0.9 s of it in adjc
// (BER decoding, DN parsing, GC) and the rest waiting on the DC, whose cost
// is per search: a paged one-level search of the container returns the same
// users at ldapsearch's per-entry cost. Users live in a few OUs in most
// domains, so a large scope is mostly such containers.
const scanMin = 200

// scanFilter is what a container scan reads: what the walk can use.
const scanFilter = "(|(objectClass=user)(objectClass=group))"

// scanContainers pages, one level, through each container holding at least
// scanMin of todo's DNs, and keeps every user and group it reads in pre
// (by normalised DN), wanted now or not: a group found there may be reached
// at the next level. Out-of-scope objects in pre are never added to the
// graph; the walk only takes what it reaches. A container is read for at
// most twice as many entries as it has wanted DNs, so a big OU with few
// in-scope users costs at most twice the entries the batches would have
// read; DNs not found by then are resolved in batches as before. A
// container is scanned once per walk (scanned): paging it again would return
// the same first entries.
func (c *Conn) scanContainers(ctx context.Context, todo, attrs []string, pre map[string]*ldap.Entry, scanned map[string]bool) error {
	wanted := map[string]int{}
	parents := map[string]string{}
	for _, dn := range todo {
		if _, ok := pre[normDN(dn)]; ok {
			continue
		}
		p := ParentDN(dn)
		k := normDN(p)
		wanted[k]++
		parents[k] = p
	}
	for _, k := range slices.Sorted(maps.Keys(wanted)) {
		n := wanted[k]
		if n < scanMin || scanned[k] {
			continue
		}
		scanned[k] = true
		read := 0
		for e, err := range c.Search(ctx, Query{Base: parents[k], Scope: ldap.ScopeSingleLevel, Filter: scanFilter, Attributes: attrs}) {
			if err != nil {
				return err
			}
			pre[normDN(e.DN)] = e
			if read++; read >= 2*n {
				break
			}
		}
		c.log.Debug("ldap container scan", "base", parents[k], "wanted", n, "read", read)
	}
	return nil
}

// addEntry puts one entry the walk reached into g: a group (with all its
// members, ranged if need be), a user, or something else. It returns the
// group's members, the walk's next frontier.
func (c *Conn) addEntry(ctx context.Context, g *graph, k string, e *ldap.Entry, extra []string) ([]string, error) {
	switch {
	case isGroup(e):
		grp, err := c.completeGroup(ctx, e)
		if err != nil {
			return nil, err
		}
		g.groups[k] = grp
		return grp.Members, nil
	case isUser(e) && hasClass(e, "person"):
		u, err := userFromEntry(e, extra...)
		if err != nil {
			return nil, err
		}
		g.users[k] = u
	default:
		g.other[k] = e.DN
	}
	return nil, nil
}
