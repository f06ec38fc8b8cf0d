package commands

import (
	"fmt"

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
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			d, err := oneDomain(cfg)
			if err != nil {
				return err
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
