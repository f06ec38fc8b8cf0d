package commands

import (
	"context"
	"fmt"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ha"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/schedule"
	"github.com/spf13/cobra"
)

// newSchedulePauseCmd is `adjc schedule pause` (pause) or `adjc schedule
// resume`: the one signal that pauses a domain's scheduler, set by the
// operator and kept in the state folder.
func newSchedulePauseCmd(f *Factory, pause bool) *cobra.Command {
	use, short, long := "resume", "Let a paused scheduler run again",
		`Resume clears the domain's pause flag: a running 'adjc schedule' runs again
from its next tick (or watch event), a full run first.`
	if pause {
		use, short, long = "pause", "Pause the domain's scheduler until 'adjc schedule resume'",
			`Pause sets the domain's pause flag in the state folder: a running 'adjc
schedule' skips every run from its next one (the current run finishes), one
started later starts paused, and the metric adjc_paused says so. Nothing else
pauses adjc: it reads no JumpCloud field as "deactivated" (the AD domain
object's delegationState is the instance's password delegation, not a pause;
preflight shows it for information).

One-shot import and sync are not paused: an operator running them means it.`
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long + "\n\nEXIT STATUS\n  0 on success, 2 for a usage or configuration error.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, d, err := configDomain(f.Config)
			if err != nil {
				return err
			}
			if cfg.HA.Enabled() {
				// A group's flag is in etcd, for whichever host leads.
				return pauseGroup(cmd.Context(), f, cfg, d.Name, pause)
			}
			if cfg.StateDir == "" {
				return Usagef("no state folder: set state_dir (or $ADJC_STATE_DIR): the pause flag is kept there")
			}
			if pause {
				if err := schedule.Pause(cfg.StateDir, d.Name, f.Now()); err != nil {
					return err
				}
				_, err = fmt.Fprintf(f.IO.Out, "Paused scheduled runs for %s; 'adjc schedule resume' lets them run again.\n", d.Name)
				return err
			}
			if err := schedule.Resume(cfg.StateDir, d.Name); err != nil {
				return err
			}
			_, err = fmt.Fprintf(f.IO.Out, "Scheduled runs for %s may run again.\n", d.Name)
			return err
		},
	}
}

// pauseGroup sets or clears the pause flag of an HA group (ha.etcd).
func pauseGroup(ctx context.Context, f *Factory, cfg *config.Config, domain string, pause bool) error {
	cl, err := ha.Dial(haConfig(cfg.HA))
	if err != nil {
		return err
	}
	defer cl.Close()
	if pause {
		if err := ha.Pause(ctx, cl, cfg.HA.Prefix, domain, f.Now()); err != nil {
			return err
		}
		_, err = fmt.Fprintf(f.IO.Out, "Paused scheduled runs for %s on every host of its HA group; 'adjc schedule resume' lets them run again.\n", output.Safe(domain))
		return err
	}
	if err := ha.Resume(ctx, cl, cfg.HA.Prefix, domain); err != nil {
		return err
	}
	_, err = fmt.Fprintf(f.IO.Out, "Scheduled runs for %s may run again on its HA group.\n", output.Safe(domain))
	return err
}

// newScheduleFullNowCmd is `adjc schedule full-now`: the next tick of the
// domain's scheduler reads everything instead of a delta.
func newScheduleFullNowCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "full-now",
		Short: "Make the scheduler's next tick a full reconcile",
		Long: `Without --watch, 'adjc schedule' ticks are delta runs: DirSync says what
changed in AD since the last tick and only that is read and planned. A full
reconcile, which also corrects what deltas cannot see (edits made in the
JumpCloud console), runs at start, every --full-interval, after any error, and
at the next tick after this command ('adjc schedule --full-now' says the same;
so does SIGUSR1 sent to the running scheduler, outside Windows).

EXIT STATUS
  0 on success, 2 for a usage or configuration error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return requestFullNow(f) },
	}
}

// requestFullNow leaves a full-reconcile request for the domain's
// scheduler in the state folder: `adjc schedule full-now`, and `adjc
// schedule --full-now`, which says the same as a flag.
func requestFullNow(f *Factory) error {
	cfg, d, err := configDomain(f.Config)
	if err != nil {
		return err
	}
	if cfg.StateDir == "" {
		return Usagef("no state folder: set state_dir (or $ADJC_STATE_DIR): the request is kept there")
	}
	if err := schedule.RequestFull(cfg.StateDir, d.Name, f.Now()); err != nil {
		return err
	}
	_, err = fmt.Fprintf(f.IO.Out, "The next scheduled tick for %s reads everything.\n", d.Name)
	return err
}
