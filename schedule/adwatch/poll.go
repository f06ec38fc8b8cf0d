package adwatch

import (
	"context"
	"errors"
	"fmt"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/schedule"
)

// ErrNoDirSync is returned by [NewPoller] when the domain controller does not
// offer DirSync: every scheduled tick is then a full run.
var ErrNoDirSync = errors.New("adwatch: the domain controller does not offer dirsync (control " + ldapx.OIDDirSync + ")")

// Poller asks DirSync, on demand, what changed since the cookie in the state
// store: the delta a scheduled tick plans when there are no change
// notifications to wait for (through firewalls, on DCs that drop persistent
// searches, or simply without --watch). It reads only the changed objects'
// attributes adjc maps, so a tick where nothing relevant changed costs one
// LDAP search (a root DSE read alone when nothing was written at all) and no
// JumpCloud call.
//
// A Poller and a watch ([Start]) must not share a store: each moves the
// cookie on.
type Poller struct {
	w *watcher
}

// Searches says how many polls' DirSync searches were narrowed to a USN
// window and how many searched the whole domain.
func (p *Poller) Searches() (narrowed, whole int) { return p.w.narrowedN, p.w.wholeN }

// NewPoller dials the DC, checks that it offers DirSync and primes the
// cookie (resuming from the store's, or reading the domain once for a new
// one).
func NewPoller(ctx context.Context, opts Options) (*Poller, error) {
	conn, err := dial(ctx, &opts)
	if err != nil {
		return nil, err
	}
	w := &watcher{opts: opts, conn: conn, log: opts.Logger, dirSync: true}
	root, err := conn.RootDSE(ctx)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("adwatch: %w", err)
	}
	if !root.Supports(ldapx.OIDDirSync) {
		conn.Close()
		return nil, ErrNoDirSync
	}
	w.checkDeletions(ctx)
	if err := w.prime(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("adwatch: dirsync: %w", err)
	}
	return &Poller{w: w}, nil
}

// Poll returns what changed since the last poll, as a watch event would say
// it: users, groups, member changes and deletions (when the account is
// shown tombstones: see ldapx.Conn.DeletedObjectsVisible). An event with
// nothing in it means nothing adjc reads changed. An error leaves the
// cookie where it was: the caller runs a full reconcile, and the next poll
// asks again from the same point. What a poll costs: see [watcher.poll].
func (p *Poller) Poll(ctx context.Context) (schedule.Event, error) {
	ev := schedule.Event{At: p.w.opts.Now()}
	changes, err := p.w.poll(ctx)
	if err != nil {
		return ev, fmt.Errorf("adwatch: dirsync: %w", err)
	}
	classify(changes, &ev, p.w.opts.Mapped...)
	ev.Cookie = p.w.cookie
	return ev, nil
}

// poll returns what changed since the cookie and moves the cookie on, as
// cheaply as the DC allows. It first reads the DC's highestCommittedUSN (a
// root DSE read, far cheaper than a DirSync search): when neither it nor
// the DC changed since the last search, nothing was written and the poll
// ends there, without a search or a cookie to save. When a few USNs were
// spent since, the search is narrowed to the objects whose uSNChanged is
// one of them (see [watcher.narrowed]); otherwise it covers the domain.
func (w *watcher) poll(ctx context.Context) ([]ldapx.Change, error) {
	server, usn, err := w.conn.CommitPoint(ctx)
	if err == nil && usn > 0 && usn == w.usn && server == w.server {
		return nil, nil
	}
	var changes []ldapx.Change
	ok := false
	if err == nil {
		changes, ok, server, usn = w.narrowed(ctx, server, usn)
	}
	if !ok {
		if changes, err = w.changes(ctx); err != nil {
			return nil, err
		}
		// Read before the search: whatever was written after it makes the
		// next poll search again.
		w.server, w.usn = server, usn
		w.wholeN++
	}
	w.log.Debug("dirsync", "narrowed", ok, "changes", len(changes), "usn", w.usn)
	return changes, nil
}

// narrowed asks DirSync only about objects whose uSNChanged lies between
// the last poll's commit point and this one's (usn, read just before),
// when that window is small: the DC answers from its uSNChanged index
// instead of visiting every user and group in the domain (on the lab's
// Samba that visit was most of a one-change tick on 10,000 users).
//
// The window is sound only if nothing was written between reading usn and
// the search, since the cookie the search returns moves past such writes
// whether the filter let them through or not. So the commit point is read
// again afterwards: unchanged, the result is kept; moved, the cookie is
// dropped and the search asked again from the old cookie with the wider
// window, a few times, before the caller falls back to an unnarrowed
// search. It returns the commit point last read, for that fallback.
func (w *watcher) narrowed(ctx context.Context, server string, usn int64) ([]ldapx.Change, bool, string, int64) {
	for range narrowTries {
		if w.usn <= 0 || server != w.server || usn <= w.usn || usn-w.usn > ldapx.MaxDirSyncWindow {
			return nil, false, server, usn
		}
		o := w.dirSyncOptions()
		o.ChangedAfter, o.ChangedThrough = w.usn, usn
		if w.beforeSearch != nil {
			w.beforeSearch()
		}
		changes, cookie, err := w.search(ctx, o)
		if err != nil {
			w.log.Debug("narrowed dirsync failed: searching the whole domain", "error", err)
			return nil, false, server, usn
		}
		again, usnAgain, err := w.conn.CommitPoint(ctx)
		if err != nil {
			return nil, false, server, usn
		}
		if again == server && usnAgain == usn {
			w.keep(cookie)
			w.usn = usn
			w.narrowedN++
			return changes, true, server, usn
		}
		server, usn = again, usnAgain
	}
	return nil, false, server, usn
}

// narrowTries bounds how often [watcher.narrowed] searches again when the
// DC keeps being written to while it searches.
const narrowTries = 3

// Reset makes the next [Poller.Poll] ask from cookie: where a new leader's
// first run, which read from the group's shared cookie, left the stream.
func (p *Poller) Reset(cookie []byte) {
	p.w.cookie = append([]byte(nil), cookie...)
	// The stream moved back: the commit point last seen no longer says
	// that nothing changed since the cookie.
	p.w.server, p.w.usn = "", 0
}

// Since asks DirSync once what changed since cookie, on a connection of its
// own: what a new leader of an HA group must catch up on before it plans
// against the last full read the previous leader left. It returns the
// changes as a watch event would say them and the cookie after them; the
// store in opts is neither read nor written.
func Since(ctx context.Context, opts Options, cookie []byte) (schedule.Event, error) {
	conn, err := dial(ctx, &opts)
	if err != nil {
		return schedule.Event{}, err
	}
	opts.Store = nil
	w := &watcher{opts: opts, conn: conn, log: opts.Logger, dirSync: true, cookie: cookie}
	defer func() { w.conn.Close() }()
	ev := schedule.Event{At: opts.Now()}
	changes, err := w.changes(ctx)
	if err != nil {
		return ev, fmt.Errorf("adwatch: dirsync: %w", err)
	}
	classify(changes, &ev, w.opts.Mapped...)
	ev.Cookie = w.cookie
	return ev, nil
}

// Close releases the DirSync connection.
func (p *Poller) Close() { p.w.conn.Close() }
