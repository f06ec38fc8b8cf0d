package ldapx_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
)

// TestDirSyncDelta takes a cookie, makes one change, and expects a delta of
// exactly that change; then a member add (incremental value) and a delete.
func TestDirSyncDelta(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ou := l.TempOU(t)
	ctx := t.Context()
	c := dialLab(t, l, l.Admin)
	u, err := c.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "ds.user"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.CreateGroup(ctx, ou, "ds.group", "")
	if err != nil {
		t.Fatal(err)
	}
	opts := ldapx.DirSyncOptions{Attributes: []string{"sn", "member", "sAMAccountName"}, ShowDeleted: true}
	// The lab is shared: other tests' changes show up in the domain-wide
	// delta too, so keep only this test's objects.
	mine := func(changes []ldapx.Change) []ldapx.Change {
		return slices.DeleteFunc(changes, func(ch ldapx.Change) bool { return ch.GUID != u.GUID && ch.GUID != g.GUID })
	}
	// The first call reads everything; only the cookie matters here.
	_, cookie, err := c.DirSync(ctx, nil, opts)
	if err != nil || len(cookie) == 0 {
		t.Fatalf("DirSync(nil) = cookie %d bytes, %v", len(cookie), err)
	}

	if err := c.Modify(ctx, u.DN, map[string][]string{"sn": {"Changed"}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	changes, cookie, err := c.DirSync(ctx, cookie, opts)
	changes = mine(changes)
	t.Logf("DirSync delta of one change: %v", time.Since(start))
	if err != nil {
		t.Fatalf("DirSync(cookie) = %v", err)
	}
	if len(changes) != 1 || changes[0].GUID != u.GUID || !slices.Equal(changes[0].Attributes["sn"], []string{"Changed"}) {
		t.Fatalf("DirSync(cookie) = %+v, want one change of sn on %s", changes, u.GUID)
	}

	if err := c.AddMember(ctx, g.DN, u.DN); err != nil {
		t.Fatal(err)
	}
	changes, cookie, err = c.DirSync(ctx, cookie, opts)
	changes = mine(changes)
	if err != nil || len(changes) != 1 || changes[0].GUID != g.GUID || !slices.Equal(changes[0].MembersAdded, []string{u.DN}) {
		t.Fatalf("DirSync after AddMember = %+v, %v; want member %s added to %s", changes, err, u.DN, g.GUID)
	}

	if err := c.Delete(ctx, u.DN); err != nil {
		t.Fatal(err)
	}
	changes, _, err = c.DirSync(ctx, cookie, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("read-only account", func(t *testing.T) {
		// jcimport lacks "Replicating Directory Changes": it needs
		// LDAP_DIRSYNC_OBJECT_SECURITY to use DirSync at all.
		ro := dialLab(t, l, l.Import)
		_, cookie, err := ro.DirSync(ctx, nil, ldapx.DirSyncOptions{Attributes: []string{"sn"}, ObjectSecurity: true})
		if err != nil || len(cookie) == 0 {
			t.Fatalf("DirSync(ObjectSecurity) as jcimport = %v", err)
		}
	})
	var deleted bool
	for _, ch := range changes {
		if ch.GUID == u.GUID && ch.Deleted {
			deleted = true
		}
	}
	if !deleted {
		t.Fatalf("DirSync after Delete = %+v, want %s deleted", changes, u.GUID)
	}
}

// TestWatch expects a notification after a modify, then drops the watch
// connection under it and expects a reconnect and notifications again.
func TestWatch(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ou := l.TempOU(t)
	ctx := t.Context()
	c := dialLab(t, l, l.Admin)
	u, err := c.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "watch.user"})
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var clients []ldap.Client
	o := labOptions(l, l.Import)
	o.Wrap = func(c ldap.Client) ldap.Client {
		mu.Lock()
		defer mu.Unlock()
		clients = append(clients, c)
		return c
	}
	w, err := ldapx.Watch(ctx, o, ldapx.WatchOptions{Base: l.BaseDN, MinBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("Watch() = %v", err)
	}
	expect := func(want func(ldapx.Event) bool, what string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case ev, ok := <-w.Events():
				if !ok {
					t.Fatalf("watch stopped before %s: %v", what, w.Err())
				}
				if want(ev) {
					return
				}
			case <-timeout:
				t.Fatalf("no event for %s within 10s", what)
			}
		}
	}
	// The DC never confirms that a notification search is registered, so a
	// modify made too early (a loaded machine) goes unseen: modify again each
	// second until the watcher reports the user, instead of sleeping a guess.
	modifyUntilSeen := func(sn, what string) time.Duration {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for i := 0; ; i++ {
			if err := c.Modify(ctx, u.DN, map[string][]string{"sn": {fmt.Sprintf("%s%d", sn, i)}}); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			wait := time.After(time.Second)
			for {
				select {
				case ev, ok := <-w.Events():
					if !ok {
						t.Fatalf("watch stopped before %s: %v", what, w.Err())
					}
					if ev.GUID == u.GUID {
						return time.Since(start)
					}
					continue
				case <-wait:
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no event for %s within 15s", what)
			}
		}
	}
	t.Logf("notification after a modify: %v", modifyUntilSeen("One", "the first modify"))

	// Drop the connection under the watcher, as a DC restart would.
	mu.Lock()
	clients[0].Close()
	mu.Unlock()
	expect(func(ev ldapx.Event) bool { return ev.Reconnected }, "the reconnect")
	modifyUntilSeen("Two", "a modify after the reconnect")
}

// TestDirSyncDeletions deletes a user and a group and expects DirSync, run
// as a read-only account with the object-security flag, to report both as
// tombstones when the account may list CN=Deleted Objects (jcimport) and
// neither when it may not (jcreader); DeletedObjectsVisible tells the two
// apart.
func TestDirSyncDeletions(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	l.NeedReader(t)
	ou := l.TempOU(t)
	ctx := t.Context()
	c := dialLab(t, l, l.Admin)
	u, err := c.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "del.user"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.CreateGroup(ctx, ou, "del.group", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddMember(ctx, g.DN, u.DN); err != nil {
		t.Fatal(err)
	}
	opts := ldapx.DirSyncOptions{Attributes: []string{"sn", "member", "sAMAccountName"}, ObjectSecurity: true, ShowDeleted: true}
	accounts := []struct {
		name    string
		a       ldaptest.Account
		visible bool
	}{{"jcimport", l.Import, true}, {"jcreader", l.Reader, false}}
	conns := make([]*ldapx.Conn, len(accounts))
	cookies := make([][]byte, len(accounts))
	for i, a := range accounts {
		conns[i] = dialLab(t, l, a.a)
		if _, cookies[i], err = conns[i].DirSync(ctx, nil, opts); err != nil {
			t.Fatalf("DirSync(nil) as %s = %v", a.name, err)
		}
	}
	for _, dn := range []string{u.DN, g.DN} {
		if err := c.Delete(ctx, dn); err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range accounts {
		t.Run(a.name, func(t *testing.T) {
			changes, _, err := conns[i].DirSync(ctx, cookies[i], opts)
			if err != nil {
				t.Fatalf("DirSync(cookie) = %v", err)
			}
			deleted := map[string]string{}
			for _, ch := range changes {
				if ch.Deleted {
					deleted[ch.GUID] = ch.DN
				}
			}
			for _, guid := range []string{u.GUID, g.GUID} {
				dn, ok := deleted[guid]
				switch {
				case ok != a.visible:
					t.Errorf("DirSync after deleting %s: reported deleted = %v, want %v (changes %+v)", guid, ok, a.visible, changes)
				case ok && !strings.Contains(dn, `\0ADEL:`):
					t.Errorf("tombstone DN = %q, want one with \\0ADEL:", dn)
				}
			}
			dn, visible, err := conns[i].DeletedObjectsVisible(ctx)
			if err != nil || visible != a.visible || !strings.EqualFold(dn, "CN=Deleted Objects,"+l.BaseDN) {
				t.Errorf("DeletedObjectsVisible() = %q, %v, %v; want CN=Deleted Objects,%s, %v", dn, visible, err, l.BaseDN, a.visible)
			}
		})
	}
}
