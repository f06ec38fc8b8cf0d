package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/planfile"
	"github.com/adjc/adjc/reconcile"
	"github.com/spf13/cobra"
)

func (st *State) closeQuietly() {
	if st.Close != nil {
		st.Close()
	}
}

// readSyncState reads the sides of a sync (JumpCloud → AD) into a [State]:
// the bound users and groups through f.JumpCloud as its Cloud, and the
// domain through f.Directory as its Directory; its Target writes to AD.
func readSyncState(f *Factory) ReadStateFunc {
	return func(ctx context.Context, cfg *config.Config, d *config.Domain) (*State, error) {
		if d.JumpCloudDomainID == "" {
			return nil, WithHint(Usagef("domain %s has no jumpcloud_domain_id: sync needs the JumpCloud AD domain object its users are bound to", d.Name),
				"run 'adjc connect' to find or create it and record its id")
		}
		jc, err := f.JumpCloud(cfg)
		if err != nil {
			return nil, err
		}
		prog := newReadProgress(f.IO, f.Logger, pipeline.Sync.Command)
		defer prog.finish()
		bound, err := adapter.ReadBound(prog.jumpCloud(ctx), jc, d.JumpCloudDomainID)
		if err != nil {
			return nil, err
		}
		prog.jcDone(len(bound.Users), len(bound.Groups))
		st, err := syncDomainState(ctx, f, d, bound)
		if err != nil {
			return nil, err
		}
		prog.adDone(len(st.Directory.Users), len(st.Directory.Groups))
		st.Recheck = func(ctx context.Context, ids []string) error {
			again, err := adapter.RecheckBound(ctx, jc, st.Cloud, ids)
			if err != nil {
				return err
			}
			st.Cloud = again
			return nil
		}
		return st, nil
	}
}

// syncDomainState reads the AD side of a sync for bound (only what
// [adapter.ReadDomain] can match with it) and returns the state with a
// target writing to AD; the caller closes it.
func syncDomainState(ctx context.Context, f *Factory, d *config.Domain, bound reconcile.Cloud) (*State, error) {
	conn, err := f.DirectoryFor(ctx, d, config.DirectionSync)
	if err != nil {
		return nil, fmt.Errorf("domain %s: %w", d.Name, err)
	}
	ad, err := adapter.ReadDomain(ctx, conn, adapter.DomainOptions{BaseDN: d.BaseDN, Container: d.RootContainer,
		UsernameAttribute: d.UsernameAttribute, Bound: bound,
		Binds: d.Binds(), JumpCloudGroup: d.JumpCloudGroup, AdminsGroup: d.AdminsGroup, NeverTouch: d.NeverTouch})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("domain %s: %w", d.Name, err)
	}
	pol, err := conn.PasswordPolicy(ctx)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("domain %s: %w", d.Name, err)
	}
	return &State{
		Domain: d, Cloud: bound, Directory: ad,
		Target: &adapter.ADTarget{Conn: conn, Container: ad.Container, UPNSuffix: dnsName(d.BaseDN), Policy: pol},
		Close:  func() { conn.Close() },
	}, nil
}

// dnsName turns DC=adjc,DC=lab into adjc.lab; "" when the DN has other RDNs.
func dnsName(baseDN string) string {
	var parts []string
	for _, rdn := range strings.Split(baseDN, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(rdn), "=")
		if !ok || !strings.EqualFold(k, "DC") {
			return ""
		}
		parts = append(parts, strings.ToLower(v))
	}
	return strings.Join(parts, ".")
}

// forbidWrite refuses a command that writes to AD in a domain whose mode
// makes AD the only authority.
func forbidWrite(d *config.Domain, what string) error {
	if d.Mode == config.ModeADAuthority {
		return WithHint(Usagef("domain %s is in ad-authority mode: Active Directory is the authority for users, groups and passwords, so adjc does not %s", d.Name, what),
			"use 'adjc import', or set mode: two-way (or jc-authority) for this domain")
	}
	return nil
}

// syncPolicy is the engine policy for the domain's mode.
func syncPolicy(d *config.Domain, noUnsuspend bool) reconcile.Policy {
	p := reconcile.DefaultPolicy()
	p.TwoWay = d.Mode == config.ModeTwoWay || d.Mode == ""
	p.Unsuspend = !noUnsuspend
	return p
}

// SyncOptions is what `adjc sync` needs.
type SyncOptions struct {
	IO        *output.Streams
	Config    func() (*config.Config, error)
	Printer   func() *output.Printer
	ReadState ReadStateFunc
	Now       func() time.Time

	Yes              bool
	PlanFile         string
	Out              string
	LockWait         time.Duration // --lock-wait, as for import
	NoUnsuspend      bool
	MaxDeletes       int
	MaxDeletePercent int
	AllowDeletes     int
}

func newSyncCmd(f *Factory, runF func(context.Context, *SyncOptions) error) *cobra.Command {
	opts := &SyncOptions{IO: f.IO, Config: f.Config, Printer: f.Printer, ReadState: readSyncState(f), Now: f.Now}
	def := reconcile.DefaultPolicy()
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Write JumpCloud users and groups bound to the AD domain into Active Directory",
		Long: `Sync does the AD Sync agent's job: it reads the JumpCloud users and user
groups bound to the domain's JumpCloud AD domain object and makes Active
Directory hold them, showing the plan first.

A bound user missing in AD is created in the Root User container with a random
password that meets the domain policy, then enabled; one that exists (same
username, or the objectGUID it was imported from) is taken over without a
password change. givenName, sn and mail follow firstname, lastname and email;
a suspended user's account is disabled, and re-enabled when it is active again
(--no-unsuspend turns that off). Bound groups become AD groups in the container
and their membership is added and removed one value at a time. Privileged
(adminCount=1) accounts and groups are refused and reported. Nothing in AD is
ever deleted.

In two-way mode each object has one authority, so no field ping-pongs: users
and groups imported from AD stay AD's (import writes them), JumpCloud-only ones
are JumpCloud's (sync writes them). In ad-authority mode sync is refused.

Set passwords with 'adjc sync password USER'.

EXIT STATUS
  0 on success, 1 on failure, 2 for a usage or configuration error (also: the
  mode forbids sync, or changes need --yes off a terminal), 3 when some changes
  failed, 4 when AD or JumpCloud rejects the credentials, 130 when interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSync(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&opts.Yes, "yes", "y", false, "apply without asking (required when stdin is not a terminal)")
	fs.StringVar(&opts.PlanFile, "plan", "", "apply this saved JumpCloud → AD plan, if AD and JumpCloud have not changed since")
	fs.StringVar(&opts.Out, "out", "", "save the plan, with its fingerprint, to this file for 'adjc sync --plan', and apply nothing")
	fs.BoolVar(&opts.NoUnsuspend, "no-unsuspend", false, "do not re-enable AD accounts of users active in JumpCloud (the seeds only disable)")
	fs.IntVar(&opts.MaxDeletes, "max-deletes", def.MaxDeletes, "removals (disables, membership removals) always allowed per hour (-1: no limit)")
	fs.IntVar(&opts.MaxDeletePercent, "max-delete-percent", def.MaxDeletePercent, "removals allowed per hour as a percentage of managed users, when more than --max-deletes (-1: --max-deletes alone)")
	fs.IntVar(&opts.AllowDeletes, "allow-deletes", 0, "removals this run may make beyond the hourly budget (after reviewing them)")
	addLockWait(fs, &opts.LockWait)
	cmd.AddCommand(newSyncPasswordCmd(f, nil))
	return cmd
}

// SyncPlan reads both sides and plans JumpCloud → AD for d; diff calls it to
// show this direction beside the import one. The caller closes the state.
func SyncPlan(ctx context.Context, read ReadStateFunc, cfg *config.Config, d *config.Domain, noUnsuspend bool) (*State, reconcile.Plan, error) {
	st, err := read(ctx, cfg, d)
	if err != nil {
		return nil, reconcile.Plan{}, authHint(err)
	}
	plan, err := planState(ctx, reconcile.ToAD, st, syncPolicy(d, noUnsuspend))
	if err != nil {
		st.closeQuietly()
		return nil, reconcile.Plan{}, authHint(err)
	}
	return st, plan, nil
}

func runSync(ctx context.Context, opts *SyncOptions) error {
	if opts.MaxDeletes < reconcile.NoLimit || opts.MaxDeletePercent < reconcile.NoLimit || opts.MaxDeletePercent > 100 {
		return Usagef("invalid deletion limit: --max-deletes must be -1 or more, --max-delete-percent -1 to 100")
	}
	if opts.AllowDeletes < 0 {
		return Usagef("invalid --allow-deletes %d: want 0 or more", opts.AllowDeletes)
	}
	if opts.PlanFile != "" && opts.Out != "" {
		return Usagef("--plan and --out cannot be used together")
	}
	// Disabling an account is what the threshold counts in this direction.
	thr := reconcile.Policy{MaxDeletes: opts.MaxDeletes, MaxDeletePercent: opts.MaxDeletePercent}
	var saved *planfile.File
	if opts.PlanFile != "" {
		sp, err := readPlan(opts.PlanFile, pipeline.Sync)
		if err != nil {
			return err
		}
		saved = &sp
	}
	cfg, d, err := configDomain(opts.Config)
	if err != nil {
		return err
	}
	if err := forbidWrite(d, "write to it (sync)"); err != nil {
		return err
	}
	if saved != nil {
		if err := checkPlanFor(opts.PlanFile, *saved, d, pipeline.Sync); err != nil {
			return err
		}
	}
	var w *writerState
	if opts.Out == "" {
		if w, err = lockDomain(ctx, opts.IO, cfg, d, opts.LockWait); err != nil {
			return err
		}
		defer w.release()
	}
	st, plan, err := SyncPlan(ctx, opts.ReadState, cfg, d, opts.NoUnsuspend)
	if err != nil {
		return err
	}
	if st.Close != nil {
		defer st.Close()
	}
	if saved != nil {
		if plan.Fingerprint != saved.Plan.Fingerprint {
			return fmt.Errorf("plan %s is stale: AD or JumpCloud changed since it was made (fingerprint %s, now %s); nothing was applied: run 'adjc sync --out %s' again and review it",
				opts.PlanFile, short(saved.Plan.Fingerprint), short(plan.Fingerprint), opts.PlanFile)
		}
		plan = saved.Plan
	}

	printer := opts.Printer()
	// --out takes no lock, as diff does not: it reads the budget's ledger
	// as diff does, so both say the same about held removals.
	ledger := w.ledger()
	if opts.Out != "" {
		ledger = peekLedger(cfg, d)
	}
	view, err := budgetView(d.Name, plan, pipeline.ApplyArgs{Policy: thr, Ledger: ledger, Allow: opts.AllowDeletes}, opts.Now)
	if err != nil {
		return err
	}
	if printer.Format != output.FormatJSON || opts.Out != "" {
		if err := printer.Print(view); err != nil {
			return err
		}
	}
	if opts.Out != "" {
		return savePlan(opts.IO, opts.Out, d, thr, plan, pipeline.Sync)
	}
	if plan.Empty() {
		if printer.Format == output.FormatJSON {
			return printer.Print(pipeline.NewResult(view, nil))
		}
		return nil
	}
	res, err := applyPlan(ctx, plan, applyArgs{
		IO: opts.IO, Now: opts.Now, AuditLog: cfg.AuditLog, Domain: d.Name, Yes: opts.Yes,
		Direction: pipeline.Sync, Threshold: thr, Target: st.Target,
		Ledger: w.ledger(), Allow: opts.AllowDeletes,
	})
	if res == nil {
		return err
	}
	if perr := printer.Print(pipeline.NewResult(view, res.Outcomes)); perr != nil {
		return perr
	}
	return err
}
