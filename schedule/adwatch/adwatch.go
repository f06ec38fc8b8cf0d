// Package adwatch turns Active Directory change notifications into
// [schedule.Event] values: what changed, as objectGUIDs of users and groups,
// within milliseconds of the change.
//
// A notification (control 1.2.840.113556.1.4.528, through ldapx.Watch) only
// says that an object changed. DirSync (1.2.840.113556.1.4.841) then says
// exactly what: which objects and which attributes changed since the cookie
// saved in the state store. Changes to attributes adjc does not read (logon
// times, bad-password counts, descriptions) are dropped here, so they never
// start a run. When the watch connection drops and comes back, changes may
// have been missed: the event asks for a full run.
//
// This is the one place in the schedule packages that talks LDAP; the
// scheduler itself only sees events.
package adwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
)

// ErrUnsupported is returned by [Start] when the domain controller does not
// offer change notifications; the caller falls back to polling.
var ErrUnsupported = errors.New("adwatch: the domain controller does not offer change notifications (control 1.2.840.113556.1.4.528)")

// Attributes are the attributes whose changes matter to import: those of
// every mapped field import carries (reconcile.Fields), and what decides
// scope and identity: objectClass, userPrincipalName (the email fallback),
// adminCount (privilege), member, name and displayName.
var Attributes = watchedAttributes()

func watchedAttributes() []string {
	attrs := []string{"objectClass", "userPrincipalName", "adminCount", "member", "name", "displayName"}
	for _, k := range []reconcile.Kind{reconcile.KindUser, reconcile.KindGroup} {
		for _, a := range reconcile.ADAttributes(k, false) {
			if !slices.Contains(attrs, a) {
				attrs = append(attrs, a)
			}
		}
	}
	return attrs
}

// Options configure [Start].
type Options struct {
	// LDAP says how to reach and bind to the DC, as for every other command.
	LDAP ldapx.Options
	// Store gives the DirSync cookie to resume from and receives each new
	// cookie as it is read (an Update of DirSyncCookie); nil keeps it in
	// memory. A caller that saves a cookie only once the run consuming it
	// applied (package commands) passes a store that keeps it in memory and
	// takes the cookie from [schedule.Event.Cookie] instead.
	Store schedule.StateStore
	// Now stamps events; time.Now when nil.
	Now func() time.Time
	// Logger; nil discards.
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the watch's reconnect delay (ldapx's
	// defaults when zero).
	MinBackoff, MaxBackoff time.Duration
	// Mapped are the AD attributes of the opt-in fields the domain maps
	// (reconcile.MappedADAttributes), followed on top of [Attributes].
	Mapped []string
}

// Start checks that the DC offers change notifications, reads the DirSync
// cookie (a first full read when the store has none), opens the watch and
// returns the events. The channel is closed when ctx ends or the watch stops
// for good (for example, the password was changed); the scheduler then
// keeps polling.
func Start(ctx context.Context, opts Options) (<-chan schedule.Event, error) {
	conn, err := dial(ctx, &opts)
	if err != nil {
		return nil, err
	}
	w := &watcher{opts: opts, conn: conn, log: opts.Logger}
	ok := false
	defer func() {
		if !ok {
			w.conn.Close()
		}
	}()
	root, err := conn.RootDSE(ctx)
	if err != nil {
		return nil, fmt.Errorf("adwatch: %w", err)
	}
	if !root.Supports(ldapx.OIDNotification) {
		return nil, ErrUnsupported
	}
	w.dirSync = root.Supports(ldapx.OIDDirSync)
	if !w.dirSync {
		w.log.Warn("the domain controller offers no dirsync (control " + ldapx.OIDDirSync + "): every change will start a full run")
	}
	if w.dirSync {
		w.checkDeletions(ctx)
		if err := w.prime(ctx); err != nil {
			// Without DirSync every notification asks for a full run:
			// slower, but still within seconds of the change.
			w.log.Warn("dirsync unavailable: every change will start a full run", "error", err)
			w.dirSync = false
		}
	}
	lw, err := ldapx.Watch(ctx, opts.LDAP, ldapx.WatchOptions{MinBackoff: opts.MinBackoff, MaxBackoff: opts.MaxBackoff})
	if err != nil {
		return nil, fmt.Errorf("adwatch: %w", err)
	}
	ok = true
	out := make(chan schedule.Event, 16)
	go w.run(ctx, lw, out)
	return out, nil
}

type watcher struct {
	opts    Options
	conn    *ldapx.Conn // for DirSync; redialled when it fails
	log     *slog.Logger
	dirSync bool
	cookie  []byte
	// server and usn are the DC's commit point (its name and
	// highestCommittedUSN) read right before the last DirSync search that
	// moved the cookie: while they stay the same, nothing was written
	// since ([watcher.poll]).
	server string
	usn    int64
	// narrowedN and wholeN count the searches [watcher.poll] kept,
	// narrowed to a USN window or over the whole domain.
	narrowedN, wholeN int
	// beforeSearch, when set (tests), runs between reading the commit
	// point and a narrowed search.
	beforeSearch func()
}

// dirSyncOptions asks for the attributes adjc reads, with the mapped ones.
func (w *watcher) dirSyncOptions() ldapx.DirSyncOptions {
	o := dirSyncBase
	o.Attributes = append(slices.Clone(Attributes), w.opts.Mapped...)
	return o
}

// dial fills in the defaults of opts (the clock, a discarding logger) and
// connects to the DC as opts.LDAP says.
func dial(ctx context.Context, opts *Options) (*ldapx.Conn, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	conn, err := ldapx.Dial(ctx, opts.LDAP)
	if err != nil {
		return nil, fmt.Errorf("adwatch: %w", err)
	}
	return conn, nil
}

var dirSyncBase = ldapx.DirSyncOptions{
	// Only what the service account may read: without this flag AD demands
	// the "Replicating Directory Changes" right, which adjc does not need.
	ObjectSecurity: true,
	ShowDeleted:    true,
}

// checkDeletions says once, in the log, when DirSync will not show this
// account deletions (it may not list CN=Deleted Objects): delta and watch
// runs then miss them, and they reach JumpCloud at the next full run.
func (w *watcher) checkDeletions(ctx context.Context) {
	dn, visible, err := w.conn.DeletedObjectsVisible(ctx)
	switch {
	case err != nil:
		w.log.Debug("could not tell whether deletions are visible", "error", err)
	case !visible:
		// An empty container looks the same: a new domain, or none deleted
		// within the tombstone lifetime.
		w.log.Warn("deletions in AD are not visible to the service account (it may not list the deleted objects container, or nothing is in it yet): they reach JumpCloud at the next full run, not the next delta run",
			"account", w.opts.LDAP.BindDN, "container", dn,
			"fix", "grant the account List Contents on the container ('adjc preflight' shows the command), or keep full_interval short")
	}
}

// prime resumes from the stored cookie, or reads everything once to get one.
// It reads the commit point first, so the first poll after it can already
// skip or narrow its search.
func (w *watcher) prime(ctx context.Context) error {
	if server, usn, err := w.conn.CommitPoint(ctx); err == nil {
		w.server, w.usn = server, usn
	}
	if w.opts.Store != nil {
		w.cookie = w.opts.Store.State().DirSyncCookie
	}
	if len(w.cookie) > 0 {
		// Changes made while adjc was stopped are left to the start run,
		// which reads everything; only the cookie moves on.
		if _, err := w.changes(ctx); err == nil {
			return nil
		}
		w.log.Info("stored dirsync cookie refused: reading the domain once to get a new one")
		w.cookie = nil
	}
	_, err := w.changes(ctx)
	return err
}

// changes returns what changed since the cookie and saves the new cookie.
func (w *watcher) changes(ctx context.Context) ([]ldapx.Change, error) {
	changes, cookie, err := w.search(ctx, w.dirSyncOptions())
	if err != nil {
		return nil, err
	}
	w.keep(cookie)
	return changes, nil
}

// search asks DirSync what changed since the cookie, as o says, and
// returns the changes with the cookie after them; the watcher's own
// cookie stays where it was until [watcher.keep].
func (w *watcher) search(ctx context.Context, o ldapx.DirSyncOptions) ([]ldapx.Change, []byte, error) {
	changes, cookie, err := w.conn.DirSync(ctx, w.cookie, o)
	if err != nil && ctx.Err() == nil {
		// The DirSync connection may have dropped with the DC; try once more
		// on a new one.
		conn, derr := ldapx.Dial(ctx, w.opts.LDAP)
		if derr != nil {
			return nil, nil, err
		}
		w.conn.Close()
		w.conn = conn
		changes, cookie, err = w.conn.DirSync(ctx, w.cookie, o)
	}
	return changes, cookie, err
}

// keep moves the watcher on to cookie and saves it in the store.
func (w *watcher) keep(cookie []byte) {
	w.cookie = cookie
	if w.opts.Store != nil {
		err := w.opts.Store.Update(func(st *schedule.State) { st.DirSyncCookie = cookie })
		switch {
		case errors.Is(err, schedule.ErrNotLeader):
			// A follower of an HA group watches too (ready to lead) but the
			// shared cookie is the leader's to move.
			w.log.Debug("dirsync cookie kept in memory: not the leader")
		case err != nil:
			w.log.Warn("dirsync cookie not saved", "error", err)
		}
	}
}

func (w *watcher) run(ctx context.Context, lw *ldapx.Watcher, out chan<- schedule.Event) {
	defer close(out)
	defer w.conn.Close()
	events := lw.Events()
	for {
		var ev ldapx.Event
		var ok bool
		select {
		case <-ctx.Done():
			return
		case ev, ok = <-events:
		}
		if !ok {
			if err := lw.Err(); err != nil {
				w.log.Error("change notifications stopped", "error", err)
			}
			return
		}
		at := w.opts.Now()
		full := ev.Reconnected
		// A burst arrives as many notifications; one DirSync covers them all.
	drain:
		for {
			select {
			case more, ok := <-events:
				if !ok {
					break drain
				}
				full = full || more.Reconnected
			default:
				break drain
			}
		}
		batch := schedule.Event{At: at, Full: full}
		if w.dirSync {
			changes, err := w.poll(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				w.log.Warn("dirsync failed: asking for a full run", "error", err)
				batch.Full = true
			}
			classify(changes, &batch, w.opts.Mapped...)
			batch.Cookie = w.cookie
		} else {
			batch.Full = true
		}
		if !batch.Full && len(batch.Users)+len(batch.Groups)+len(batch.Members)+len(batch.Deleted) == 0 {
			w.log.Debug("change ignored: no attribute adjc reads changed")
			continue
		}
		select {
		case out <- batch:
		case <-ctx.Done():
			return
		}
	}
}

// classify sorts DirSync changes into the event: a group whose members and
// nothing else changed goes to Members with the member DNs AD sent as
// incremental values (member;range=1-1 added, member;range=0-0 removed), so
// a run can re-read just those members; other groups (an objectClass of
// group, a name, or a member list sent whole) go to Groups; anything else
// with an attribute adjc reads goes to Users. Deletions (tombstones, which
// keep neither memberships nor most attributes) go to Deleted, by
// objectGUID: the run matches them against its last full read, where they
// had their place. DirSync shows tombstones only to an account that may
// list CN=Deleted Objects; to any other a deletion is simply not reported.
func classify(changes []ldapx.Change, ev *schedule.Event, mapped ...string) {
	for _, c := range changes {
		if c.Deleted {
			if !slices.Contains(ev.Deleted, c.GUID) {
				ev.Deleted = append(ev.Deleted, c.GUID)
			}
			continue
		}
		delta := len(c.MembersAdded)+len(c.MembersRemoved) > 0
		group, other := false, false // other: a relevant attribute besides member deltas
		for name, values := range c.Attributes {
			base, opts, _ := strings.Cut(name, ";")
			if !slices.ContainsFunc(Attributes, func(a string) bool { return strings.EqualFold(a, base) }) &&
				!slices.ContainsFunc(mapped, func(a string) bool { return strings.EqualFold(a, base) }) {
				continue
			}
			switch {
			case strings.EqualFold(base, "member"):
				group = true
				if !strings.EqualFold(opts, "range=0-0") && !strings.EqualFold(opts, "range=1-1") {
					other = true
				}
			case strings.EqualFold(base, "objectClass"):
				group = group || slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(v, "group") })
				other = true
			default:
				other = true
			}
		}
		switch {
		case delta && !other:
			if ev.Members == nil {
				ev.Members = map[string][]string{}
			}
			ev.Members[c.GUID] = append(ev.Members[c.GUID], slices.Concat(c.MembersAdded, c.MembersRemoved)...)
		case group || delta:
			ev.Groups = append(ev.Groups, c.GUID)
		case other:
			ev.Users = append(ev.Users, c.GUID)
		}
	}
}
