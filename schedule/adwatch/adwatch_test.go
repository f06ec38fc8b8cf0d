package adwatch

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		changes []ldapx.Change
		want    schedule.Event
	}{
		{name: "user field", changes: []ldapx.Change{{GUID: "u", Attributes: map[string][]string{"sn": {"X"}}}},
			want: schedule.Event{Users: []string{"u"}}},
		{name: "disable", changes: []ldapx.Change{{GUID: "u", Attributes: map[string][]string{"userAccountControl": {"514"}}}},
			want: schedule.Event{Users: []string{"u"}}},
		{name: "member added", changes: []ldapx.Change{{GUID: "g", MembersAdded: []string{"CN=a"}, Attributes: map[string][]string{"member;range=1-1": {"CN=a"}, "instanceType": {"4"}}}},
			want: schedule.Event{Members: map[string][]string{"g": {"CN=a"}}}},
		{name: "members added and removed", changes: []ldapx.Change{{GUID: "g", MembersAdded: []string{"CN=a"}, MembersRemoved: []string{"CN=b"},
			Attributes: map[string][]string{"member;range=1-1": {"CN=a"}, "member;range=0-0": {"CN=b"}}}},
			want: schedule.Event{Members: map[string][]string{"g": {"CN=a", "CN=b"}}}},
		{name: "members and name", changes: []ldapx.Change{{GUID: "g", MembersAdded: []string{"CN=a"}, Attributes: map[string][]string{"member;range=1-1": {"CN=a"}, "cn": {"G2"}}}},
			want: schedule.Event{Groups: []string{"g"}}},
		{name: "member list sent whole", changes: []ldapx.Change{{GUID: "g", Attributes: map[string][]string{"member": {"CN=a", "CN=b"}}}},
			want: schedule.Event{Groups: []string{"g"}}},
		{name: "new group", changes: []ldapx.Change{{GUID: "g", Attributes: map[string][]string{"objectClass": {"top", "group"}, "cn": {"G"}}}},
			want: schedule.Event{Groups: []string{"g"}}},
		{name: "irrelevant", changes: []ldapx.Change{{GUID: "u", Attributes: map[string][]string{"description": {"x"}, "lastLogon": {"1"}}}},
			want: schedule.Event{}},
		{name: "guid only", changes: []ldapx.Change{{GUID: "u", Attributes: map[string][]string{}}}, want: schedule.Event{}},
		{name: "deleted", changes: []ldapx.Change{{GUID: "u", Deleted: true}}, want: schedule.Event{Deleted: []string{"u"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got schedule.Event
			classify(tt.changes, &got)
			if !slices.Equal(got.Users, tt.want.Users) || !slices.Equal(got.Groups, tt.want.Groups) || got.Full != tt.want.Full || !slices.Equal(got.Deleted, tt.want.Deleted) ||
				!maps.EqualFunc(got.Members, tt.want.Members, slices.Equal) {
				t.Errorf("classify(%+v) = %+v, want %+v", tt.changes, got, tt.want)
			}
		})
	}
}

// TestWatchLab makes changes on the lab DC and expects them as events with
// exactly the changed object; a change to an attribute import does not read
// yields none. The DirSync cookie lands in the store.
func TestWatchLab(t *testing.T) {
	t.Parallel()
	l, ou, admin := labAdmin(t)
	ctx := t.Context()
	u, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "adwatch.user"})
	if err != nil {
		t.Fatal(err)
	}
	store, err := schedule.OpenStore(t.TempDir(), "adjc.lab")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var narrowed narrowedSearches
	events, err := Start(ctx, Options{
		LDAP:  labOptions(l, l.Import),
		Store: store, MinBackoff: 50 * time.Millisecond,
		Logger: slog.New(&narrowed),
	})
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	t.Logf("Start (first DirSync read of the domain, watch open): %v", time.Since(start))
	if len(store.State().DirSyncCookie) == 0 {
		t.Error("no DirSync cookie in the store after Start")
	}
	time.Sleep(200 * time.Millisecond) // let the notification search register

	next := func(what string) schedule.Event {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("events closed before %s", what)
			}
			return ev
		case <-time.After(10 * time.Second):
			t.Fatalf("no event for %s within 10s", what)
		}
		return schedule.Event{}
	}
	if err := admin.Modify(ctx, u.DN, map[string][]string{"description": {"not read by import"}}); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	if err := admin.Modify(ctx, u.DN, map[string][]string{"sn": {"Watched"}}); err != nil {
		t.Fatal(err)
	}
	// The lab is shared: other tests' objects may be in the same event, or
	// in one before it.
	ev := next("a modify of sn")
	for ; !slices.Contains(ev.Users, u.GUID); ev = next("a modify of sn") {
	}
	t.Logf("event after a modify: %v", time.Since(changed))
	if slices.Contains(ev.Groups, u.GUID) || ev.Members[u.GUID] != nil || ev.Full {
		t.Errorf("event = %+v, want user %s as a user", ev, u.GUID)
	}
	g, err := admin.CreateGroup(ctx, ou, "adwatch.group", "")
	if err != nil {
		t.Fatal(err)
	}
	for ev := next("a new group"); !slices.Contains(ev.Groups, g.GUID); ev = next("a new group") {
	}
	if err := admin.AddMember(ctx, g.DN, u.DN); err != nil {
		t.Fatal(err)
	}
	// A member added, and nothing else: the event names the member.
	for ev := next("a member added"); !slices.Equal(ev.Members[g.GUID], []string{u.DN}); ev = next("a member added") {
		if slices.Contains(ev.Groups, g.GUID) {
			t.Fatalf("event = %+v, want %s under Members, not Groups", ev, g.GUID)
		}
	}
	// A deletion is notified too, and jcimport, which may list CN=Deleted
	// Objects, is shown the tombstone: the event names it as deleted.
	if err := admin.Delete(ctx, u.DN); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	for ev := next("a deletion"); !slices.Contains(ev.Deleted, u.GUID); ev = next("a deletion") {
		if ev.Full {
			t.Fatalf("event = %+v after a deletion, want %s deleted, not a full run", ev, u.GUID)
		}
	}
	t.Logf("event after a deletion: %v", time.Since(deleted))
	// The watch's DirSync searches after a notification are narrowed to
	// the USNs spent since the last one, as the poller's are (the shared
	// lab may widen some past the bound).
	if narrowed.n.Load() == 0 {
		t.Error("no narrowed DirSync search in the watch's log")
	}
}

// TestPollerLab: a poll after a change names the changed user; a change to
// an attribute import does not read names nothing; a poll with no change in
// between names nothing — a delta tick that costs one DirSync search.
func TestPollerLab(t *testing.T) {
	t.Parallel()
	l, ou, admin := labAdmin(t)
	ctx := t.Context()
	u, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "adwatch.poll"})
	if err != nil {
		t.Fatal(err)
	}
	store, err := schedule.OpenStore(t.TempDir(), "adjc.lab")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPoller(ctx, Options{LDAP: labOptions(l, l.Import), Store: store})
	if err != nil {
		t.Fatalf("NewPoller() = %v", err)
	}
	t.Cleanup(p.Close)
	if len(store.State().DirSyncCookie) == 0 {
		t.Error("no DirSync cookie in the store after NewPoller")
	}
	if err := admin.Modify(ctx, u.DN, map[string][]string{"sn": {"Polled"}}); err != nil {
		t.Fatal(err)
	}
	ev, err := p.Poll(ctx)
	if err != nil || !slices.Contains(ev.Users, u.GUID) {
		t.Fatalf("Poll() after a modify of sn = %+v, %v; want user %s", ev, err, u.GUID)
	}
	if err := admin.Modify(ctx, u.DN, map[string][]string{"description": {"not read by import"}}); err != nil {
		t.Fatal(err)
	}
	// The lab is shared: other tests' objects may change meanwhile, but not
	// this user.
	ev, err = p.Poll(ctx)
	if err != nil || slices.Contains(ev.Users, u.GUID) {
		t.Errorf("Poll() after a modify of description = %+v, %v; want %s left out", ev, err, u.GUID)
	}
	// Polls where the DC's highestCommittedUSN did not move skip the
	// DirSync search: a change after them is still seen, by the first poll
	// after it.
	for range 3 {
		if _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := admin.Modify(ctx, u.DN, map[string][]string{"sn": {"Polled again"}}); err != nil {
		t.Fatal(err)
	}
	ev, err = p.Poll(ctx)
	if err != nil || !slices.Contains(ev.Users, u.GUID) {
		t.Fatalf("Poll() after quiet polls and a modify of sn = %+v, %v; want user %s", ev, err, u.GUID)
	}
}

// TestPollerNarrowedLab: polls after a few writes narrow their DirSync
// search to the USNs spent since the last poll, and a write that lands
// between reading the commit point and the search (outside the window,
// yet inside the cookie the search returns) is still reported: the poll
// sees the commit point move and asks again from the old cookie.
func TestPollerNarrowedLab(t *testing.T) {
	t.Parallel()
	l, ou, admin := labAdmin(t)
	ctx := t.Context()
	a, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "adwatch.narrow.a"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "adwatch.narrow.b"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPoller(ctx, Options{LDAP: labOptions(l, l.Import)})
	if err != nil {
		t.Fatalf("NewPoller() = %v", err)
	}
	t.Cleanup(p.Close)

	// The lab is shared: other tests' writes may widen a window past its
	// bound or move the commit point during a search, and such a poll
	// searches the whole domain. Some of five polls are narrowed.
	for i := range 5 {
		if err := admin.Modify(ctx, a.DN, map[string][]string{"sn": {fmt.Sprint("Narrow ", i)}}); err != nil {
			t.Fatal(err)
		}
		ev, err := p.Poll(ctx)
		if err != nil || !slices.Contains(ev.Users, a.GUID) {
			t.Fatalf("Poll() after a modify of sn = %+v, %v; want user %s", ev, err, a.GUID)
		}
	}
	narrowed, whole := p.Searches()
	t.Logf("narrowed %d, whole %d", narrowed, whole)
	if narrowed == 0 {
		t.Fatalf("Searches() = %d narrowed, %d whole after five small polls; want some narrowed", narrowed, whole)
	}

	// b changes after the poll read the commit point, before it searched.
	if err := admin.Modify(ctx, a.DN, map[string][]string{"sn": {"Narrow last"}}); err != nil {
		t.Fatal(err)
	}
	p.w.beforeSearch = func() {
		p.w.beforeSearch = nil
		if err := admin.Modify(ctx, b.DN, map[string][]string{"sn": {"Written mid-poll"}}); err != nil {
			t.Error(err)
		}
	}
	seen := map[string]bool{}
	for range 3 {
		ev, err := p.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range ev.Users {
			seen[g] = true
		}
	}
	if !seen[a.GUID] || !seen[b.GUID] {
		t.Errorf("polls after a write during a narrowed poll saw a=%v b=%v; want both", seen[a.GUID], seen[b.GUID])
	}
}

// TestWatchedAttributes: the watch follows every AD attribute the field
// table maps for import, and what decides scope, privilege and identity.
func TestWatchedAttributes(t *testing.T) {
	t.Parallel()
	for _, a := range []string{"objectClass", "sAMAccountName", "userPrincipalName", "givenName", "sn", "mail",
		"userAccountControl", "adminCount", "member", "cn", "name", "displayName"} {
		if !slices.Contains(Attributes, a) {
			t.Errorf("Attributes = %v, lacks %s", Attributes, a)
		}
	}
}

// TestClassifyMapped: a change to a mapped field's attribute is a user
// change only when the domain maps the field (opt-in: without
// field_mapping it starts no run).
func TestClassifyMapped(t *testing.T) {
	t.Parallel()
	changes := []ldapx.Change{{GUID: "u", Attributes: map[string][]string{"department": {"Sales"}}}}
	var got schedule.Event
	classify(changes, &got)
	if len(got.Users) != 0 {
		t.Errorf("classify(department) without mapping = %+v, want nothing", got)
	}
	got = schedule.Event{}
	classify(changes, &got, reconcile.MappedADAttributes([]string{"department"})...)
	if !slices.Equal(got.Users, []string{"u"}) {
		t.Errorf("classify(department) mapped = %+v, want user u", got)
	}
}

// labAdmin gives a lab test the lab, a temporary OU and a connection as
// Administrator to change things in it.
func labAdmin(t *testing.T) (*ldaptest.Lab, string, *ldapx.Conn) {
	t.Helper()
	l := ldaptest.Get(t)
	ou := l.TempOU(t)
	admin, err := ldapx.Dial(t.Context(), labOptions(l, l.Admin))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return l, ou, admin
}

// labOptions dials the lab as a: the DC may be slow to answer a handshake
// while it serves another package's long search.
func labOptions(l *ldaptest.Lab, a ldaptest.Account) ldapx.Options {
	return ldapx.Options{URL: l.URL, BindDN: a.Bind, Password: a.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second}
}

// narrowedSearches counts, from a watcher's debug log, its DirSync searches
// narrowed to a USN window.
type narrowedSearches struct{ n atomic.Int64 }

func (h *narrowedSearches) Enabled(context.Context, slog.Level) bool { return true }
func (h *narrowedSearches) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *narrowedSearches) WithGroup(string) slog.Handler            { return h }
func (h *narrowedSearches) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "narrowed" && a.Value.Kind() == slog.KindBool && a.Value.Bool() {
			h.n.Add(1)
		}
		return true
	})
	return nil
}
