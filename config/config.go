package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Mode says which side is the authority for a domain's users and groups.
type Mode string

// The modes a domain can be in; [ModeTwoWay] is the default.
const (
	ModeADAuthority Mode = "ad-authority" // AD → JumpCloud only (the seeds' AD Import)
	ModeTwoWay      Mode = "two-way"      // import and sync both run
	ModeJCAuthority Mode = "jc-authority" // JumpCloud → AD only (the seeds' AD Sync)
)

// DefaultAPIURL is JumpCloud's US API, used when neither api_url nor region is set.
const DefaultAPIURL = "https://console.jumpcloud.com/api"

// regions is the one table of JumpCloud's data centres: [regionURL],
// [RegionNames] (flag completion, help and the error for an unknown region)
// all read it.
var regions = []struct{ name, url string }{
	{"us", DefaultAPIURL},
	{"eu", "https://console.eu.jumpcloud.com/api"},
	{"in", "https://console.in.jumpcloud.com/api"},
}

// RegionNames returns the region names jumpcloud.region accepts, in order.
func RegionNames() []string {
	names := make([]string, len(regions))
	for i, r := range regions {
		names[i] = r.name
	}
	return names
}

// regionText is RegionNames for a sentence: "us, eu or in".
func regionText() string {
	n := RegionNames()
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}

// regionURL returns the API base URL of a region's data centre.
func regionURL(region string) (string, bool) {
	for _, r := range regions {
		if r.name == region {
			return r.url, true
		}
	}
	return "", false
}

// Config is adjc's resolved configuration: every value already layered
// (flag > env > file > default), defaulted and validated. Secrets are not
// read until [SecretRef.Resolve] is called, so a command that does not talk
// to JumpCloud never asks for its key.
type Config struct {
	// File is the config file that was read, or "" when there was none.
	File      string
	JumpCloud JumpCloud
	// Domains are the configured AD domains in file order; with --domain,
	// only the selected one.
	Domains []Domain
	// StateDir is where adjc keeps state between runs. It is empty only when
	// neither it, $XDG_STATE_HOME nor $HOME is set; a command that writes
	// state must then say so.
	StateDir string
	// AuditLog is the JSON-lines file every applied change is appended to.
	AuditLog string
	// HA is the ha.etcd section; HA is off while it has no endpoints.
	HA Etcd

	sources  map[string]Source
	searched []string // the config files looked for, found or not
}

// NoDomainError is the error for a command that needs a domain when none
// is configured (a fresh host): it names every config file looked for and
// how to create one. It is a *[ValidationError], a usage error.
func (c *Config) NoDomainError() error {
	msg := "no Active Directory domain is configured"
	switch {
	case c.File != "":
		msg += "; " + c.File + " has no domains"
	case len(c.searched) > 0:
		msg += "; no config file at " + strings.Join(c.searched, " or ")
	default:
		msg += "; no config file was looked for: none of --" + FlagConfig + ", $" + EnvConfig + ", $XDG_CONFIG_HOME or $HOME is set"
	}
	return &ValidationError{Problems: []Problem{{
		Field: "domains",
		Msg:   msg,
		Fix:   "run 'adjc connect' to write the configuration, or give --" + FlagLDAPURL + ", --" + FlagBaseDN + " and --" + FlagBind + " (or $" + EnvLDAPURL + ", $" + EnvBaseDN + ", $" + EnvBind + ")",
	}}}
}

// JumpCloud is the JumpCloud side of the configuration.
type JumpCloud struct {
	// APIURL is the API base URL, resolved from api_url or region.
	APIURL string
	// Region is us, eu or in when the URL came from it, else "".
	Region string
	// OrgID is the organization id sent as x-org-id; needed only by
	// multi-tenant (MSP) keys. Empty or 24 hex digits.
	OrgID string
	// APIKey is the x-api-key credential.
	APIKey SecretRef
}

// Domain is one Active Directory domain and how it maps to JumpCloud.
type Domain struct {
	// Index is the domain's position in the file's domains list, used in
	// messages ("domains[1].base_dn") even after --domain filtered the list.
	Index int
	Name  string
	Mode  Mode
	// LDAPURL is ldaps://host[:port], or ldap://host[:port] with StartTLS
	// (or AllowPlaintext).
	LDAPURL string
	BaseDN  string
	// RootContainer is the Root User container: where the JumpCloud group
	// lives and where sync creates users. Default CN=Users,<BaseDN>.
	RootContainer string
	// Bind is the service account, as a UPN (svc@example.com), a DN or
	// DOMAIN\user.
	Bind         string
	BindPassword SecretRef
	// ImportBind and SyncBind, when set, replace Bind for the commands of
	// one direction (see [Domain.BindFor]): the vendor runs its import
	// agent with a read-only account and its sync agent with a delegated
	// one.
	ImportBind         string
	ImportBindPassword SecretRef
	SyncBind           string
	SyncBindPassword   SecretRef
	CAFile             string
	// StartTLS upgrades an ldap:// URL with StartTLS before binding,
	// verified exactly like LDAPS (CAFile, host name).
	StartTLS bool
	// AllowPlaintext permits a bind over ldap:// without StartTLS, which
	// sends the password in clear.
	AllowPlaintext bool
	// JumpCloudGroup is the AD security group whose (nested) members are in
	// scope. Default "JumpCloud".
	JumpCloudGroup string
	// AdminsGroup's members become JumpCloud administrators. Default
	// "JumpCloud Admins".
	AdminsGroup string
	// UsernameAttribute is the AD attribute that becomes the JumpCloud
	// username (the seeds' UserFieldMapping). Default sAMAccountName.
	UsernameAttribute string
	// JumpCloudDomainID is the id of the JumpCloud AD domain object bound
	// to this domain. Empty or 24 hex digits.
	JumpCloudDomainID string
	// WelcomeEmail says whether JumpCloud mails each user an import
	// creates (an Activation email, or a Welcome email to a user with a
	// password). Default false: 1,600 people are mailed only when the
	// admin chose it (issue 15.2).
	WelcomeEmail bool
	// DelegatedAuthority is what import does with managed users'
	// delegatedAuthority (password delegation to the AD domain object).
	DelegatedAuthority DelegatedAuthority
	// PasswordSync makes `adjc schedule` also deliver the password changes
	// caught on this domain's DC, as `adjc password-sync` does (package
	// pwsync), in the same process. Default false.
	PasswordSync bool
	// NeverTouch lists AD objects adjc must leave alone on top of the
	// built-in never-touch set: DNs or sAMAccountNames; a group named here
	// protects its members (direct and nested) too. File only: a list does
	// not fit a flag or a variable.
	NeverTouch []string
	// FieldMapping names the opt-in fields import carries on top of the
	// fields every import does (docs/fields.md): JumpCloud field names or
	// AD attributes, and [FieldMappingRules] to honour the translation
	// rules the console keeps for the domain. Empty: none, and no request
	// about them. The names are checked against the field table where
	// the mapping is used (config knows no fields).
	FieldMapping []string
}

// FieldMappingRules in field_mapping honours the AD domain's translation
// rules (the console's attribute mapping); it needs jumpcloud_domain_id.
const FieldMappingRules = "translation-rules"

// MappedFields returns field_mapping without [FieldMappingRules], and
// whether it holds that.
func (d *Domain) MappedFields() (fields []string, rules bool) {
	for _, f := range d.FieldMapping {
		if f == FieldMappingRules {
			rules = true
			continue
		}
		fields = append(fields, f)
	}
	return fields, rules
}

// splitList reads a comma-separated list, trimming each entry; an empty
// string is an empty list.
func splitList(s string) []string {
	var out []string
	for e := range strings.SplitSeq(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// DelegatedAuthority is the delegated_authority setting.
type DelegatedAuthority string

// The delegated_authority values.
const (
	// DelegatedFollow, the default, follows the AD domain object's
	// delegationState, the console's password delegation switch: set on
	// managed users when ENABLED, cleared when DISABLED.
	DelegatedFollow DelegatedAuthority = "follow"
	// DelegatedAlways sets it on every managed user.
	DelegatedAlways DelegatedAuthority = "always"
	// DelegatedNever never writes it.
	DelegatedNever DelegatedAuthority = "never"
)

func (d *Domain) field(key string) string { return fmt.Sprintf("domains[%d].%s", d.Index, key) }

// Direction is the way a command writes: import (AD → JumpCloud) or sync
// (JumpCloud → AD).
type Direction string

// The directions; the lowercase names are the commands'.
const (
	DirectionImport Direction = "import"
	DirectionSync   Direction = "sync"
)

// Directions returns the directions mode runs: import for ad-authority,
// sync for jc-authority, both for two-way.
func (m Mode) Directions() []Direction {
	switch m {
	case ModeADAuthority:
		return []Direction{DirectionImport}
	case ModeJCAuthority:
		return []Direction{DirectionSync}
	}
	return []Direction{DirectionImport, DirectionSync}
}

// Account is a service account to bind as.
type Account struct {
	// Field is the setting that named it: "domains[0].import_bind", or
	// "domains[0].bind" for the shared account.
	Field    string
	Bind     string
	Password SecretRef
}

// BindFor returns the account the commands of direction dir bind as:
// import_bind (sync_bind) with its password when set, else bind.
func (d *Domain) BindFor(dir Direction) Account {
	switch {
	case dir == DirectionImport && d.ImportBind != "":
		return Account{Field: d.field("import_bind"), Bind: d.ImportBind, Password: d.ImportBindPassword}
	case dir == DirectionSync && d.SyncBind != "":
		return Account{Field: d.field("sync_bind"), Bind: d.SyncBind, Password: d.SyncBindPassword}
	}
	return Account{Field: d.field("bind"), Bind: d.Bind, Password: d.BindPassword}
}

// Binds returns every service account the domain names (bind,
// import_bind, sync_bind), distinct and non-empty: adjc's own accounts,
// which the never-touch set protects whichever direction binds as them.
func (d *Domain) Binds() []string {
	var out []string
	for _, b := range []string{d.Bind, d.ImportBind, d.SyncBind} {
		if b != "" && !slices.ContainsFunc(out, func(x string) bool { return strings.EqualFold(x, b) }) {
			out = append(out, b)
		}
	}
	return out
}

// Accounts returns the distinct accounts the domain's mode binds as, in
// direction order, with the directions each serves: preflight checks each
// for the rights of its own direction.
func (d *Domain) Accounts() []DirectionAccount {
	var out []DirectionAccount
	for _, dir := range d.Mode.Directions() {
		a := d.BindFor(dir)
		if i := slices.IndexFunc(out, func(x DirectionAccount) bool { return x.Field == a.Field }); i >= 0 {
			out[i].Directions = append(out[i].Directions, dir)
			continue
		}
		out = append(out, DirectionAccount{Account: a, Directions: []Direction{dir}})
	}
	return out
}

// DirectionAccount is an account and the directions that bind as it.
type DirectionAccount struct {
	Account
	Directions []Direction
}

// Source returns where the value of key came from. Keys are the YAML paths
// used in messages: "jumpcloud.api_url", "domains[0].base_dn", "state_dir".
// An unknown key reports [KindDefault].
func (c *Config) Source(key string) Source { return c.sources[key] }

// Domain returns the domain called name (case-insensitively).
func (c *Config) Domain(name string) (*Domain, bool) {
	for i := range c.Domains {
		if strings.EqualFold(c.Domains[i].Name, name) {
			return &c.Domains[i], true
		}
	}
	return nil, false
}

// Setting is one resolved value and where it came from, as `adjc config
// show` and preflight print it. A secret's Value says only whether and how
// it is set ("set (env ADJC_JC_API_KEY)"), never what it is.
type Setting struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source Source `json:"source"`
	Secret bool   `json:"secret,omitempty"`
}

// Settings lists every value in schema order (not sorted by key: the order
// of the YAML file is easier to read and just as stable).
func (c *Config) Settings() []Setting {
	var out []Setting
	add := func(key, value string) {
		out = append(out, Setting{Key: key, Value: value, Source: c.sources[key]})
	}
	addSecret := func(key string, r SecretRef) {
		out = append(out, Setting{Key: key, Value: r.Describe(), Source: r.Source, Secret: true})
	}
	add("config", c.File)
	add("jumpcloud.api_url", c.JumpCloud.APIURL)
	add("jumpcloud.region", c.JumpCloud.Region)
	add("jumpcloud.org_id", c.JumpCloud.OrgID)
	addSecret("jumpcloud.api_key", c.JumpCloud.APIKey)
	for i := range c.Domains {
		d := &c.Domains[i]
		add(d.field("name"), d.Name)
		add(d.field("mode"), string(d.Mode))
		add(d.field("ldap_url"), d.LDAPURL)
		add(d.field("base_dn"), d.BaseDN)
		add(d.field("root_container"), d.RootContainer)
		add(d.field("bind"), d.Bind)
		addSecret(d.field("bind_password"), d.BindPassword)
		// The per-direction accounts are listed only when used: most
		// domains bind as one account for both directions.
		if d.ImportBind != "" || d.ImportBindPassword.IsSet() {
			add(d.field("import_bind"), d.ImportBind)
			addSecret(d.field("import_bind_password"), d.ImportBindPassword)
		}
		if d.SyncBind != "" || d.SyncBindPassword.IsSet() {
			add(d.field("sync_bind"), d.SyncBind)
			addSecret(d.field("sync_bind_password"), d.SyncBindPassword)
		}
		add(d.field("ca_file"), d.CAFile)
		add(d.field("start_tls"), strconv.FormatBool(d.StartTLS))
		add(d.field("allow_plaintext"), strconv.FormatBool(d.AllowPlaintext))
		add(d.field("jumpcloud_group"), d.JumpCloudGroup)
		add(d.field("admins_group"), d.AdminsGroup)
		add(d.field("username_attribute"), d.UsernameAttribute)
		add(d.field("jumpcloud_domain_id"), d.JumpCloudDomainID)
		add(d.field("welcome_email"), strconv.FormatBool(d.WelcomeEmail))
		add(d.field("delegated_authority"), string(d.DelegatedAuthority))
		if d.PasswordSync { // shown only when set: most hosts are not DCs
			add(d.field("password_sync"), "true")
		}
		if len(d.NeverTouch) > 0 { // shown only when set, like an optional section
			add(d.field("never_touch"), strings.Join(d.NeverTouch, "; "))
		}
		if len(d.FieldMapping) > 0 {
			add(d.field("field_mapping"), strings.Join(d.FieldMapping, ","))
		}
	}
	add("state_dir", c.StateDir)
	add("audit_log", c.AuditLog)
	add("ha.etcd.endpoints", strings.Join(c.HA.Endpoints, ","))
	add("ha.etcd.ca_file", c.HA.CAFile)
	add("ha.etcd.cert_file", c.HA.CertFile)
	add("ha.etcd.key_file", c.HA.KeyFile)
	add("ha.etcd.prefix", c.HA.Prefix)
	add("ha.etcd.lease_ttl", c.HA.LeaseTTL.String())
	return out
}
