// This file holds the sync part of scheduled runs (JumpCloud → AD) and its
// delta ticks: Directory Insights events say which bound JumpCloud objects
// changed since the last run, and only they are read again, on both sides,
// and planned, as DirSync delta ticks do for import.

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

// Sync delta tick limits.
const (
	// DefaultEventOverlap is how far before the cursor a delta tick reads
	// events again: Directory Insights indexes events late, by an amount
	// JumpCloud does not publish, and an event indexed after the tick that
	// should have seen it is still read by the next one if it is no later
	// than this.
	DefaultEventOverlap = 5 * time.Minute
	// maxSyncEvents: more new events than this in one tick and a full read
	// costs less than reading them and the objects they name.
	maxSyncEvents = 1000
	// maxSyncTouched: more bound objects touched than this and the tick
	// reads everything.
	maxSyncTouched = 50
	// maxCursorAge: a cursor older than this (the process was stopped, or
	// ticks kept failing) is not trusted to resume from.
	maxCursorAge = 24 * time.Hour
)

// scheduledSyncer runs the sync part of scheduled runs. It keeps the bound
// side of the last full read so that delta ticks can plan against it.
type scheduledSyncer struct {
	opts  *ScheduleOptions
	cfg   *config.Config
	d     *config.Domain
	pol   reconcile.Policy
	store schedule.StateStore
	// deltas makes interval ticks delta runs; fullInterval bounds the
	// time between full runs.
	deltas       bool
	fullInterval time.Duration
	overlap      time.Duration
	lastFull     time.Time
	// takeFullRequest: no import delta tick runs before this one to take
	// a 'full-now' request, so this one does.
	takeFullRequest bool
	// cache is the bound side of the last full read, with what later
	// delta ticks read folded in; nil when there is none to trust.
	cache *syncCache
	// eventsErr is why the last full run could not read events.
	eventsErr error
}

type syncCache struct {
	bound   reconcile.Cloud
	direct  map[string]bool // users bound directly, not through a group
	managed int             // the full plan's managed users, for the budget
}

// run is one unattended sync: a delta tick when t is an interval tick and
// deltas are on, else (or when the tick cannot be one) a full run. fullAsked
// says the import part of the same run took a 'full-now' request.
func (sy *scheduledSyncer) run(ctx context.Context, t schedule.Trigger, fullAsked bool) (schedule.Summary, error) {
	reason := ""
	if t.Kind == schedule.TriggerInterval && sy.deltas {
		sum, err := sy.deltaTick(ctx, fullAsked)
		if !errors.Is(err, adapter.ErrFullRun) {
			return sum, err
		}
		reason = strings.TrimPrefix(err.Error(), adapter.ErrFullRun.Error()+": ")
	}
	sum, err := sy.full(ctx)
	sum.FullReason = reason
	if reason != "" {
		sy.opts.Logger.Info("sync tick reads everything", "domain", sy.d.Name, "full_reason", reason)
	}
	if err == nil && reason != "" && sum.Applied > 0 && sy.cache != nil {
		sy.opts.Logger.Warn("full sync corrected what delta ticks did not", "domain", sy.d.Name, "changes", sum.Changes(), "full_reason", reason)
	}
	return sum, err
}

// full reads both sides, plans, applies, and keeps the bound side and an
// event cursor for delta ticks.
func (sy *scheduledSyncer) full(ctx context.Context) (schedule.Summary, error) {
	sy.cache = nil
	start := sy.opts.Now()
	var jc *jcapi.Client
	var seen []jcapi.Event
	deltas := sy.deltas
	if deltas {
		// Events already visible are what this read includes: the first
		// delta tick passes over them.
		var err error
		if jc, err = sy.opts.JumpCloud(sy.cfg); err != nil {
			return schedule.Summary{}, err
		}
		seen, _, err = jc.AllEvents(ctx, sy.query(start.Add(-sy.overlap)), maxSyncEvents)
		sy.eventsErr = err
		if err != nil {
			deltas = false
		}
	}
	st, plan, err := SyncPlan(ctx, sy.opts.SyncState, sy.cfg, sy.d, sy.opts.NoUnsuspend)
	if err != nil {
		return schedule.Summary{}, err
	}
	if st.Close != nil {
		defer st.Close()
	}
	sum, err := applyScheduled(ctx, sy.opts, sy.cfg, sy.d, plan, st.Target, 1, sy.threshold())
	if err != nil || !deltas {
		return sum, err
	}
	direct, err := adapter.DirectlyBound(ctx, jc, sy.d.JumpCloudDomainID)
	if err != nil {
		sy.opts.Logger.Warn("sync ticks read everything until the next full run", "domain", sy.d.Name, "error", err)
		return sum, nil
	}
	if err := sy.saveCursor(start, nil, seen); err != nil {
		sy.opts.Logger.Warn("event cursor not saved: the next sync tick reads everything", "domain", sy.d.Name, "error", err)
		return sum, nil
	}
	sy.cache = &syncCache{bound: st.Cloud, direct: direct, managed: plan.Managed}
	sy.lastFull = sy.opts.Now()
	return sum, nil
}

// deltaTick is an interval tick that costs what changed in JumpCloud: the
// Directory Insights events since the cursor name the bound objects that
// changed; when none did, the tick makes no other call and reads nothing in
// AD. An error matching adapter.ErrFullRun says why a full run must run
// instead.
func (sy *scheduledSyncer) deltaTick(ctx context.Context, fullAsked bool) (schedule.Summary, error) {
	now := sy.opts.Now()
	cur := sy.store.State().EventCursor
	switch {
	case sy.cache == nil && sy.eventsErr != nil:
		return schedule.Summary{}, fmt.Errorf("%w: directory insights events unavailable: %v", adapter.ErrFullRun, sy.eventsErr)
	case sy.cache == nil:
		return schedule.Summary{}, fmt.Errorf("%w: no full read to start from", adapter.ErrFullRun)
	case sy.fullInterval > 0 && now.Sub(sy.lastFull) >= sy.fullInterval:
		return schedule.Summary{}, fmt.Errorf("%w: full interval (%s) reached", adapter.ErrFullRun, sy.fullInterval)
	case fullAsked:
		return schedule.Summary{}, fmt.Errorf("%w: asked for with 'adjc schedule full-now'", adapter.ErrFullRun)
	case cur == nil:
		return schedule.Summary{}, fmt.Errorf("%w: no event cursor", adapter.ErrFullRun)
	case now.Sub(cur.Time) > maxCursorAge:
		return schedule.Summary{}, fmt.Errorf("%w: the event cursor is %s old", adapter.ErrFullRun, now.Sub(cur.Time).Round(time.Minute))
	}
	if sy.takeFullRequest && sy.cfg.StateDir != "" {
		if asked, err := schedule.TakeFullRequest(sy.cfg.StateDir, sy.d.Name); err == nil && asked {
			return schedule.Summary{}, fmt.Errorf("%w: asked for with 'adjc schedule full-now'", adapter.ErrFullRun)
		}
	}
	jc, err := sy.opts.JumpCloud(sy.cfg)
	if err != nil {
		return schedule.Summary{}, err
	}
	evs, after, err := jc.AllEvents(ctx, sy.query(cur.Time.Add(-sy.overlap)), maxSyncEvents)
	switch {
	case errors.Is(err, jcapi.ErrTooManyEvents):
		return schedule.Summary{}, fmt.Errorf("%w: more than %d directory insights events since the last tick", adapter.ErrFullRun, maxSyncEvents)
	case err != nil:
		return schedule.Summary{}, fmt.Errorf("%w: directory insights events unavailable: %v", adapter.ErrFullRun, err)
	}
	seen := map[string]bool{}
	for _, id := range cur.Seen {
		seen[id] = true
	}
	var fresh []jcapi.Event
	for _, e := range evs {
		if !seen[e.ID] {
			fresh = append(fresh, e)
		}
	}
	touched, err := adapter.TouchedBound(fresh, sy.cache.bound, sy.d.JumpCloudDomainID)
	if err != nil {
		sy.cache = nil
		return schedule.Summary{}, err
	}
	if touched.Empty() {
		if err := sy.saveCursor(now, after, evs); err != nil {
			return schedule.Summary{Delta: true}, fmt.Errorf("save the event cursor: %w", err)
		}
		return schedule.Summary{Delta: true}, nil
	}
	if n := len(touched.Users) + len(touched.Groups); n > maxSyncTouched {
		return schedule.Summary{}, fmt.Errorf("%w: %d bound objects changed (more than %d)", adapter.ErrFullRun, n, maxSyncTouched)
	}
	sum, err := sy.targeted(ctx, jc, touched)
	sum.Delta, sum.Targeted = true, true
	if err != nil {
		return sum, err
	}
	if err := sy.saveCursor(now, after, evs); err != nil {
		sy.cache = nil
		return sum, fmt.Errorf("save the event cursor: %w", err)
	}
	return sum, nil
}

// targeted reads t's objects again (JumpCloud, then their AD counterparts)
// and applies the plan of those objects alone.
func (sy *scheduledSyncer) targeted(ctx context.Context, jc *jcapi.Client, t adapter.Touched) (schedule.Summary, error) {
	all, part, err := adapter.ReadTouched(ctx, jc, sy.cache.bound, sy.cache.direct, t)
	if err != nil {
		if !errors.Is(err, adapter.ErrFullRun) {
			sy.cache = nil
		}
		return schedule.Summary{}, err
	}
	for id, now := range t.Direct {
		sy.cache.direct[id] = now
	}
	if sy.opts.ReadSyncAD == nil {
		return schedule.Summary{}, fmt.Errorf("%w: no targeted AD read", adapter.ErrFullRun)
	}
	st, err := sy.opts.ReadSyncAD(ctx, sy.cfg, sy.d, part)
	if err != nil {
		sy.cache = nil
		return schedule.Summary{}, err
	}
	if st.Close != nil {
		defer st.Close()
	}
	plan := reconcile.Diff(reconcile.ToAD, st.Directory, part, syncPolicy(sy.d, sy.opts.NoUnsuspend))
	if len(plan.Rechecks()) > 0 {
		return schedule.Summary{}, fmt.Errorf("%w: a bound group's member list read empty", adapter.ErrFullRun)
	}
	plan = adapter.KeepTouched(plan, part, t)
	// The budget counts against every managed user, not the few read.
	plan.Managed = max(plan.Managed, sy.cache.managed)
	sum, err := applyScheduled(ctx, sy.opts, sy.cfg, sy.d, plan, st.Target, 1, sy.threshold())
	sy.cache.bound = all
	if err != nil || sum.Applied != sum.Planned {
		sy.cache = nil
	}
	return sum, err
}

func (sy *scheduledSyncer) query(start time.Time) jcapi.EventQuery {
	return jcapi.EventQuery{Service: []string{jcapi.ServiceDirectory}, Start: start, Limit: jcapi.MaxEventLimit}
}

// threshold: disabling accounts is what the threshold counts in this
// direction.
func (sy *scheduledSyncer) threshold() reconcile.Policy {
	return reconcile.Policy{MaxDeletes: sy.pol.MaxDeletes, MaxDeletePercent: sy.pol.MaxDeletePercent}
}

// saveCursor stores the cursor at t: the events read that the next tick's
// overlap reaches are kept as seen.
func (sy *scheduledSyncer) saveCursor(t time.Time, after []byte, evs []jcapi.Event) error {
	cur := &schedule.EventCursor{Time: t, SearchAfter: after}
	from := t.Add(-sy.overlap)
	for _, e := range evs {
		if !e.Timestamp.Before(from) {
			cur.Seen = append(cur.Seen, e.ID)
		}
	}
	return sy.store.Update(func(s *schedule.State) { s.EventCursor = cur })
}

// readSyncAD reads the AD side of a sync for the bound objects b through
// f's LDAP connection (a sync delta tick).
func readSyncAD(f *Factory) func(context.Context, *config.Config, *config.Domain, reconcile.Cloud) (*State, error) {
	return func(ctx context.Context, _ *config.Config, d *config.Domain, b reconcile.Cloud) (*State, error) {
		return syncDomainState(ctx, f, d, b)
	}
}
