// This file holds the service account checks: privilege, rights, password expiry, writable attributes.

package preflight

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
)

// privilegedRIDs are the groups that make an account a domain admin or
// close to it: domain-relative RIDs (S-1-5-21-…-RID) and builtin aliases
// (S-1-5-32-RID).
var privilegedRIDs = map[string]string{
	"512": "Domain Admins", "518": "Schema Admins", "519": "Enterprise Admins",
	"520": "Group Policy Creator Owners", "526": "Key Admins", "527": "Enterprise Key Admins",
}

var privilegedBuiltins = map[string]string{
	"S-1-5-32-544": "Administrators", "S-1-5-32-548": "Account Operators", "S-1-5-32-549": "Server Operators",
	"S-1-5-32-550": "Print Operators", "S-1-5-32-551": "Backup Operators", "S-1-5-32-552": "Replicator",
}

// privileged reports whether a SID is one of the privileged groups.
func privileged(sid string) bool {
	if _, ok := privilegedBuiltins[sid]; ok {
		return true
	}
	if strings.HasPrefix(sid, "S-1-5-21-") {
		rid := sid[strings.LastIndexByte(sid, '-')+1:]
		_, ok := privilegedRIDs[rid]
		return ok
	}
	return false
}

func syncMode(m config.Mode) bool { return m == config.ModeTwoWay || m == config.ModeJCAuthority }

// accountChecks checks the service account, or with import_bind and
// sync_bind each account for the rights of its own direction: the import
// account only reads, the sync account must be delegated the writes. Their
// checks are named import-… and sync-….
func accountChecks(f Facts) []Check {
	if len(f.Accounts) < 2 {
		return accountChecksFor(f, syncMode(f.Domain.Mode), "mode "+string(f.Domain.Mode)+" writes nothing to AD")
	}
	var out []Check
	for _, af := range f.Accounts {
		sub := f
		sub.Domain.Bind = af.Bind
		sub.Account, sub.AccountErr, sub.Readable, sub.ReadErr, sub.Rights = af.Account, af.AccountErr, af.Readable, af.ReadErr, af.Rights
		if !af.Bound && af.Account == nil && af.AccountErr == nil && af.BindErr != nil {
			sub.AccountErr = af.BindErr
		}
		writes := slices.Contains(af.Directions, config.DirectionSync)
		prefix := directionsName(af.Directions)
		for _, c := range accountChecksFor(sub, writes, af.Field[strings.LastIndexByte(af.Field, '.')+1:]+" is used for import only, which writes nothing to AD") {
			c.Name = prefix + "-" + c.Name
			if !strings.Contains(c.Reason, af.Bind) {
				c.Reason = af.Bind + ": " + c.Reason
			}
			out = append(out, c)
		}
	}
	return out
}

func directionsName(dirs []config.Direction) string {
	names := make([]string, len(dirs))
	for i, d := range dirs {
		names[i] = string(d)
	}
	return strings.Join(names, "-")
}

func accountChecksFor(f Facts, writes bool, noWrites string) []Check {
	const a = AreaAccount
	names := []string{"privileged-groups", "name", "jumpcloud-group", "admincount", "password-expiry", "read-users",
		"create-users", "create-groups", "reset-passwords", "write-attributes", "write-members"}
	if f.Account == nil {
		reason := "not bound to AD"
		if f.AccountErr != nil {
			reason = "the service account could not be read: " + errText(f.AccountErr)
		}
		out := make([]Check, len(names))
		for i, n := range names {
			out[i] = check(a, n, Skip, reason, "")
		}
		if !writes { // keep the reason the write checks do not apply
			copy(out[len(names)-len(writeNames):], writeChecks(f, false, noWrites))
		}
		return out
	}
	acct := f.Account
	var out []Check

	var priv, all []string
	for _, g := range acct.Groups {
		all = append(all, g.Name)
		if privileged(g.SID) {
			priv = append(priv, g.Name)
		}
	}
	if len(priv) > 0 {
		out = append(out, check(a, "privileged-groups", Fail,
			acct.SAMAccountName+" is a member of "+strings.Join(priv, ", "),
			"use a dedicated, non-privileged account: remove it from these groups and delegate only the rights adjc needs (seed 004, Delegate Control)", all...))
	} else {
		out = append(out, check(a, "privileged-groups", Pass,
			fmt.Sprintf("%s is in %s, none privileged", acct.SAMAccountName, plural(len(all), "group", "groups")), "", all...))
	}

	var named []string
	for _, v := range []string{acct.SAMAccountName, acct.CN, acct.UserPrincipalName} {
		if v != "" && strings.Contains(strings.ToLower(v), "jumpcloud") && !slices.Contains(named, v) {
			named = append(named, v)
		}
	}
	if len(named) > 0 {
		out = append(out, check(a, "name", Fail, "the account's name includes \"JumpCloud\": "+strings.Join(named, ", "),
			"create a service account whose name does not include the word JumpCloud (seed 004)"))
	} else {
		out = append(out, check(a, "name", Pass, acct.SAMAccountName+" does not include \"JumpCloud\"", ""))
	}

	switch {
	case f.Group == nil:
		out = append(out, check(a, "jumpcloud-group", Skip, "the JumpCloud group was not found", ""))
	case slices.ContainsFunc(acct.Groups, func(p ldapx.Principal) bool { return strings.EqualFold(p.DN, f.Group.DN) }):
		out = append(out, check(a, "jumpcloud-group", Fail,
			fmt.Sprintf("%s is a member of %s (directly or nested): it would import itself", acct.SAMAccountName, f.Group.Name),
			"remove the service account from "+f.Group.Name+" and from every group nested in it"))
	default:
		out = append(out, check(a, "jumpcloud-group", Pass, "not a member of "+f.Group.Name, ""))
	}

	if acct.AdminCount == 1 {
		out = append(out, check(a, "admincount", Fail,
			"adminCount=1: AD protects the account (AdminSDHolder) and resets delegated permissions on it",
			"use an account that was never in a protected group, or clear adminCount and re-enable inheritance"))
	} else {
		out = append(out, check(a, "admincount", Pass, "adminCount is not set", ""))
	}

	out = append(out, passwordExpiryCheck(f))

	switch {
	case f.ReadErr != nil:
		out = append(out, check(a, "read-users", Fail, "cannot read users in "+f.Domain.RootContainer+": "+errText(f.ReadErr),
			hint(f.ReadErr, "give the account read access to the Root User container")))
	case len(f.Readable) == 0:
		out = append(out, check(a, "read-users", Warn, "no users are visible in "+f.Domain.RootContainer,
			"check root_container, and that the account may read users there (Authenticated Users can by default)"))
	default:
		out = append(out, check(a, "read-users", Pass, "can read users in "+f.Domain.RootContainer, ""))
	}
	return append(out, writeChecks(f, writes, noWrites)...)
}

func passwordExpiryCheck(f Facts) Check {
	const a, n = AreaAccount, "password-expiry"
	acct := f.Account
	fix := "set \"Password never expires\" on the service account (seed 004), and rotate its password periodically yourself (seed 003)"
	switch {
	case acct.UAC.PasswordNeverExpires():
		return check(a, n, Pass, "the password never expires (DONT_EXPIRE_PASSWORD)", "")
	case f.ADPolicy == nil:
		return check(a, n, Warn, "the password can expire; the domain policy could not be read", fix)
	case f.ADPolicy.MaxAge == 0:
		return check(a, n, Pass, "the domain's passwords never expire (maxPwdAge 0)", "")
	}
	if acct.PwdLastSet.IsZero() {
		return check(a, n, Warn, "the password can expire: it must be changed at next logon", fix)
	}
	expires := acct.PwdLastSet.Add(f.ADPolicy.MaxAge)
	days := int(expires.Sub(f.Now).Hours() / 24)
	if !expires.After(f.Now) {
		return check(a, n, Fail, fmt.Sprintf("the password expired on %s", expires.UTC().Format(time.DateOnly)), "set a new password, then "+fix)
	}
	return check(a, n, Warn, fmt.Sprintf("the password expires on %s (in %d days), and the sync stops then",
		expires.UTC().Format(time.DateOnly), days), fix)
}

// syncedAttributes are what sync writes on users (JumpCloud → AD), from the
// one field table; sAMAccountName is set at creation only.
var syncedAttributes = slices.DeleteFunc(reconcile.ADAttributes(reconcile.KindUser, true), func(a string) bool { return a == "sAMAccountName" })

// writeNames are the checks [writeChecks] returns, in order.
var writeNames = []string{"create-users", "create-groups", "reset-passwords", "write-attributes", "write-members"}

func writeChecks(f Facts, writes bool, noWrites string) []Check {
	const a = AreaAccount
	skip := func(reason string) []Check {
		out := make([]Check, len(writeNames))
		for i, n := range writeNames {
			out[i] = check(a, n, Skip, reason, "")
		}
		return out
	}
	if !writes {
		return skip(noWrites)
	}
	if f.Rights == nil {
		return skip("the rights could not be read")
	}
	r := f.Rights
	delegate := "delegate control of " + f.Domain.RootContainer + " to the service account (seed 004: the first six common tasks)"
	var out []Check
	if r.Container.CanCreate("user") {
		out = append(out, check(a, "create-users", Pass, "may create users in "+f.Domain.RootContainer, ""))
	} else {
		out = append(out, check(a, "create-users", Fail, "may not create users in "+f.Domain.RootContainer+" (allowedChildClassesEffective)", delegate))
	}
	// Sync creates an AD group for each JumpCloud group bound to the domain
	// that AD lacks. Seed 004 delegates "the first six common tasks" of the
	// Delegation of Control Wizard, whose fourth is "Create, delete and
	// manage groups".
	if r.Container.CanCreate("group") {
		out = append(out, check(a, "create-groups", Pass, "may create groups in "+f.Domain.RootContainer, ""))
	} else {
		out = append(out, check(a, "create-groups", Fail, "may not create groups in "+f.Domain.RootContainer+" (allowedChildClassesEffective)", delegate))
	}

	switch {
	case r.SampleUser == "":
		out = append(out, check(a, "reset-passwords", Skip, "no non-privileged user in the container to read rights on", ""),
			check(a, "write-attributes", Skip, "no non-privileged user in the container to read rights on", ""))
	default:
		switch {
		case r.ResetErr != nil:
			out = append(out, check(a, "reset-passwords", Warn, "could not read the permissions on "+r.SampleUser+": "+errText(r.ResetErr), delegate))
		case r.ResetPassword:
			out = append(out, check(a, "reset-passwords", Pass, "may reset passwords of users in "+f.Domain.RootContainer, "", "checked on "+r.SampleUser))
		default:
			out = append(out, check(a, "reset-passwords", Fail, "may not reset passwords (no Reset Password right on "+r.SampleUser+")", delegate))
		}
		var missing []string
		for _, at := range syncedAttributes {
			if !r.User.CanWrite(at) {
				missing = append(missing, at)
			}
		}
		switch {
		case r.UserErr != nil:
			out = append(out, check(a, "write-attributes", Warn, "could not read the rights on "+r.SampleUser+": "+errText(r.UserErr), delegate))
		case len(missing) > 0:
			out = append(out, check(a, "write-attributes", Fail, "may not write "+strings.Join(missing, ", ")+" on users (allowedAttributesEffective)", delegate, "checked on "+r.SampleUser))
		default:
			out = append(out, check(a, "write-attributes", Pass, "may write "+strings.Join(syncedAttributes, ", ")+" on users", "", "checked on "+r.SampleUser))
		}
	}

	switch {
	case f.Group == nil:
		out = append(out, check(a, "write-members", Skip, "the JumpCloud group was not found", ""))
	case r.GroupErr != nil:
		out = append(out, check(a, "write-members", Warn, "could not read the rights on "+f.Group.DN+": "+errText(r.GroupErr), delegate))
	case r.Group.CanWrite("member"):
		out = append(out, check(a, "write-members", Pass, "may change group membership (member) in "+f.Domain.RootContainer, ""))
	default:
		out = append(out, check(a, "write-members", Fail, "may not write member on groups in "+f.Domain.RootContainer, delegate))
	}
	return out
}

// ---------------------------------------------------------------- directory
