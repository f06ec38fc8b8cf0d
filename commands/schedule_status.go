package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ha"
	"github.com/adjc/adjc/output"
	"github.com/spf13/cobra"
)

// ScheduleStatusOptions is what `adjc schedule status` needs.
type ScheduleStatusOptions struct {
	IO     *output.Streams
	Config func() (*config.Config, error)
	Format string
}

func newScheduleStatusCmd(f *Factory, runF func(context.Context, *ScheduleStatusOptions) error) *cobra.Command {
	opts := &ScheduleStatusOptions{IO: f.IO, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the domain's HA group: leader, members, leases (from etcd)",
		Long: `Status reads the domain's HA group from etcd (ha.etcd in the
configuration): which 'adjc schedule' instance leads and since when, and every
member with its lease (granted TTL and what is left of it; members renew it
every third of the TTL, so a member whose lease runs out has stopped).

EXIT STATUS
  0 when etcd answered, 1 when it did not, 2 when ha.etcd is not configured.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Format != "table" && opts.Format != "json" {
				return Usagef("invalid --output %q: want table or json", opts.Format)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runScheduleStatus(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Format, "output", "o", "table", "output format: table or json")
	return cmd
}

func runScheduleStatus(ctx context.Context, opts *ScheduleStatusOptions) error {
	cfg, d, err := configDomain(opts.Config)
	if err != nil {
		return err
	}
	if !cfg.HA.Enabled() {
		return Usagef("no HA group: set ha.etcd.endpoints (or $%s) to run several schedulers per domain", config.EnvEtcdEndpoints)
	}
	cl, err := ha.Dial(haConfig(cfg.HA))
	if err != nil {
		return err
	}
	defer cl.Close()
	st, err := ha.ReadStatus(ctx, cl, cfg.HA.Prefix, d.Name)
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		return output.WriteJSON(opts.IO.Out, st)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "domain\t%s\n", output.Safe(st.Domain))
	switch {
	case st.Leader == "":
		fmt.Fprintln(w, "leader\tnone")
	case st.LeaderSince.IsZero():
		fmt.Fprintf(w, "leader\t%s\n", output.Safe(st.Leader))
	default:
		fmt.Fprintf(w, "leader\t%s\tsince %s\n", output.Safe(st.Leader), st.LeaderSince.UTC().Format(time.RFC3339))
	}
	for _, m := range st.Members {
		role := "follower"
		if m.Leader {
			role = "leader"
		}
		_, err = fmt.Fprintf(w, "member\t%s\t%s\tlease %s of %s\tjoined %s\n", output.Safe(m.Instance), role,
			m.LeaseLeft, m.LeaseGranted, m.Joined.UTC().Format(time.RFC3339))
	}
	return err
}
