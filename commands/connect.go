package commands

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/secret"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// ConnectOptions is what `adjc connect` and its subcommands need.
type ConnectOptions struct {
	IO        *output.Streams
	Config    func() (*config.Config, error)
	Printer   func() *output.Printer
	JumpCloud func(*config.Config) (*jcapi.Client, error)
	// LoadConfig loads the configuration for `adjc connect` from flags with
	// extra (values typed at prompts) layered over the environment; a config
	// file that does not exist yet is not a mistake. It also returns the
	// file connect writes.
	LoadConfig func(flags *pflag.FlagSet, extra map[string]string) (*config.Config, string, error)

	Kind   string // "user" or "group" for the bind subcommands
	Names  []string
	Remove bool
	// RegisterAgent is --register-agent: register agent records as the
	// vendor's installer does. Off by default (issue 15.6).
	RegisterAgent bool

	flags *pflag.FlagSet // the parsed flags, root's included
}

func newConnectCmd(f *Factory, runF func(context.Context, *ConnectOptions) error) *cobra.Command {
	opts := &ConnectOptions{IO: f.IO, Config: f.Config, Printer: f.Printer, JumpCloud: f.JumpCloud, LoadConfig: connectLoader(f)}
	cmd := &cobra.Command{
		Use:   "connect",
		Short: "Connect the domain to JumpCloud: find or create its AD domain object, save the configuration",
		Long: `Connect finds the JumpCloud AD domain object whose domain matches the
configured base DN (or creates it), refusing a configured jumpcloud_domain_id
that names another domain, and shows its id and any agent records it has.

It registers no agent record unless asked with --register-agent (SYNC or
IMPORT by the domain's mode; both in two-way): adjc talks to JumpCloud with
the API key, not as an agent, and the vendor's one-time connect key belongs
to the agents' private protocol, so a record adjc made would never check in
and would show offline in the console's Domain Agents tab.

It then saves the domain in the config file (--config, $ADJC_CONFIG, else
$XDG_CONFIG_HOME/adjc/config.yaml), creating the file if there is none:
jumpcloud_domain_id, and the settings given as flags, variables or answers
that the file does not have yet; values already in the file are kept, and so
are its comments. Secrets given in the environment, on stdin or at a prompt
are stored in files beside the config file (jumpcloud-api-key,
<domain>.bind-password) and named by api_key_file and bind_password_file.
Every file is written whole (a temporary file renamed over it) with
permissions 0600, and only when something changed.

On a terminal connect asks for what is missing (domain controller URL, base
DN, service account, then the API key and bind password without echo);
elsewhere it takes everything from flags, ADJC_* variables and the file.
Running it again is safe: the domain object and agents are reused and the
files are left as they are.

'adjc connect user NAME…' and 'adjc connect group NAME…' bind JumpCloud users
or user groups to the AD domain, which puts them in scope for 'adjc sync'
(the seeds' "connect users to an AD domain"); --remove unbinds them.

EXIT STATUS
  0 on success, 1 on failure, 2 for a usage or configuration error (also: a
  domain mismatch, or a mode that forbids binding), 4 when JumpCloud rejects
  the API key, 130 when interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.flags = cmd.Flags()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runConnect(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.RegisterAgent, "register-agent", false, "also register agent records (SYNC/IMPORT by mode), which never check in: see above")
	for _, kind := range []string{"user", "group"} {
		o := &ConnectOptions{IO: f.IO, Config: f.Config, Printer: f.Printer, JumpCloud: f.JumpCloud, Kind: kind}
		sub := &cobra.Command{
			Use:   kind + " NAME...",
			Short: fmt.Sprintf("Bind JumpCloud %ss to the AD domain (or unbind them with --remove)", kind),
			Args:  cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				o.Names = args
				if runF != nil {
					return runF(cmd.Context(), o)
				}
				return runConnectBind(cmd.Context(), o)
			},
		}
		sub.Flags().BoolVar(&o.Remove, "remove", false, "unbind instead of bind")
		cmd.AddCommand(sub)
	}
	return cmd
}

// connectLoader is [ConnectOptions.LoadConfig] over the Factory's
// environment and streams.
func connectLoader(f *Factory) func(*pflag.FlagSet, map[string]string) (*config.Config, string, error) {
	return func(flags *pflag.FlagSet, extra map[string]string) (*config.Config, string, error) {
		lo := config.LoadOptions{
			Flags: flags,
			LookupEnv: func(k string) (string, bool) {
				if v, ok := extra[k]; ok {
					return v, true
				}
				if f.LookupEnv == nil {
					return "", false
				}
				return f.LookupEnv(k)
			},
			Stdin:            f.IO.In,
			AllowMissingFile: true,
		}
		if f.IO.CanPrompt() {
			lo.Prompt = f.IO.ReadSecret
		}
		cfg, err := config.Load(lo)
		return cfg, config.FilePath(lo), err
	}
}

// normalDomain turns "DC=Adjc,DC=Lab" and "DC=adjc;DC=lab" (the spec's
// sample form) into one comparable form.
func normalDomain(dn string) string {
	parts := strings.FieldsFunc(dn, func(r rune) bool { return r == ',' || r == ';' })
	for i, p := range parts {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[i] = strings.ToLower(strings.TrimSpace(k)) + "=" + strings.ToLower(strings.TrimSpace(v))
	}
	return strings.Join(parts, ",")
}

// connectResult is what connect prints.
type connectResult struct {
	Domain            string   `json:"domain"`
	JumpCloudDomainID string   `json:"jumpcloud_domain_id"`
	Created           bool     `json:"created"`
	Agents            []string `json:"agents"`
	// ConfigFile is the config file connect saved the domain in.
	ConfigFile string `json:"config_file"`
	// Wrote lists the files this run wrote (none on a rerun), sorted.
	Wrote []string `json:"wrote"`
}

func (r connectResult) Table() output.Table {
	t := output.Table{Headers: []string{"DOMAIN", "JUMPCLOUD DOMAIN ID", "CREATED", "AGENTS"}}
	t.AddStrings(r.Domain, r.JumpCloudDomainID, fmt.Sprint(r.Created), strings.Join(r.Agents, " "))
	return t
}

// connectPrompts are the settings connect asks for on a terminal when no
// layer has them, in the order asked.
var connectPrompts = []struct {
	key, env, question string
}{
	{"ldap_url", config.EnvLDAPURL, "Domain controller URL (ldaps://dc.example.com:636): "},
	{"base_dn", config.EnvBaseDN, "Base DN of the domain (DC=example,DC=com): "},
	{"bind", config.EnvBind, "Service account to bind as (svc@example.com): "},
}

// loadForConnect loads the configuration; on a terminal it first asks for
// the domain settings that are required but missing, then loads again with
// the answers layered as if they were variables.
func loadForConnect(opts *ConnectOptions) (*config.Config, string, error) {
	cfg, path, err := opts.LoadConfig(opts.flags, nil)
	if !opts.IO.CanPrompt() {
		return cfg, path, err
	}
	var missing []string
	var verr *config.ValidationError
	switch {
	case err == nil && len(cfg.Domains) == 0:
		for _, p := range connectPrompts {
			missing = append(missing, p.key)
		}
	case errors.As(err, &verr):
		for _, p := range verr.Problems {
			_, key, _ := strings.Cut(p.Field, "].")
			if !strings.HasPrefix(p.Field, "domains[") || p.Msg != "required" ||
				!slices.ContainsFunc(connectPrompts, func(c struct{ key, env, question string }) bool { return c.key == key }) {
				return nil, "", err // a mistake to fix, not a blank to fill
			}
			missing = append(missing, key)
		}
	default:
		return cfg, path, err
	}
	in := bufio.NewReader(opts.IO.In)
	extra := map[string]string{}
	for _, p := range connectPrompts {
		if !slices.Contains(missing, p.key) {
			continue
		}
		fmt.Fprint(opts.IO.ErrOut, output.Safe(p.question))
		line, rerr := in.ReadString('\n')
		line = strings.TrimSpace(line)
		if line == "" {
			if rerr != nil && !errors.Is(rerr, io.EOF) {
				return nil, "", fmt.Errorf("read answer: %w", rerr)
			}
			return nil, "", Usagef("no %s given: nothing was changed", strings.TrimSuffix(strings.Fields(p.question)[0], ":"))
		}
		extra[p.env] = line
	}
	return opts.LoadConfig(opts.flags, extra)
}

func runConnect(ctx context.Context, opts *ConnectOptions) error {
	cfg, path, err := loadForConnect(opts)
	if err != nil {
		return err
	}
	d, err := oneDomain(cfg)
	if err != nil {
		return err
	}
	if path == "" {
		return Usagef("no config file to save the domain in: set --config or $%s (or $HOME)", config.EnvConfig)
	}
	jc, err := opts.JumpCloud(cfg) // resolves the API key: asks for it on a terminal
	if err != nil {
		return err
	}
	// Every answer is collected before anything is written, in JumpCloud or
	// on disk: an interrupted prompt leaves no half-connected domain.
	var bindPassword secret.Secret
	// One named in the file stays there: connect has nothing to store.
	if d.BindPassword.Source.Kind != config.KindFile && (d.BindPassword.IsSet() || opts.IO.CanPrompt()) {
		if bindPassword, err = d.BindPassword.Resolve(); err != nil {
			return err
		}
	}
	want := normalDomain(d.BaseDN)
	var ad jcapi.ActiveDirectory
	created := false
	if d.JumpCloudDomainID != "" {
		ad, err = jc.GetActiveDirectory(ctx, d.JumpCloudDomainID)
		if err != nil {
			return authHint(err)
		}
		if normalDomain(ad.Domain) != want {
			return Usagef("jumpcloud_domain_id %s is the JumpCloud AD domain %q, but the base DN is %q: they must match (fix one of them)",
				d.JumpCloudDomainID, ad.Domain, d.BaseDN)
		}
	} else {
		for a, err := range jc.ActiveDirectories(ctx, jcapi.ListOptions{}) {
			if err != nil {
				return authHint(err)
			}
			if normalDomain(a.Domain) == want {
				ad = a
				break
			}
		}
		if ad.ID == "" {
			useCase := map[config.Mode]string{config.ModeADAuthority: "ADASAUTHORITY", config.ModeJCAuthority: "JCASAUTHORITY"}[d.Mode]
			if useCase == "" {
				useCase = "TWOWAYSYNC"
			}
			ad, err = jc.CreateActiveDirectory(ctx, jcapi.ActiveDirectory{Domain: d.BaseDN, UseCase: useCase})
			if err != nil {
				return authHint(err)
			}
			created = true
		}
	}
	types := []string{jcapi.AgentImport, jcapi.AgentSync}
	switch d.Mode {
	case config.ModeADAuthority:
		types = types[:1]
	case config.ModeJCAuthority:
		types = types[1:]
	}
	res := connectResult{Domain: d.Name, JumpCloudDomainID: ad.ID, Created: created, ConfigFile: path}
	existing := map[string]string{}
	for a, err := range jc.ActiveDirectoryAgents(ctx, ad.ID) {
		if err != nil {
			return authHint(err)
		}
		if _, ok := existing[a.AgentType]; !ok {
			existing[a.AgentType] = a.ID
		}
	}
	for _, typ := range types {
		// Rerunning is safe: an agent of this type already registered is
		// listed and reused, not duplicated.
		if id, ok := existing[typ]; ok {
			res.Agents = append(res.Agents, typ+":"+id)
			continue
		}
		if !opts.RegisterAgent {
			continue
		}
		// Its one-time connect key is discarded: adjc talks to the API
		// with the API key, not as an agent.
		a, err := jc.CreateAgent(ctx, ad.ID, typ)
		if err != nil {
			return authHint(err)
		}
		res.Agents = append(res.Agents, typ+":"+a.ID)
	}
	if res.Agents == nil {
		res.Agents = []string{}
	}
	apiKey, err := cfg.JumpCloud.APIKey.Resolve() // cached: read or asked once
	if err != nil {
		return err
	}
	if res.Wrote, err = saveConnection(cfg, d, path, ad.ID, apiKey, bindPassword); err != nil {
		return err
	}
	if res.Wrote == nil {
		res.Wrote = []string{}
	}
	if err := opts.Printer().Print(res); err != nil {
		return err
	}
	switch {
	case len(res.Agents) == 0:
		opts.IO.WriteErrLine("No agent record registered: adjc works through the API key, and a record it made would never check in (it would show offline under Domain Agents in the console); --register-agent registers one anyway.")
	case opts.RegisterAgent:
		opts.IO.WriteErrLine("Agent records are registered for the console only: they never check in, and their one-time connect keys are not kept.")
	}
	if len(res.Wrote) == 0 {
		opts.IO.WriteErrLine(fmt.Sprintf("%s is up to date.", path))
	}
	for _, w := range res.Wrote {
		opts.IO.WriteErrLine(fmt.Sprintf("Wrote %s (mode 0600).", w))
	}
	if bindPassword.IsZero() && d.BindPassword.Source.Kind != config.KindFile {
		fmt.Fprintf(opts.IO.ErrOut, "No bind password is stored for %s: set %s, or rerun connect with $%s or on a terminal, before import or sync.\n",
			d.Name, d.BindPassword.Field, config.EnvBindPassword)
	}
	return nil
}

// saveConnection records the connected domain in the config file at path:
// its JumpCloud AD domain id, the settings that came from flags, variables
// or prompts and are not in the file yet, and the secrets — a secret given
// in the environment, on stdin or at a prompt is stored in a 0600 file
// beside the config file, one already in a file is referred to where it is.
// Secret files are written before the config that names them. It returns
// the files it wrote, sorted.
func saveConnection(cfg *config.Config, d *config.Domain, path, adID string, apiKey, bindPassword secret.Secret) ([]string, error) {
	dir := filepath.Dir(path)
	var wrote []string
	var noValue secret.Secret // for a secret referred to by its file only
	fromRun := func(key string) bool {
		k := cfg.Source(key).Kind
		return k == config.KindEnv || k == config.KindFlag
	}
	// secret returns the *_file value for ref, storing the value in
	// dir/name when it did not come from a file.
	secret := func(ref config.SecretRef, s secret.Secret, name string) (config.KeyValue, bool, error) {
		key := ref.Field[strings.LastIndex(ref.Field, ".")+1:]
		switch {
		case ref.Source.Kind == config.KindFile:
			return config.KeyValue{}, false, nil // the file already names it
		case ref.File != "" && ref.File != "-":
			abs, err := filepath.Abs(ref.File)
			if err != nil {
				return config.KeyValue{}, false, err
			}
			return config.KeyValue{Key: key, Value: abs, Replace: true}, true, nil
		case s.IsZero():
			return config.KeyValue{}, false, nil
		}
		p := filepath.Join(dir, name)
		changed, err := config.WriteSecretFile(p, s)
		if err != nil {
			return config.KeyValue{}, false, err
		}
		if changed {
			wrote = append(wrote, p)
		}
		// Relative to the config file, which is how the file reads it.
		return config.KeyValue{Key: key, Value: name, Replace: true}, true, nil
	}

	edit := config.FileEdit{Domain: -1}
	for _, k := range []string{"api_url", "region", "org_id"} {
		if k == "api_url" && cfg.JumpCloud.Region != "" {
			continue // the URL came from the region
		}
		if v := jumpCloudValue(cfg, k); v != "" && fromRun("jumpcloud."+k) {
			edit.JumpCloud = append(edit.JumpCloud, config.KeyValue{Key: k, Value: v})
		}
	}
	if kv, ok, err := secret(cfg.JumpCloud.APIKey, apiKey, "jumpcloud-api-key"); err != nil {
		return nil, err
	} else if ok {
		edit.JumpCloud = append(edit.JumpCloud, kv)
	}

	field := func(k string) string { return fmt.Sprintf("domains[%d].%s", d.Index, k) }
	for _, k := range []string{"name", "mode", "ldap_url", "base_dn", "root_container", "bind", "ca_file", "jumpcloud_group", "admins_group", "username_attribute"} {
		if cfg.Source(field(k)).Kind == config.KindFile {
			edit.Domain = d.Index // the domain is in the file: edit it there
		}
	}
	if edit.Domain < 0 {
		edit.DomainKeys = append(edit.DomainKeys, config.KeyValue{Key: "name", Value: d.Name})
	}
	for _, kv := range []config.KeyValue{
		{Key: "mode", Value: string(d.Mode)}, {Key: "ldap_url", Value: d.LDAPURL}, {Key: "base_dn", Value: d.BaseDN},
		{Key: "root_container", Value: d.RootContainer}, {Key: "bind", Value: d.Bind}, {Key: "ca_file", Value: d.CAFile},
		{Key: "import_bind", Value: d.ImportBind}, {Key: "sync_bind", Value: d.SyncBind},
		{Key: "start_tls", Value: strconv.FormatBool(d.StartTLS)}, {Key: "allow_plaintext", Value: strconv.FormatBool(d.AllowPlaintext)},
	} {
		newMode := kv.Key == "mode" && edit.Domain < 0 // a new domain says its mode
		if kv.Value == "" || !fromRun(field(kv.Key)) && !newMode {
			continue
		}
		if kv.Key == "ca_file" {
			abs, err := filepath.Abs(kv.Value)
			if err != nil {
				return nil, err
			}
			kv.Value = abs
		}
		edit.DomainKeys = append(edit.DomainKeys, kv)
	}
	// A per-direction account's password is referred to when it is in a
	// file; one given in the environment is not stored.
	for _, ref := range []config.SecretRef{d.ImportBindPassword, d.SyncBindPassword} {
		if kv, ok, err := secret(ref, noValue, ""); err != nil {
			return nil, err
		} else if ok {
			edit.DomainKeys = append(edit.DomainKeys, kv)
		}
	}
	if kv, ok, err := secret(d.BindPassword, bindPassword, fileSafe(d.Name)+".bind-password"); err != nil {
		return nil, err
	} else if ok {
		edit.DomainKeys = append(edit.DomainKeys, kv)
	}
	edit.DomainKeys = append(edit.DomainKeys, config.KeyValue{Key: "jumpcloud_domain_id", Value: adID, Replace: true})

	changed, err := config.EditFile(path, edit)
	if err != nil {
		return nil, err
	}
	if changed {
		wrote = append(wrote, path)
	}
	slices.Sort(wrote)
	return wrote, nil
}

func jumpCloudValue(cfg *config.Config, key string) string {
	switch key {
	case "api_url":
		return cfg.JumpCloud.APIURL
	case "region":
		return cfg.JumpCloud.Region
	case "org_id":
		return cfg.JumpCloud.OrgID
	}
	return ""
}

// fileSafe turns a domain name into a file name: letters, digits, '.', '-'
// and '_' are kept, anything else becomes '_'.
func fileSafe(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if s := strings.Trim(string(b), "."); s != "" {
		return s
	}
	return "domain"
}

// bindResult is one name bound or unbound.
type bindResult struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	ID     string `json:"id"`
	Action string `json:"action"`
}

type bindResults []bindResult

func (r bindResults) Table() output.Table {
	t := output.Table{Headers: []string{"KIND", "NAME", "ID", "ACTION"}}
	for _, b := range r {
		t.AddStrings(b.Kind, b.Name, b.ID, b.Action)
	}
	return t
}

func runConnectBind(ctx context.Context, opts *ConnectOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	d, err := oneDomain(cfg)
	if err != nil {
		return err
	}
	if err := forbidWrite(d, "bind JumpCloud "+opts.Kind+"s to it (that is for sync)"); err != nil {
		return err
	}
	if d.JumpCloudDomainID == "" {
		return WithHint(Usagef("domain %s has no jumpcloud_domain_id", d.Name), "run 'adjc connect' first")
	}
	jc, err := opts.JumpCloud(cfg)
	if err != nil {
		return err
	}
	var out bindResults
	var errs []error
	for _, name := range opts.Names {
		var id string
		var err error
		if opts.Kind == "user" {
			var u jcapi.SystemUser
			u, err = jc.SystemUserByUsername(ctx, name)
			id = u.ID
		} else {
			var g jcapi.UserGroup
			g, err = jc.UserGroupByName(ctx, name)
			id = g.ID
		}
		if errors.Is(err, jcapi.ErrNotFound) {
			errs = append(errs, fmt.Errorf("no JumpCloud %s named %q", opts.Kind, name))
			continue
		}
		if err != nil {
			return authHint(err)
		}
		action := "bound"
		switch {
		case opts.Kind == "user" && opts.Remove:
			err, action = jc.UnbindUser(ctx, d.JumpCloudDomainID, id), "unbound"
		case opts.Kind == "user":
			err = jc.BindUser(ctx, d.JumpCloudDomainID, id)
		case opts.Remove:
			err, action = jc.UnbindUserGroup(ctx, d.JumpCloudDomainID, id), "unbound"
		default:
			err = jc.BindUserGroup(ctx, d.JumpCloudDomainID, id)
		}
		// Binding twice or unbinding what is not bound leaves the level
		// where it should be: rerunning is safe.
		if err != nil && !errors.Is(err, jcapi.ErrConflict) && !errors.Is(err, jcapi.ErrNotFound) {
			errs = append(errs, fmt.Errorf("%s %s: %w", opts.Kind, name, err))
			continue
		}
		out = append(out, bindResult{Kind: opts.Kind, Name: name, ID: id, Action: action})
	}
	if len(out) > 0 {
		if err := opts.Printer().Print(out); err != nil {
			return err
		}
	}
	return authHint(errors.Join(errs...))
}
