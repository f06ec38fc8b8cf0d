// This file holds the directory checks: the Root User container, the JumpCloud group, the users in scope.

package preflight

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ldapx"
)

func directoryChecks(f Facts) []Check {
	const a = AreaDirectory
	d := f.Domain
	var out []Check
	switch {
	case f.Group != nil:
		out = append(out, check(a, "jumpcloud-group", Pass, fmt.Sprintf("%s (%d direct members)", f.Group.DN, len(f.Group.Members)), ""))
	case f.GroupErr != nil && errors.Is(f.GroupErr, ldapx.ErrNoSuchObject):
		out = append(out, check(a, "jumpcloud-group", Fail, fmt.Sprintf("no group named %q in %s", d.JumpCloudGroup, d.RootContainer),
			fmt.Sprintf("create a security group named %q in %s and add the users and groups to import, or set jumpcloud_group", d.JumpCloudGroup, d.RootContainer)))
	case f.GroupErr != nil:
		out = append(out, check(a, "jumpcloud-group", Fail, errText(f.GroupErr), hint(f.GroupErr, "")))
	default:
		out = append(out, check(a, "jumpcloud-group", Skip, "not bound to AD", ""))
	}
	switch {
	case f.Admins != nil:
		out = append(out, check(a, "admins-group", Pass, fmt.Sprintf("%s (%d direct members)", f.Admins.DN, len(f.Admins.Members)), ""))
	case f.AdminsErr != nil && errors.Is(f.AdminsErr, ldapx.ErrNoSuchObject):
		out = append(out, check(a, "admins-group", Warn, fmt.Sprintf("no group named %q in %s: nobody becomes a JumpCloud administrator", d.AdminsGroup, d.RootContainer),
			fmt.Sprintf("create %q if AD should grant JumpCloud administrator rights; otherwise ignore this", d.AdminsGroup)))
	case f.AdminsErr != nil:
		out = append(out, check(a, "admins-group", Warn, errText(f.AdminsErr), ""))
	default:
		out = append(out, check(a, "admins-group", Skip, "not bound to AD", ""))
	}

	if nonASCII(d.RootContainer) || nonASCII(d.BaseDN) {
		out = append(out, check(a, "root-dn-ascii", Warn, "the Root User DN has non-ASCII characters: adjc handles them, JumpCloud's agent does not (seed 003)",
			"nothing for adjc; rename the container if the vendor's agent must also run"))
	} else {
		out = append(out, check(a, "root-dn-ascii", Pass, "the Root User DN is ASCII", ""))
	}

	s := f.Scope
	if s == nil {
		reason := "the JumpCloud group was not read"
		if f.ScopeErr != nil {
			reason = "the scope could not be read: " + errText(f.ScopeErr)
		}
		for _, n := range []string{"privileged-users", "incomplete-users", "outside-root", "large-groups", "nesting-cycles"} {
			out = append(out, check(a, n, Skip, reason, ""))
		}
		return out
	}
	if n := len(s.Privileged); n > 0 {
		out = append(out, check(a, "privileged-users", Warn, fmt.Sprintf("%d of %d users in scope are privileged (adminCount=1): they will be skipped", n, s.Users),
			"remove them from the JumpCloud group: privileged accounts are never imported or managed (seed 003)", s.Privileged...))
	} else {
		out = append(out, check(a, "privileged-users", Pass, fmt.Sprintf("none of %d users in scope is privileged", s.Users), ""))
	}
	var inc []string
	for _, u := range s.NoUsername {
		inc = append(inc, u+": no username ("+f.Domain.UsernameAttribute+")")
	}
	for _, u := range s.NoEmail {
		inc = append(inc, u+": no email (mail or userPrincipalName)")
	}
	slices.Sort(inc)
	if len(inc) > 0 {
		out = append(out, check(a, "incomplete-users", Warn,
			fmt.Sprintf("%d users in scope lack a username and %d an email; they will be skipped", len(s.NoUsername), len(s.NoEmail)),
			"set mail or userPrincipalName (and "+f.Domain.UsernameAttribute+") on them", inc...))
	} else {
		out = append(out, check(a, "incomplete-users", Pass, "every user in scope has a username and an email", ""))
	}
	if n := len(s.Outside); n > 0 {
		out = append(out, check(a, "outside-root", Pass,
			fmt.Sprintf("%s outside %s: adjc imports them", plural(n, "user in scope sits", "users in scope sit"), d.RootContainer), "", s.Outside...))
	} else {
		out = append(out, check(a, "outside-root", Pass, "every user in scope is in "+d.RootContainer, ""))
	}
	if n := len(s.LargeGroups); n > 0 {
		out = append(out, check(a, "large-groups", Pass,
			fmt.Sprintf("%s more than %d direct members: adjc reads them all, JumpCloud's agent would stop at %d", plural(n, "group has", "groups have"), VendorMemberLimit, VendorMemberLimit),
			"", s.LargeGroups...))
	} else {
		out = append(out, check(a, "large-groups", Pass, fmt.Sprintf("no group has more than %d direct members", VendorMemberLimit), ""))
	}
	if n := len(s.Cycles); n > 0 {
		var cyc []string
		for _, c := range s.Cycles {
			cyc = append(cyc, strings.Join(c, " ⇄ "))
		}
		out = append(out, check(a, "nesting-cycles", Warn, plural(n, "group nesting cycle", "group nesting cycles")+": adjc breaks them, but they are usually mistakes",
			"remove one membership from each cycle", cyc...))
	} else {
		out = append(out, check(a, "nesting-cycles", Pass, "no group nesting cycles", ""))
	}
	return out
}

// deletionChecks says whether an AD deletion reaches JumpCloud at the next
// delta run or only at the next full one: DirSync shows tombstones only to
// an account that may list CN=Deleted Objects (by default administrators
// and SYSTEM alone may).
func deletionChecks(f Facts) []Check {
	const a, n = AreaDirectory, "deletions-visible"
	df := f.Deletions
	switch {
	case !slices.Contains(f.Domain.Mode.Directions(), config.DirectionImport):
		return nil
	case df == nil:
		return []Check{check(a, n, Skip, "not bound to AD as the import account", "")}
	case df.Err != nil:
		return []Check{check(a, n, Warn, "could not tell whether deletions are visible: "+errText(df.Err), hint(df.Err, ""))}
	case df.Visible:
		return []Check{check(a, n, Pass, df.Account+" may list "+df.Container+": delta runs see AD deletions", "")}
	}
	return []Check{check(a, n, Warn,
		df.Account+" may not list "+df.Container+" (or it is empty): AD deletions reach JumpCloud at the next full run (full_interval), not the next delta run",
		fmt.Sprintf(`on a Windows DC, as a Domain Admin: dsacls "%s" /takeownership, then dsacls "%s" /g %s:LCRP (Microsoft KB 892806); on Samba, add the ACE (A;;LCRP;;;<account SID>) to the container through sam.ldb with the show_deleted control (samba-tool dsacl set cannot reach a deleted container)`,
			df.Container, df.Container, df.Account))}
}

// Summarize reduces a scope to what the checks count. rootContainer
// decides who is "outside"; usernameAttr is the UserFieldMapping.
func Summarize(s *ldapx.Scope, rootContainer, usernameAttr string) ScopeFacts {
	out := ScopeFacts{Users: len(s.Users), Groups: len(s.Groups), Cycles: s.Cycles}
	suffix := "," + strings.ToLower(rootContainer)
	for _, u := range s.Users {
		name := u.SAMAccountName
		if name == "" {
			name = u.DN
		}
		if u.Privileged() {
			out.Privileged = append(out.Privileged, name)
			continue // skipped anyway; not counted twice
		}
		username := u.SAMAccountName
		if usernameAttr != "" && !strings.EqualFold(usernameAttr, "sAMAccountName") {
			username = u.Attrs[usernameAttr]
		}
		if username == "" {
			out.NoUsername = append(out.NoUsername, name)
		}
		if u.Mail == "" && u.UserPrincipalName == "" {
			out.NoEmail = append(out.NoEmail, name)
		}
		if !strings.HasSuffix(strings.ToLower(u.DN), suffix) {
			out.Outside = append(out.Outside, u.DN)
		}
	}
	groups := []ldapx.Group{s.Root.Group}
	for _, g := range s.Groups {
		groups = append(groups, g.Group)
	}
	for _, g := range groups {
		if len(g.Members) > VendorMemberLimit {
			out.LargeGroups = append(out.LargeGroups, fmt.Sprintf("%s (%d members)", g.Name, len(g.Members)))
		}
	}
	for _, l := range [][]string{out.Privileged, out.NoUsername, out.NoEmail, out.Outside, out.LargeGroups} {
		slices.Sort(l)
	}
	return out
}

// ---------------------------------------------------------------- jumpcloud
