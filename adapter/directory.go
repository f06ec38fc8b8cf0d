package adapter

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
)

// ReadOptions say what [ReadDirectory] reads; they mirror a configured domain.
type ReadOptions struct {
	// RootContainer is the Root User container (CN=Users,<domain DN> when
	// empty): it holds the JumpCloud and admins groups.
	RootContainer string
	// JumpCloudGroup and AdminsGroup name the scope and admins groups
	// (ldapx's defaults when empty).
	JumpCloudGroup string
	AdminsGroup    string
	// UsernameAttribute becomes the JumpCloud username (the seeds'
	// UserFieldMapping); sAMAccountName when empty.
	UsernameAttribute string
	// RootOnly skips, with the reason, users that live outside the Root
	// User container and OUs beneath it. Import does not need it: seed 001
	// takes every member of the JumpCloud group wherever it lives. Seed 002
	// asks for it when AD Sync is to manage the same users the other way.
	RootOnly bool
	// Strategy is how nested groups are expanded; see [ldapx.Strategy].
	Strategy ldapx.Strategy
	// Binds (the domain's bind accounts, every direction's) and NeverTouch: with
	// the groups above and the domain DN as the write scope they make
	// [reconcile.Directory.NeverTouch] ([ReadNeverTouch]). The account the
	// connection bound as is protected even when Binds is empty.
	Binds      []string
	NeverTouch []string
	// Authority is the JumpCloud AD domain object the import marks its
	// users and groups with; it is copied into [reconcile.Directory].
	Authority reconcile.Authority
	// Mapped names the opt-in fields to read ([reconcile.Directory.Mapped];
	// see [Mapping]): their AD attributes are read with every user. Empty
	// reads none, as before field_mapping existed.
	Mapped []string
	// Notes are what choosing Mapped found to report (translation rules
	// adjc does not honour); they are copied into the directory's Skipped,
	// so every plan shows them.
	Notes []reconcile.Skip
}

// ReadDirectory reads the import scope from AD through conn and returns it
// as the engine's desired state. Admins are read both direct and nested, so
// the policy (reconcile.Policy.NestedAdmins) decides which count.
func ReadDirectory(ctx context.Context, conn *ldapx.Conn, opts ReadOptions) (reconcile.Directory, error) {
	s, root, attr, err := readScope(ctx, conn, opts)
	if err != nil {
		return reconcile.Directory{}, err
	}
	d := directoryFromScope(s, root, attr, opts.RootOnly)
	if d.NeverTouch, err = readNeverTouch(ctx, conn, opts, root); err != nil {
		return reconcile.Directory{}, err
	}
	d.Authority = opts.Authority
	mapDirectory(&d, s, opts)
	return d, nil
}

// mapDirectory adds the opt-in fields of opts.Mapped, read with the scope,
// and the notes about them.
func mapDirectory(d *reconcile.Directory, s *ldapx.Scope, opts ReadOptions) {
	d.Skipped = append(d.Skipped, opts.Notes...)
	if len(opts.Mapped) == 0 {
		return
	}
	d.Mapped = slices.Clone(opts.Mapped)
	for i := range d.Users {
		d.Users[i].Attrs = adAttrs(s.Users[d.Users[i].GUID], opts.Mapped)
	}
}

// readNeverTouch reads the never-touch set of an import; the write scope
// is the whole domain, as the reader finds users and groups anywhere in it.
func readNeverTouch(ctx context.Context, conn *ldapx.Conn, opts ReadOptions, root string) (reconcile.NeverTouch, error) {
	base, err := conn.DomainDN(ctx)
	if err != nil {
		return reconcile.NeverTouch{}, fmt.Errorf("read directory: %w", err)
	}
	return ReadNeverTouch(ctx, conn, NeverTouchOptions{Scope: base, RootContainer: root, Binds: opts.Binds,
		JumpCloudGroup: opts.JumpCloudGroup, AdminsGroup: opts.AdminsGroup, Entries: opts.NeverTouch})
}

// readScope reads the scope with the options' defaults filled in, and
// returns them.
func readScope(ctx context.Context, conn *ldapx.Conn, opts ReadOptions) (s *ldapx.Scope, root, attr string, err error) {
	attr = opts.UsernameAttribute
	if attr == "" {
		attr = "sAMAccountName"
	}
	root = opts.RootContainer
	if root == "" {
		base, err := conn.DomainDN(ctx)
		if err != nil {
			return nil, "", "", fmt.Errorf("read directory: %w", err)
		}
		root = "CN=Users," + base
	}
	s, err = conn.ReadScope(ctx, ldapx.ScopeOptions{
		RootContainer:     root,
		JumpCloudGroup:    opts.JumpCloudGroup,
		AdminsGroup:       opts.AdminsGroup,
		NestedAdmins:      true, // split into direct and nested below
		UsernameAttribute: attr,
		Strategy:          opts.Strategy,
		Attributes:        reconcile.MappedADAttributes(opts.Mapped),
	})
	if err != nil {
		return nil, "", "", fmt.Errorf("read directory: %w", err)
	}
	return s, root, attr, nil
}

// directoryFromScope converts a scope read at one moment; it is pure.
func directoryFromScope(s *ldapx.Scope, root, attr string, rootOnly bool) reconcile.Directory {
	var d reconcile.Directory
	kept := make(map[string]bool, len(s.Users))
	for _, guid := range slices.Sorted(mapKeys(s.Users)) {
		u := s.Users[guid]
		name := username(u, attr)
		if rootOnly && !underDN(u.DN, root) {
			key := strings.ToLower(name)
			if key == "" {
				key = u.DN
			}
			d.Skipped = append(d.Skipped, reconcile.Skip{
				Kind: reconcile.KindUser, Key: key,
				Reason: fmt.Sprintf("outside the Root User container %s (%s): move it there or beneath it", root, u.DN),
			})
			continue
		}
		kept[guid] = true
		d.Users = append(d.Users, adUser(u, attr))
	}
	for _, guid := range slices.Sorted(mapKeys(s.Groups)) {
		g := s.Groups[guid]
		members := make([]string, 0, len(g.Users))
		for _, m := range g.Users {
			if kept[m] {
				members = append(members, m)
			}
		}
		d.Groups = append(d.Groups, reconcile.ADGroup{GUID: g.GUID, DN: g.DN, Name: g.Name, Members: members,
			SID: g.SID, Critical: g.Critical, Privileged: g.AdminCount == 1})
	}
	// The JumpCloud group itself is mirrored too, holding every user in
	// scope (seed 002, "Advanced Configurations for Active Directory Sync").
	if s.Root.GUID != "" {
		members := make([]string, 0, len(s.Root.Users))
		for _, m := range s.Root.Users {
			if kept[m] {
				members = append(members, m)
			}
		}
		d.Groups = append(d.Groups, reconcile.ADGroup{GUID: s.Root.GUID, DN: s.Root.DN, Name: s.Root.Name, Members: members,
			SID: s.Root.SID, Critical: s.Root.Critical, Privileged: s.Root.AdminCount == 1, Scope: true})
	}
	if s.AdminsGroup != nil {
		direct := make(map[string]bool, len(s.AdminsGroup.Members))
		for _, dn := range s.AdminsGroup.Members {
			direct[strings.ToLower(dn)] = true
		}
		for _, guid := range slices.Sorted(mapKeys(s.Admins)) {
			if !kept[guid] {
				continue
			}
			if direct[strings.ToLower(s.Users[guid].DN)] {
				d.Admins = append(d.Admins, guid)
			} else {
				d.NestedAdmins = append(d.NestedAdmins, guid)
			}
		}
		for _, dn := range s.AdminsOutOfScope {
			d.Skipped = append(d.Skipped, reconcile.Skip{
				Kind: reconcile.KindAdmin, Key: dn,
				Reason: fmt.Sprintf("member of %s but not of the JumpCloud group: not made an administrator", s.AdminsGroup.Name),
			})
		}
	}
	names := make(map[string]string, len(s.Groups)+1)
	names[strings.ToLower(s.Root.DN)] = s.Root.Name
	for _, g := range s.Groups {
		names[strings.ToLower(g.DN)] = g.Name
	}
	for _, c := range s.Cycles {
		var path []string
		for _, dn := range c {
			n, ok := names[strings.ToLower(dn)]
			if !ok {
				n = dn
			}
			path = append(path, n)
		}
		if len(path) > 0 {
			path = append(path, path[0])
		}
		d.Cycles = append(d.Cycles, reconcile.Cycle{Path: path})
	}
	for _, dn := range s.Other {
		d.Skipped = append(d.Skipped, reconcile.Skip{
			Kind: reconcile.KindUser, Key: dn,
			Reason: "member of the scope that is neither a user nor a group (contact, computer or foreign principal)",
		})
	}
	return d
}

// adUser converts one user read from AD.
func adUser(u ldapx.User, attr string) reconcile.ADUser {
	return reconcile.ADUser{
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
		SID:        u.SID,
		Critical:   u.Critical,
	}
}

// username returns the configured username attribute of u.
func username(u ldapx.User, attr string) string {
	if v, ok := u.Attrs[attr]; ok {
		return v
	}
	switch strings.ToLower(attr) {
	case "samaccountname":
		return u.SAMAccountName
	case "userprincipalname":
		return u.UserPrincipalName
	case "mail":
		return u.Mail
	}
	return ""
}

// underDN reports whether dn is parent or lies beneath it. DNs compare
// case-insensitively, as AD does for attribute types and values.
func underDN(dn, parent string) bool {
	dn, parent = strings.ToLower(dn), strings.ToLower(parent)
	return dn == parent || strings.HasSuffix(dn, ","+parent)
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// ADUser converts one user read from AD into the engine's value, with attr
// as the username attribute; for commands that handle one user outside a
// plan (`sync password` asks the never-touch rules about it).
func ADUser(u ldapx.User, attr string) reconcile.ADUser { return adUser(u, attr) }
