package adapter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
)

// NeverTouchOptions name, from a configured domain, what [ReadNeverTouch]
// protects beyond what every object's own facts say.
type NeverTouchOptions struct {
	// Scope is the write scope, the configured base DN.
	Scope string
	// RootContainer holds the JumpCloud and admins groups.
	RootContainer string
	// Binds are adjc's bind accounts as configured (UPN, DN or
	// DOMAIN\user); the account the connection bound as is always added.
	Binds []string
	// JumpCloudGroup and AdminsGroup are the configured group names; the
	// defaults when empty.
	JumpCloudGroup, AdminsGroup string
	// Entries is the operator's never_touch list: DNs or sAMAccountNames.
	// A group named here protects its members, direct and nested.
	Entries []string
}

// ReadNeverTouch resolves opts into the engine's [reconcile.NeverTouch]:
// each named object by its name and, when AD has it, by its objectGUID and
// DN, so a renamed object stays protected and a missing one is never
// created under that name by sync. An object that does not exist is no
// error; a failed read is.
func ReadNeverTouch(ctx context.Context, conn *ldapx.Conn, opts NeverTouchOptions) (reconcile.NeverTouch, error) {
	nt := reconcile.NeverTouch{Scope: opts.Scope}
	add := func(why string, keys ...string) {
		for _, k := range keys {
			if k != "" {
				nt.Entries = append(nt.Entries, reconcile.Protected{Match: k, Why: why})
			}
		}
	}
	binds := slices.Clone(opts.Binds)
	if b := conn.BindName(); b != "" {
		binds = append(binds, b)
	}
	for _, b := range binds {
		if b == "" {
			continue
		}
		const why = "adjc's own bind account"
		add(why, bindNames(b)...)
		u, err := conn.BindUser(ctx, b)
		if errors.Is(err, ldapx.ErrNoSuchObject) {
			continue
		}
		if err != nil {
			return reconcile.NeverTouch{}, fmt.Errorf("read never-touch set: bind account %s: %w", b, err)
		}
		add(why, u.GUID, u.DN, u.SAMAccountName, u.UserPrincipalName)
	}
	root := opts.RootContainer
	if root == "" && opts.Scope != "" {
		root = ldapx.JoinDN("CN=Users", opts.Scope)
	}
	for _, g := range []struct{ key, name, def string }{
		{"jumpcloud_group", opts.JumpCloudGroup, ldapx.DefaultJumpCloudGroup},
		{"admins_group", opts.AdminsGroup, ldapx.DefaultAdminsGroup},
	} {
		name := cmp.Or(g.name, g.def)
		why := "adjc's " + g.key + " " + name
		add(why, name)
		if root == "" {
			continue
		}
		grp, err := conn.FindGroup(ctx, root, name)
		if errors.Is(err, ldapx.ErrNoSuchObject) {
			continue
		}
		if err != nil {
			return reconcile.NeverTouch{}, fmt.Errorf("read never-touch set: %s %q: %w", g.key, name, err)
		}
		add(why, grp.GUID, grp.DN, grp.SAMAccountName)
	}
	for _, e := range opts.Entries {
		if err := neverTouchEntry(ctx, conn, opts.Scope, strings.TrimSpace(e), add); err != nil {
			return reconcile.NeverTouch{}, fmt.Errorf("read never-touch set: never_touch entry %q: %w", e, err)
		}
	}
	return nt, nil
}

// bindNames are the names a bind string gives without reading AD: itself,
// and the sAMAccountName in DOMAIN\user or the local part of a UPN (which
// AD also accepts as sAMAccountName@domain).
func bindNames(b string) []string {
	out := []string{b}
	if _, sam, ok := strings.Cut(b, `\`); ok {
		out = append(out, sam)
	} else if local, _, ok := strings.Cut(b, "@"); ok {
		out = append(out, local)
	}
	return out
}

// neverTouchEntry protects one never_touch entry and, for a group, its
// members at any depth (AD's in-chain matching rule).
func neverTouchEntry(ctx context.Context, conn *ldapx.Conn, base, entry string, add func(string, ...string)) error {
	if entry == "" {
		return nil
	}
	why := "in never_touch (" + entry + ")"
	add(why, entry)
	attrs := []string{"objectGUID", "objectClass", "sAMAccountName", "cn"}
	q := ldapx.Query{Base: entry, Scope: ldap.ScopeBaseObject, Filter: "(objectClass=*)", Attributes: attrs}
	if dn, err := ldap.ParseDN(entry); err != nil || len(dn.RDNs) < 2 {
		if base == "" {
			return nil
		}
		q = ldapx.Query{Base: base, Scope: ldap.ScopeWholeSubtree, Filter: ldapx.EqualityFilter("sAMAccountName", entry), Attributes: attrs}
	}
	es, err := conn.SearchAll(ctx, q)
	if errors.Is(err, ldapx.ErrNoSuchObject) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range es {
		guid, err := ldapx.GUIDString(e.GetRawAttributeValue("objectGUID"))
		if err != nil {
			return err
		}
		add(why, guid, e.DN, e.GetAttributeValue("sAMAccountName"))
		if !slices.ContainsFunc(e.GetAttributeValues("objectClass"), func(c string) bool { return strings.EqualFold(c, "group") }) {
			continue
		}
		name := cmp.Or(e.GetAttributeValue("cn"), e.DN)
		members, err := conn.SearchAll(ctx, ldapx.Query{Base: cmp.Or(base, e.DN), Scope: ldap.ScopeWholeSubtree,
			Filter:     "(memberOf:" + ldapx.OIDInChain + ":=" + ldap.EscapeFilter(e.DN) + ")",
			Attributes: []string{"objectGUID", "sAMAccountName"}})
		if err != nil {
			return fmt.Errorf("members of %s: %w", e.DN, err)
		}
		for _, m := range members {
			guid, err := ldapx.GUIDString(m.GetRawAttributeValue("objectGUID"))
			if err != nil {
				return err
			}
			add("member of never_touch group "+name, guid, m.DN)
		}
	}
	return nil
}
