package ldapx

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// UserWithGroups finds a user anywhere in the domain by canonical objectGUID,
// as [Conn.UserByGUID] does, and returns with it the DNs of the groups it is
// a direct member of: its memberOf, the back link AD keeps of every group's
// member values. The primary group (primaryGroupID) is not among them, as it
// is not among a group's member values either. Users with more groups than
// the DC's MaxValRange (1500 on Windows) are reported as ErrConstraint rather
// than read short.
func (c *Conn) UserWithGroups(ctx context.Context, guid string, extra ...string) (User, []string, error) {
	f, err := GUIDFilter(guid)
	if err != nil {
		return User{}, nil, err
	}
	base, err := c.DomainDN(ctx)
	if err != nil {
		return User{}, nil, err
	}
	es, err := c.SearchAll(ctx, Query{Base: base, Scope: ldap.ScopeWholeSubtree, Filter: "(&" + userFilter + f + ")",
		Attributes: withExtra(userAttrs, append(extra, "memberOf")...)})
	if err != nil {
		return User{}, nil, err
	}
	switch len(es) {
	case 0:
		return User{}, nil, &Error{Op: "find user", DN: guid, Kind: ErrNoSuchObject}
	case 1:
	default:
		return User{}, nil, &Error{Op: "find user", DN: guid, Kind: ErrConstraint, Reason: fmt.Sprintf("%d users match", len(es))}
	}
	e := es[0]
	for _, a := range e.Attributes {
		if strings.HasPrefix(strings.ToLower(a.Name), "memberof;") {
			// memberOf;range=0-1499: the DC split the values.
			return User{}, nil, &Error{Op: "find user", DN: e.DN, Attribute: "memberOf", Kind: ErrConstraint,
				Reason: "more group memberships than the domain controller returns at once"}
		}
	}
	u, err := userFromEntry(e, extra...)
	if err != nil {
		return User{}, nil, err
	}
	return u, e.GetEqualFoldAttributeValues("memberOf"), nil
}

// InChain reports whether the object dn is a member of the group groupDN,
// directly or through nested groups, as the DC evaluates the in-chain
// matching rule (memberOf:1.2.840.113556.1.4.1941:=<group DN>) on that one
// object: a base search, which costs the DC a walk up from dn rather than
// an expansion of the whole nest (milliseconds on the lab DC, against
// seconds for the in-chain scope search; see [StrategyInChain]).
func (c *Conn) InChain(ctx context.Context, dn, groupDN string) (bool, error) {
	filter := "(memberOf:" + OIDInChain + ":=" + ldap.EscapeFilter(groupDN) + ")"
	es, err := c.SearchAll(ctx, Query{Base: dn, Scope: ldap.ScopeBaseObject, Filter: filter, Attributes: []string{"1.1"}})
	if err != nil {
		return false, err
	}
	return len(es) > 0, nil
}
