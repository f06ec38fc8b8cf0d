package adapter

import (
	"context"
	"fmt"
	"maps"
	"slices"
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
	// username (the seeds' UserFieldMapping); sAMAccountName when empty. AD
	// must compare it without regard to case, as it does sAMAccountName,
	// userPrincipalName and mail.
	UsernameAttribute string
	// Bound is the JumpCloud side of the sync: only the AD users and groups
	// that [reconcile.Diff] towards AD can match with it are read.
	Bound reconcile.Cloud
	// Bind, JumpCloudGroup, AdminsGroup and NeverTouch are the domain's
	// settings of the same names: with the base DN as the write scope they
	// make [reconcile.Directory.NeverTouch] ([ReadNeverTouch]). The account
	// the connection bound as is protected even when Binds is empty.
	Binds                       []string
	JumpCloudGroup, AdminsGroup string
	NeverTouch                  []string
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

// batch is how many clauses go in one OR filter: short enough for any DC's
// filter limits, long enough that a few dozen bound users cost one search.
const batch = 50

// ReadDomain reads the Active Directory side of a sync for the users and
// groups in opts.Bound, and nothing else, so the read grows with what is
// bound and not with the domain (a 200,000-user domain with 50 bound users
// is a few searches). It reads, anywhere under the base DN:
//   - users whose username attribute equals a bound user's username, case
//     aside, users whose mail is an unanchored bound user's email (a
//     username and email that do not align are a conflict, seed 002), and
//     users whose objectGUID is a bound user's anchor: the only users
//     [reconcile.Diff] towards AD looks up;
//   - groups whose cn is a bound group's name or whose adminDescription
//     records a bound group's id ([GroupAnchorValue]), with those of their
//     direct members that are among the users read: the only members the
//     plan compares (it adds and removes bound users only).
//
// The plan is the one a read of every user would give; only the plan's
// fingerprint differs, as it covers what was read.
func ReadDomain(ctx context.Context, conn *ldapx.Conn, opts DomainOptions) (reconcile.Directory, error) {
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
	// The sync plan looks a bound user up by anchor when it has one, else by
	// lower-cased username; these keys say which users it can find.
	names, anchors, mails := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var clauses []string
	for _, u := range opts.Bound.Users {
		if u.Anchor != "" {
			k := strings.ToLower(u.Anchor)
			f, err := ldapx.GUIDFilter(u.Anchor)
			if anchors[k] || err != nil {
				continue // not a GUID: no AD object has it, and the plan says so
			}
			anchors[k] = true
			clauses = append(clauses, f)
			continue
		}
		if m := strings.ToLower(u.Email); m != "" && !mails[m] {
			mails[m] = true
			clauses = append(clauses, ldapx.EqualityFilter("mail", u.Email))
		}
		k := strings.ToLower(u.Username)
		if k == "" || names[k] {
			continue
		}
		names[k] = true
		// The server matches case-insensitively; the lower- and upper-case
		// spellings are for characters its case folding and Go's may not
		// agree on.
		spellings := []string{u.Username, k, strings.ToUpper(u.Username)}
		slices.Sort(spellings)
		for _, v := range slices.Compact(spellings) {
			clauses = append(clauses, ldapx.EqualityFilter(attr, v))
		}
	}
	nt, err := ReadNeverTouch(ctx, conn, NeverTouchOptions{Scope: opts.BaseDN, RootContainer: container,
		Binds: opts.Binds, JumpCloudGroup: opts.JumpCloudGroup, AdminsGroup: opts.AdminsGroup, Entries: opts.NeverTouch})
	if err != nil {
		return reconcile.Directory{}, err
	}
	d := reconcile.Directory{Container: container, NeverTouch: nt}
	byDN := map[string]string{}
	for start := 0; start < len(clauses); start += batch {
		f := "(|" + strings.Join(clauses[start:min(start+batch, len(clauses))], "") + ")"
		users, err := conn.UsersMatching(ctx, opts.BaseDN, f, extra...)
		if err != nil {
			return reconcile.Directory{}, fmt.Errorf("read AD users: %w", err)
		}
		for _, u := range users {
			// The server's match is a superset: a multi-valued attribute
			// matches on any value, but the username is the first.
			name := username(u, attr)
			if !names[strings.ToLower(name)] && !anchors[strings.ToLower(u.GUID)] && !mails[strings.ToLower(u.Mail)] {
				continue
			}
			if _, dup := byDN[strings.ToLower(u.DN)]; dup {
				continue // found by name and by anchor, in two batches
			}
			d.Users = append(d.Users, adUser(u, attr))
			byDN[strings.ToLower(u.DN)] = u.GUID
		}
	}
	computers, err := readComputers(ctx, conn, opts.BaseDN, names)
	if err != nil {
		return reconcile.Directory{}, err
	}
	d.Users = append(d.Users, computers...)
	clauses = clauses[:0]
	for _, g := range opts.Bound.Groups {
		clauses = append(clauses, ldapx.EqualityFilter("cn", g.Name))
	}
	for _, g := range opts.Bound.Groups {
		clauses = append(clauses, ldapx.EqualityFilter("adminDescription", GroupAnchorValue(g.ID)))
	}
	seen := map[string]bool{} // a group can match in two batches: by name and by id
	for start := 0; start < len(clauses); start += batch {
		f := "(&(objectClass=group)(|" + strings.Join(clauses[start:min(start+batch, len(clauses))], "") + "))"
		es, err := conn.SearchAll(ctx, ldapx.Query{Base: opts.BaseDN, Scope: ldap.ScopeWholeSubtree, Filter: f,
			Attributes: []string{"cn", "adminCount", "adminDescription"}})
		if err != nil {
			return reconcile.Directory{}, fmt.Errorf("read AD groups: %w", err)
		}
		for _, e := range es {
			if seen[strings.ToLower(e.DN)] {
				continue
			}
			seen[strings.ToLower(e.DN)] = true
			g, err := conn.Group(ctx, e.DN) // ranged member read
			if err != nil {
				return reconcile.Directory{}, fmt.Errorf("read AD group %s: %w", e.DN, err)
			}
			n, _ := strconv.Atoi(e.GetAttributeValue("adminCount"))
			dg := reconcile.ADGroup{GUID: g.GUID, DN: g.DN, Name: g.Name, Privileged: n == 1, SID: g.SID, Critical: g.Critical}
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

// readComputers reads the computer accounts whose sAMAccountName is one of
// names (lower-cased). People's accounts are read with a filter that leaves
// computers out, yet a computer's sAMAccountName (WS01$) is unique among
// users too: sync must see it to refuse the name rather than take the
// computer over or fail creating a user that collides with it.
func readComputers(ctx context.Context, conn *ldapx.Conn, base string, names map[string]bool) ([]reconcile.ADUser, error) {
	var clauses []string
	for _, n := range slices.Sorted(maps.Keys(names)) {
		clauses = append(clauses, ldapx.EqualityFilter("sAMAccountName", n))
	}
	var out []reconcile.ADUser
	for start := 0; start < len(clauses); start += batch {
		f := "(&(objectCategory=computer)(|" + strings.Join(clauses[start:min(start+batch, len(clauses))], "") + "))"
		es, err := conn.SearchAll(ctx, ldapx.Query{Base: base, Scope: ldap.ScopeWholeSubtree, Filter: f,
			Attributes: []string{"objectGUID", "objectSid", "sAMAccountName"}})
		if err != nil {
			return nil, fmt.Errorf("read AD computers: %w", err)
		}
		for _, e := range es {
			guid, err := ldapx.GUIDString(e.GetRawAttributeValue("objectGUID"))
			if err != nil {
				return nil, fmt.Errorf("read AD computers: %s: %w", e.DN, err)
			}
			sid, _ := ldapx.SIDString(e.GetRawAttributeValue("objectSid"))
			out = append(out, reconcile.ADUser{GUID: guid, DN: e.DN, Username: e.GetAttributeValue("sAMAccountName"), SID: sid, Computer: true})
		}
	}
	return out, nil
}
