package adapter_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
)

// planLines renders a plan's changes as "~ user alice {suspended:false→true}".
func planLines(p reconcile.Plan) []string {
	out := []string{}
	for _, c := range p.Changes {
		s := string(c.Action) + " " + string(c.Kind) + " " + c.Key
		if c.Action == reconcile.Update || c.Kind == reconcile.KindAdmin {
			var fs []string
			for _, f := range c.Fields {
				fs = append(fs, f.Name+":"+f.Old+"→"+f.New)
			}
			s += " {" + strings.Join(fs, " ") + "}"
		}
		out = append(out, s)
	}
	return out
}

// TestReadFreshLab builds a scope of its own in a temporary OU (its own
// JumpCloud and JumpCloud Admins groups, a nested group two deep), imports
// it into the emulator, then changes users in AD one at a time and checks
// that the targeted plan from ReadFresh is the full plan, and that what a
// targeted run cannot decide asks for a full run.
func TestReadFreshLab(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ctx := t.Context()
	dial := func(a ldaptest.Account) *ldapx.Conn {
		c, err := ldapx.Dial(ctx, ldapx.Options{URL: l.URL, BindDN: a.Bind, Password: a.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
		if err != nil {
			t.Fatalf("Dial(%s) = %v", a.Bind, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	admin, conn := dial(l.Admin), dial(l.Import)
	ou := l.TempOU(t)
	suffix := ou[strings.LastIndex(ou[:strings.Index(ou, ",")], "-")+1 : strings.Index(ou, ",")]
	user := func(name string) ldapx.User {
		u, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: name + suffix, GivenName: name, SN: "Lab",
			Mail: name + suffix + "@adjc.lab", Password: secret.New("Fresh-" + suffix + "-Pw1!")})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	group := func(name string, members ...string) ldapx.Group {
		g, err := admin.CreateGroup(ctx, ou, name, name+suffix)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			if err := admin.AddMember(ctx, g.DN, m); err != nil {
				t.Fatal(err)
			}
		}
		return g
	}
	alice, bob, carol, dave, erin := user("alice"), user("bob"), user("carol"), user("dave"), user("erin")
	g2 := group("G2-"+suffix, carol.DN)
	g1 := group("G1-"+suffix, bob.DN, g2.DN)
	group("JumpCloud", alice.DN, dave.DN, g1.DN)
	group("JumpCloud Admins", dave.DN)
	opts := adapter.ReadOptions{RootContainer: ou}

	_, _, jc := emulator(t)
	snapshot := func() *adapter.Snapshot {
		t.Helper()
		dir, idx, err := adapter.ReadDirectoryIndex(ctx, conn, opts)
		if err != nil {
			t.Fatalf("ReadDirectoryIndex() = %v", err)
		}
		if idx == nil {
			t.Fatal("ReadDirectoryIndex() index = nil, want one")
		}
		cloud, err := adapter.ReadCloud(ctx, jc)
		if err != nil {
			t.Fatal(err)
		}
		return &adapter.Snapshot{Directory: dir, Cloud: cloud, Index: idx}
	}
	pol := reconcile.DefaultPolicy()
	first := snapshot()
	if len(first.Directory.Users) != 4 {
		t.Fatalf("scope has %d users, want alice, bob, carol, dave", len(first.Directory.Users))
	}
	if _, err := reconcile.Apply(ctx, reconcile.Diff(reconcile.ToJumpCloud, first.Directory, first.Cloud, pol), adapter.NewJumpCloudTarget(jc, first.Directory), reconcile.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	snap := snapshot()
	idOf := func(u ldapx.User) string {
		for _, cu := range snap.Cloud.Users {
			if cu.Anchor == u.GUID {
				return cu.ID
			}
		}
		return ""
	}
	carolID := idOf(carol)

	// targeted plans what ch names after AD changed, compares with a full
	// read, applies it, and starts the next case from a new snapshot.
	targeted := func(name string, ch adapter.Changed, want ...string) reconcile.Fresh {
		t.Helper()
		f, err := adapter.ReadFresh(ctx, conn, jc, snap, ch)
		if err != nil {
			t.Fatalf("%s: ReadFresh(%+v) = %v", name, ch, err)
		}
		got := reconcile.DiffTargeted(snap.Directory, snap.Cloud, f, pol)
		now := snapshot()
		full := reconcile.Diff(reconcile.ToJumpCloud, now.Directory, now.Cloud, pol)
		if diff := cmp.Diff(planLines(full), planLines(got)); diff != "" {
			t.Errorf("%s: targeted plan differs from the full plan (-full +targeted):\n%s", name, diff)
		}
		if want == nil {
			want = []string{}
		}
		if diff := cmp.Diff(want, planLines(got)); diff != "" {
			t.Errorf("%s: targeted plan (-want +got):\n%s", name, diff)
		}
		if _, err := reconcile.Apply(ctx, got, adapter.NewJumpCloudTarget(jc, reconcile.Directory{Users: f.Users}), reconcile.ApplyOptions{}); err != nil {
			t.Fatalf("%s: Apply() = %v", name, err)
		}
		snap = snapshot()
		return f
	}
	users := func(us ...ldapx.User) adapter.Changed {
		var ch adapter.Changed
		for _, u := range us {
			ch.Users = append(ch.Users, u.GUID)
		}
		return ch
	}
	members := func(g ldapx.Group, dns ...string) adapter.Changed {
		return adapter.Changed{Members: map[string][]string{g.GUID: dns}}
	}
	key := func(u ldapx.User) string { return strings.ToLower(u.SAMAccountName) }
	mustFull := func(name string, s *adapter.Snapshot, ch adapter.Changed) {
		t.Helper()
		if _, err := adapter.ReadFresh(ctx, conn, jc, s, ch); !errors.Is(err, adapter.ErrFullRun) {
			t.Errorf("%s: ReadFresh() = %v, want ErrFullRun", name, err)
		}
	}

	f := targeted("nothing changed", users(carol))
	if g := f.Groups[carol.GUID]; len(g) != 2 || !slices.Contains(g, g1.GUID) || !slices.Contains(g, g2.GUID) {
		t.Errorf("carol's mirrored groups = %v, want G1 and G2 (through G2 ∈ G1)", g)
	}
	if f := targeted("admin read", users(dave)); !slices.Equal(f.Admins, []string{dave.GUID}) {
		t.Errorf("Fresh(dave).Admins = %v, want dave", f.Admins)
	}

	if _, err := admin.SetDisabled(ctx, carol.DN, true); err != nil {
		t.Fatal(err)
	}
	targeted("disabled", users(carol), "~ user "+key(carol)+" {suspended:false→true}")
	if _, err := admin.SetDisabled(ctx, carol.DN, false); err != nil {
		t.Fatal(err)
	}
	targeted("re-enabled", users(carol), "~ user "+key(carol)+" {suspended:true→false}")

	if err := admin.Modify(ctx, carol.DN, map[string][]string{"sAMAccountName": {"carl" + suffix}, "givenName": {"Carl"}}); err != nil {
		t.Fatal(err)
	}
	carl := "carl" + suffix
	targeted("renamed", users(carol), "~ user "+carl+" {firstname:carol→Carl username:"+key(carol)+"→"+carl+"}")
	if id := idOf(carol); id != carolID {
		t.Errorf("after the rename carol's JumpCloud id = %q, want %q (the same user)", id, carolID)
	}
	targeted("out of scope", users(erin))

	// Memberships, announced as a group's member values.
	if err := admin.AddMember(ctx, g2.DN, bob.DN); err != nil {
		t.Fatal(err)
	}
	targeted("joins a nested group", members(g2, bob.DN), "+ membership "+g2.Name+"/"+key(bob))
	if err := admin.AddMember(ctx, snap.Index.AdminsDN(), alice.DN); err != nil {
		t.Fatal(err)
	}
	targeted("made an admin", members(ldapx.Group{GUID: adminsGUID(t, admin, snap.Index.AdminsDN())}, alice.DN),
		"+ admin "+key(alice)+" {sudo:false→true}")
	if err := admin.RemoveMember(ctx, g2.DN, carol.DN); err != nil {
		t.Fatal(err)
	}
	mustFull("membership moved unannounced", snap, users(carol))
	targeted("leaves scope", members(g2, carol.DN), "- user "+carl)
	if err := admin.AddMember(ctx, g2.DN, carol.DN); err != nil {
		t.Fatal(err)
	}
	// Back in scope is back in the mirrored JumpCloud group too (seed 002).
	targeted("back in scope", members(g2, carol.DN), "+ user "+carl, "+ membership "+g1.Name+"/"+carl, "+ membership "+g2.Name+"/"+carl,
		"+ membership JumpCloud/"+carl)

	// What only a full run may decide.
	other := group("Other-"+suffix, erin.DN) // outside scope: passed over
	helpers := group("Helpers-"+suffix, erin.DN)
	if err := admin.AddMember(ctx, snap.Index.AdminsDN(), helpers.DN); err != nil {
		t.Fatal(err)
	}
	if _, err := adapter.ReadFresh(ctx, conn, jc, snap, adapter.Changed{Users: []string{alice.GUID}, Groups: []string{other.GUID},
		Members: map[string][]string{other.GUID: {erin.DN}}}); err != nil {
		t.Errorf("a group outside scope: ReadFresh() = %v, want nil", err)
	}
	mustFull("a group in scope", snap, adapter.Changed{Groups: []string{g2.GUID}})
	mustFull("a group nested in the admins group", snap, adapter.Changed{Groups: []string{helpers.GUID}})
	mustFull("members of no group", snap, adapter.Changed{Groups: []string{alice.GUID}})
	gone := group("Gone-"+suffix, erin.DN) // outside scope, deleted before the run reads it
	if err := admin.Delete(ctx, gone.DN); err != nil {
		t.Fatal(err)
	}
	if _, err := adapter.ReadFresh(ctx, conn, jc, snap, adapter.Changed{Groups: []string{gone.GUID},
		Members: map[string][]string{gone.GUID: {erin.DN}}}); err != nil {
		t.Errorf("a group outside scope, gone since: ReadFresh() = %v, want nil", err)
	}
	if err := admin.AddMember(ctx, g2.DN, other.DN); err != nil {
		t.Fatal(err)
	}
	mustFull("a group nested in scope", snap, members(g2, other.DN))
	mustFull("a group nested in scope, seen by itself", snap, adapter.Changed{Groups: []string{other.GUID}})

	// An object that is no user or group (or is gone) is passed over,
	// unless the last full read had it as a user.
	const ghost = "00000000-0000-0000-0000-000000000001"
	if f, err := adapter.ReadFresh(ctx, conn, jc, snap, adapter.Changed{Users: []string{ghost}}); err != nil || len(f.Users) > 0 {
		t.Errorf("no such object: ReadFresh() = %v, %v, want nothing", f.Users, err)
	}
	// A new Snapshot: a copy of snap would share the state it indexed.
	withGhost := adapter.Snapshot{Cloud: snap.Cloud, Index: snap.Index, Directory: snap.Directory}
	withGhost.Directory.Users = append(slices.Clone(snap.Directory.Users), reconcile.ADUser{GUID: ghost, Username: "ghost"})
	mustFull("a user of the last full read gone", &withGhost, adapter.Changed{Users: []string{ghost}})
	mustFull("no index", &adapter.Snapshot{}, users(alice))
	mustFull("too many users", snap, adapter.Changed{Users: make([]string, adapter.TargetedLimit(snap)+1)})

	// A group nested in the admins group, deleted: its members' admin
	// status changes, which only a full read tells (the last full read
	// must know the group is in the nest, so read one).
	snap = snapshot()
	if err := admin.Delete(ctx, helpers.DN); err != nil {
		t.Fatal(err)
	}
	mustFull("a group nested in the admins group deleted", snap, adapter.Changed{Deleted: []string{helpers.GUID}})
	if _, err := adapter.ReadFresh(ctx, conn, jc, snap, adapter.Changed{Deleted: []string{ghost}}); err != nil {
		t.Errorf("an object the last full read did not hold deleted: ReadFresh() = %v, want nil", err)
	}

	// A JumpCloud user deleted behind adjc's back is gone, not an error.
	if err := jc.DeleteSystemUser(context.WithoutCancel(ctx), idOf(alice)); err != nil {
		t.Fatal(err)
	}
	if f, err := adapter.ReadFresh(ctx, conn, jc, snap, users(alice)); err != nil || len(f.Gone) != 1 {
		t.Errorf("deleted in JumpCloud: ReadFresh() = %+v, %v, want one gone", f.Gone, err)
	}
}

// adminsGUID reads the objectGUID of the group dn.
func adminsGUID(t *testing.T, c *ldapx.Conn, dn string) string {
	t.Helper()
	g, err := c.Group(t.Context(), dn)
	if err != nil {
		t.Fatal(err)
	}
	return g.GUID
}
