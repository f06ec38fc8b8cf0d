package ldapx

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// primaryRIDMin is the first RID AD gives an ordinary object (MS-DTYP
// 2.4.2.4; the RIDs below are the well-known principals, such as 513
// Domain Users, every user's default primary group). Only ordinary
// groups' primary members are added: a well-known group is never mirrored,
// and Domain Users nested in the scope must not pull in the whole domain.
const primaryRIDMin = 1000

// primaryBatch is how many primaryGroupID values one search of
// addPrimaryMembers asks for, as an OR of equalities. Unlike an OR of DNs
// (resolveBatch), an OR of these integers costs the DC about the same per
// term however wide it is: on scripts/bench's lab (Samba 4.17, 1,000
// groups' RIDs, none anyone's primary group, load 8 on 2 cores) the 1,000
// RIDs took 0.32–0.38 s in searches of 25, 0.10–0.33 s of 100, 0.06–0.17 s
// of 250 and 0.05–0.09 s in one search. 250 terms make a filter of about
// 6 KB, far below any DC's request size limit.
const primaryBatch = 250

// addPrimaryMembers adds to g the users whose primary group (primaryGroupID,
// the RID of the group's objectSid) is one of g's groups: AD leaves them out
// of the group's member attribute, and of in-chain memberOf, though they are
// members (seed 002: "Users are made a member of their primary group in
// JumpCloud"). Each becomes a direct member of that group.
func (c *Conn) addPrimaryMembers(ctx context.Context, domain string, g *graph, extra []string) error {
	byRID := map[string]string{} // RID → group key
	for k, grp := range g.groups {
		if rid := ridOf(grp.SID); rid >= primaryRIDMin {
			byRID[strconv.FormatUint(rid, 10)] = k
		}
	}
	if len(byRID) == 0 {
		return nil
	}
	added := false
	attrs := withExtra(userAttrs, append(extra, "primaryGroupID")...)
	for chunk := range slices.Chunk(slices.Sorted(maps.Keys(byRID)), primaryBatch) {
		var b strings.Builder
		b.WriteString("(&" + userFilter + "(|")
		for _, rid := range chunk {
			b.WriteString(EqualityFilter("primaryGroupID", rid))
		}
		b.WriteString("))")
		for e, err := range c.Search(ctx, Query{Base: domain, Scope: ldap.ScopeWholeSubtree, Filter: b.String(), Attributes: attrs}) {
			if err != nil {
				return err
			}
			k, ok := byRID[e.GetAttributeValue("primaryGroupID")]
			if !ok {
				continue
			}
			uk := normDN(e.DN)
			if _, seen := g.users[uk]; !seen {
				u, err := userFromEntry(e, extra...)
				if err != nil {
					return err
				}
				g.users[uk] = u
			}
			grp := g.groups[k]
			if !slices.ContainsFunc(grp.Members, func(m string) bool { return normDN(m) == uk }) {
				grp.Members = append(slices.Clone(grp.Members), e.DN)
				g.groups[k] = grp
				added = true
			}
		}
	}
	if added {
		// The DC's in-chain sets omit primary members: flatten from the
		// graph, which now holds them.
		g.flat = nil
	}
	return nil
}

// ridOf returns the RID of a domain SID (S-1-5-21-a-b-c-RID), or 0.
func ridOf(sid string) uint64 {
	parts := strings.Split(sid, "-")
	if len(parts) != 8 || parts[3] != "21" {
		return 0
	}
	rid, err := strconv.ParseUint(parts[7], 10, 32)
	if err != nil {
		return 0
	}
	return rid
}
