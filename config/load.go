package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/adjc/adjc/secret"
	"github.com/go-ldap/ldap/v3"
	"github.com/spf13/pflag"
)

// LoadOptions is what [Load] needs from outside: the parsed flags, the
// environment, stdin and a way to prompt. Nothing else is read.
type LoadOptions struct {
	// Flags holds the flags registered by [AddFlags]; a flag counts only if
	// it was set on the command line. Nil means no flags.
	Flags *pflag.FlagSet
	// LookupEnv is os.LookupEnv in main and a map in tests.
	LookupEnv func(string) (string, bool)
	// Stdin is read for a secret whose file is "-".
	Stdin io.Reader
	// Prompt asks for a secret without echo; nil when there is no terminal.
	Prompt func(prompt string) (string, error)
	// AllowMissingFile treats an explicit config file (--config,
	// $ADJC_CONFIG) that does not exist as empty instead of as a mistake:
	// `adjc connect` is about to create it.
	AllowMissingFile bool
}

// Load builds the [Config] from flags, environment, the config file and
// defaults, in that order of precedence, and validates it. A configuration
// mistake is a *[ValidationError] listing every problem; secrets are not
// read (see [SecretRef.Resolve]).
//
// The file is --config, else $ADJC_CONFIG, else
// $XDG_CONFIG_HOME/adjc/config.yaml (~/.config/adjc/config.yaml) if it
// exists. Domain-level variables and flags (ADJC_LDAP_URL, --base-dn, …)
// apply to the domain chosen with --domain, to the only domain in the file,
// or create that single domain when the file has none.
func Load(opts LoadOptions) (*Config, error) {
	l := &loader{
		opts:    opts,
		sources: map[string]Source{},
		res:     &resolver{stdin: opts.Stdin, prompt: opts.Prompt, cache: map[string]secret.Secret{}},
	}
	return l.load()
}

type loader struct {
	opts     LoadOptions
	sources  map[string]Source
	res      *resolver
	problems []Problem
}

func (l *loader) problem(p Problem) { l.problems = append(l.problems, p) }

func (l *loader) env(name string) (string, bool) {
	if l.opts.LookupEnv == nil || name == "" {
		return "", false
	}
	v, ok := l.opts.LookupEnv(name)
	return v, ok && v != "" // an empty variable is treated as unset
}

func (l *loader) flag(name string) (string, bool) {
	fs := l.opts.Flags
	if fs == nil || fs.Lookup(name) == nil || !fs.Changed(name) {
		return "", false
	}
	// The flag's text: a string flag's value, or "true"/"false" for a
	// boolean one, read by the same code as the environment's.
	return fs.Lookup(name).Value.String(), true
}

// layer applies env and flag over the file's value.
func (l *loader) layer(file value, env, flag string) value {
	v := file
	if s, ok := l.env(env); ok {
		v = value{s: s, src: Source{Kind: KindEnv, Name: env}, set: true}
	}
	if s, ok := l.flag(flag); ok && s != "" { // --ldap-url= is as good as absent
		v = value{s: s, src: Source{Kind: KindFlag, Name: "--" + flag}, set: true}
	}
	return v
}

// set stores v into *dst under key, or def when v is unset.
func (l *loader) set(key string, dst *string, v value, def string) {
	if v.set && v.s != "" {
		*dst = v.s
		l.sources[key] = v.src
		return
	}
	*dst = def
	l.sources[key] = Source{Kind: KindDefault}
}

func (l *loader) load() (*Config, error) {
	c := &Config{}
	doc, err := l.readFile(c)
	if err != nil {
		return nil, err
	}
	if len(l.problems) > 0 {
		return nil, &ValidationError{Problems: l.problems}
	}

	// jumpcloud
	jc := doc.jumpCloud
	var apiURL, region value
	for _, s := range jumpCloudSettings() {
		v := l.layer(jc[s.key], s.env, s.flag)
		switch s.key {
		case "api_url":
			apiURL = v
		case "region":
			region = v
		case "org_id":
			l.set("jumpcloud.org_id", &c.JumpCloud.OrgID, v, "")
		}
	}
	l.endpoint(c, apiURL, region)
	c.JumpCloud.APIKey = l.secret(SecretRef{
		Field: "jumpcloud.api_key_file",
		What:  "JumpCloud API key",
		Hint:  "set jumpcloud.api_key_file, " + EnvAPIKeyFile + " or " + EnvAPIKey + ", or run on a terminal to be asked",
	}, jc["api_key_file"], EnvAPIKeyFile, EnvAPIKey, FlagAPIKeyFile)

	// domains
	selected, _ := l.flag(FlagDomain)
	for i, fd := range doc.domains {
		c.Domains = append(c.Domains, l.fileDomain(i, fd))
	}
	l.domainOverrides(c, selected)
	for i := range c.Domains {
		l.domainDefaults(&c.Domains[i])
	}

	// top level
	var stateDir, auditLog value
	for _, s := range topSettings() {
		v := l.layer(doc.top[s.key], s.env, s.flag)
		if s.key == "state_dir" {
			stateDir = v
		} else {
			auditLog = v
		}
	}
	defState, ok := l.userDir("XDG_STATE_HOME", filepath.Join(".local", "state"), "LOCALAPPDATA")
	if ok {
		defState = filepath.Join(defState, "adjc")
	}
	l.set("state_dir", &c.StateDir, stateDir, defState)
	defAudit := ""
	if c.StateDir != "" {
		defAudit = filepath.Join(c.StateDir, "audit.jsonl")
	}
	l.set("audit_log", &c.AuditLog, auditLog, defAudit)
	l.loadEtcd(c, doc.etcd)

	l.validate(c)

	if selected != "" {
		d, ok := c.Domain(selected)
		if !ok {
			l.problem(Problem{
				Field: "--" + FlagDomain, Value: selected, Source: Source{Kind: KindFlag, Name: "--" + FlagDomain},
				Msg: "no such domain in the configuration", Fix: domainChoice(c),
			})
		} else {
			c.Domains = []Domain{*d}
		}
	}
	if len(l.problems) > 0 {
		return nil, &ValidationError{Problems: l.problems}
	}
	c.sources = l.sources
	return c, nil
}

func domainChoice(c *Config) string {
	if len(c.Domains) == 0 {
		return "the configuration has no domains; add one under domains:"
	}
	names := make([]string, len(c.Domains))
	for i, d := range c.Domains {
		names[i] = d.Name
	}
	return "use one of: " + strings.Join(names, ", ")
}

// readFile finds and parses the config file; it returns an error only for
// I/O trouble other than the problems it records.
func (l *loader) readFile(c *Config) (*fileDoc, error) {
	empty := &fileDoc{top: map[string]value{}, jumpCloud: map[string]value{}, etcd: map[string]value{}}
	path, src := "", Source{Kind: KindDefault}
	if v, ok := l.env(EnvConfig); ok {
		path, src = v, Source{Kind: KindEnv, Name: EnvConfig}
	}
	if v, ok := l.flag(FlagConfig); ok && v != "" {
		path, src = v, Source{Kind: KindFlag, Name: "--" + FlagConfig}
	}
	explicit := path != ""
	if !explicit {
		dir, ok := l.userDir("XDG_CONFIG_HOME", ".config", "APPDATA")
		if !ok {
			return empty, nil
		}
		path = filepath.Join(dir, "adjc", "config.yaml")
	}
	c.searched = append(c.searched, path)
	data, err := os.ReadFile(path)
	if err != nil {
		if (!explicit || l.opts.AllowMissingFile) && errors.Is(err, fs.ErrNotExist) {
			return empty, nil // no file is fine: env and flags may say it all
		}
		field := "config"
		if explicit {
			field = src.Name
		}
		l.problem(Problem{Field: field, Value: path, Source: src, Msg: "cannot read: " + unwrapPathError(err), Fix: "check the path, or unset it to use env and flags only"})
		return empty, nil
	}
	c.File = path
	l.sources["config"] = src
	doc, problems := parseFile(path, data)
	l.problems = append(l.problems, problems...)
	if doc == nil {
		return empty, nil
	}
	return doc, nil
}

// userDir returns $xdg when it is absolute (as the XDG spec asks), else
// $HOME/homeSub, else $windowsVar.
func (l *loader) userDir(xdg, homeSub, windowsVar string) (string, bool) {
	if v, ok := l.env(xdg); ok && filepath.IsAbs(v) {
		return v, true
	}
	if v, ok := l.env("HOME"); ok {
		return filepath.Join(v, homeSub), true
	}
	if v, ok := l.env(windowsVar); ok {
		return v, true
	}
	return "", false
}

// endpoint resolves api_url and region, which name the same thing: the
// higher layer wins; both in the same layer is a mistake.
func (l *loader) endpoint(c *Config, apiURL, region value) {
	switch {
	case apiURL.set && apiURL.s != "" && region.set && region.s != "" && apiURL.src.Kind == region.src.Kind:
		l.problem(Problem{
			Field: "jumpcloud.region", Value: region.s, Source: region.src,
			Msg: "region and api_url are both set; they are mutually exclusive",
			Fix: "keep one: region for JumpCloud's own data centres, api_url for any other URL",
		})
		l.set("jumpcloud.api_url", &c.JumpCloud.APIURL, apiURL, DefaultAPIURL)
	case region.set && region.s != "" && (!apiURL.set || apiURL.s == "" || region.src.Kind > apiURL.src.Kind):
		c.JumpCloud.Region = region.s
		l.sources["jumpcloud.region"] = region.src
		u, ok := regionURL(region.s)
		if !ok {
			l.problem(Problem{Field: "jumpcloud.region", Value: region.s, Source: region.src, Msg: "unknown region", Fix: "use " + regionText() + ", or set api_url"})
			u = DefaultAPIURL
		}
		c.JumpCloud.APIURL = u
		l.sources["jumpcloud.api_url"] = region.src
	default:
		l.set("jumpcloud.api_url", &c.JumpCloud.APIURL, apiURL, DefaultAPIURL)
		l.sources["jumpcloud.region"] = Source{Kind: KindDefault}
	}
	c.JumpCloud.APIURL = strings.TrimSuffix(c.JumpCloud.APIURL, "/")
}

// secret layers a SecretRef: the file's *_file key, then the environment
// (a *_FILE variable or the value itself), then the --*-file flag.
func (l *loader) secret(ref SecretRef, file value, fileEnv, valueEnv, flag string) SecretRef {
	ref.res = l.res
	if file.set && file.s != "" {
		ref.File, ref.Source = file.s, file.src
	}
	fe, feOK := l.env(fileEnv)
	ve, veOK := l.env(valueEnv)
	switch {
	case feOK && veOK:
		l.problem(Problem{Field: valueEnv, Source: Source{Kind: KindEnv, Name: valueEnv}, Msg: "both " + fileEnv + " and " + valueEnv + " are set", Fix: "unset one of them"})
	case feOK:
		ref.File, ref.value, ref.Source = fe, secret.Secret{}, Source{Kind: KindEnv, Name: fileEnv}
	case veOK:
		ref.File, ref.value, ref.Source = "", secret.New(ve), Source{Kind: KindEnv, Name: valueEnv}
	}
	if v, ok := l.flag(flag); ok && v != "" {
		ref.File, ref.value, ref.Source = v, secret.Secret{}, Source{Kind: KindFlag, Name: "--" + flag}
	}
	return ref
}

func (l *loader) fileDomain(i int, fd map[string]value) Domain {
	d := Domain{Index: i}
	l.set(d.field("name"), &d.Name, fd["name"], "")
	var mode string
	l.set(d.field("mode"), &mode, fd["mode"], "")
	d.Mode = Mode(mode)
	l.set(d.field("ldap_url"), &d.LDAPURL, fd["ldap_url"], "")
	l.set(d.field("base_dn"), &d.BaseDN, fd["base_dn"], "")
	l.set(d.field("root_container"), &d.RootContainer, fd["root_container"], "")
	l.set(d.field("bind"), &d.Bind, fd["bind"], "")
	l.set(d.field("import_bind"), &d.ImportBind, fd["import_bind"], "")
	l.set(d.field("sync_bind"), &d.SyncBind, fd["sync_bind"], "")
	l.set(d.field("ca_file"), &d.CAFile, fd["ca_file"], "")
	var startTLS, plain string
	l.set(d.field("start_tls"), &startTLS, fd["start_tls"], "false")
	d.StartTLS = startTLS == "true"
	l.set(d.field("allow_plaintext"), &plain, fd["allow_plaintext"], "false")
	d.AllowPlaintext = plain == "true"
	l.set(d.field("jumpcloud_group"), &d.JumpCloudGroup, fd["jumpcloud_group"], "")
	l.set(d.field("admins_group"), &d.AdminsGroup, fd["admins_group"], "")
	l.set(d.field("username_attribute"), &d.UsernameAttribute, fd["username_attribute"], "")
	l.set(d.field("jumpcloud_domain_id"), &d.JumpCloudDomainID, fd["jumpcloud_domain_id"], "")
	var welcome string
	l.set(d.field("welcome_email"), &welcome, fd["welcome_email"], "false")
	d.WelcomeEmail = welcome == "true"
	l.set(d.field("delegated_authority"), (*string)(&d.DelegatedAuthority), fd["delegated_authority"], string(DelegatedFollow))
	var pwsync string
	l.set(d.field("password_sync"), &pwsync, fd["password_sync"], "false")
	d.PasswordSync = pwsync == "true"
	for key, dst := range map[string]*[]string{"never_touch": &d.NeverTouch, "field_mapping": &d.FieldMapping} {
		*dst = fd[key].list
		l.sources[d.field(key)] = Source{Kind: KindDefault}
		if v := fd[key]; v.set {
			l.sources[d.field(key)] = v.src
		}
	}
	for _, p := range d.passwords() {
		*p.ref = SecretRef{Field: d.field(p.key), res: l.res}
		if v := fd[p.key]; v.set && v.s != "" {
			p.ref.File, p.ref.Source = v.s, v.src
		}
	}
	if d.Name == "" {
		d.Name = nameFromDN(d.BaseDN)
	}
	return d
}

func (l *loader) domainDefaults(d *Domain) {
	def := func(key string, dst *string, v string) {
		if *dst == "" {
			*dst = v
			l.sources[d.field(key)] = Source{Kind: KindDefault}
		}
	}
	m := string(d.Mode)
	def("mode", &m, string(ModeTwoWay))
	d.Mode = Mode(m)
	if _, err := ldap.ParseDN(d.BaseDN); err == nil && d.BaseDN != "" {
		def("root_container", &d.RootContainer, "CN=Users,"+d.BaseDN)
	}
	def("jumpcloud_group", &d.JumpCloudGroup, "JumpCloud")
	def("admins_group", &d.AdminsGroup, "JumpCloud Admins")
	def("username_attribute", &d.UsernameAttribute, "sAMAccountName")
	if l.sources[d.field("name")].Kind == KindDefault && d.Name == "" {
		d.Name = nameFromDN(d.BaseDN)
	}
	for _, s := range domainSettings() {
		if s.valueEnv == "" {
			continue
		}
		ref := d.password(s.key)
		account := l.current(d, strings.TrimSuffix(s.key, "_password_file"))
		ref.What = "bind password for " + d.Name
		if account != "" {
			ref.What = "bind password for " + account
		}
		ref.Hint = "set " + d.field(s.key) + ", " + s.env + " or " + s.valueEnv + ", or run on a terminal to be asked"
		ref.res = l.res
	}
}

// passwords are the domain's secret settings, by YAML key.
func (d *Domain) passwords() []struct {
	key string
	ref *SecretRef
} {
	return []struct {
		key string
		ref *SecretRef
	}{
		{"bind_password_file", &d.BindPassword},
		{"import_bind_password_file", &d.ImportBindPassword},
		{"sync_bind_password_file", &d.SyncBindPassword},
	}
}

// password returns the secret of a *_password_file key.
func (d *Domain) password(key string) *SecretRef {
	for _, p := range d.passwords() {
		if p.key == key {
			return p.ref
		}
	}
	panic("config: no secret setting " + key)
}

// nameFromDN turns DC=example,DC=com into example.com, the usual name of a
// domain; it returns "" when dn has no DC components or does not parse.
func nameFromDN(dn string) string {
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return ""
	}
	var parts []string
	for _, rdn := range parsed.RDNs {
		for _, a := range rdn.Attributes {
			if strings.EqualFold(a.Type, "DC") {
				parts = append(parts, strings.ToLower(a.Value))
			}
		}
	}
	return strings.Join(parts, ".")
}
