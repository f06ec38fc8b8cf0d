package config

import (
	"fmt"
	"strconv"
	"strings"
)

// domainOverrides applies the domain-level variables and flags.
func (l *loader) domainOverrides(c *Config, selected string) {
	var set []string // which overrides are present, for messages
	for _, s := range domainSettings() {
		if _, ok := l.env(s.env); ok {
			set = append(set, s.env)
		}
		if v, ok := l.flag(s.flag); ok && v != "" {
			set = append(set, "--"+s.flag)
		}
	}
	for _, s := range domainSettings() {
		if _, ok := l.env(s.valueEnv); ok {
			set = append(set, s.valueEnv)
		}
	}
	if len(set) == 0 {
		return
	}
	var d *Domain
	switch {
	case len(c.Domains) == 0:
		c.Domains = []Domain{{Index: 0, Name: selected}}
		d = &c.Domains[0]
		for _, k := range domainKeys {
			if !strings.HasSuffix(k, "_password_file") {
				l.sources[d.field(k)] = Source{Kind: KindDefault}
			}
		}
		for _, p := range d.passwords() {
			*p.ref = SecretRef{Field: d.field(p.key), res: l.res}
		}
	case selected != "":
		var ok bool
		if d, ok = c.Domain(selected); !ok {
			return // reported once --domain is checked
		}
	case len(c.Domains) == 1:
		d = &c.Domains[0]
	default:
		l.problem(Problem{
			Field: set[0], Msg: fmt.Sprintf("applies to one domain, but the configuration has %d", len(c.Domains)),
			Fix: "choose the domain with --domain; " + domainChoice(c),
		})
		return
	}
	for _, s := range domainSettings() {
		if s.valueEnv != "" {
			continue // a secret: layered below
		}
		key := d.field(s.key)
		var file value
		if src := l.sources[key]; src.Kind == KindFile {
			file = value{s: l.current(d, s.key), src: src, set: true}
		}
		v := l.layer(file, s.env, s.flag)
		switch s.key {
		case "mode":
			var m string
			l.set(key, &m, v, "")
			d.Mode = Mode(m)
		case "ldap_url":
			l.set(key, &d.LDAPURL, v, "")
		case "base_dn":
			l.set(key, &d.BaseDN, v, "")
		case "root_container":
			l.set(key, &d.RootContainer, v, "")
		case "bind":
			l.set(key, &d.Bind, v, "")
		case "import_bind":
			l.set(key, &d.ImportBind, v, "")
		case "sync_bind":
			l.set(key, &d.SyncBind, v, "")
		case "ca_file":
			l.set(key, &d.CAFile, v, "")
		case "start_tls":
			l.setBool(key, &d.StartTLS, v)
		case "allow_plaintext":
			l.setBool(key, &d.AllowPlaintext, v)
		case "jumpcloud_group":
			l.set(key, &d.JumpCloudGroup, v, "")
		case "admins_group":
			l.set(key, &d.AdminsGroup, v, "")
		case "username_attribute":
			l.set(key, &d.UsernameAttribute, v, "")
		case "jumpcloud_domain_id":
			l.set(key, &d.JumpCloudDomainID, v, "")
		case "welcome_email":
			l.setBool(key, &d.WelcomeEmail, v)
		case "delegated_authority":
			l.set(key, (*string)(&d.DelegatedAuthority), v, string(DelegatedFollow))
		case "password_sync":
			l.setBool(key, &d.PasswordSync, v)
		case "field_mapping":
			// A variable or flag holds the list comma-separated.
			if v.set && v.src.Kind != KindFile {
				d.FieldMapping = splitList(v.s)
				l.sources[key] = v.src
			}
		}
	}
	for _, s := range domainSettings() {
		if s.valueEnv == "" {
			continue
		}
		ref := d.password(s.key)
		file := value{}
		if ref.File != "" {
			file = value{s: ref.File, src: ref.Source, set: true}
		}
		*ref = l.secret(SecretRef{Field: ref.Field}, file, s.env, s.valueEnv, s.flag)
	}
	if d.Name == "" {
		d.Name = nameFromDN(d.BaseDN)
	}
}

// current returns a domain's string value by YAML key (for re-layering).
func (l *loader) current(d *Domain, key string) string {
	switch key {
	case "mode":
		return string(d.Mode)
	case "ldap_url":
		return d.LDAPURL
	case "base_dn":
		return d.BaseDN
	case "root_container":
		return d.RootContainer
	case "bind":
		return d.Bind
	case "import_bind":
		return d.ImportBind
	case "sync_bind":
		return d.SyncBind
	case "ca_file":
		return d.CAFile
	case "start_tls":
		return strconv.FormatBool(d.StartTLS)
	case "allow_plaintext":
		return strconv.FormatBool(d.AllowPlaintext)
	case "jumpcloud_group":
		return d.JumpCloudGroup
	case "admins_group":
		return d.AdminsGroup
	case "username_attribute":
		return d.UsernameAttribute
	case "jumpcloud_domain_id":
		return d.JumpCloudDomainID
	case "welcome_email":
		return strconv.FormatBool(d.WelcomeEmail)
	case "delegated_authority":
		return string(d.DelegatedAuthority)
	case "password_sync":
		return strconv.FormatBool(d.PasswordSync)
	case "field_mapping":
		return strings.Join(d.FieldMapping, ",")
	}
	return ""
}

// setBool is [loader.set] for a boolean setting: v (a variable or flag)
// over the value *dst holds from the file.
func (l *loader) setBool(key string, dst *bool, v value) {
	s := strconv.FormatBool(*dst)
	l.set(key, &s, v, "")
	*dst = l.boolValue(key, s)
}

// boolValue reads "true" or "false" from a variable or flag (the YAML file's
// booleans are typed by the file reader); anything else is a problem naming
// where it came from.
func (l *loader) boolValue(key, s string) bool {
	switch strings.ToLower(s) {
	case "true":
		return true
	case "false", "":
		return false
	}
	l.problem(Problem{Field: key, Value: s, Source: l.sources[key], Msg: "is not a boolean", Fix: "use true or false"})
	return false
}
