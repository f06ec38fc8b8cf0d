package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
)

// scheduledImporter runs the import part of scheduled runs. It keeps the
// last full read (the scheduler is long-lived and never runs two at once),
// so that a watch run can re-read only the users an event names.
type scheduledImporter struct {
	opts *ScheduleOptions
	cfg  *config.Config
	d    *config.Domain
	pol  reconcile.Policy
	// cache is the state targeted runs start from: the last full read, with
	// what later targeted runs re-read folded in; nil when there is none
	// to trust (no full run yet, or a run changed more than it can track).
	cache *adapter.Snapshot
	// delta, when set, makes interval ticks delta runs: DirSync says what
	// changed since the last tick and only that is read and planned
	// against the cache, until fullInterval has passed since lastFull.
	delta        deltaSource
	fullInterval time.Duration
	lastFull     time.Time
	// position is the last DirSync cookie the watch or poller read;
	// consumed is the cookie the run in progress consumed, saved once it
	// applied.
	position func() []byte
	consumed []byte
	// In an HA group: where full reads are shared, and how a new leader
	// catches up from one (schedule_shared.go).
	shared      sharedReads
	since       func(ctx context.Context, cookie []byte) (schedule.Event, error)
	fingerprint string
	maxAge      time.Duration
}

// errSafetyNet is why a delta tick ran full when nothing asked for it but
// the full interval or 'adjc schedule full-now': the safety net, which
// should find nothing the deltas missed. It matches adapter.ErrFullRun.
var errSafetyNet = fmt.Errorf("%w", adapter.ErrFullRun)

// deltaSource says what changed in AD since it was last asked
// (adwatch.Poller).
type deltaSource interface {
	Poll(ctx context.Context) (schedule.Event, error)
}

// run is one unattended import: targeted when t allows it and the users
// can be decided one by one, else a full read, plan, apply with the
// threshold, audit. It prints nothing; the scheduler logs the summary.
func (im *scheduledImporter) run(ctx context.Context, t schedule.Trigger) (schedule.Summary, error) {
	reason, safetyNet := "", false
	switch {
	case t.Takeover && im.shared != nil:
		sum, err := im.resume(ctx, t)
		if !errors.Is(err, adapter.ErrFullRun) {
			return sum, err
		}
		reason = strings.TrimPrefix(err.Error(), adapter.ErrFullRun.Error()+": ")
	case t.Kind == schedule.TriggerWatch:
		sum, err := im.targeted(ctx, t)
		if !errors.Is(err, adapter.ErrFullRun) {
			return sum, err
		}
		reason = strings.TrimPrefix(err.Error(), adapter.ErrFullRun.Error()+": ")
	case t.Kind == schedule.TriggerInterval && im.delta != nil:
		sum, err := im.deltaTick(ctx)
		if !errors.Is(err, adapter.ErrFullRun) {
			return sum, err
		}
		reason = strings.TrimPrefix(err.Error(), adapter.ErrFullRun.Error()+": ")
		safetyNet = errors.Is(err, errSafetyNet)
	}
	sum, err := im.full(ctx)
	sum.FullReason = reason
	if err == nil && safetyNet && sum.Applied > 0 {
		// Deltas should leave nothing for the safety net to do: say what
		// it corrected (console edits in JumpCloud are the expected kind,
		// and AD deletions when the service account may not list
		// CN=Deleted Objects, which hides them from DirSync). A full run a delta chose applies what it was chosen for.
		im.opts.Logger.Warn("full reconcile corrected what delta runs did not", "domain", im.d.Name, "changes", sum.Changes(), "full_reason", reason)
	}
	return sum, err
}

// deltaTick is an interval tick that costs what changed: DirSync says which
// objects changed since the last tick, and only they are read (in AD and in
// JumpCloud) and planned against the last full read, as a watch run does; a
// tick where nothing adjc reads changed reads nothing else. An error
// matching adapter.ErrFullRun says why a full run must run instead: no full
// read yet, the full interval reached, a full run asked for, DirSync
// failing, or a change only a full read can place.
func (im *scheduledImporter) deltaTick(ctx context.Context) (schedule.Summary, error) {
	now := im.opts.Now()
	switch {
	case im.cache == nil:
		return schedule.Summary{}, fmt.Errorf("%w: no full read to start from", adapter.ErrFullRun)
	case im.fullInterval > 0 && now.Sub(im.lastFull) >= im.fullInterval:
		return schedule.Summary{}, fmt.Errorf("%w: full interval (%s) reached", errSafetyNet, im.fullInterval)
	}
	if im.cfg.StateDir != "" {
		if asked, err := schedule.TakeFullRequest(im.cfg.StateDir, im.d.Name); err == nil && asked {
			return schedule.Summary{}, fmt.Errorf("%w: asked for with 'adjc schedule full-now'", errSafetyNet)
		}
	}
	ev, err := im.delta.Poll(ctx)
	switch {
	case err != nil:
		return schedule.Summary{}, fmt.Errorf("%w: dirsync failed: %v", adapter.ErrFullRun, err)
	case ev.Full:
		return schedule.Summary{}, fmt.Errorf("%w: dirsync could not say what changed", adapter.ErrFullRun)
	case len(ev.Users)+len(ev.Groups)+len(ev.Members)+len(ev.Deleted) == 0:
		return schedule.Summary{Delta: true}, nil
	}
	sum, err := im.targeted(ctx, schedule.Trigger{Kind: schedule.TriggerInterval, Users: ev.Users, Groups: ev.Groups, Members: ev.Members, Deleted: ev.Deleted, Since: ev.At})
	sum.Delta = true
	return sum, err
}

// targeted plans and applies the users of t with [reconcile.DiffTargeted];
// an error matching adapter.ErrFullRun says why it could not.
func (im *scheduledImporter) targeted(ctx context.Context, t schedule.Trigger) (schedule.Summary, error) {
	switch {
	case t.Full:
		return schedule.Summary{}, fmt.Errorf("%w: the watch reconnected, changes may have been missed", adapter.ErrFullRun)
	case len(t.Users)+len(t.Groups)+len(t.Members)+len(t.Deleted) == 0:
		return schedule.Summary{}, fmt.Errorf("%w: the watch did not say what changed", adapter.ErrFullRun)
	case im.opts.ReadFresh == nil || im.cache == nil:
		return schedule.Summary{}, fmt.Errorf("%w: no full read to start from", adapter.ErrFullRun)
	}
	snap := im.cache
	fresh, target, release, err := im.opts.ReadFresh(ctx, im.cfg, im.d, snap, adapter.Changed{Users: t.Users, Groups: t.Groups, Members: t.Members, Deleted: t.Deleted})
	if err != nil {
		if !errors.Is(err, adapter.ErrFullRun) {
			im.cache = nil
		}
		return schedule.Summary{}, err
	}
	defer release()
	// The plan of DiffTargeted, computed over the users it concerns: the
	// cache is folded into in place, and dropped unless the run applies
	// all of its plan.
	base := snap.Base()
	im.cache = nil
	base.Refresh(fresh)
	plan := base.Plan(fresh.GUIDs, im.pol, fresh.DeletedGroups...)
	for _, c := range plan.Changes {
		if c.Group != nil && c.Group.ID == "" {
			// The group would be created by the full plan, which a
			// targeted plan does not carry.
			return schedule.Summary{}, fmt.Errorf("%w: mirrored group %s is not in JumpCloud yet", adapter.ErrFullRun, c.Group.Name)
		}
	}
	sum, res, err := applyScheduledResult(ctx, im.opts, im.cfg, im.d, plan, target, im.opts.Concurrency, im.pol)
	sum.Targeted = true
	if err == nil && sum.Applied == sum.Planned {
		// Users this run created, adopted or deleted carry other anchors
		// now: the cache says so, so that the next targeted run reads them
		// by id. Field values left stale are re-read with the user.
		base.Anchored(res)
		im.cache = snap
	}
	return sum, err
}

// full reads everything, plans, applies, and keeps what it read (with
// JumpCloud read again when the run changed it) for targeted runs.
func (im *scheduledImporter) full(ctx context.Context) (schedule.Summary, error) {
	im.cache = nil
	// Every change after this cookie is in the read or comes later.
	var pos []byte
	if im.position != nil {
		pos = im.position()
	}
	im.consumed = pos
	taken := im.opts.Now()
	// The JumpCloud requests of the read are what the next delta ticks
	// weigh re-reading changed users against (adapter.TargetedLimit).
	rctx, readCalls := jcapi.CountCalls(ctx)
	st, err := im.opts.ReadState(rctx, im.cfg, im.d)
	if err != nil {
		return schedule.Summary{}, err
	}
	if st.Close != nil {
		defer st.Close()
	}
	plan, err := planState(ctx, reconcile.ToJumpCloud, st, im.pol)
	if err != nil {
		return schedule.Summary{}, err
	}
	sum, err := applyScheduled(ctx, im.opts, im.cfg, im.d, plan, st.Target, im.opts.Concurrency, im.pol)
	if err != nil || st.Index == nil {
		return sum, err
	}
	cloud := st.Cloud
	if sum.Applied+sum.Failed > 0 {
		if im.opts.ReadCloud == nil {
			return sum, nil
		}
		c, err := im.opts.ReadCloud(ctx, im.cfg, im.d)
		if err != nil {
			// The run itself succeeded; the next watch run is full.
			im.opts.Logger.Warn("jumpcloud not read again after the run: the next watch run reads everything", "domain", im.d.Name, "error", err)
			return sum, nil
		}
		cloud = c
	}
	im.cache = &adapter.Snapshot{Directory: st.Directory, Cloud: cloud, Index: st.Index, ReadCalls: readCalls.N()}
	im.cache.Base() // indexed now, not in the first delta tick
	im.lastFull = im.opts.Now()
	im.share(ctx, pos, taken)
	return sum, nil
}
