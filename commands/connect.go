package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/output"
	"github.com/spf13/cobra"
)

// ConnectOptions is what `adjc connect` and its subcommands need.
type ConnectOptions struct {
	IO        *output.Streams
	Config    func() (*config.Config, error)
	Printer   func() *output.Printer
	JumpCloud func(*config.Config) (*jcapi.Client, error)

	Kind   string // "user" or "group" for the bind subcommands
	Names  []string
	Remove bool
}

func newConnectCmd(f *Factory, runF func(context.Context, *ConnectOptions) error) *cobra.Command {
	opts := &ConnectOptions{IO: f.IO, Config: f.Config, Printer: f.Printer, JumpCloud: f.JumpCloud}
	cmd := &cobra.Command{
		Use:   "connect",
		Short: "Connect the domain to JumpCloud: find or create its AD domain object and register an agent",
		Long: `Connect finds the JumpCloud AD domain object whose domain matches the
configured base DN (or creates it), refusing a configured jumpcloud_domain_id
that names another domain, registers an agent record for it (SYNC or IMPORT
by the domain's mode; both in two-way) and shows the ids. Running it again
is safe: an existing domain object is reused.

'adjc connect user NAME…' and 'adjc connect group NAME…' bind JumpCloud users
or user groups to the AD domain, which puts them in scope for 'adjc sync'
(the seeds' "connect users to an AD domain"); --remove unbinds them.

EXIT STATUS
  0 on success, 1 on failure, 2 for a usage or configuration error (also: a
  domain mismatch, or a mode that forbids binding), 4 when JumpCloud rejects
  the API key, 130 when interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runConnect(cmd.Context(), opts)
		},
	}
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
}

func (r connectResult) Table() output.Table {
	t := output.Table{Headers: []string{"DOMAIN", "JUMPCLOUD DOMAIN ID", "CREATED", "AGENTS"}}
	t.AddStrings(r.Domain, r.JumpCloudDomainID, fmt.Sprint(r.Created), strings.Join(r.Agents, " "))
	return t
}

func runConnect(ctx context.Context, opts *ConnectOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	d, err := oneDomain(cfg)
	if err != nil {
		return err
	}
	jc, err := opts.JumpCloud(cfg)
	if err != nil {
		return err
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
	res := connectResult{Domain: d.Name, JumpCloudDomainID: ad.ID, Created: created}
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
		// reused, not duplicated. Its one-time connect key is discarded:
		// adjc talks to the API with the API key, not as an agent.
		if id, ok := existing[typ]; ok {
			res.Agents = append(res.Agents, typ+":"+id)
			continue
		}
		a, err := jc.CreateAgent(ctx, ad.ID, typ)
		if err != nil {
			return authHint(err)
		}
		res.Agents = append(res.Agents, typ+":"+a.ID)
	}
	if err := opts.Printer().Print(res); err != nil {
		return err
	}
	if d.JumpCloudDomainID == "" {
		fmt.Fprintf(opts.IO.ErrOut, "Record it in the config file: domains[%d].jumpcloud_domain_id: %s\n", d.Index, ad.ID)
	}
	return nil
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
