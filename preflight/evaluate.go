package preflight

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
)

// Thresholds the checks use.
const (
	// CertWarnDays: a certificate closer than this to expiry is a WARN.
	CertWarnDays = 30
	// MaxSkew is Kerberos' default tolerance between clocks.
	MaxSkew = 5 * time.Minute
	// VendorMemberLimit is the page size the vendor's agent stops at
	// (MaxPageSize, 1000): it never sees members past it.
	VendorMemberLimit = 1000
)

// Evaluate turns facts into checks, in report order. It is pure: no I/O,
// no clock (f.Now is the time), no randomness.
func Evaluate(f Facts) Report {
	r := Report{Domain: f.Domain.Name, Mode: string(f.Domain.Mode)}
	for _, fn := range []func(Facts) []Check{
		configChecks, ldapChecks, accountChecks, directoryChecks,
		jumpCloudChecks, passwordChecks, conflictChecks, clockChecks,
	} {
		r.Checks = append(r.Checks, fn(f)...)
	}
	return r
}

// Invalid is the report for a configuration that did not load: one FAIL
// listing every problem, and nothing else (no network call is made with a
// configuration that is wrong).
func Invalid(err error) Report {
	c := Check{Area: AreaConfig, Name: "valid", Status: Fail, Reason: "the configuration is invalid",
		Fix: "correct the settings below; 'adjc help config-file' describes them"}
	var ve *config.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			lines := strings.Split(p.String(), "\n")
			for i := range lines {
				lines[i] = strings.TrimSpace(lines[i])
			}
			c.Details = append(c.Details, strings.Join(lines, "; "))
		}
	} else {
		c.Reason = errText(err)
	}
	return Report{Checks: []Check{c}}
}

func check(a Area, name string, st Status, reason, fix string, details ...string) Check {
	return Check{Area: a, Name: name, Status: st, Reason: reason, Fix: fix, Details: details}
}

// errText renders an error for a reason. ldapx and jcapi errors never hold
// a password or key, and config errors name files, not contents.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// hint is an error's own fix, when ldapx gave one, else def.
func hint(err error, def string) string {
	if h := ldapx.Hint(err); h != "" {
		return h
	}
	return def
}

// ---------------------------------------------------------------- config

func configChecks(f Facts) []Check {
	reason := "loaded from " + f.ConfigFile
	if f.ConfigFile == "" {
		reason = "no config file: flags, environment and defaults only"
	}
	var details []string
	for _, s := range f.Settings {
		if !s.Secret {
			v := s.Value
			if v == "" {
				v = `""`
			}
			details = append(details, fmt.Sprintf("%s = %s (%s)", s.Key, v, s.Source))
		}
	}
	out := []Check{check(AreaConfig, "valid", Pass, reason, "", details...)}
	for _, s := range f.Secrets {
		name := secretCheckName(s.Field)
		switch {
		case s.File != "" && s.File != "-" && s.Mode != 0 && s.Mode.Perm()&0o077 != 0:
			out = append(out, check(AreaConfig, name, Fail,
				fmt.Sprintf("%s, but mode %04o lets others read it", s.Describe, s.Mode.Perm()),
				"chmod 600 "+s.File))
		case s.Err != nil:
			out = append(out, check(AreaConfig, name, Fail, s.Describe+": "+errText(s.Err),
				"set "+s.Field+" to a file readable only by you (mode 0600), or the environment variable"))
		case s.File != "" && s.File != "-":
			out = append(out, check(AreaConfig, name, Pass, fmt.Sprintf("%s, mode %04o", s.Describe, s.Mode.Perm()), ""))
		default:
			out = append(out, check(AreaConfig, name, Pass, s.Describe, ""))
		}
	}
	return out
}

// secretCheckName names a secret's check after its setting, so the name
// stays the same whatever the account: bind-password, api-key.
func secretCheckName(field string) string {
	field = field[strings.LastIndexByte(field, '.')+1:]
	return strings.ReplaceAll(strings.TrimSuffix(field, "_file"), "_", "-")
}

// ---------------------------------------------------------------- ldap

func ldapScheme(f Facts) (scheme, host string) {
	u, err := url.Parse(f.Domain.LDAPURL)
	if err != nil {
		return "", ""
	}
	return strings.ToLower(u.Scheme), u.Host
}

func ldapChecks(f Facts) []Check {
	const a = AreaLDAP
	scheme, host := ldapScheme(f)
	var out []Check
	noStartTLS := errors.Is(f.ProbeErr, ldapx.ErrNoStartTLS)
	if f.ProbeErr != nil && !noStartTLS {
		out = append(out, check(a, "reachable", Fail, errText(f.ProbeErr), hint(f.ProbeErr, "check ldap_url and the network path to the DC")))
	} else {
		out = append(out, check(a, "reachable", Pass, host+" answers", ""))
	}

	// The transport is named in every verdict: LDAPS, StartTLS or plaintext.
	plaintext := scheme == "ldap" && !f.Domain.StartTLS
	switch {
	case noStartTLS:
		out = append(out, check(a, "encryption", Fail,
			"StartTLS (start_tls): "+errText(f.ProbeErr),
			hint(f.ProbeErr, "give the DC a certificate, or use ldaps://"+hostOnly(host)+":636")))
	case plaintext && f.Domain.AllowPlaintext:
		out = append(out, check(a, "encryption", Warn,
			"plaintext LDAP (allow_plaintext): the bind password and user data cross the network unencrypted",
			"set start_tls: true, or use ldaps://"+hostOnly(host)+":636 (the seeds STRONGLY recommend LDAPS)"))
	case plaintext:
		out = append(out, check(a, "encryption", Fail,
			"plaintext LDAP: the bind password would cross the network unencrypted",
			"set start_tls: true, or use ldaps://"+hostOnly(host)+":636 (the seeds STRONGLY recommend LDAPS)"))
	case f.Probe != nil && f.Probe.Encrypted:
		out = append(out, check(a, "encryption", Pass, string(probeTransport(f.Probe))+", "+tlsVersion(f.Probe.Version), ""))
	default:
		out = append(out, check(a, "encryption", Skip, "the DC could not be reached", ""))
	}

	out = append(out, certCheck(f))

	if len(f.Accounts) > 1 {
		for _, af := range f.Accounts {
			sub := f
			sub.Domain.Bind, sub.Bound, sub.BindErr, sub.Transport = af.Bind, af.Bound, af.BindErr, af.Transport
			c := bindCheck(sub, af.PasswordField)
			c.Name = "bind-" + directionsName(af.Directions)
			out = append(out, c)
		}
		return out
	}
	return append(out, bindCheck(f, "domains["))
}

// bindCheck is the verdict on binding as f.Domain.Bind.
func bindCheck(f Facts, passwordField string) Check {
	const a, n = AreaLDAP, "bind"
	switch {
	case f.Bound:
		reason := "bound as " + f.Domain.Bind
		if f.Transport != "" {
			reason += " over " + string(f.Transport)
		}
		return check(a, n, Pass, reason, "")
	case f.BindErr != nil:
		return check(a, n, Fail, errText(f.BindErr),
			hint(f.BindErr, "check bind and the bind password; the account must be enabled and unlocked"))
	case f.ProbeErr != nil:
		return check(a, n, Skip, "the DC could not be reached", "")
	case secretErr(f, passwordField):
		return check(a, n, Skip, "no bind password", "")
	}
	return check(a, n, Skip, "no trusted, encrypted connection to bind over", "")
}

// probeTransport is p's transport, also for facts that only say
// Encrypted and StartTLS.
func probeTransport(p *ldapx.TLSInfo) ldapx.Transport {
	switch {
	case p.Transport != "":
		return p.Transport
	case p.StartTLS:
		return ldapx.TransportStartTLS
	case p.Encrypted:
		return ldapx.TransportLDAPS
	}
	return ldapx.TransportPlaintext
}

// secretErr reports whether a secret whose field starts with prefix could
// not be read.
func secretErr(f Facts, prefix string) bool {
	for _, s := range f.Secrets {
		if strings.HasPrefix(s.Field, prefix) && s.Err != nil {
			return true
		}
	}
	return false
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func tlsVersion(v uint16) string {
	if v == 0 {
		return "TLS"
	}
	return tls.VersionName(v)
}

func certCheck(f Facts) Check {
	const a, n = AreaLDAP, "certificate"
	p := f.Probe
	if p == nil || !p.Encrypted || len(p.Chain) == 0 {
		return check(a, n, Skip, "no TLS connection", "")
	}
	leaf := p.Chain[0]
	details := []string{}
	for _, c := range p.Chain {
		details = append(details, fmt.Sprintf("%s (issued by %s, until %s)", certName(c.Subject.CommonName, c), c.Issuer.CommonName, c.NotAfter.UTC().Format(time.DateOnly)))
	}
	if err := p.VerifyErr; err != nil {
		var (
			unknown x509.UnknownAuthorityError
			host    x509.HostnameError
			inval   x509.CertificateInvalidError
		)
		c := check(a, n, Fail, "not trusted: "+errText(err), "", details...)
		switch {
		case errors.As(err, &unknown):
			c.Reason = fmt.Sprintf("signed by an unknown authority (%s)", leaf.Issuer.CommonName)
			c.Fix = "set ca_file to the PEM of the CA that issued the DC's certificate"
		case errors.As(err, &host):
			c.Reason = fmt.Sprintf("not valid for %s (it names %s)", p.ServerName, strings.Join(certNames(leaf), ", "))
			c.Fix = "use a host name the certificate names in ldap_url, or reissue it with that name in subjectAltName"
		case errors.As(err, &inval) && inval.Reason == x509.Expired:
			c.Reason = fmt.Sprintf("expired or not yet valid (valid %s to %s)", leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly))
			c.Fix = "renew the DC's certificate"
		default:
			c.Fix = "renew or reissue the DC's certificate"
		}
		return c
	}
	days := int(leaf.NotAfter.Sub(f.Now).Hours() / 24)
	reason := fmt.Sprintf("valid for %s, issued by %s, expires %s (%d days)", p.ServerName, leaf.Issuer.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly), days)
	if days < CertWarnDays {
		return check(a, n, Warn, reason, "renew the DC's certificate before it expires: adjc will refuse it then", details...)
	}
	return check(a, n, Pass, reason, "", details...)
}

func certName(cn string, c *x509.Certificate) string {
	if cn != "" {
		return cn
	}
	return strings.Join(certNames(c), ", ")
}

func certNames(c *x509.Certificate) []string {
	names := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, "CN "+c.Subject.CommonName+" only")
	}
	return names
}

// ---------------------------------------------------------------- account

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
		"create-users", "reset-passwords", "write-attributes", "write-members"}
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
			copy(out[len(names)-4:], writeChecks(f, false, noWrites))
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

// syncedAttributes are what sync writes on users (DESIGN.md, JumpCloud → AD).
var syncedAttributes = []string{"givenName", "sn", "mail", "userAccountControl"}

func writeChecks(f Facts, writes bool, noWrites string) []Check {
	const a = AreaAccount
	names := []string{"create-users", "create-groups", "reset-passwords", "write-attributes", "write-members"}
	skip := func(reason string) []Check {
		out := make([]Check, len(names))
		for i, n := range names {
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

// plural is "1 group" or "2 groups".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func nonASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
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

func jumpCloudChecks(f Facts) []Check {
	const a = AreaJumpCloud
	j := f.JumpCloud
	var out []Check
	u, _ := url.Parse(apiURL(f))
	switch {
	case u == nil:
		out = append(out, check(a, "https", Fail, "the API URL is not a URL", "set jumpcloud.api_url or region"))
	case u.Scheme == "https":
		out = append(out, check(a, "https", Pass, "the API is reached over HTTPS ("+u.Host+")", ""))
	case loopback(u.Hostname()):
		out = append(out, check(a, "https", Warn, "plain HTTP to "+u.Host+" (loopback: an emulator or a local proxy)", "use https:// against JumpCloud itself"))
	default:
		out = append(out, check(a, "https", Fail, "plain HTTP to "+u.Host+": the API key would cross the network unencrypted", "use https://console.jumpcloud.com/api or set region"))
	}

	keyMissing := secretErr(f, "jumpcloud.")
	rest := []string{"api-key", "organization", "domain", "domain-active", "domain-use-case"}
	skipRest := func(reason string) []Check {
		var c []Check
		for _, n := range rest {
			c = append(c, check(a, n, Skip, reason, ""))
		}
		return c
	}
	switch {
	case keyMissing:
		out = append(out, check(a, "reachable", Skip, "no API key", ""))
		return append(out, skipRest("no API key")...)
	case !j.Reached:
		out = append(out, check(a, "reachable", Fail, "no answer from "+apiURL(f)+": "+errText(j.Err),
			"check the network path to the API (outbound HTTPS, port 443, seed 003) and any proxy"))
		return append(out, skipRest("the API did not answer")...)
	}
	out = append(out, check(a, "reachable", Pass, "the API answers", ""))

	if j.Org == nil {
		c := check(a, "api-key", Fail, "the API rejected the request: "+errText(j.Err), "")
		switch {
		case errors.Is(j.Err, jcapi.ErrUnauthorized) && f.Domain.Name != "" && len(j.Orgs) > 1:
			c.Reason = fmt.Sprintf("the key is a multi-tenant key (%d organizations) and no org_id was sent", len(j.Orgs))
			c.Fix = "set jumpcloud.org_id (ADJC_JC_ORG_ID) to the organization to sync"
		case errors.Is(j.Err, jcapi.ErrUnauthorized):
			c.Reason = "the API key was refused (401)"
			c.Fix = "create an API key for a dedicated JumpCloud administrator used only by this integration (seed 003), and set it"
		case errors.Is(j.Err, jcapi.ErrForbidden):
			c.Reason = "the API key may not read the organization (403)"
			c.Fix = "use the key of an administrator with access to the organization"
		}
		out = append(out, c)
		return append(out, skipRest("the API key did not work")[1:]...)
	}
	out = append(out, check(a, "api-key", Pass, "valid for "+orgName(*j.Org), ""))
	out = append(out, orgCheck(f))
	return append(out, domainChecks(f)...)
}

func apiURL(f Facts) string {
	for _, s := range f.Settings {
		if s.Key == "jumpcloud.api_url" {
			return s.Value
		}
	}
	return config.DefaultAPIURL
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func orgName(o jcapi.Organization) string {
	if o.DisplayName == "" {
		return "organization " + o.ID
	}
	return fmt.Sprintf("organization %q (%s)", o.DisplayName, o.ID)
}

func orgCheck(f Facts) Check {
	const a, n = AreaJumpCloud, "organization"
	j := f.JumpCloud
	configured := ""
	for _, s := range f.Settings {
		if s.Key == "jumpcloud.org_id" {
			configured = s.Value
		}
	}
	switch {
	case len(j.Orgs) > 1 && configured == "":
		return check(a, n, Warn, fmt.Sprintf("the key sees %d organizations and org_id is not set", len(j.Orgs)), "set jumpcloud.org_id so the right one is always used")
	case configured != "" && j.Org.ID != configured:
		return check(a, n, Fail, fmt.Sprintf("org_id %s is not the organization the key works in (%s)", configured, j.Org.ID), "correct jumpcloud.org_id")
	case len(j.Orgs) > 1:
		return check(a, n, Pass, fmt.Sprintf("org_id selects %s among %d", orgName(*j.Org), len(j.Orgs)), "")
	}
	return check(a, n, Pass, "single-organization key", "")
}

// SameDomain reports whether a JumpCloud AD domain name (written
// DC=example;DC=com in the spec's samples, or with commas) names dn.
func SameDomain(jc, dn string) bool {
	norm := func(s string) string {
		s = strings.ReplaceAll(strings.ToLower(s), ";", ",")
		var parts []string
		for _, p := range strings.Split(s, ",") {
			parts = append(parts, strings.TrimSpace(p))
		}
		return strings.Join(parts, ",")
	}
	return norm(jc) == norm(dn)
}

var useCases = map[config.Mode]string{
	config.ModeTwoWay:      "TWOWAYSYNC",
	config.ModeJCAuthority: "JCASAUTHORITY",
	config.ModeADAuthority: "ADASAUTHORITY",
}

func domainChecks(f Facts) []Check {
	const a = AreaJumpCloud
	j, d := f.JumpCloud, f.Domain
	if j.DomainsErr != nil {
		return []Check{
			check(a, "domain", Fail, "could not list AD domains: "+errText(j.DomainsErr), "give the API key's administrator access to Directories"),
			check(a, "domain-active", Skip, "the domain objects were not read", ""),
			check(a, "domain-use-case", Skip, "the domain objects were not read", ""),
		}
	}
	var found *jcapi.ActiveDirectory
	for i, ad := range j.Domains {
		if (d.JumpCloudDomainID != "" && ad.ID == d.JumpCloudDomainID) || (d.JumpCloudDomainID == "" && SameDomain(ad.Domain, d.BaseDN)) {
			found = &j.Domains[i]
			break
		}
	}
	var out []Check
	switch {
	case found == nil && d.JumpCloudDomainID != "":
		return []Check{
			check(a, "domain", Fail, "no AD domain object with id "+d.JumpCloudDomainID, "correct jumpcloud_domain_id, or run 'adjc connect'"),
			check(a, "domain-active", Skip, "no domain object", ""),
			check(a, "domain-use-case", Skip, "no domain object", ""),
		}
	case found == nil:
		return []Check{
			check(a, "domain", Warn, "no AD domain object for "+d.BaseDN+" in JumpCloud", "add the domain in JumpCloud (Directories → Active Directory) or run 'adjc connect'"),
			check(a, "domain-active", Skip, "no domain object", ""),
			check(a, "domain-use-case", Skip, "no domain object", ""),
		}
	case !SameDomain(found.Domain, d.BaseDN):
		out = append(out, check(a, "domain", Fail, fmt.Sprintf("domain object %s is for %s, not %s", found.ID, found.Domain, d.BaseDN),
			"the Root DN must match the domain in JumpCloud (seed 004): fix base_dn or jumpcloud_domain_id"))
	default:
		out = append(out, check(a, "domain", Pass, fmt.Sprintf("domain object %s matches %s", found.ID, d.BaseDN), ""))
	}
	// delegationState is the password delegation of the instance; no
	// document makes it the console's "Deactivate", so it is shown for
	// information and never obeyed: adjc pauses only on 'adjc schedule pause'.
	state := found.DelegationState
	if state == "" {
		state = "not reported"
	}
	out = append(out, check(a, "domain-delegation", Pass, "delegationState "+state+" (for information: adjc pauses only on 'adjc schedule pause')", ""))
	want := useCases[d.Mode]
	switch found.UseCase {
	case "", "UNSET":
		out = append(out, check(a, "domain-use-case", Warn, "the domain object has no use case set",
			"choose "+want+" for the domain in JumpCloud, to match mode "+string(d.Mode)))
	case want:
		out = append(out, check(a, "domain-use-case", Pass, "use case "+found.UseCase+" matches mode "+string(d.Mode), ""))
	default:
		out = append(out, check(a, "domain-use-case", Warn, fmt.Sprintf("use case %s does not match mode %s (%s)", found.UseCase, d.Mode, want),
			"make the mode and the JumpCloud use case agree"))
	}
	return out
}

// ---------------------------------------------------------------- passwords

// jcRules is the JumpCloud policy reduced to what AD can be compared with.
type jcRules struct {
	minLength int
	classes   []string // character classes each password needs
	windows   bool     // "windows" compliance: AD's own complexity rule
}

func jumpCloudRules(compliance string, p *jcapi.PasswordPolicy) jcRules {
	switch compliance {
	case "windows":
		// Windows complexity: at least 8 characters, three of four classes.
		return jcRules{minLength: 8, windows: true}
	case "pci3":
		return jcRules{minLength: 7, classes: []string{"letter", "digit"}}
	}
	r := jcRules{}
	if p == nil {
		return r
	}
	if p.EnableMinLength {
		r.minLength = p.MinLength
	}
	for _, c := range []struct {
		on   bool
		name string
	}{{p.NeedsLowercase, "lowercase"}, {p.NeedsUppercase, "uppercase"}, {p.NeedsNumeric, "digit"}, {p.NeedsSymbolic, "symbol"}} {
		if c.on {
			r.classes = append(r.classes, c.name)
		}
	}
	return r
}

func passwordChecks(f Facts) []Check {
	const a = AreaPasswords
	j := f.JumpCloud
	switch {
	case f.ADPolicy == nil:
		return []Check{check(a, "min-length", Skip, "the AD policy was not read", ""), check(a, "complexity", Skip, "the AD policy was not read", "")}
	case j.Org == nil || j.PolicyErr != nil:
		reason := "the JumpCloud policy was not read"
		if j.PolicyErr != nil {
			reason += ": " + errText(j.PolicyErr)
		}
		return []Check{check(a, "min-length", Skip, reason, ""), check(a, "complexity", Skip, reason, "")}
	}
	ad := f.ADPolicy
	jc := jumpCloudRules(j.Compliance, j.Policy)
	fix := "align the two policies (seed 003: \"as closely aligned as possible to avoid passwords being rejected\")"
	var out []Check
	switch {
	case ad.MinLength > jc.minLength:
		out = append(out, check(a, "min-length", Warn,
			fmt.Sprintf("JumpCloud accepts passwords of %d characters that AD rejects (AD minimum %d)", jc.minLength, ad.MinLength),
			fmt.Sprintf("set JumpCloud's minimum length to %d, or %s", ad.MinLength, fix)))
	case ad.MinLength < jc.minLength:
		out = append(out, check(a, "min-length", Warn,
			fmt.Sprintf("AD accepts passwords of %d characters that JumpCloud rejects (JumpCloud minimum %d)", ad.MinLength, jc.minLength),
			fmt.Sprintf("set AD's minPwdLength to %d, or %s", jc.minLength, fix)))
	default:
		out = append(out, check(a, "min-length", Pass, fmt.Sprintf("both require %d characters", ad.MinLength), ""))
	}

	classes := strings.Join(jc.classes, ", ")
	switch {
	case ad.Complex && jc.windows, !ad.Complex && !jc.windows && len(jc.classes) == 0:
		out = append(out, check(a, "complexity", Pass, "both sides apply the same complexity rule", ""))
	case ad.Complex && len(jc.classes) < 3:
		what := "no character classes"
		if classes != "" {
			what = "only " + classes
		}
		out = append(out, check(a, "complexity", Warn,
			"JumpCloud accepts passwords with "+what+" that AD rejects (AD wants 3 of 4 classes)",
			"require at least three character classes in JumpCloud, or use its Windows compliance; "+fix))
	case ad.Complex:
		out = append(out, check(a, "complexity", Warn,
			"AD accepts passwords with any 3 of 4 classes that JumpCloud rejects (it wants "+classes+")",
			fix))
	default:
		if jc.windows {
			classes = "3 of 4 classes"
		}
		out = append(out, check(a, "complexity", Warn,
			"AD has no complexity rule and accepts passwords that JumpCloud rejects (it wants "+classes+")",
			"enable \"Password must meet complexity requirements\" in AD, or "+fix))
	}
	return out
}

// ---------------------------------------------------------------- conflicts, clock

func conflictChecks(f Facts) []Check {
	const a, n = AreaConflicts, "entra-connect"
	switch {
	case f.SyncToolErr != nil:
		return []Check{check(a, n, Warn, "could not look for Entra Connect accounts: "+errText(f.SyncToolErr), "")}
	case !f.Bound:
		return []Check{check(a, n, Skip, "not bound to AD", "")}
	case len(f.SyncTools) > 0:
		return []Check{check(a, n, Warn,
			"Microsoft Entra Connect or Cloud Sync accounts exist: "+strings.Join(f.SyncTools, ", "),
			"do not bind JumpCloud to an Entra ID tenant that Entra Connect also syncs: passwords would have two authorities in conflict (seed 002)",
			f.SyncTools...)}
	}
	return []Check{check(a, n, Pass, "no Entra Connect or Cloud Sync accounts in the domain", "")}
}

func clockChecks(f Facts) []Check {
	const a, n = AreaClock, "skew"
	switch {
	case f.DCTimeErr != nil:
		return []Check{check(a, n, Warn, "could not read the DC's time: "+errText(f.DCTimeErr), "")}
	case f.DCTime.IsZero():
		return []Check{check(a, n, Skip, "not bound to AD", "")}
	}
	skew := f.Now.Sub(f.DCTime).Round(time.Second)
	abs := skew.Abs()
	side := "ahead of"
	if skew < 0 {
		side = "behind"
	}
	if abs > MaxSkew {
		return []Check{check(a, n, Warn, fmt.Sprintf("this host's clock is %s %s the DC's", abs, side),
			"synchronise both clocks with NTP (Kerberos and certificate checks tolerate 5 minutes)")}
	}
	if abs < 2*time.Second {
		return []Check{check(a, n, Pass, "this host's clock agrees with the DC's", "")}
	}
	return []Check{check(a, n, Pass, fmt.Sprintf("this host's clock is %s %s the DC's (tolerated: %s)", abs, side, MaxSkew), "")}
}
