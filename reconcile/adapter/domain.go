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
	for start := 0; start < len(opts.GroupNames); start += groupBatch {
		names := opts.GroupNames[start:min(start+groupBatch, len(opts.GroupNames))]
		var f strings.Builder
		f.WriteString("(&(objectClass=group)(|")
		for _, n := range names {
			f.WriteString(ldapx.EqualityFilter("cn", n))
		}
		f.WriteString("))")
		es, err := conn.SearchAll(ctx, ldapx.Query{Base: opts.BaseDN, Scope: ldap.ScopeWholeSubtree, Filter: f.String(),
			Attributes: []string{"cn", "adminCount"}})
		if err != nil {
			return reconcile.Domain{}, fmt.Errorf("read AD groups: %w", err)
		}
		for _, e := range es {
			g, err := conn.Group(ctx, e.DN) // ranged member read
			if err != nil {
				return reconcile.Domain{}, fmt.Errorf("read AD group %s: %w", e.DN, err)
			}
			n, _ := strconv.Atoi(e.GetAttributeValue("adminCount"))
			dg := reconcile.DomainGroup{GUID: g.GUID, DN: g.DN, Name: g.Name, Privileged: n == 1}
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
