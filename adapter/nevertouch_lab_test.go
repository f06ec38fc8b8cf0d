package adapter_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
)

// neverTouchLab dials the lab as a, closing the connection when t ends.
func neverTouchDial(t *testing.T, l *ldaptest.Lab, a ldaptest.Account) *ldapx.Conn {
	t.Helper()
	c, err := ldapx.Dial(t.Context(), ldapx.Options{URL: l.URL, BindDN: a.Bind, Password: a.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("Dial(%s) = %v", a.Bind, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// builtinGroup reads the group whose objectSid is the domain SID plus rid:
// found by SID, never by name, so the test holds on a DC whose built-ins
// are renamed or localised.
func builtinGroup(t *testing.T, c *ldapx.Conn, base, domainSID string, rid int) (ldapx.Group, string) {
	t.Helper()
	sid := fmt.Sprintf("%s-%d", domainSID, rid)
	es, err := c.SearchAll(t.Context(), ldapx.Query{Base: base, Scope: ldap.ScopeWholeSubtree,
		Filter: "(&(objectClass=group)(objectSid=" + sid + "))", Attributes: []string{"adminDescription"}})
	if err != nil || len(es) != 1 {
		t.Fatalf("group with objectSid %s: %d found, %v", sid, len(es), err)
	}
	g, err := c.Group(t.Context(), es[0].DN)
	if err != nil {
		t.Fatal(err)
	}
	return g, es[0].GetAttributeValue("adminDescription")
}

// builtinUser reads the user whose objectSid is the domain SID plus rid.
func builtinUser(t *testing.T, c *ldapx.Conn, base, domainSID string, rid int) ldapx.User {
	t.Helper()
	sid := fmt.Sprintf("%s-%d", domainSID, rid)
	us, err := c.UsersMatching(t.Context(), base, "(objectSid="+sid+")")
	if err != nil || len(us) != 1 {
		t.Fatalf("user with objectSid %s: %d found, %v", sid, len(us), err)
	}
	return us[0]
}

// domainSIDOf returns the domain part of a user's objectSid.
func domainSIDOf(t *testing.T, u ldapx.User) string {
	t.Helper()
	i := strings.LastIndex(u.SID, "-")
	if !strings.HasPrefix(u.SID, "S-1-5-21-") || i < 0 {
		t.Fatalf("%s has objectSid %q, not a domain SID", u.DN, u.SID)
	}
	return u.SID[:i]
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// findSkip reports whether p skips kind key (case aside) with a reason
// holding every part.
func findSkip(p reconcile.Plan, kind reconcile.Kind, key string, parts ...string) bool {
	return slices.ContainsFunc(p.Skipped, func(s reconcile.Skip) bool {
		if s.Kind != kind || !strings.EqualFold(s.Key, key) {
			return false
		}
		for _, x := range parts {
			if !strings.Contains(s.Reason, x) {
				return false
			}
		}
		return true
	})
}

// TestNeverTouchSyncLab reproduces issue 14.1 against the lab DC, as adjc's
// sync account (jcsync): JumpCloud users named Guest, krbtgt and like the
// bind account itself, and JumpCloud groups named Domain Guests, Group
// Policy Creator Owners and JumpCloud Admins (adjc's admins group), bound
// to the domain, must not make sync enable Guest, disable its own account,
// take the groups over, give them members, or rename Domain Guests after a
// rename in JumpCloud. Each is in the plan's not-synced list with the
// reason, and applying the plan leaves every one of them as it was.
func TestNeverTouchSyncLab(t *testing.T) {
	l := ldaptest.Get(t)
	ctx := t.Context()
	admin := neverTouchDial(t, l, l.Admin)
	conn := neverTouchDial(t, l, l.Sync)

	own, err := admin.BindUser(ctx, l.Sync.Bind)
	if err != nil {
		t.Fatal(err)
	}
	dom := domainSIDOf(t, own)
	guest := builtinUser(t, admin, l.BaseDN, dom, 501)
	krbtgt := builtinUser(t, admin, l.BaseDN, dom, 502)
	guests, guestsAnchor := builtinGroup(t, admin, l.BaseDN, dom, 514)
	gpco, _ := builtinGroup(t, admin, l.BaseDN, dom, 520)
	admins, err := admin.FindGroup(ctx, "CN=Users,"+l.BaseDN, ldapx.DefaultAdminsGroup)
	if err != nil {
		t.Fatal(err)
	}
	if !guest.Disabled() || own.Disabled() {
		t.Fatalf("lab state: Guest disabled %v, %s disabled %v; want true, false", guest.Disabled(), own.SAMAccountName, own.Disabled())
	}

	// alice is an ordinary user, the member JumpCloud gives each group.
	ou := l.TempOU(t)
	sfx := randomHex(t, 4)
	alice, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "nt-alice" + sfx, GivenName: "Alice", SN: "Lab",
		Mail: "nt-alice" + sfx + "@adjc.lab", Password: secret.New("Nt-" + sfx + "-Pw1!")})
	if err != nil {
		t.Fatal(err)
	}
	id := func(n int) string { return fmt.Sprintf("%s%016x", sfx, n) }
	users := []reconcile.CloudUser{
		{ID: id(1), Username: guest.SAMAccountName, Email: "guest" + sfx + "@example.com", Firstname: "Guest"},
		{ID: id(2), Username: own.SAMAccountName, Email: own.SAMAccountName + sfx + "@example.com", Suspended: true},
		{ID: id(3), Username: krbtgt.SAMAccountName, Email: "krbtgt" + sfx + "@example.com", Suspended: true},
		{ID: id(4), Username: alice.SAMAccountName, Email: alice.Mail, Firstname: "Alice", Lastname: "Lab"},
	}
	groupsAt := func() map[string][]string {
		out := map[string][]string{}
		for _, dn := range []string{guests.DN, gpco.DN, admins.DN} {
			g, err := admin.Group(ctx, dn)
			if err != nil {
				t.Fatal(err)
			}
			out[g.DN] = append([]string{"cn=" + g.Name}, g.Members...)
			slices.Sort(out[g.DN])
		}
		return out
	}
	before := groupsAt()

	check := func(t *testing.T, bound reconcile.Cloud, groupKeys map[string]string) {
		t.Helper()
		d, err := adapter.ReadDomain(ctx, conn, adapter.DomainOptions{BaseDN: l.BaseDN, Bound: bound, Binds: []string{l.Sync.Bind}})
		if err != nil {
			t.Fatal(err)
		}
		plan := reconcile.Diff(reconcile.ToAD, d, bound, reconcile.DefaultPolicy())
		protected := map[string]bool{}
		for _, dn := range []string{guest.DN, krbtgt.DN, own.DN, guests.DN, gpco.DN, admins.DN} {
			protected[strings.ToLower(dn)] = true
		}
		for _, c := range plan.Changes {
			for _, r := range []*reconcile.Ref{c.User, c.Group} {
				if r != nil && (protected[strings.ToLower(r.ID)] || r.ID == "" && c.Kind != reconcile.KindUser) {
					t.Errorf("plan touches a never-touch object: %c %s %s (%s)", c.Action, c.Kind, c.Key, c.Reason)
				}
			}
		}
		for key, parts := range map[string][]string{
			guest.SAMAccountName:  {"RID 501"},
			krbtgt.SAMAccountName: {"never"}, // RID 502, and adminCount=1 on most DCs, which is said first
			own.SAMAccountName:    {"adjc's own bind account"},
		} {
			if !findSkip(plan, reconcile.KindUser, key, parts...) {
				t.Errorf("plan does not list user %s as not synced with %q; skipped: %+v", key, parts, plan.Skipped)
			}
		}
		for key, part := range groupKeys {
			if !findSkip(plan, reconcile.KindGroup, key, part) {
				t.Errorf("plan does not list group %s as not synced with %q; skipped: %+v", key, part, plan.Skipped)
			}
		}
		if t.Failed() {
			// Never apply a plan that would touch the DC's built-ins: the
			// lab is shared by every test that follows.
			t.FailNow()
		}
		target := &adapter.ADTarget{Conn: conn, Container: d.Container}
		if _, err := reconcile.Apply(ctx, plan, target, reconcile.ApplyOptions{}); err != nil {
			t.Fatalf("Apply() = %v", err)
		}
		for _, u := range []ldapx.User{guest, krbtgt, own} {
			now, err := admin.User(ctx, u.DN)
			if err != nil {
				t.Fatal(err)
			}
			if now.UAC != u.UAC || now.USNChanged != u.USNChanged {
				t.Errorf("%s changed: userAccountControl %s → %s, uSNChanged %d → %d", u.SAMAccountName, u.UAC, now.UAC, u.USNChanged, now.USNChanged)
			}
		}
		if after := groupsAt(); !mapsEqual(before, after) {
			t.Errorf("protected groups changed:\nbefore %v\nafter  %v", before, after)
		}
	}

	t.Run("taken over by name", func(t *testing.T) {
		check(t, reconcile.Cloud{Users: users, Groups: []reconcile.CloudGroup{
			{ID: id(101), Name: guests.Name, Members: []string{id(1), id(4)}},
			{ID: id(102), Name: gpco.Name, Members: []string{id(4)}},
			{ID: id(103), Name: admins.Name, Members: []string{id(2), id(4)}},
		}}, map[string]string{guests.Name: "RID 514", gpco.Name: "RID 520", admins.Name: "adjc's admins_group"})
	})
	t.Run("renamed in JumpCloud after an earlier takeover", func(t *testing.T) {
		// The state an adjc without the never-touch set left behind: its
		// JumpCloud group's id recorded in Domain Guests.
		if err := admin.Modify(ctx, guests.DN, map[string][]string{"adminDescription": {adapter.GroupAnchorValue(id(104))}}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			var old []string
			if guestsAnchor != "" {
				old = []string{guestsAnchor}
			}
			if err := admin.Modify(ctx, guests.DN, map[string][]string{"adminDescription": old}); err != nil {
				t.Errorf("restore adminDescription of %s: %v", guests.DN, err)
			}
		})
		renamed := "Renamed Guests " + sfx
		check(t, reconcile.Cloud{Users: users, Groups: []reconcile.CloudGroup{
			{ID: id(104), Name: renamed, Members: []string{id(4)}},
		}}, map[string]string{renamed: "RID 514"})
	})
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestNeverTouchImportLab is the AD → JumpCloud side: Guest, krbtgt, the
// import bind account, Domain Guests and the admins group, all put in the
// scope group, are not imported or mirrored, and are listed with the
// reason; an ordinary member is imported.
func TestNeverTouchImportLab(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ctx := t.Context()
	admin := neverTouchDial(t, l, l.Admin)
	conn := neverTouchDial(t, l, l.Import)
	own, err := admin.BindUser(ctx, l.Import.Bind)
	if err != nil {
		t.Fatal(err)
	}
	dom := domainSIDOf(t, own)
	guest := builtinUser(t, admin, l.BaseDN, dom, 501)
	krbtgt := builtinUser(t, admin, l.BaseDN, dom, 502)
	guests, _ := builtinGroup(t, admin, l.BaseDN, dom, 514)

	ou := l.TempOU(t)
	sfx := randomHex(t, 4)
	bob, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "nt-bob" + sfx, GivenName: "Bob", SN: "Lab",
		Mail: "nt-bob" + sfx + "@adjc.lab", Password: secret.New("Nt-" + sfx + "-Pw1!")})
	if err != nil {
		t.Fatal(err)
	}
	scope, err := admin.CreateGroup(ctx, ou, "JC"+sfx, "JC"+sfx)
	if err != nil {
		t.Fatal(err)
	}
	adm, err := admin.CreateGroup(ctx, ou, "JCA"+sfx, "JCA"+sfx)
	if err != nil {
		t.Fatal(err)
	}
	for _, dn := range []string{guest.DN, krbtgt.DN, own.DN, bob.DN, guests.DN, adm.DN} {
		if err := admin.AddMember(ctx, scope.DN, dn); err != nil {
			t.Fatal(err)
		}
	}
	if err := admin.AddMember(ctx, adm.DN, bob.DN); err != nil {
		t.Fatal(err)
	}
	dir, err := adapter.ReadDirectory(ctx, conn, adapter.ReadOptions{RootContainer: ou, JumpCloudGroup: scope.Name,
		AdminsGroup: adm.Name, Binds: []string{l.Import.Bind}})
	if err != nil {
		t.Fatal(err)
	}
	plan := reconcile.Diff(reconcile.ToJumpCloud, dir, reconcile.Cloud{}, reconcile.DefaultPolicy())
	var got []string
	for _, c := range plan.Changes {
		got = append(got, fmt.Sprintf("%c %s %s", c.Action, c.Kind, c.Key))
	}
	// The scope group itself is mirrored (seed 002) though never-touch
	// guards it in AD, holding the one user in scope.
	want := []string{"+ user " + strings.ToLower(bob.SAMAccountName), "+ admin " + strings.ToLower(bob.SAMAccountName),
		"+ group " + scope.Name, "+ membership " + scope.Name + "/" + strings.ToLower(bob.SAMAccountName)}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Diff() changes = %q, want %q", got, want)
	}
	for _, s := range []struct {
		kind      reconcile.Kind
		key, part string
	}{
		{reconcile.KindUser, guest.SAMAccountName, "RID 501"},
		{reconcile.KindUser, krbtgt.SAMAccountName, "never"}, // RID 502, adminCount=1 on most DCs
		{reconcile.KindUser, own.SAMAccountName, "adjc's own bind account"},
		{reconcile.KindGroup, guests.Name, "RID 514"},
		{reconcile.KindGroup, adm.Name, "adjc's admins_group"},
	} {
		if !findSkip(plan, s.kind, s.key, s.part) {
			t.Errorf("plan does not list %s %s as not synced with %q; skipped: %+v", s.kind, s.key, s.part, plan.Skipped)
		}
	}
}
