// This file holds what a scheduler shares so that another one (a new
// leader of an HA group) continues where it stopped: the DirSync cookie,
// saved once the run that consumed it applied, and the last full read.

package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ha"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
	"github.com/adjc/adjc/schedule/adwatch"
)

// cookieTap is the state store the watch and the poller see: they read the
// cookie to resume from as saved, but each cookie they read stays here, in
// memory, until a run that consumed it applied (or held) its plan
// ([saveCookie]). A cookie saved as read would let a new leader, or a
// restart, skip changes a killed run never applied.
type cookieTap struct {
	schedule.StateStore

	mu   sync.Mutex
	seen []byte
}

// Update keeps the cookie f sets; nothing is written.
func (t *cookieTap) Update(f func(*schedule.State)) error {
	var st schedule.State
	f(&st)
	t.mu.Lock()
	t.seen = st.DirSyncCookie
	t.mu.Unlock()
	return nil
}

// position is the last cookie read: everything before it was seen.
func (t *cookieTap) position() []byte {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen
}

// saveCookie saves the cookie a run consumed when the run applied its
// plan, or held part of it for the budget (what it held, a full run plans
// again).
func saveCookie(store schedule.StateStore, cookie []byte, runErr error) error {
	var held *pipeline.HeldError
	if len(cookie) == 0 || (runErr != nil && !errors.As(runErr, &held)) {
		return nil
	}
	return store.Update(func(st *schedule.State) { st.DirSyncCookie = cookie })
}

// firstCookie returns the first of cookies that is set.
func firstCookie(cookies ...[]byte) []byte {
	for _, c := range cookies {
		if len(c) > 0 {
			return c
		}
	}
	return nil
}

// sharedReads is where an HA group keeps the last full read (ha.Store).
type sharedReads interface {
	SaveSnapshot(ctx context.Context, instance string, snap ha.Snapshot) error
	LoadSnapshot(ctx context.Context) (ha.Snapshot, bool, error)
}

// snapshotFingerprint identifies what shapes a full read: the domain's
// scope and mapping settings, the JumpCloud organisation and the policy.
// How each host reaches the DC (URL, bind, CA, where its secrets come
// from) is left out: hosts of one group may differ there. A new leader
// configured differently does not plan against another's read.
func snapshotFingerprint(cfg *config.Config, d *config.Domain, pol reconcile.Policy) string {
	b, err := json.Marshal(struct {
		Name, Mode, BaseDN, RootContainer     string
		JumpCloudGroup, AdminsGroup, UserAttr string
		JumpCloudDomainID                     string
		WelcomeEmail                          bool
		NeverTouch                            []string
		APIURL, Region, OrgID                 string
		Policy                                reconcile.Policy
		UserAttrs, GroupAttrs                 []string
	}{d.Name, string(d.Mode), d.BaseDN, d.RootContainer, d.JumpCloudGroup, d.AdminsGroup, d.UsernameAttribute,
		d.JumpCloudDomainID, d.WelcomeEmail, d.NeverTouch, cfg.JumpCloud.APIURL, cfg.JumpCloud.Region, cfg.JumpCloud.OrgID, pol,
		reconcile.ADAttributes(reconcile.KindUser, false), reconcile.ADAttributes(reconcile.KindGroup, false)})
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// share gives the group the full read just made (im.cache), with the
// cookie read before it began.
func (im *scheduledImporter) share(ctx context.Context, cookie []byte, taken time.Time) {
	if im.shared == nil || im.cache == nil || len(cookie) == 0 || im.fingerprint == "" {
		return
	}
	data, err := json.Marshal(im.cache)
	if err == nil {
		err = im.shared.SaveSnapshot(ctx, im.opts.instance, ha.Snapshot{Fingerprint: im.fingerprint, Cookie: cookie, Taken: taken, Data: data})
	}
	if err != nil {
		im.opts.Logger.Warn("the full read was not shared: a new leader would start with a full run", "domain", im.d.Name, "error", err)
	}
}

// resume is a new leader's first run: a delta against the last full read
// the previous leader shared, covering what changed in AD since the
// cookie read before that read, instead of reading everything. An error
// matching adapter.ErrFullRun says why it cannot: no snapshot, one from
// another configuration, one older than --full-interval, DirSync failing,
// or a change only a full read can place.
func (im *scheduledImporter) resume(ctx context.Context, t schedule.Trigger) (schedule.Summary, error) {
	snap, ok, err := im.shared.LoadSnapshot(ctx)
	now := im.opts.Now()
	switch {
	case err != nil:
		return schedule.Summary{}, fmt.Errorf("%w: the shared full read could not be read: %v", adapter.ErrFullRun, err)
	case !ok:
		return schedule.Summary{}, fmt.Errorf("%w: no full read shared by a previous leader", adapter.ErrFullRun)
	case snap.Fingerprint != im.fingerprint:
		return schedule.Summary{}, fmt.Errorf("%w: the shared full read was made with another configuration", adapter.ErrFullRun)
	case im.maxAge <= 0 || now.Sub(snap.Taken) >= im.maxAge:
		return schedule.Summary{}, fmt.Errorf("%w: the shared full read is %s old (full interval %s)", adapter.ErrFullRun, now.Sub(snap.Taken).Round(time.Second), im.maxAge)
	case len(snap.Cookie) == 0 || im.since == nil:
		return schedule.Summary{}, fmt.Errorf("%w: no dirsync cookie to continue from", adapter.ErrFullRun)
	}
	var cache adapter.Snapshot
	if err := json.Unmarshal(snap.Data, &cache); err != nil || cache.Index == nil {
		return schedule.Summary{}, fmt.Errorf("%w: the shared full read does not decode: %v", adapter.ErrFullRun, err)
	}
	ev, err := im.since(ctx, snap.Cookie)
	switch {
	case err != nil:
		return schedule.Summary{}, fmt.Errorf("%w: dirsync from the shared cookie failed: %v", adapter.ErrFullRun, err)
	case ev.Full:
		return schedule.Summary{}, fmt.Errorf("%w: dirsync could not say what changed since the shared full read", adapter.ErrFullRun)
	}
	im.cache, im.lastFull, im.consumed = &cache, snap.Taken, ev.Cookie
	im.opts.Logger.Info("continuing from the shared full read", "domain", im.d.Name, "taken", snap.Taken.UTC().Format(time.RFC3339),
		"changed_users", len(ev.Users), "changed_groups", len(ev.Groups)+len(ev.Members))
	sum := schedule.Summary{}
	if len(ev.Users)+len(ev.Groups)+len(ev.Members)+len(ev.Deleted) > 0 {
		sum, err = im.targeted(ctx, schedule.Trigger{Kind: t.Kind, Users: ev.Users, Groups: ev.Groups, Members: ev.Members, Deleted: ev.Deleted, Since: ev.At})
	}
	sum.Delta = true
	if err == nil {
		if r, ok := im.delta.(interface{ Reset([]byte) }); ok {
			r.Reset(ev.Cookie) // the next delta tick asks from here
		}
	}
	return sum, err
}

// shareWith makes im share its full reads in store and continue from the
// group's on a new leader's first run.
func (im *scheduledImporter) shareWith(store sharedReads, since func(context.Context, *config.Domain, []byte) (schedule.Event, error), d *config.Domain, fingerprint string, maxAge time.Duration) {
	im.shared, im.fingerprint, im.maxAge = store, fingerprint, maxAge
	if since != nil {
		im.since = func(ctx context.Context, cookie []byte) (schedule.Event, error) { return since(ctx, d, cookie) }
	}
}

// sharedRun wraps run: in a group, the run holds the writer lock (one-shot
// commands on other hosts take the same one); and the cookie the run
// consumed (the event's, the one read before a full read, a delta's) is
// saved once it applied.
func sharedRun(run schedule.RunFunc, imp *scheduledImporter, tap *cookieTap, state schedule.StateStore, group *haGroup, log *slog.Logger) schedule.RunFunc {
	return func(ctx context.Context, t schedule.Trigger) (sum schedule.Summary, err error) {
		start := tap.position()
		imp.consumed = nil
		if group != nil {
			if err := group.writer.Lock(ctx, 0, func(holder string) { log.Info("waiting for the writer lock", "holder", holder) }); err != nil {
				return sum, err
			}
			defer group.writer.Unlock()
		}
		defer func() {
			if serr := saveCookie(state, firstCookie(imp.consumed, t.Cookie, start), err); serr != nil {
				log.Warn("dirsync cookie not saved", "error", serr)
			}
		}()
		return run(ctx, t)
	}
}

// readyCatchUp keeps a DirSync connection ready for a new leader's catch-up
// (resume): the delta ticks' poller, or one of its own opened now (it
// reads from the saved cookie to check it, not from nothing), so that the
// takeover does not wait for a dial and a bind. Without one, each catch-up
// dials (opts.Since). It returns what closes it.
func (im *scheduledImporter) readyCatchUp(ctx context.Context, d *config.Domain, state schedule.StateStore) func() {
	if p, ok := im.delta.(*adwatch.Poller); ok {
		im.since = func(ctx context.Context, cookie []byte) (schedule.Event, error) {
			p.Reset(cookie)
			return p.Poll(ctx)
		}
		return func() {}
	}
	if im.opts.Poll == nil || im.shared == nil {
		return func() {}
	}
	p, err := im.opts.Poll(ctx, d, &cookieTap{StateStore: state})
	if err != nil {
		im.opts.Logger.Debug("no dirsync connection kept for a takeover: it will dial then", "domain", d.Name, "error", err)
		return func() {}
	}
	var mu sync.Mutex // the scheduler runs one run at a time; this is cheap insurance
	im.since = func(ctx context.Context, cookie []byte) (schedule.Event, error) {
		mu.Lock()
		defer mu.Unlock()
		p.Reset(cookie)
		return p.Poll(ctx)
	}
	return p.Close
}
