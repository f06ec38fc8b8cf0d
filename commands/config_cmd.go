package commands

import (
	"context"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/output"
	"github.com/spf13/cobra"
)

func newConfigCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Inspect adjc's configuration",
		Args:  cobra.NoArgs, // so "adjc config bogus" is a usage error, not help
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newConfigShowCmd(f, nil))
	return cmd
}

// ConfigShowOptions are the inputs of `adjc config show`.
type ConfigShowOptions struct {
	IO      *output.Streams
	Config  func() (*config.Config, error)
	Printer func() *output.Printer
}

func newConfigShowCmd(f *Factory, runF func(context.Context, *ConfigShowOptions) error) *cobra.Command {
	opts := &ConfigShowOptions{IO: f.IO, Config: f.Config, Printer: f.Printer}
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the resolved configuration and where each value came from",
		Long: `Print every setting after flags, ADJC_* variables, the config file and
defaults have been layered and validated, with the source of each value:
"flag --ldap-url", "env ADJC_BASE_DN", "file /etc/adjc.yaml:7" or "default".

Secrets are never printed: their value says how they are set, e.g.
"set (file /etc/adjc/jc.key)", "set (env ADJC_JC_API_KEY)" or "not set".
Nothing is read from secret files and nothing is sent over the network.
` + exitStatusSection,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runConfigShow(cmd.Context(), opts)
		},
	}
	return cmd
}

// settingsView renders config.Settings as a table.
type settingsView []config.Setting

func (v settingsView) Table() output.Table {
	t := output.Table{Headers: []string{"KEY", "VALUE", "SOURCE"}}
	for _, s := range v {
		t.AddRow(output.C(s.Key), output.C(s.Value), output.S(output.Muted, s.Source.String()))
	}
	t.SetDetails(1)
	return t
}

func runConfigShow(_ context.Context, opts *ConfigShowOptions) error {
	c, err := opts.Config()
	if err != nil {
		return err
	}
	// As JSON this is a plain array: [{"key", "value", "source", "secret"}].
	return opts.Printer().Print(settingsView(c.Settings()))
}
