package commands

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ha"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/schedule"
	"github.com/spf13/cobra"
)

// ApproveOptions is what `adjc approve` needs.
type ApproveOptions struct {
	IO     *output.Streams
	Config func() (*config.Config, error)
	Now    func() time.Time

	Count int
	Sync  bool
}

func newApproveCmd(f *Factory, runF func(context.Context, *ApproveOptions) error) *cobra.Command {
	opts := &ApproveOptions{IO: f.IO, Config: f.Config, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "approve COUNT",
		Short: "Release removals held back by the destructive-change budget",
		Long: `Every adjc run on a domain spends one hourly budget of removals (user
deletes and suspensions, group, membership and admin removals), whatever
started it: import, sync, or a scheduled or watch run. Over the budget the
removals are held, the rest is applied, and the run says how many it held.

After reviewing them ('adjc diff' shows them), approve releases COUNT removals
for the next run that would hold them, in the import direction (AD →
JumpCloud) or, with --sync, in the sync direction. It writes a small file in
the state folder, so it works while 'adjc schedule' runs; with ha.etcd set,
a key in etcd instead, so whichever instance of the group leads next
applies them. A one-shot import or
sync can instead be given --allow-deletes COUNT.

EXIT STATUS
  0 when the release is recorded, 2 for a usage or configuration error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 1 {
				return Usagef("invalid COUNT %q: want the number of removals to release, 1 or more", args[0])
			}
			opts.Count = n
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runApprove(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Sync, "sync", false, "release removals in the sync direction (JumpCloud → AD) instead of import")
	return cmd
}

func runApprove(ctx context.Context, opts *ApproveOptions) error {
	cfg, d, err := configDomain(opts.Config)
	if err != nil {
		return err
	}
	if cfg.StateDir == "" && !cfg.HA.Enabled() {
		return Usagef("no state folder: set state_dir (or $ADJC_STATE_DIR): the budget and its releases are kept there")
	}
	dir := pipeline.Import
	if opts.Sync {
		dir = pipeline.Sync
	}
	if cfg.HA.Enabled() {
		// The group's releases live in etcd: whichever instance leads
		// next applies them.
		cl, err := ha.Dial(haConfig(cfg.HA))
		if err != nil {
			return err
		}
		defer cl.Close()
		if _, err := ha.Approve(ctx, cl, cfg.HA.Prefix, d.Name, dir.Dir, opts.Count, opts.Now()); err != nil {
			return fmt.Errorf("%w (ha.etcd.endpoints %v)", err, cfg.HA.Endpoints)
		}
	} else if _, err := schedule.Approve(cfg.StateDir, d.Name, dir.Dir, opts.Count, opts.Now()); err != nil {
		return err
	}
	_, err = fmt.Fprintf(opts.IO.Out, "Released %s to %s for %s; the next run that would hold them applies them.\n",
		output.Plural(opts.Count, "removal", "removals"), dir.To, d.Name)
	return err
}
