package adapter

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
)

// DomainOptions say what [ReadDomain] reads.
type DomainOptions struct {
	// BaseDN is the domain DN; users are matched anywhere under it, so a
	// user outside the container is found (and reported, not duplicated).
	BaseDN string
	// Container is the Root User container; CN=Users,<BaseDN> when empty.
	Container string
	// UsernameAttribute is the AD attribute matched with the JumpCloud
	// username (the seeds' UserFieldMapping); sAMAccountName when empty.
	UsernameAttribute string
	// GroupNames are the bound groups' names; only AD groups with these
	// names (cn, case-insensitively) are read.
	GroupNames []string
	// GroupIDs are the bound groups' JumpCloud ids; AD groups recording one
	// of them (see [GroupAnchorValue]) are read too, whatever their name, so
	// a group renamed in JumpCloud is found under its old name.
	GroupIDs []string
}

// groupAnchorPrefix starts the adminDescription that sync writes in the AD
// groups it creates or takes over; the JumpCloud group id follows.
// adminDescription is not shown in Users and Computers, the delegated sync
// account may write it (allowedAttributesEffective on CN=Users), and unlike
// description or info it is rarely used by people.
const groupAnchorPrefix = "adjc:jumpcloud-group:"

// GroupAnchorValue is the adminDescription recording JumpCloud group id.
func GroupAnchorValue(id string) string { return groupAnchorPrefix + id }

// groupAnchor reads an AD group's adminDescription: the JumpCloud group id
// it records, or, for any other non-empty text, taken.
func groupAnchor(adminDescription string) (id string, taken bool) {
	if rest, ok := strings.CutPrefix(adminDescription, groupAnchorPrefix); ok && rest != "" {
		return rest, false
	}
	return "", adminDescription != ""
}

// groupBatch is how many names go in one OR filter.
const groupBatch = 50

// ReadDomain reads the Active Directory side of a sync: every user under
// the base DN and the groups named like bound groups, with their direct user
// members as objectGUIDs.
func ReadDomain(ctx context.Context, conn *ldapx.Conn, opts DomainOptions) (reconcile.Domain, error) {
	attr := opts.UsernameAttribute
	if attr == "" {
		attr = "sAMAccountName"
	}
	container := opts.Container
	if container == "" {
		container = "CN=Users," + opts.BaseDN
	}
	var extra []string
	if !strings.EqualFold(attr, "sAMAccountName") {
		extra = append(extra, attr)
	}
	users, err := conn.Users(ctx, opts.BaseDN, extra...)
	if err != nil {
		return reconcile.Domain{}, fmt.Errorf("read AD users: %w", err)
	}
	d := reconcile.Domain{Container: container}
	byDN := make(map[string]string, len(users))
	for _, u := range users {
		d.Users = append(d.Users, reconcile.ADUser{
			GUID:       u.GUID,
			DN:         u.DN,
			Username:   username(u, attr),
			GivenName:  u.GivenName,
			Surname:    u.SN,
			Mail:       u.Mail,
			UPN:        u.UserPrincipalName,
			Disabled:   u.Disabled(),
			Privileged: u.Privileged(),
			PwdLastSet: u.PwdLastSet,
		})
		byDN[strings.ToLower(u.DN)] = u.GUID
	}
	clauses := make([]string, 0, len(opts.GroupNames)+len(opts.GroupIDs))
	for _, n := range opts.GroupNames {
		clauses = append(clauses, ldapx.EqualityFilter("cn", n))
	}
	for _, id := range opts.GroupIDs {
		clauses = append(clauses, ldapx.EqualityFilter("adminDescription", GroupAnchorValue(id)))
	}
	seen := map[string]bool{} // a group can match in two batches: by name and by id
	for start := 0; start < len(clauses); start += groupBatch {
		batch := clauses[start:min(start+groupBatch, len(clauses))]
		f := "(&(objectClass=group)(|" + strings.Join(batch, "") + "))"
		es, err := conn.SearchAll(ctx, ldapx.Query{Base: opts.BaseDN, Scope: ldap.ScopeWholeSubtree, Filter: f,
			Attributes: []string{"cn", "adminCount", "adminDescription"}})
		if err != nil {
			return reconcile.Domain{}, fmt.Errorf("read AD groups: %w", err)
		}
		for _, e := range es {
			if seen[strings.ToLower(e.DN)] {
				continue
			}
			seen[strings.ToLower(e.DN)] = true
			g, err := conn.Group(ctx, e.DN) // ranged member read
			if err != nil {
				return reconcile.Domain{}, fmt.Errorf("read AD group %s: %w", e.DN, err)
			}
			n, _ := strconv.Atoi(e.GetAttributeValue("adminCount"))
			dg := reconcile.DomainGroup{GUID: g.GUID, DN: g.DN, Name: g.Name, Privileged: n == 1}
			dg.Anchor, dg.AnchorSlotTaken = groupAnchor(e.GetAttributeValue("adminDescription"))
			for _, m := range g.Members {
				if guid, ok := byDN[strings.ToLower(m)]; ok {
					dg.Members = append(dg.Members, guid)
				}
			}
			d.Groups = append(d.Groups, dg)
		}
	}
	return d, nil
}
