package config

import (
	"strings"

	"github.com/spf13/pflag"
)

// Flag names registered by [AddFlags]; each one overrides the value of its
// environment variable and of the config file.
const (
	FlagConfig           = "config"
	FlagDomain           = "domain"
	FlagAPIURL           = "api-url"
	FlagRegion           = "region"
	FlagOrgID            = "org-id"
	FlagAPIKeyFile       = "api-key-file"
	FlagLDAPURL          = "ldap-url"
	FlagBaseDN           = "base-dn"
	FlagRootContainer    = "root-container"
	FlagBind             = "bind"
	FlagBindPasswordFile = "bind-password-file"
	FlagCAFile           = "ca-file"
	FlagMode             = "mode"
	FlagStateDir         = "state-dir"
	FlagAuditLog         = "audit-log"
	FlagAllowPlaintext   = "allow-plaintext"
	FlagStartTLS         = "start-tls"
	FlagImportBind       = "import-bind"
	FlagImportBindPWFile = "import-bind-password-file"
	FlagSyncBind         = "sync-bind"
	FlagSyncBindPWFile   = "sync-bind-password-file"
	FlagJumpCloudGroup   = "jumpcloud-group"
	FlagAdminsGroup      = "admins-group"
	FlagUsernameAttr     = "username-attribute"
	FlagJCDomainID       = "jumpcloud-domain-id"
	FlagWelcomeEmail     = "welcome-email"
	FlagDelegatedAuth    = "delegated-authority"
	FlagPasswordSync     = "password-sync"
	FlagFieldMapping     = "field-mapping"
)

// Environment variables read by [Load].
const (
	EnvConfig           = "ADJC_CONFIG"
	EnvAPIURL           = "ADJC_JC_API_URL"
	EnvRegion           = "ADJC_JC_REGION"
	EnvOrgID            = "ADJC_JC_ORG_ID"
	EnvAPIKey           = "ADJC_JC_API_KEY"
	EnvAPIKeyFile       = "ADJC_JC_API_KEY_FILE"
	EnvLDAPURL          = "ADJC_LDAP_URL"
	EnvBaseDN           = "ADJC_BASE_DN"
	EnvRootContainer    = "ADJC_ROOT_CONTAINER"
	EnvBind             = "ADJC_BIND"
	EnvBindPassword     = "ADJC_BIND_PASSWORD"
	EnvBindPasswordFile = "ADJC_BIND_PASSWORD_FILE"
	EnvCAFile           = "ADJC_CA_FILE"
	EnvMode             = "ADJC_MODE"
	EnvStateDir         = "ADJC_STATE_DIR"
	EnvAuditLog         = "ADJC_AUDIT_LOG"
	EnvAllowPlaintext   = "ADJC_ALLOW_PLAINTEXT"
	EnvStartTLS         = "ADJC_START_TLS"
	EnvImportBind       = "ADJC_IMPORT_BIND"
	EnvImportBindPW     = "ADJC_IMPORT_BIND_PASSWORD"
	EnvImportBindPWFile = "ADJC_IMPORT_BIND_PASSWORD_FILE"
	EnvSyncBind         = "ADJC_SYNC_BIND"
	EnvSyncBindPW       = "ADJC_SYNC_BIND_PASSWORD"
	EnvSyncBindPWFile   = "ADJC_SYNC_BIND_PASSWORD_FILE"
	EnvJumpCloudGroup   = "ADJC_JUMPCLOUD_GROUP"
	EnvAdminsGroup      = "ADJC_ADMINS_GROUP"
	EnvUsernameAttr     = "ADJC_USERNAME_ATTRIBUTE"
	EnvJCDomainID       = "ADJC_JC_DOMAIN_ID"
	EnvWelcomeEmail     = "ADJC_WELCOME_EMAIL"
	EnvDelegatedAuth    = "ADJC_DELEGATED_AUTHORITY"
	EnvPasswordSync     = "ADJC_PASSWORD_SYNC"
	EnvFieldMapping     = "ADJC_FIELD_MAPPING"
)

// setting ties a YAML key to its environment variable and flag. Secrets
// have no flag holding their value, only one naming a file.
type setting struct {
	key  string // the YAML key within its section
	env  string
	flag string
	help string
	// boolean settings are switches: a BoolVar flag (--start-tls,
	// --start-tls=false), "true"/"false" in the environment, a YAML bool.
	boolean bool
	// valueEnv is, for a secret's *_file setting, the variable that holds
	// the secret itself.
	valueEnv string
}

func topSettings() []setting {
	return []setting{
		{key: "state_dir", env: EnvStateDir, flag: FlagStateDir, help: "directory for adjc's state, normally $XDG_STATE_HOME/adjc"},
		{key: "audit_log", env: EnvAuditLog, flag: FlagAuditLog, help: "JSON-lines audit log of applied changes, normally <state_dir>/audit.jsonl"},
	}
}

func jumpCloudSettings() []setting {
	return []setting{
		{key: "api_url", env: EnvAPIURL, flag: FlagAPIURL, help: "JumpCloud API base URL, normally " + DefaultAPIURL},
		{key: "region", env: EnvRegion, flag: FlagRegion, help: "JumpCloud region " + regionText() + "; instead of the API URL"},
		{key: "org_id", env: EnvOrgID, flag: FlagOrgID, help: "JumpCloud organization id, for multi-tenant API keys"},
		{key: "api_key_file", env: EnvAPIKeyFile, flag: FlagAPIKeyFile, help: "file holding the JumpCloud API key, - for stdin; or set $" + EnvAPIKey},
	}
}

// domainSettings apply to the domain chosen with --domain, or to the only one.
func domainSettings() []setting {
	return []setting{
		{key: "mode", env: EnvMode, flag: FlagMode, help: "ad-authority, two-way or jc-authority"},
		{key: "ldap_url", env: EnvLDAPURL, flag: FlagLDAPURL, help: "domain controller URL, ldaps://host:636"},
		{key: "base_dn", env: EnvBaseDN, flag: FlagBaseDN, help: "base DN of the domain, e.g. DC=example,DC=com"},
		{key: "root_container", env: EnvRootContainer, flag: FlagRootContainer, help: "Root User container, normally CN=Users,<base DN>"},
		{key: "bind", env: EnvBind, flag: FlagBind, help: "service account to bind as: UPN, DN or DOMAIN\\user"},
		{key: "bind_password_file", env: EnvBindPasswordFile, flag: FlagBindPasswordFile, help: "file holding the bind password, - for stdin; or set $" + EnvBindPassword, valueEnv: EnvBindPassword},
		{key: "import_bind", env: EnvImportBind, flag: FlagImportBind, help: "service account for import (AD → JumpCloud) only, e.g. a read-only one; normally bind"},
		{key: "import_bind_password_file", env: EnvImportBindPWFile, flag: FlagImportBindPWFile, help: "file holding import_bind's password, - for stdin; or set $" + EnvImportBindPW, valueEnv: EnvImportBindPW},
		{key: "sync_bind", env: EnvSyncBind, flag: FlagSyncBind, help: "service account for sync (JumpCloud → AD) only, the delegated one; normally bind"},
		{key: "sync_bind_password_file", env: EnvSyncBindPWFile, flag: FlagSyncBindPWFile, help: "file holding sync_bind's password, - for stdin; or set $" + EnvSyncBindPW, valueEnv: EnvSyncBindPW},
		{key: "ca_file", env: EnvCAFile, flag: FlagCAFile, help: "PEM file of the CA that signed the domain controller's certificate"},
		{key: "start_tls", env: EnvStartTLS, flag: FlagStartTLS, boolean: true, help: "upgrade an ldap:// URL with StartTLS before binding, verified like LDAPS"},
		{key: "allow_plaintext", env: EnvAllowPlaintext, flag: FlagAllowPlaintext, boolean: true, help: "allow an unencrypted ldap:// URL without StartTLS: the password crosses in clear (preflight fails it)"},
		{key: "jumpcloud_group", env: EnvJumpCloudGroup, flag: FlagJumpCloudGroup, help: "the AD group whose nested members are imported, normally JumpCloud"},
		{key: "admins_group", env: EnvAdminsGroup, flag: FlagAdminsGroup, help: "the AD group whose members become JumpCloud administrators, normally JumpCloud Admins"},
		{key: "username_attribute", env: EnvUsernameAttr, flag: FlagUsernameAttr, help: "AD attribute that becomes the JumpCloud username, normally sAMAccountName"},
		{key: "jumpcloud_domain_id", env: EnvJCDomainID, flag: FlagJCDomainID, help: "id of the JumpCloud AD domain object ('adjc connect' finds it)"},
		{key: "welcome_email", env: EnvWelcomeEmail, flag: FlagWelcomeEmail, boolean: true, help: "have JumpCloud send each user import creates an activation or welcome email (normally none is sent)"},
		{key: "delegated_authority", env: EnvDelegatedAuth, flag: FlagDelegatedAuth, help: "managed users' delegatedAuthority: follow (the AD domain object's delegationState), always or never"},
		{key: "password_sync", env: EnvPasswordSync, flag: FlagPasswordSync, boolean: true, help: "schedule also delivers the password changes caught on this DC to JumpCloud, as 'adjc password-sync' does"},
		{key: "field_mapping", env: EnvFieldMapping, flag: FlagFieldMapping, help: "opt-in fields import also carries, comma-separated (docs/fields.md), and translation-rules to honour the console's mapping; normally none"},
	}
}

// AddFlags registers the configuration flags on fs (the root command's
// persistent flags). Each help text names the variable it overrides, and
// [Load] uses a flag's value only when it was set on the command line.
func AddFlags(fs *pflag.FlagSet) {
	fs.String(FlagConfig, "", "config file (default: $"+EnvConfig+", else $XDG_CONFIG_HOME/adjc/config.yaml)")
	fs.String(FlagDomain, "", "act on this configured domain only")
	for _, group := range [][]setting{jumpCloudSettings(), domainSettings(), topSettings(), etcdSettings()} {
		for _, s := range group {
			if s.boolean {
				// A switch: `--allow-plaintext diff` must not take
				// "diff" as the flag's value.
				fs.Bool(s.flag, false, s.help+" (default: $"+s.env+")")
				continue
			}
			fs.String(s.flag, "", s.help+" (default: $"+s.env+")")
		}
	}
}

// EnvVar describes one environment variable adjc reads.
type EnvVar struct {
	Name string
	Help string
}

// Environment lists the variables [Load] reads, in the order `adjc help
// environment` prints them.
func Environment() []EnvVar {
	vars := []EnvVar{{Name: EnvConfig, Help: "config file to read instead of $XDG_CONFIG_HOME/adjc/config.yaml"}}
	for _, s := range jumpCloudSettings() {
		vars = append(vars, EnvVar{Name: s.env, Help: s.help})
	}
	vars = append(vars, EnvVar{Name: EnvAPIKey, Help: "the JumpCloud API key itself (prefer " + EnvAPIKeyFile + ")"})
	for _, s := range domainSettings() {
		vars = append(vars, EnvVar{Name: s.env, Help: s.help})
		if s.valueEnv != "" {
			what := "the bind password"
			if name := strings.TrimSuffix(s.key, "_password_file"); name != "bind" {
				what = name + "'s password"
			}
			vars = append(vars, EnvVar{Name: s.valueEnv, Help: what + " itself (prefer " + s.env + ")"})
		}
	}
	for _, s := range append(topSettings(), etcdSettings()...) {
		vars = append(vars, EnvVar{Name: s.env, Help: s.help})
	}
	return vars
}
