package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// objectID matches a JumpCloud id: a 24-digit hex MongoDB ObjectId.
var objectID = regexp.MustCompile(`^[0-9a-fA-F]{24}$`)

// attributeName matches an LDAP attribute descriptor (RFC 4512 §1.4 keystring).
var attributeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

// validate checks every value that can be checked without the network.
func (l *loader) validate(c *Config) {
	bad := func(field, v, msg, fix string) {
		l.problem(Problem{Field: field, Value: v, Source: l.sources[field], Msg: msg, Fix: fix})
	}

	jc := c.JumpCloud
	if u, err := url.Parse(jc.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("jumpcloud.api_url", jc.APIURL, "not an http or https URL", "use e.g. "+DefaultAPIURL+", or set region instead")
	} else if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		// Every request carries the API key in x-api-key: over plain HTTP
		// anyone on the path could read it. Loopback (the emulator, a
		// local proxy) never leaves the machine.
		bad("jumpcloud.api_url", jc.APIURL, "plain http would send the API key in clear text", "use https://, e.g. "+DefaultAPIURL+" (http is allowed only for localhost)")
	}
	if jc.OrgID != "" && !objectID.MatchString(jc.OrgID) {
		bad("jumpcloud.org_id", jc.OrgID, "not a JumpCloud organization id (24 hex digits)", "copy it from the Admin Portal's Settings, or leave it empty for a single-organization key")
	}

	stdinUsers := 0
	if jc.APIKey.File == "-" {
		stdinUsers++
	}
	names := map[string]int{}
	for i := range c.Domains {
		d := &c.Domains[i]
		for _, p := range d.passwords() {
			if p.ref.File == "-" {
				stdinUsers++
			}
		}
		l.validateDomain(d, bad)
		key := strings.ToLower(d.Name)
		if first, dup := names[key]; dup && key != "" {
			bad(d.field("name"), d.Name, "the same name as domains["+strconv.Itoa(first)+"]", "give each domain a distinct name")
		} else {
			names[key] = d.Index
		}
	}
	if stdinUsers > 1 {
		l.problem(Problem{Field: "stdin", Msg: "more than one secret is to be read from stdin (-)", Fix: "read all but one from files or the environment"})
	}
}

func (l *loader) validateDomain(d *Domain, bad func(field, v, msg, fix string)) {
	switch d.Mode {
	case ModeADAuthority, ModeTwoWay, ModeJCAuthority:
	default:
		bad(d.field("mode"), string(d.Mode), "unknown mode", "use ad-authority, two-way or jc-authority")
	}
	switch d.DelegatedAuthority {
	case DelegatedFollow, DelegatedAlways, DelegatedNever:
	default:
		bad(d.field("delegated_authority"), string(d.DelegatedAuthority), "unknown value", "use follow, always or never")
	}

	if d.LDAPURL == "" {
		bad(d.field("ldap_url"), "", "required", "set it to the domain controller, e.g. ldaps://dc.example.com:636")
	} else if u, err := url.Parse(d.LDAPURL); err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		bad(d.field("ldap_url"), d.LDAPURL, "not an LDAP URL", "write it as ldaps://host[:port], e.g. ldaps://dc.example.com:636")
	} else if s := strings.ToLower(u.Scheme); s != "ldaps" && s != "ldap" {
		bad(d.field("ldap_url"), d.LDAPURL, "the scheme must be ldaps or ldap", "write it as ldaps://host[:port], e.g. ldaps://dc.example.com:636")
	}

	var base *ldap.DN
	if d.BaseDN == "" {
		bad(d.field("base_dn"), "", "required", "set it to the domain's DN, e.g. DC=example,DC=com")
	} else if dn, err := ldap.ParseDN(d.BaseDN); err != nil {
		bad(d.field("base_dn"), d.BaseDN, "not a valid DN: "+err.Error(), "write it as RDNs separated by commas, e.g. DC=example,DC=com")
	} else {
		base = dn
	}
	if d.Name == "" && d.BaseDN != "" && base != nil {
		bad(d.field("name"), "", "required: base_dn has no DC= components to name the domain after", "set name")
	}

	if d.RootContainer != "" {
		if rc, err := ldap.ParseDN(d.RootContainer); err != nil {
			bad(d.field("root_container"), d.RootContainer, "not a valid DN: "+err.Error(), "write it as RDNs separated by commas, e.g. CN=Users,"+orExample(d.BaseDN))
		} else if base != nil && !base.EqualFold(rc) && !base.AncestorOfFold(rc) {
			bad(d.field("root_container"), d.RootContainer, "not under base_dn "+d.BaseDN, "use a container inside the domain, e.g. CN=Users,"+d.BaseDN)
		}
	}

	// bind is needed unless every direction the mode runs has its own
	// account (import_bind, sync_bind).
	shared := false
	for _, dir := range d.Mode.Directions() {
		if d.BindFor(dir).Bind == d.Bind {
			shared = true
		}
	}
	if d.Bind == "" && shared {
		bad(d.field("bind"), "", "required", "set the service account, e.g. jcimport@example.com (or import_bind and sync_bind, one per direction)")
	}
	for _, key := range []string{"bind", "import_bind", "sync_bind"} {
		if v := l.current(d, key); v != "" {
			validateAccount(d.field(key), v, bad)
		}
	}

	if d.StartTLS {
		if u, err := url.Parse(d.LDAPURL); err == nil && strings.EqualFold(u.Scheme, "ldaps") {
			bad(d.field("start_tls"), "true", "StartTLS upgrades an ldap:// URL; "+d.LDAPURL+" is LDAPS, already encrypted",
				"remove start_tls, or use ldap://"+u.Hostname()+":389 with it")
		}
	}

	if d.CAFile != "" {
		if st, err := os.Stat(d.CAFile); err != nil {
			bad(d.field("ca_file"), d.CAFile, "cannot read: "+unwrapPathError(err), "give the path of the PEM file of the CA that signed the DC's certificate")
		} else if !st.Mode().IsRegular() {
			bad(d.field("ca_file"), d.CAFile, "not a regular file", "give the path of a PEM file")
		}
	}

	for _, g := range []struct{ key, v string }{{"jumpcloud_group", d.JumpCloudGroup}, {"admins_group", d.AdminsGroup}} {
		if strings.TrimSpace(g.v) == "" {
			bad(d.field(g.key), g.v, "must not be blank", "give the group's name (cn) or remove the key for the default")
		}
	}
	for i, e := range d.NeverTouch {
		field := fmt.Sprintf("%s[%d]", d.field("never_touch"), i)
		switch {
		case strings.TrimSpace(e) == "":
			bad(field, e, "must not be blank", "give a DN or a sAMAccountName, or remove the entry")
		case strings.IndexFunc(e, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
			bad(field, e, "contains a control character", "give a DN or a sAMAccountName")
		case strings.Contains(e, "=") && !strings.Contains(strings.ToLower(e), "dc="):
			bad(field, e, "looks like a DN but names no domain component (DC=)", "give the full DN, e.g. CN=svc-backup,OU=Service,"+orExample(d.BaseDN))
		}
	}
	for i, e := range d.FieldMapping {
		field := fmt.Sprintf("%s[%d]", d.field("field_mapping"), i)
		switch {
		case e == FieldMappingRules:
			if d.JumpCloudDomainID == "" {
				bad(field, e, "needs jumpcloud_domain_id: the rules belong to the JumpCloud AD domain object", "run 'adjc connect' to set jumpcloud_domain_id, or remove "+FieldMappingRules)
			}
		case !attributeName.MatchString(e):
			bad(field, e, "not a field name", "use JumpCloud field names or AD attributes, e.g. department,jobTitle,manager (docs/fields.md), or "+FieldMappingRules)
		case slices.Contains(d.FieldMapping[:i], e):
			bad(field, e, "named twice", "name each field once")
		}
	}
	if !attributeName.MatchString(d.UsernameAttribute) {
		bad(d.field("username_attribute"), d.UsernameAttribute, "not an LDAP attribute name", "use an attribute such as sAMAccountName or userPrincipalName")
	}
	if d.JumpCloudDomainID != "" && !objectID.MatchString(d.JumpCloudDomainID) {
		bad(d.field("jumpcloud_domain_id"), d.JumpCloudDomainID, "not a JumpCloud id (24 hex digits)", "copy the id of the AD domain from the JumpCloud Admin Portal, or leave it empty")
	}
}

// validateAccount checks a bind account's form: a DN, a UPN or
// DOMAIN\user.
func validateAccount(field, v string, bad func(field, v, msg, fix string)) {
	switch {
	case strings.Contains(v, "="):
		if _, err := ldap.ParseDN(v); err != nil {
			bad(field, v, "not a valid DN: "+err.Error(), "use a UPN (svc@example.com) or the account's full DN")
		}
	case strings.Contains(v, "@"):
		user, realm, _ := strings.Cut(v, "@")
		if user == "" || realm == "" || strings.Contains(realm, "@") {
			bad(field, v, "not a valid user principal name", "write it as user@example.com")
		}
	case strings.Contains(v, `\`):
		dom, user, _ := strings.Cut(v, `\`)
		if dom == "" || user == "" {
			bad(field, v, `not a valid DOMAIN\user name`, `write it as EXAMPLE\svc, or use a UPN`)
		}
	default:
		bad(field, v, "not a UPN, a DN or DOMAIN\\user", "write it as svc@example.com")
	}
}

func orExample(baseDN string) string {
	if baseDN == "" {
		return "DC=example,DC=com"
	}
	return baseDN
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
