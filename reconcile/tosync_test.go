package reconcile_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/adjc/adjc/reconcile"
)

const container = "CN=Users,DC=example,DC=com"

// bUser is a JumpCloud-only user bound to the AD domain.
func bUser(name string) reconcile.CloudUser {
	return reconcile.CloudUser{ID: "jc-" + name, Username: name, Email: name + "@example.com", Firstname: "F" + name, Lastname: "L" + name}
}

// dUser is the AD user a previous sync made for bUser(name).
func dUser(name string) reconcile.ADUser {
	return reconcile.ADUser{GUID: "guid-" + name, DN: "CN=" + name + "," + container, Username: name,
		Mail: name + "@example.com", GivenName: "F" + name, Surname: "L" + name}
}

func bGroup(name string, members ...string) reconcile.CloudGroup {
	g := reconcile.CloudGroup{ID: "jcg-" + name, Name: name}
	for _, m := range members {
		g.Members = append(g.Members, "jc-"+m)
	}
	return g
}

func dGroup(name string, members ...string) reconcile.ADGroup {
	g := reconcile.ADGroup{GUID: "guid-" + name, DN: "CN=" + name + "," + container, Name: name}
	for _, m := range members {
		g.Members = append(g.Members, "guid-"+m)
	}
	return g
}

// anchored is g recording the JumpCloud group id.
func anchored(g reconcile.ADGroup, id string) reconcile.ADGroup {
	g.Anchor = id
	return g
}

func TestDiffToAD(t *testing.T) {
	t.Parallel()
	jcAuth := reconcile.DefaultPolicy()
	twoWay := jcAuth
	twoWay.TwoWay = true
	noUnsuspend := jcAuth
	noUnsuspend.Unsuspend = false
	mod := func(u reconcile.CloudUser, f func(*reconcile.CloudUser)) reconcile.CloudUser { f(&u); return u }
	modd := func(u reconcile.ADUser, f func(*reconcile.ADUser)) reconcile.ADUser { f(&u); return u }
	bound := func(us ...reconcile.CloudUser) reconcile.Cloud { return reconcile.Cloud{Users: us} }
	dom := func(us ...reconcile.ADUser) reconcile.Directory {
		return reconcile.Directory{Container: container, Users: us}
	}

	tests := []struct {
		name      string
		desired   reconcile.Cloud
		actual    reconcile.Directory
		policy    *reconcile.Policy
		want      []string
		wantSkips []string
	}{
		{name: "create", desired: bound(bUser("alice")), actual: dom(), want: []string{"+ user alice"}},
		{name: "in sync", desired: bound(bUser("alice")), actual: dom(dUser("alice")), want: []string{}},
		{
			name:    "take over by username, case-insensitively, fields follow JumpCloud",
			desired: bound(bUser("alice")),
			actual:  dom(modd(dUser("Alice"), func(u *reconcile.ADUser) { u.Username = "ALICE"; u.GivenName = "Old"; u.Mail = "" })),
			want:    []string{"~ user alice {email:→alice@example.com firstname:Old→Falice lastname:LAlice→Lalice}"},
		},
		{
			name:    "suspended disables",
			desired: bound(mod(bUser("alice"), func(u *reconcile.CloudUser) { u.Suspended = true })),
			actual:  dom(dUser("alice")),
			want:    []string{"~ user alice {suspended:false→true}"},
		},
		{
			name:    "active re-enables",
			desired: bound(bUser("alice")),
			actual:  dom(modd(dUser("alice"), func(u *reconcile.ADUser) { u.Disabled = true })),
			want:    []string{"~ user alice {suspended:true→false}"},
		},
		{
			name:      "re-enable off only reports",
			desired:   bound(bUser("alice")),
			actual:    dom(modd(dUser("alice"), func(u *reconcile.ADUser) { u.Disabled = true })),
			policy:    &noUnsuspend,
			want:      []string{},
			wantSkips: []string{"user alice: disabled in AD but active in JumpCloud; not re-enabled"},
		},
		{
			name:      "suspended and missing is not created",
			desired:   bound(mod(bUser("alice"), func(u *reconcile.CloudUser) { u.Suspended = true })),
			actual:    dom(),
			want:      []string{},
			wantSkips: []string{"user alice: suspended in JumpCloud and not in AD: not created"},
		},
		{
			name:      "privileged account refused",
			desired:   bound(bUser("administrator")),
			actual:    dom(modd(dUser("Administrator"), func(u *reconcile.ADUser) { u.Privileged = true; u.GivenName = "x" })),
			want:      []string{},
			wantSkips: []string{"user administrator: privileged AD account (adminCount=1)"},
		},
		{
			name:      "username too long for sAMAccountName",
			desired:   bound(bUser("a-very-long-username-indeed")),
			actual:    dom(),
			want:      []string{},
			wantSkips: []string{"cannot be an AD logon name: it is longer than 20 characters"},
		},
		{
			name:      "username with @ is refused",
			desired:   bound(bUser("a@b")),
			actual:    dom(),
			want:      []string{},
			wantSkips: []string{"it contains one of"},
		},
		{
			name:    "outside the container: updated in place and reported",
			desired: bound(mod(bUser("alice"), func(u *reconcile.CloudUser) { u.Lastname = "New" })),
			actual: dom(modd(dUser("alice"), func(u *reconcile.ADUser) {
				u.DN = "CN=alice,OU=Elsewhere,DC=example,DC=com"
			})),
			want:      []string{"~ user alice {lastname:Lalice→New}"},
			wantSkips: []string{"user alice: outside the Root User container (CN=alice,OU=Elsewhere,DC=example,DC=com): managed where it is, not moved"},
		},
		{
			name:    "two-way: a user mirrored from AD is AD's; no field is written",
			desired: bound(mod(bUser("alice"), func(u *reconcile.CloudUser) { u.Anchor = "GUID-ALICE"; u.Firstname = "JC"; u.Suspended = true })),
			actual:  dom(dUser("alice")),
			policy:  &twoWay,
			want:    []string{},
		},
		{
			name:    "two-way: a JumpCloud-only user is JumpCloud's",
			desired: bound(mod(bUser("alice"), func(u *reconcile.CloudUser) { u.Firstname = "JC" })),
			actual:  dom(dUser("alice")),
			policy:  &twoWay,
			want:    []string{"~ user alice {firstname:Falice→JC}"},
		},
		{
			name:    "jc-authority: a mirrored user is matched by anchor, even renamed",
			desired: bound(mod(bUser("alice2"), func(u *reconcile.CloudUser) { u.Anchor = "guid-alice"; u.Firstname = "JC" })),
			actual:  dom(dUser("alice")),
			want:    []string{"~ user alice2 {email:alice@example.com→alice2@example.com firstname:Falice→JC lastname:Lalice→Lalice2}"},
		},
		{
			name:      "anchor gone from AD is left to import",
			desired:   bound(mod(bUser("alice"), func(u *reconcile.CloudUser) { u.Anchor = "guid-gone" })),
			actual:    dom(),
			want:      []string{},
			wantSkips: []string{"user alice: mirrored from AD object guid-gone, which is no longer in AD"},
		},
		{
			name:      "duplicate usernames",
			desired:   bound(bUser("alice"), mod(bUser("alice"), func(u *reconcile.CloudUser) { u.ID = "jc-zzz"; u.Username = "ALICE" })),
			actual:    dom(),
			want:      []string{"+ user alice"},
			wantSkips: []string{"JumpCloud users jc-alice and jc-zzz have the same username"},
		},
		{
			name:    "group created with members, new and existing",
			desired: reconcile.Cloud{Users: []reconcile.CloudUser{bUser("alice"), bUser("bob")}, Groups: []reconcile.CloudGroup{bGroup("eng", "alice", "bob")}},
			actual:  dom(dUser("bob")),
			want:    []string{"+ user alice", "+ group eng", "+ membership eng/alice", "+ membership eng/bob"},
		},
		{
			name: "membership added and removed value by value; AD-only members kept",
			desired: reconcile.Cloud{
				Users:  []reconcile.CloudUser{bUser("alice"), bUser("bob"), bUser("carol")},
				Groups: []reconcile.CloudGroup{bGroup("eng", "alice", "carol")},
			},
			actual: reconcile.Directory{Container: container,
				Users:  []reconcile.ADUser{dUser("alice"), dUser("bob"), dUser("carol"), dUser("dave")},
				Groups: []reconcile.ADGroup{dGroup("ENG", "alice", "bob", "dave")},
			},
			// Matched by name (AD's "ENG"), so its JumpCloud id is recorded.
			want: []string{"~ group eng {anchor:→jcg-eng}", "- membership eng/bob", "+ membership eng/carol"},
		},
		{
			name: "renamed in JumpCloud: the AD group recording its id is renamed, members kept",
			desired: reconcile.Cloud{
				Users:  []reconcile.CloudUser{bUser("alice")},
				Groups: []reconcile.CloudGroup{func() reconcile.CloudGroup { g := bGroup("platform", "alice"); g.ID = "jcg-eng"; return g }()},
			},
			actual: reconcile.Directory{Container: container, Users: []reconcile.ADUser{dUser("alice")},
				Groups: []reconcile.ADGroup{anchored(dGroup("eng", "alice"), "jcg-eng"), dGroup("platform")}},
			want: []string{"~ group platform {name:eng→platform}"},
		},
		{
			name: "an AD group recording another JumpCloud group's id is not taken by name",
			desired: reconcile.Cloud{
				Users:  []reconcile.CloudUser{bUser("alice")},
				Groups: []reconcile.CloudGroup{bGroup("eng", "alice")},
			},
			actual: reconcile.Directory{Container: container, Users: []reconcile.ADUser{dUser("alice")},
				Groups: []reconcile.ADGroup{anchored(dGroup("eng"), "jcg-old")}},
			want:      []string{},
			wantSkips: []string{"group eng: AD group CN=eng," + container + " belongs to JumpCloud group jcg-old"},
		},
		{
			name: "the anchor attribute holds an operator's text: matched by name, nothing recorded",
			desired: reconcile.Cloud{
				Users:  []reconcile.CloudUser{bUser("alice")},
				Groups: []reconcile.CloudGroup{bGroup("eng", "alice")},
			},
			actual: reconcile.Directory{Container: container, Users: []reconcile.ADUser{dUser("alice")},
				Groups: []reconcile.ADGroup{func() reconcile.ADGroup { g := dGroup("eng", "alice"); g.AnchorSlotTaken = true; return g }()}},
			want: []string{},
		},
		{
			name: "members that are not in AD are not added",
			desired: reconcile.Cloud{
				Users:  []reconcile.CloudUser{mod(bUser("alice"), func(u *reconcile.CloudUser) { u.Suspended = true })},
				Groups: []reconcile.CloudGroup{bGroup("eng", "alice")},
			},
			actual:    dom(),
			want:      []string{"+ group eng"},
			wantSkips: []string{"user alice: suspended in JumpCloud"},
		},
		{
			name:    "group name AD cannot hold as sAMAccountName: that cn, a cleaned sAMAccountName",
			desired: reconcile.Cloud{Users: []reconcile.CloudUser{bUser("alice")}, Groups: []reconcile.CloudGroup{bGroup("a,b*", "alice")}},
			actual:  dom(dUser("alice")),
			want:    []string{"+ group a,b*", "+ membership a,b*/alice"},
		},
		{
			name:    "group with such a name already in AD is managed",
			desired: reconcile.Cloud{Users: []reconcile.CloudUser{bUser("alice")}, Groups: []reconcile.CloudGroup{bGroup("a,b*", "alice")}},
			actual:  reconcile.Directory{Container: container, Users: []reconcile.ADUser{dUser("alice")}, Groups: []reconcile.ADGroup{dGroup("a,b*")}},
			want:    []string{"~ group a,b* {anchor:→jcg-a,b*}", "+ membership a,b*/alice"},
		},
		{
			name:    "privileged group refused",
			desired: reconcile.Cloud{Users: []reconcile.CloudUser{bUser("alice")}, Groups: []reconcile.CloudGroup{bGroup("Domain Admins", "alice")}},
			actual: reconcile.Directory{Container: container, Users: []reconcile.ADUser{dUser("alice")},
				Groups: []reconcile.ADGroup{func() reconcile.ADGroup { g := dGroup("Domain Admins"); g.Privileged = true; return g }()}},
			want:      []string{},
			wantSkips: []string{"group Domain Admins: privileged AD group (adminCount=1)"},
		},
		{
			name: "two-way: a group mirrored from AD is AD's",
			desired: reconcile.Cloud{Users: []reconcile.CloudUser{bUser("alice")},
				Groups: []reconcile.CloudGroup{func() reconcile.CloudGroup { g := bGroup("eng", "alice"); g.Anchor = "guid-eng"; return g }()}},
			actual:    reconcile.Directory{Container: container, Users: []reconcile.ADUser{dUser("alice")}, Groups: []reconcile.ADGroup{dGroup("eng")}},
			policy:    &twoWay,
			want:      []string{},
			wantSkips: []string{"group eng: mirrored from AD: in two-way mode AD is its authority"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pol := jcAuth
			if tt.policy != nil {
				pol = *tt.policy
			}
			plan := reconcile.Diff(reconcile.ToAD, tt.actual, tt.desired, pol)
			if plan.Direction != reconcile.ToAD {
				t.Errorf("Direction = %q, want %q", plan.Direction, reconcile.ToAD)
			}
			if diff := cmp.Diff(tt.want, lines(plan)); diff != "" {
				t.Errorf("Diff(ToAD) changes (-want +got):\n%s", diff)
			}
			got := skips(plan)
			if len(got) != len(tt.wantSkips) {
				t.Fatalf("Diff(ToAD) skips = %q, want %d matching %q", got, len(tt.wantSkips), tt.wantSkips)
			}
			for i, w := range tt.wantSkips {
				if !strings.Contains(got[i], w) {
					t.Errorf("skip %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

// memAD is an in-memory AD for Apply round trips: users and groups by DN.
type memAD struct {
	mu     sync.Mutex
	dom    reconcile.Directory
	nextID int
}

func (m *memAD) find(dn string) (int, bool) {
	for i := range m.dom.Users {
		if m.dom.Users[i].DN == dn {
			return i, true
		}
	}
	return -1, false
}

func (m *memAD) CreateUser(_ context.Context, u reconcile.UserSpec) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	dn := "CN=" + u.Username + "," + m.dom.Container
	m.dom.Users = append(m.dom.Users, reconcile.ADUser{GUID: fmt.Sprintf("new-%d", m.nextID), DN: dn, Username: u.Username,
		GivenName: u.Firstname, Surname: u.Lastname, Mail: u.Email})
	return dn, nil
}

func (m *memAD) UpdateUser(_ context.Context, id string, p reconcile.UserPatch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.find(id)
	if !ok {
		return fmt.Errorf("no user %s", id)
	}
	u := &m.dom.Users[i]
	if p.Firstname != nil {
		u.GivenName = *p.Firstname
	}
	if p.Lastname != nil {
		u.Surname = *p.Lastname
	}
	if p.Email != nil {
		u.Mail = *p.Email
	}
	if p.Suspended != nil {
		u.Disabled = *p.Suspended
	}
	return nil
}

func (m *memAD) CreateGroup(_ context.Context, g reconcile.GroupSpec) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dn := "CN=" + g.Name + "," + m.dom.Container
	m.dom.Groups = append(m.dom.Groups, reconcile.ADGroup{GUID: "g-" + g.Name, DN: dn, Name: g.Name, Anchor: g.Anchor})
	return dn, nil
}

func (m *memAD) member(groupDN, userDN string, add bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ui, ok := m.find(userDN)
	if !ok {
		return fmt.Errorf("no user %s", userDN)
	}
	for gi := range m.dom.Groups {
		g := &m.dom.Groups[gi]
		if g.DN != groupDN {
			continue
		}
		guid := m.dom.Users[ui].GUID
		if add {
			g.Members = append(g.Members, guid)
		} else {
			g.Members = slices.DeleteFunc(g.Members, func(s string) bool { return s == guid })
		}
		return nil
	}
	return fmt.Errorf("no group %s", groupDN)
}

func (m *memAD) AddMember(_ context.Context, g, u string) error    { return m.member(g, u, true) }
func (m *memAD) RemoveMember(_ context.Context, g, u string) error { return m.member(g, u, false) }
func (m *memAD) DeleteUser(context.Context, string) error          { return fmt.Errorf("sync never deletes") }
func (m *memAD) SetAdmin(context.Context, string, bool) error      { return fmt.Errorf("not in AD") }
func (m *memAD) DeleteGroup(context.Context, string) error         { return fmt.Errorf("sync never deletes") }

// UpdateGroup records an anchor and renames; the DN stays, as if it were
// the objectGUID (ADTarget follows a renamed group's DN itself).
func (m *memAD) UpdateGroup(_ context.Context, dn string, p reconcile.GroupPatch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for gi := range m.dom.Groups {
		g := &m.dom.Groups[gi]
		if g.DN != dn {
			continue
		}
		if p.Anchor != nil {
			g.Anchor = *p.Anchor
		}
		if p.Name != nil {
			g.Name = *p.Name
		}
		return nil
	}
	return fmt.Errorf("no group %s", dn)
}

// TestDiffToADApplyTwice checks the level-based rule: applying a plan and
// diffing again plans nothing (STYLE §3).
func TestDiffToADApplyTwice(t *testing.T) {
	t.Parallel()
	susp := bUser("dave")
	susp.Suspended = true
	desired := reconcile.Cloud{
		Users:  []reconcile.CloudUser{bUser("alice"), bUser("bob"), bUser("carol"), susp},
		Groups: []reconcile.CloudGroup{bGroup("eng", "alice", "bob"), bGroup("ops", "carol", "dave"), bGroup("platform", "alice")},
	}
	desired.Groups[2].ID = "jcg-infra" // renamed from infra in JumpCloud
	oldBob := dUser("bob")
	oldBob.Disabled, oldBob.GivenName = true, "Robert"
	ad := &memAD{dom: reconcile.Directory{Container: container,
		Users:  []reconcile.ADUser{oldBob, dUser("carol"), dUser("dave")},
		Groups: []reconcile.ADGroup{dGroup("ops", "carol"), anchored(dGroup("infra"), "jcg-infra")},
	}}
	pol := reconcile.DefaultPolicy()
	plan := reconcile.Diff(reconcile.ToAD, ad.dom, desired, pol)
	if plan.Empty() {
		t.Fatal("first Diff(ToAD) planned nothing")
	}
	if _, err := reconcile.Apply(t.Context(), plan, ad, reconcile.ApplyOptions{Concurrency: 4}); err != nil {
		t.Fatalf("Apply = %v", err)
	}
	again := reconcile.Diff(reconcile.ToAD, ad.dom, desired, pol)
	if !again.Empty() {
		t.Errorf("second Diff(ToAD) = %q, want no changes", lines(again))
	}
	if plan.Fingerprint == again.Fingerprint {
		t.Error("fingerprint did not change with the state")
	}
}

func TestFingerprintToADOrderFree(t *testing.T) {
	t.Parallel()
	a := reconcile.Cloud{Users: []reconcile.CloudUser{bUser("a"), bUser("b")}, Groups: []reconcile.CloudGroup{bGroup("g", "a", "b")}}
	b := reconcile.Cloud{Users: []reconcile.CloudUser{bUser("b"), bUser("a")}, Groups: []reconcile.CloudGroup{bGroup("g", "b", "a")}}
	d := reconcile.Directory{Container: container, Users: []reconcile.ADUser{dUser("a")}}
	if x, y := reconcile.Fingerprint(reconcile.ToAD, d, a), reconcile.Fingerprint(reconcile.ToAD, d, b); x != y {
		t.Errorf("Fingerprint(ToAD) differs by order: %s vs %s", x, y)
	}
}
