package ldapx

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// DirSync flags (MS-ADTS 3.1.1.3.4.1.3).
const (
	dirSyncObjectSecurity    = 0x00000001
	dirSyncIncrementalValues = 0x80000000
)

// DirSyncOptions configure [Conn.DirSync].
type DirSyncOptions struct {
	// Filter selects the objects to report; users and groups when empty.
	Filter string
	// Attributes to return for changed objects; objectGUID is always added.
	Attributes []string
	// ObjectSecurity asks for only what the bound account may read; without
	// it AD requires the "Replicating Directory Changes" right.
	ObjectSecurity bool
	// ShowDeleted adds the show-deleted control (1.2.840.113556.1.4.417), so
	// deleted objects are reported with Deleted set. With ObjectSecurity
	// they are reported only to an account that may list CN=Deleted
	// Objects ([Conn.DeletedObjectsVisible]); on the lab's Samba such an
	// account was shown them with or without this control, but Windows
	// documents tombstones as visible only with it.
	ShowDeleted bool
	// ChangedAfter and ChangedThrough, when ChangedThrough is set, narrow
	// the search to objects whose uSNChanged lies in (ChangedAfter,
	// ChangedThrough], one equality term per USN (at most
	// [MaxDirSyncWindow]). uSNChanged is indexed for equality on every DC;
	// Samba's default store cannot answer the range that DirSync itself
	// adds from the cookie (uSNChanged>=N) from an index, and so reads
	// every user and group of the domain on each search. The returned
	// cookie still moves to the DC's present USN: a caller narrowing the
	// search must know nothing was written after ChangedThrough, or search
	// again from the same cookie (see adwatch.Poller).
	ChangedAfter, ChangedThrough int64
}

// MaxDirSyncWindow bounds the USN window of a narrowed DirSync search: its
// filter has one term per USN.
const MaxDirSyncWindow = 256

// usnWindowFilter is filter narrowed to uSNChanged in (after, through].
func usnWindowFilter(filter string, after, through int64) string {
	var b strings.Builder
	b.WriteString("(&(|")
	for u := after + 1; u <= through; u++ {
		b.WriteString("(uSNChanged=")
		b.WriteString(strconv.FormatInt(u, 10))
		b.WriteByte(')')
	}
	b.WriteString(")")
	b.WriteString(filter)
	b.WriteString(")")
	return b.String()
}

// Change is one object reported by [Conn.DirSync].
type Change struct {
	GUID    string
	DN      string
	Deleted bool // isDeleted=TRUE: the object was deleted (needs ShowDeleted)
	// Attributes are the changed attributes as returned, by name.
	Attributes map[string][]string
	// MembersAdded and MembersRemoved are incremental member values: AD sends
	// them as member;range=1-1 (added) and member;range=0-0 (removed) rather
	// than the whole list.
	MembersAdded, MembersRemoved []string
}

// CommitPoint says where the DC is in its own history: its name and its
// highestCommittedUSN, read afresh (one base search of the root DSE). Two
// equal answers from the same DC mean nothing was written in between, so a
// DirSync poll can be skipped; a different DC's USNs are unrelated.
func (c *Conn) CommitPoint(ctx context.Context) (server string, usn int64, err error) {
	e, err := c.readEntry(ctx, "", "", []string{"serverName", "highestCommittedUSN"})
	if err != nil {
		return "", 0, err
	}
	return e.GetAttributeValue("serverName"), atoi64(e.GetAttributeValue("highestCommittedUSN")), nil
}

// DirSync returns the objects changed since cookie (nil for a first, full
// read) and the cookie to pass next time; persist it to resume later. It
// reads the whole domain naming context, as DirSync requires, in as many
// rounds as the DC needs.
func (c *Conn) DirSync(ctx context.Context, cookie []byte, opts DirSyncOptions) ([]Change, []byte, error) {
	base, err := c.DomainDN(ctx)
	if err != nil {
		return nil, nil, err
	}
	filter := opts.Filter
	if filter == "" {
		filter = "(|(objectClass=user)(objectClass=group))"
	}
	if opts.ChangedThrough > 0 {
		if n := opts.ChangedThrough - opts.ChangedAfter; n < 1 || n > MaxDirSyncWindow {
			return nil, nil, fmt.Errorf("ldapx: dirsync USN window of %d (must be 1 to %d)", n, MaxDirSyncWindow)
		}
		filter = usnWindowFilter(filter, opts.ChangedAfter, opts.ChangedThrough)
	}
	attrs := withExtra(opts.Attributes, "objectGUID", "isDeleted")
	var flags int64 = dirSyncIncrementalValues
	if opts.ObjectSecurity {
		flags |= dirSyncObjectSecurity
	}
	var changes []Change
	for round := 0; ; round++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var ctls []ldap.Control
		if opts.ShowDeleted {
			ctls = append(ctls, ldap.NewControlMicrosoftShowDeleted())
		}
		req := ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, ctls)
		start := time.Now()
		res, err := c.c.DirSync(req, flags, 0, cookie)
		c.log.Debug("ldap dirsync", "round", round, "duration", time.Since(start), "error", err)
		if err != nil {
			err = c.wrap("dirsync", base, "", err)
			var e *Error
			if errors.As(err, &e) && errors.Is(err, ErrUnsupportedControl) {
				e.Reason = "the domain controller refused the DirSync control (" + OIDDirSync + ")"
				e.Hint = "watch runs read everything on each change instead"
			}
			return nil, nil, err
		}
		for _, e := range res.Entries {
			ch, err := changeFromEntry(e)
			if err != nil {
				return nil, nil, err
			}
			changes = append(changes, ch)
		}
		ctl, _ := ldap.FindControl(res.Controls, ldap.ControlTypeDirSync).(*ldap.ControlDirSync)
		if ctl == nil {
			return nil, nil, &Error{Op: "dirsync", DN: base, Reason: "the response has no DirSync control"}
		}
		cookie = ctl.Cookie
		// A non-zero Flags in the response means more data is waiting.
		if ctl.Flags == 0 {
			return changes, cookie, nil
		}
	}
}

func changeFromEntry(e *ldap.Entry) (Change, error) {
	guid, err := GUIDString(e.GetRawAttributeValue("objectGUID"))
	if err != nil {
		return Change{}, &Error{Op: "dirsync", DN: e.DN, Err: err}
	}
	ch := Change{GUID: guid, DN: e.DN, Attributes: map[string][]string{}}
	for _, a := range e.Attributes {
		r, ranged := parseRange(a.Name)
		switch {
		case strings.EqualFold(a.Name, "objectGUID"):
			continue
		case strings.EqualFold(a.Name, "isDeleted"):
			ch.Deleted = strings.EqualFold(a.Values[0], "TRUE")
		case ranged && strings.EqualFold(r.Attr, "member") && r.Low == 1 && r.High == 1:
			ch.MembersAdded = append(ch.MembersAdded, a.Values...)
		case ranged && strings.EqualFold(r.Attr, "member") && r.Low == 0 && r.High == 0:
			ch.MembersRemoved = append(ch.MembersRemoved, a.Values...)
		}
		ch.Attributes[a.Name] = a.Values
	}
	return ch, nil
}

// Event is one change notification from [Watch].
type Event struct {
	GUID string
	DN   string
	// Reconnected marks an event with no object: the watch connection was
	// lost and re-established, so changes in the gap were missed and the
	// receiver should read everything again.
	Reconnected bool
}

// WatchOptions configure [Watch].
type WatchOptions struct {
	// Base is where to watch, subtree; the domain DN when empty (AD allows a
	// subtree notification only at the root of a naming context).
	Base       string
	MinBackoff time.Duration // first reconnect delay; 1 s when zero
	MaxBackoff time.Duration // cap on the doubling delay; 1 min when zero
}

// Watcher follows AD change notifications; see [Watch].
type Watcher struct {
	events chan Event
	err    error
}

// Events delivers changes until the watch stops, then is closed.
func (w *Watcher) Events() <-chan Event { return w.events }

// Err says why the watch stopped, once Events is closed: nil when the context
// was cancelled, otherwise an error that retrying will not fix (such as
// ErrInvalidCredentials).
func (w *Watcher) Err() error { return w.err }

// Watch opens a dedicated connection and asks the DC to notify every change
// (control 1.2.840.113556.1.4.528) under opts.Base. The connection has no
// operation timeout, since the search never ends by design. When it drops,
// Watch reconnects with exponential backoff and sends an Event with
// Reconnected set. The first dial and bind happen before Watch returns, so
// a wrong URL or password fails at once.
func Watch(ctx context.Context, opts Options, wo WatchOptions) (*Watcher, error) {
	opts.OpTimeout = -1
	if wo.MinBackoff <= 0 {
		wo.MinBackoff = time.Second
	}
	if wo.MaxBackoff <= 0 {
		wo.MaxBackoff = time.Minute
	}
	conn, err := Dial(ctx, opts)
	if err != nil {
		return nil, err
	}
	if wo.Base == "" {
		if wo.Base, err = conn.DomainDN(ctx); err != nil {
			conn.Close()
			return nil, err
		}
	}
	w := &Watcher{events: make(chan Event, 64)}
	go w.run(ctx, conn, opts, wo)
	return w, nil
}

func (w *Watcher) run(ctx context.Context, conn *Conn, opts Options, wo WatchOptions) {
	defer close(w.events)
	backoff := wo.MinBackoff
	for {
		err := conn.notify(ctx, wo.Base, w.events)
		conn.Close()
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrUnsupportedControl) || errors.Is(err, ErrUnwilling) {
			// A DC that refuses the notification search refuses it again
			// after a reconnect; retrying would only start a full run per
			// reconnect, forever.
			w.err = err
			return
		}
		conn.log.Warn("ldap watch interrupted", "base", wo.Base, "error", err, "retry_in", backoff)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, wo.MaxBackoff)
			conn, err = Dial(ctx, opts)
			if err == nil {
				break
			}
			if errors.Is(err, ErrInvalidCredentials) || errors.Is(err, ErrPlaintext) {
				w.err = err
				return
			}
			if ctx.Err() != nil {
				return
			}
			conn = nil
		}
		backoff = wo.MinBackoff
		select {
		case w.events <- Event{Reconnected: true}:
		case <-ctx.Done():
			conn.Close()
			return
		}
	}
}

// notify runs one notification search until it fails or ctx ends. The
// show-deleted control makes a deletion notified too: the tombstone is out
// of the search's sight without it (MS-ADTS 3.1.1.3.4.1.14), so on the lab's
// Samba DC a deleted object raised no notification at all, for
// Administrator as for jcimport; with it, both are notified of the
// tombstone (an account that may not list CN=Deleted Objects still is not).
func (c *Conn) notify(ctx context.Context, base string, out chan<- Event) error {
	req := ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"objectGUID"}, []ldap.Control{ldap.NewControlMicrosoftNotification(), ldap.NewControlMicrosoftShowDeleted()})
	res := c.c.SearchAsync(ctx, req, 16)
	for res.Next() {
		e := res.Entry()
		if e == nil {
			continue
		}
		guid, err := GUIDString(e.GetRawAttributeValue("objectGUID"))
		if err != nil {
			continue
		}
		select {
		case out <- Event{GUID: guid, DN: e.DN}:
		case <-ctx.Done():
			return nil
		}
	}
	if err := res.Err(); err != nil {
		err = c.wrap("watch", base, "", err)
		var e *Error
		if errors.As(err, &e) && (errors.Is(err, ErrUnsupportedControl) || errors.Is(err, ErrUnwilling)) {
			e.Reason = "the domain controller refused the change-notification control (" + OIDNotification + ")"
			e.Hint = "watch falls back to polling; on Windows, check that the service account may search the domain and that MaxNotificationPerConn is not exhausted"
		}
		return err
	}
	return errors.New("ldapx: the notification search ended")
}

// wkDeletedObjects is the well-known GUID of a naming context's Deleted
// Objects container (GUID_DELETED_OBJECTS_CONTAINER_W, MS-ADTS 6.1.1.4):
// <WKGUID=…,domain> finds it whatever its name.
const wkDeletedObjects = "18e2ea80684f11d2b9aa00c04f79f805"

// DeletedObjectsVisible reports whether the bound account may list the
// domain's Deleted Objects container, and its DN. DirSync shows a deletion
// (a tombstone, [Change.Deleted]) only to an account that may: by default
// only administrators and SYSTEM can, so a read-only service account needs
// List Contents granted on the container (Microsoft KB 892806: dsacls
// /takeownership, then /g …:LCRP; on Samba 4.17 List Contents alone made
// DirSync report tombstones with the object-security flag).
//
// The probe is one search of at most one child with the show-deleted
// control; it also answers false for a container with nothing in it (no
// deletion within the tombstone lifetime), which cannot be told apart.
func (c *Conn) DeletedObjectsVisible(ctx context.Context) (dn string, visible bool, err error) {
	base, err := c.DomainDN(ctx)
	if err != nil {
		return "", false, err
	}
	dn = "CN=Deleted Objects," + base
	ctls := []ldap.Control{ldap.NewControlMicrosoftShowDeleted()}
	req := ldap.NewSearchRequest("<WKGUID="+wkDeletedObjects+","+base+">", ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{"1.1"}, ctls)
	if res, err := c.c.Search(req); err == nil && len(res.Entries) == 1 {
		dn = res.Entries[0].DN
	}
	req = ldap.NewSearchRequest(dn, ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"1.1"}, ctls)
	res, err := c.c.Search(req)
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded):
		return dn, true, nil
	case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject), ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights):
		return dn, false, nil
	case err != nil:
		return dn, false, c.wrap("read", dn, "", err)
	}
	return dn, len(res.Entries) > 0, nil
}
