package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/planfile"
	"github.com/adjc/adjc/reconcile"
	"github.com/spf13/cobra"
)

// policyFlags are the flags diff and import share: the plan depends on them.
type policyFlags struct {
	onDisabled       string
	onRemoved        string
	maxDeletes       int
	maxDeletePercent int
	nestedAdmins     bool
}

func (p *policyFlags) add(cmd *cobra.Command) {
	def := reconcile.DefaultPolicy()
	fs := cmd.Flags()
	fs.StringVar(&p.onDisabled, "on-disabled", string(def.OnDisabled), "what a user disabled in AD becomes in JumpCloud: suspend or delete")
	fs.StringVar(&p.onRemoved, "on-removed", string(def.OnRemoved), "what a user removed from scope becomes in JumpCloud: delete or suspend")
	fs.IntVar(&p.maxDeletes, "max-deletes", def.MaxDeletes, "removals (deletes, suspensions, group, membership and admin removals) always allowed per hour (-1: no limit)")
	fs.IntVar(&p.maxDeletePercent, "max-delete-percent", def.MaxDeletePercent, "removals allowed per hour as a percentage of managed users, when more than --max-deletes (-1: --max-deletes alone)")
	fs.BoolVar(&p.nestedAdmins, "nested-admins", false, "also make administrators of users in groups nested in JumpCloud Admins")
	mustComplete(cmd, "on-disabled", "suspend", "delete")
	mustComplete(cmd, "on-removed", "delete", "suspend")
}

// policy checks the flags (a bad value is a usage error, before any network
// call) and returns the policy.
func (p *policyFlags) policy() (reconcile.Policy, error) {
	pol := reconcile.Policy{
		OnDisabled:       reconcile.Disposition(p.onDisabled),
		OnRemoved:        reconcile.Disposition(p.onRemoved),
		MaxDeletes:       p.maxDeletes,
		MaxDeletePercent: p.maxDeletePercent,
		NestedAdmins:     p.nestedAdmins,
	}
	for flag, d := range map[string]reconcile.Disposition{"--on-disabled": pol.OnDisabled, "--on-removed": pol.OnRemoved} {
		if d != reconcile.DispositionSuspend && d != reconcile.DispositionDelete {
			return pol, Usagef("invalid %s %q: want suspend or delete", flag, d)
		}
	}
	if pol.MaxDeletes < reconcile.NoLimit || pol.MaxDeletePercent < reconcile.NoLimit || pol.MaxDeletePercent > 100 {
		return pol, Usagef("invalid deletion limit: --max-deletes must be -1 or more, --max-delete-percent -1 to 100")
	}
	if err := pol.Validate(); err != nil {
		return pol, &UsageError{Err: err}
	}
	return pol, nil
}

// State is both sides of a run, read at one moment, and the target that
// writes to the directory the direction writes: JumpCloud for an import
// ([readState]), AD for a sync ([readSyncState]).
type State struct {
	Domain    *config.Domain
	Directory reconcile.Directory
	Cloud     reconcile.Cloud
	// Target applies a plan; nil for diff.
	Target reconcile.Target
	// Close releases the connections.
	Close func()
	// Delegation says what the plan does with delegatedAuthority, and
	// why (the delegated_authority setting and the domain object's
	// delegationState); readState sets it on Directory.Authority too.
	Delegation pipeline.DelegationNote
	// Index, when set, lets `schedule` re-read only the users a watch
	// event names (adapter.ReadFresh) against this state; import only.
	Index *adapter.Index
	// Recheck, when set, reads again the member lists a plan found
	// suddenly empty ([reconcile.Plan.Rechecks]: AD groups on import, bound
	// JumpCloud groups on sync), so that their removals are planned only
	// once a second read confirms them.
	Recheck func(ctx context.Context, ids []string) error
}

// planState plans direction dir for st, reading again first when the plan
// holds back removals of a member list that read empty (DESIGN: "a member
// list that suddenly empties" is confirmed before it removes anything).
func planState(ctx context.Context, dir reconcile.Direction, st *State, pol reconcile.Policy) (reconcile.Plan, error) {
	plan := reconcile.Diff(dir, st.Directory, st.Cloud, pol)
	if ids := plan.Rechecks(); len(ids) > 0 && st.Recheck != nil {
		if err := st.Recheck(ctx, ids); err != nil {
			return reconcile.Plan{}, err
		}
		plan = reconcile.Diff(dir, st.Directory, st.Cloud, pol)
	}
	return plan, nil
}

// ReadStateFunc reads [State] for a command. Commands get [readState];
// tests give their runF a fixed one (AD has no in-memory double) to check
// planning and rendering.
type ReadStateFunc func(ctx context.Context, cfg *config.Config, d *config.Domain) (*State, error)

// readState reads AD through f.DirectoryFor and JumpCloud through
// f.JumpCloud.
func readState(f *Factory) ReadStateFunc {
	return readStateFrom(f, func(ctx context.Context, d *config.Domain, m mapping) (scope, error) {
		conn, dir, idx, opts, err := readDirectory(ctx, f, d, m)
		if err != nil {
			return scope{}, err
		}
		return scope{dir: dir, idx: idx, close: func() { conn.Close() },
			recheck: func(ctx context.Context, ids []string) (reconcile.Directory, error) {
				return adapter.RecheckDirectory(ctx, conn, opts, ids)
			}}, nil
	})
}

// scope is a domain's import scope as read from AD, with what reading it
// holds open.
type scope struct {
	dir     reconcile.Directory
	idx     *adapter.Index
	close   func()
	recheck func(ctx context.Context, ids []string) (reconcile.Directory, error)
}

// readStateFrom is [readState] with AD read by readScope: readDirectory,
// or in tests a fixed directory (AD has no in-memory double) while
// JumpCloud is read and written over HTTP, from the emulator.
func readStateFrom(f *Factory, readScope func(context.Context, *config.Domain, mapping) (scope, error)) ReadStateFunc {
	return func(ctx context.Context, cfg *config.Config, d *config.Domain) (*State, error) {
		jc, err := f.JumpCloud(cfg)
		if err != nil {
			return nil, err
		}
		// JumpCloud is read while AD is: neither read needs the other, and
		// one after the other they were most of a no-op import (scripts/bench:
		// 4.3 s over 10,000 users, against issue 9's 2 s). A failure on
		// either side stops the other; AD's error wins unless it is only
		// that stop.
		mapping, err := fieldMapping(ctx, jc, d)
		if err != nil {
			return nil, err
		}
		readCtx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		prog := newReadProgress(f.IO, f.Logger, pipeline.Import.Command)
		defer prog.finish()
		var cloud reconcile.Cloud
		var cloudErr error
		var delegationState string
		cloudDone := make(chan struct{})
		go func() {
			defer close(cloudDone)
			if cloud, cloudErr = adapter.ReadCloudFor(prog.jumpCloud(readCtx), jc, d.JumpCloudDomainID); cloudErr != nil {
				cancel(cloudErr)
				return
			}
			if delegationState, cloudErr = readDelegationState(readCtx, jc, d); cloudErr != nil {
				cancel(cloudErr)
				return
			}
			prog.jcDone(len(cloud.Users), len(cloud.Groups))
		}()
		sc, err := readScope(readCtx, d, mapping)
		dir := sc.dir
		if err != nil {
			cancel(err)
		} else {
			prog.adDone(len(dir.Users), len(dir.Groups))
		}
		<-cloudDone
		if err != nil && (cloudErr == nil || !errors.Is(err, context.Canceled) || ctx.Err() != nil) {
			return nil, err
		}
		if cloudErr != nil {
			if sc.close != nil {
				sc.close()
			}
			return nil, cloudErr
		}
		deleg, note := pipeline.Delegation(string(d.DelegatedAuthority), delegationState, d.JumpCloudDomainID)
		dir.Authority.Delegation = deleg
		st := &State{
			Domain: d, Directory: dir, Cloud: cloud, Delegation: note,
			Target: jumpCloudTarget(jc, dir, d),
			Close:  sc.close,
			Index:  sc.idx,
		}
		if sc.recheck == nil {
			return st, nil
		}
		st.Recheck = func(ctx context.Context, ids []string) error {
			again, err := sc.recheck(ctx, ids)
			if err != nil {
				return fmt.Errorf("domain %s: %w", d.Name, err)
			}
			again.Authority.Delegation = deleg
			st.Directory = again
			st.Target = jumpCloudTarget(jc, again, d)
			return nil
		}
		return st, nil
	}
}

// readDirectory dials d and reads its import scope; on error the
// connection is closed (and nil).
func readDirectory(ctx context.Context, f *Factory, d *config.Domain, m mapping) (*ldapx.Conn, reconcile.Directory, *adapter.Index, adapter.ReadOptions, error) {
	conn, err := f.DirectoryFor(ctx, d, config.DirectionImport)
	if err != nil {
		return nil, reconcile.Directory{}, nil, adapter.ReadOptions{}, fmt.Errorf("domain %s: %w", d.Name, err)
	}
	opts := adapter.ReadOptions{
		RootContainer:     d.RootContainer,
		JumpCloudGroup:    d.JumpCloudGroup,
		AdminsGroup:       d.AdminsGroup,
		UsernameAttribute: d.UsernameAttribute,
		Binds:             d.Binds(),
		NeverTouch:        d.NeverTouch,
		Authority:         authority(d),
		Mapped:            m.fields,
		Notes:             m.notes,
	}
	dir, idx, err := adapter.ReadDirectoryIndex(ctx, conn, opts)
	if err != nil {
		conn.Close()
		err = fmt.Errorf("domain %s: %w", d.Name, err)
		if errors.Is(err, ldapx.ErrNoSuchObject) {
			// The DNs searched come from root_container and
			// jumpcloud_group, so one of them is wrong.
			err = WithHint(err, fmt.Sprintf("check root_container (%s) and jumpcloud_group (%q): the container and the group in it must exist; 'adjc preflight' checks both", d.RootContainer, d.JumpCloudGroup))
		}
		return nil, reconcile.Directory{}, nil, opts, err
	}
	return conn, dir, idx, opts, nil
}

// mapping is the opt-in fields an import of a domain carries, and the
// notes about translation rules it does not honour.
type mapping struct {
	fields []string
	notes  []reconcile.Skip
}

// fieldMapping resolves d's field_mapping, reading the domain's
// translation rules only when it names translation-rules: without
// field_mapping it asks nothing. A name that is no field is a usage
// error.
func fieldMapping(ctx context.Context, jc *jcapi.Client, d *config.Domain) (mapping, error) {
	names, rules := d.MappedFields()
	if len(names) == 0 && !rules {
		return mapping{}, nil
	}
	fields, notes, err := adapter.Mapping(ctx, jc, d.JumpCloudDomainID, names, rules)
	if errors.Is(err, adapter.ErrUnknownField) {
		return mapping{}, &UsageError{Err: fmt.Errorf("domain %s: %w", d.Name, err)}
	}
	if err != nil {
		return mapping{}, fmt.Errorf("domain %s: %w", d.Name, err)
	}
	return mapping{fields: fields, notes: notes}, nil
}

// authority is the AD domain object d's imports mark their objects with;
// AD alone holds passwords in mode ad-authority (seed 003).
func authority(d *config.Domain) reconcile.Authority {
	return reconcile.Authority{ID: d.JumpCloudDomainID, Password: d.Mode == config.ModeADAuthority}
}

// jumpCloudTarget is the import target for d, with its welcome_email.
func jumpCloudTarget(jc *jcapi.Client, dir reconcile.Directory, d *config.Domain) *adapter.JumpCloudTarget {
	t := adapter.NewJumpCloudTarget(jc, dir)
	t.WelcomeEmail = d.WelcomeEmail
	return t
}

// configDomain loads the configuration and returns it with the domain a
// command works on ([oneDomain]).
func configDomain(load func() (*config.Config, error)) (*config.Config, *config.Domain, error) {
	cfg, err := load()
	if err != nil {
		return nil, nil, err
	}
	d, err := oneDomain(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, d, nil
}

// oneDomain returns the domain a command works on: the only one, or the one
// chosen with --domain.
func oneDomain(cfg *config.Config) (*config.Domain, error) {
	switch len(cfg.Domains) {
	case 0:
		return nil, cfg.NoDomainError()
	case 1:
		return &cfg.Domains[0], nil
	}
	names := make([]string, len(cfg.Domains))
	for i, d := range cfg.Domains {
		names[i] = d.Name
	}
	return nil, Usagef("%d domains are configured (%s): choose one with --domain", len(cfg.Domains), strings.Join(names, ", "))
}

// authHint adds what to do to an authentication failure.
func authHint(err error) error {
	var unreachable *jcapi.UnreachableError
	switch {
	case errors.As(err, &unreachable):
		return WithHint(err, "check jumpcloud.api_url / region and the network; 'adjc preflight' checks it")
	case errors.Is(err, jcapi.ErrUnauthorized):
		return WithHint(err, "check the JumpCloud API key (and org id for a multi-tenant key); run 'adjc config show'")
	case errors.Is(err, ldapx.ErrInvalidCredentials):
		return WithHint(err, "check the bind account and its password; run 'adjc config show'")
	}
	// ldapx knows what to do about the AD errors it names (an unreachable
	// DC, missing rights): say it rather than drop it, unless the command
	// already gave a hint that knows more (which settings to check).
	var given *hintError
	if h := ldapx.Hint(err); h != "" && !errors.As(err, &given) {
		return WithHint(err, h)
	}
	return err
}

// savePlan writes plan for direction d to path and says on stderr how to
// apply it. diff --out (import) and sync --out (sync) both call it after
// the plan is shown, so a run that fails earlier leaves no file behind.
func savePlan(io *output.Streams, path string, dom *config.Domain, pol reconcile.Policy, plan reconcile.Plan, d pipeline.Direction) error {
	if err := planfile.Write(path, dom.Name, dom.BaseDN, pol, plan); err != nil {
		return err
	}
	io.WriteErrLine(fmt.Sprintf("Saved the %s plan to %s; apply it with: %s %s", d.Command, path, d.ApplyCommand, path))
	return nil
}

// readPlan reads a saved plan for d's command; every refusal is a usage
// error (exit 2): --plan named a bad argument, and nothing was read from or
// written to AD or JumpCloud.
func readPlan(path string, d pipeline.Direction) (planfile.File, error) {
	f, err := planfile.Read(path, d.SaveCommand)
	if err != nil {
		return f, &UsageError{Err: err}
	}
	return f, nil
}

// checkPlanFor refuses a saved plan made for another domain or direction.
func checkPlanFor(path string, f planfile.File, d *config.Domain, dir pipeline.Direction) error {
	if err := f.CheckFor(path, d.Name, d.BaseDN, dir.Dir, dir.SaveCommand); err != nil {
		return &UsageError{Err: err}
	}
	return nil
}

// readDelegationState reads the delegationState of d's AD domain object
// when delegated_authority follows it, "" otherwise.
func readDelegationState(ctx context.Context, jc *jcapi.Client, d *config.Domain) (string, error) {
	if d.DelegatedAuthority != config.DelegatedFollow || d.JumpCloudDomainID == "" {
		return "", nil
	}
	ad, err := jc.GetActiveDirectory(ctx, d.JumpCloudDomainID)
	if err != nil {
		return "", fmt.Errorf("read jumpcloud: active directory %s: %w", d.JumpCloudDomainID, err)
	}
	return ad.DelegationState, nil
}
