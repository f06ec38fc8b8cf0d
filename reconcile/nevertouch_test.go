package reconcile_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/adjc/adjc/reconcile"
)

// domainSID is a made-up domain SID; objects get RIDs under it.
const domainSID = "S-1-5-21-1004336348-1177238915-682003330"

func withSID(u reconcile.ADUser, rid string) reconcile.ADUser {
	u.SID = domainSID + "-" + rid
	return u
}

// has reports whether some line of l contains every part.
func has(l []string, parts ...string) bool {
	return slices.ContainsFunc(l, func(s string) bool {
		for _, p := range parts {
			if !strings.Contains(s, p) {
				return false
			}
		}
		return true
	})
}

// TestNeverTouchDiffToAD checks each never-touch rule in the JumpCloud → AD
// direction: the protected AD object gets no change at all, whatever the
// bound JumpCloud object asks, and the plan says why.
func TestNeverTouchDiffToAD(t *testing.T) {
	t.Parallel()
	pol := reconcile.DefaultPolicy()
	mod := func(u reconcile.ADUser, f func(*reconcile.ADUser)) reconcile.ADUser { f(&u); return u }
	susp := func(u reconcile.CloudUser) reconcile.CloudUser { u.Suspended = true; return u }
	guest := mod(withSID(dUser("Guest"), "501"), func(u *reconcile.ADUser) { u.Disabled, u.Critical = true, true })
	// The same Guest without isCriticalSystemObject: the RID alone protects.
	guestRIDOnly := mod(withSID(dUser("Guest"), "501"), func(u *reconcile.ADUser) { u.Disabled = true })
	krbtgt := mod(dUser("krbtgt"), func(u *reconcile.ADUser) { u.Disabled, u.Critical = true, true })
	own := withSID(dUser("jcsync"), "1105")
	ordinary := withSID(dUser("alice"), "1104")
	computer := mod(dUser("WS01$"), func(u *reconcile.ADUser) { u.Computer = true })
	outside := mod(withSID(dUser("carol"), "1200"), func(u *reconcile.ADUser) { u.DN = "CN=carol,CN=Users,DC=other,DC=com" })
	domGuests := dGroup("Domain Guests", "alice")
	domGuests.SID = domainSID + "-514"
	gpco := dGroup("Group Policy Creator Owners")
	gpco.SID = domainSID + "-520"
	builtin := dGroup("Guests")
	builtin.SID = "S-1-5-32-546"
	builtin.DN = "CN=Guests,CN=Builtin,DC=example,DC=com"
	critical := dGroup("Critical")
	critical.Critical = true
	admins := dGroup("JumpCloud Admins", "alice")
	staff := dGroup("Staff")
	staff.SID = domainSID + "-1300"

	nt := reconcile.NeverTouch{Scope: "DC=example,DC=com", Entries: []reconcile.Protected{
		{Match: own.GUID, Why: "adjc's own bind account"},
		{Match: "jcsync@example.com", Why: "adjc's own bind account"},
		{Match: "JumpCloud Admins", Why: "adjc's admins_group"},
		{Match: "svc-backup", Why: "in never_touch"},
		{Match: "guid-alice", Why: "member of never_touch group Tier0"},
	}}
	tests := []struct {
		name     string
		bound    reconcile.Cloud
		ad       reconcile.Directory
		skip     []string // parts one skip line must hold
		noChange bool     // no change at all
		want     []string // plan lines that must be there
	}{
		{"Guest is not enabled", reconcile.Cloud{Users: []reconcile.CloudUser{bUser("Guest")}},
			reconcile.Directory{Users: []reconcile.ADUser{guest}}, []string{"user guest", "RID 501", "never touched"}, true, nil},
		{"Guest by RID alone", reconcile.Cloud{Users: []reconcile.CloudUser{bUser("Guest")}},
			reconcile.Directory{Users: []reconcile.ADUser{guestRIDOnly}}, []string{"user guest", "RID 501"}, true, nil},
		{"krbtgt by isCriticalSystemObject", reconcile.Cloud{Users: []reconcile.CloudUser{susp(bUser("krbtgt"))}},
			reconcile.Directory{Users: []reconcile.ADUser{krbtgt}}, []string{"user krbtgt", "isCriticalSystemObject"}, true, nil},
		{"own bind account is not suspended", reconcile.Cloud{Users: []reconcile.CloudUser{susp(bUser("jcsync"))}},
			reconcile.Directory{Users: []reconcile.ADUser{own}, NeverTouch: nt}, []string{"user jcsync", "adjc's own bind account"}, true, nil},
		{"computer account", reconcile.Cloud{Users: []reconcile.CloudUser{susp(bUser("WS01$"))}},
			reconcile.Directory{Users: []reconcile.ADUser{computer}}, []string{"user ws01$", "computer account"}, true, nil},
		{"outside the write scope", reconcile.Cloud{Users: []reconcile.CloudUser{susp(bUser("carol"))}},
			reconcile.Directory{Users: []reconcile.ADUser{outside}, NeverTouch: nt}, []string{"user carol", "outside the write scope DC=example,DC=com"}, true, nil},
		{"never_touch name is not created", reconcile.Cloud{Users: []reconcile.CloudUser{bUser("SVC-Backup")}},
			reconcile.Directory{NeverTouch: nt}, []string{"user svc-backup", "in never_touch", "no AD account is created"}, true, nil},
		{"member of a never_touch group", reconcile.Cloud{Users: []reconcile.CloudUser{susp(bUser("alice"))}},
			reconcile.Directory{Users: []reconcile.ADUser{ordinary}, NeverTouch: nt}, []string{"user alice", "member of never_touch group Tier0"}, true, nil},
		{"Domain Guests is not taken over or given members",
			reconcile.Cloud{Users: []reconcile.CloudUser{bUser("alice")}, Groups: []reconcile.CloudGroup{bGroup("Domain Guests", "alice")}},
			reconcile.Directory{Users: []reconcile.ADUser{ordinary}, Groups: []reconcile.ADGroup{domGuests}},
			[]string{"group Domain Guests", "RID 514"}, true, nil},
		{"Domain Guests is not renamed", reconcile.Cloud{Groups: []reconcile.CloudGroup{bGroup("Renamed")}},
			reconcile.Directory{Groups: []reconcile.ADGroup{anchored(domGuests, "jcg-Renamed")}},
			[]string{"group Renamed", "RID 514"}, true, nil},
		{"Group Policy Creator Owners", reconcile.Cloud{Groups: []reconcile.CloudGroup{bGroup("Group Policy Creator Owners")}},
			reconcile.Directory{Groups: []reconcile.ADGroup{gpco}}, []string{"group Group Policy Creator Owners", "RID 520"}, true, nil},
		{"built-in domain group", reconcile.Cloud{Groups: []reconcile.CloudGroup{bGroup("Guests")}},
			reconcile.Directory{Groups: []reconcile.ADGroup{builtin}}, []string{"group Guests", "S-1-5-32-546"}, true, nil},
		{"critical group", reconcile.Cloud{Groups: []reconcile.CloudGroup{bGroup("Critical")}},
			reconcile.Directory{Groups: []reconcile.ADGroup{critical}}, []string{"group Critical", "isCriticalSystemObject"}, true, nil},
		{"admins group is not taken over", reconcile.Cloud{Groups: []reconcile.CloudGroup{bGroup("JumpCloud Admins")}},
			reconcile.Directory{Groups: []reconcile.ADGroup{admins}, NeverTouch: nt}, []string{"group JumpCloud Admins", "adjc's admins_group"}, true, nil},
		{"admins group is not created", reconcile.Cloud{Groups: []reconcile.CloudGroup{bGroup("JumpCloud Admins")}},
			reconcile.Directory{NeverTouch: nt}, []string{"group JumpCloud Admins", "no AD group is created"}, true, nil},
		{"an ordinary group and user are managed", reconcile.Cloud{Users: []reconcile.CloudUser{susp(bUser("alice"))},
			Groups: []reconcile.CloudGroup{bGroup("Staff", "alice")}},
			reconcile.Directory{Users: []reconcile.ADUser{ordinary}, Groups: []reconcile.ADGroup{staff}, NeverTouch: reconcile.NeverTouch{Scope: "DC=example,DC=com"}},
			nil, false, []string{"~ user alice {suspended:false→true}", "~ group Staff {anchor:→jcg-Staff}", "+ membership Staff/alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.ad.Container = container
			p := reconcile.Diff(reconcile.ToAD, tt.ad, tt.bound, pol)
			got := lines(p)
			if tt.noChange && len(got) > 0 {
				t.Errorf("Diff(ToAD) changes = %q, want none", got)
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("Diff(ToAD) changes = %q, want %q among them", got, w)
				}
			}
			for _, c := range p.Changes {
				if c.Group != nil && tt.skip != nil && strings.HasPrefix(tt.skip[0], "group ") && c.Group.Name == strings.TrimPrefix(tt.skip[0], "group ") {
					t.Errorf("Diff(ToAD) changes protected group: %q", lines(p))
				}
			}
			if tt.skip != nil && !has(skips(p), tt.skip...) {
				t.Errorf("Diff(ToAD) skips = %q, want one with %q", skips(p), tt.skip)
			}
		})
	}
}

// TestNeverTouchDiff checks each never-touch rule in the AD → JumpCloud
// direction: a protected AD user or group is never imported or mirrored,
// and what an earlier run imported from it is left as is, not deleted.
func TestNeverTouchDiff(t *testing.T) {
	t.Parallel()
	pol := reconcile.DefaultPolicy()
	mod := func(u reconcile.ADUser, f func(*reconcile.ADUser)) reconcile.ADUser { f(&u); return u }
	guest := mod(adUser("Guest"), func(u *reconcile.ADUser) { u.SID = domainSID + "-501" })
	krbtgt := mod(adUser("krbtgt"), func(u *reconcile.ADUser) { u.Critical = true })
	computer := mod(adUser("WS01$"), func(u *reconcile.ADUser) { u.Computer = true })
	own := adUser("jcimport")
	out := mod(adUser("carol"), func(u *reconcile.ADUser) { u.DN = "CN=carol,DC=other,DC=com" })
	user1 := mod(adUser("user1"), func(u *reconcile.ADUser) { u.SID = domainSID + "-1104" })
	domUsers := adGroup("Domain Users", "user1")
	domUsers.SID = domainSID + "-513"
	builtin := adGroup("Users", "user1")
	builtin.SID = "S-1-5-32-545"
	privileged := adGroup("Server Admins", "user1")
	privileged.Privileged = true
	admins := adGroup("JumpCloud Admins", "user1")
	nt := reconcile.NeverTouch{Scope: "DC=example,DC=com", Entries: []reconcile.Protected{
		{Match: "jcimport", Why: "adjc's own bind account"},
		{Match: admins.DN, Why: "adjc's admins_group"},
	}}
	tests := []struct {
		name  string
		dir   reconcile.Directory
		cloud reconcile.Cloud
		skip  []string
		want  []string // exactly these changes
	}{
		{"Guest by RID", reconcile.Directory{Users: []reconcile.ADUser{guest}}, reconcile.Cloud{},
			[]string{"user guest", "RID 501", "never imported"}, nil},
		{"krbtgt imported earlier is left as is", reconcile.Directory{Users: []reconcile.ADUser{krbtgt}},
			reconcile.Cloud{Users: []reconcile.CloudUser{mod2(jcUser("krbtgt"), "Old")}},
			[]string{"user krbtgt", "isCriticalSystemObject", "left as is"}, nil},
		{"computer", reconcile.Directory{Users: []reconcile.ADUser{computer}}, reconcile.Cloud{},
			[]string{"user ws01$", "computer account"}, nil},
		{"own bind account", reconcile.Directory{Users: []reconcile.ADUser{own}, NeverTouch: nt}, reconcile.Cloud{},
			[]string{"user jcimport", "adjc's own bind account"}, nil},
		{"outside the write scope", reconcile.Directory{Users: []reconcile.ADUser{out}, NeverTouch: nt}, reconcile.Cloud{},
			[]string{"user carol", "outside the write scope"}, nil},
		{"well-known group not mirrored, mirror kept",
			reconcile.Directory{Users: []reconcile.ADUser{user1}, Groups: []reconcile.ADGroup{domUsers}},
			reconcile.Cloud{Users: []reconcile.CloudUser{jcUser("user1")}, Groups: []reconcile.CloudGroup{jcGroup("Domain Users", "user1")}},
			[]string{"group Domain Users", "RID 513", "left as is"}, nil},
		{"built-in group", reconcile.Directory{Users: []reconcile.ADUser{user1}, Groups: []reconcile.ADGroup{builtin}},
			reconcile.Cloud{Users: []reconcile.CloudUser{jcUser("user1")}},
			[]string{"group Users", "S-1-5-32-545"}, nil},
		{"privileged group", reconcile.Directory{Users: []reconcile.ADUser{user1}, Groups: []reconcile.ADGroup{privileged}},
			reconcile.Cloud{Users: []reconcile.CloudUser{jcUser("user1")}},
			[]string{"group Server Admins", "adminCount=1"}, nil},
		{"admins group not mirrored", reconcile.Directory{Users: []reconcile.ADUser{user1}, Groups: []reconcile.ADGroup{admins}, NeverTouch: nt},
			reconcile.Cloud{Users: []reconcile.CloudUser{jcUser("user1")}},
			[]string{"group JumpCloud Admins", "adjc's admins_group"}, nil},
		{"ordinary user with a SID is imported", reconcile.Directory{Users: []reconcile.ADUser{user1}, NeverTouch: nt}, reconcile.Cloud{},
			nil, []string{"+ user user1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := reconcile.Diff(reconcile.ToJumpCloud, tt.dir, tt.cloud, pol)
			if got := lines(p); !slices.Equal(got, tt.want) {
				t.Errorf("Diff() changes = %q, want %q", got, tt.want)
			}
			if tt.skip != nil && !has(skips(p), tt.skip...) {
				t.Errorf("Diff() skips = %q, want one with %q", skips(p), tt.skip)
			}
		})
	}
}

// mod2 is u with another first name, so a managed user would get an update.
func mod2(u reconcile.CloudUser, first string) reconcile.CloudUser {
	u.Firstname = first
	return u
}

// TestNeverTouchReason checks the one-user check `sync password` uses.
func TestNeverTouchReason(t *testing.T) {
	t.Parallel()
	u := adUser("alice")
	if got := reconcile.NeverTouchReason(u, reconcile.NeverTouch{}); got != "" {
		t.Errorf("NeverTouchReason(alice) = %q, want none", got)
	}
	u.Privileged = true
	if got := reconcile.NeverTouchReason(u, reconcile.NeverTouch{}); !strings.Contains(got, "adminCount=1") {
		t.Errorf("NeverTouchReason(privileged) = %q", got)
	}
	u = adUser("jcsync")
	nt := reconcile.NeverTouch{Entries: []reconcile.Protected{{Match: u.DN, Why: "adjc's own bind account"}}}
	if got := reconcile.NeverTouchReason(u, nt); got != "adjc's own bind account" {
		t.Errorf("NeverTouchReason(jcsync) = %q", got)
	}
	for sid, want := range map[string]string{
		domainSID + "-500":  "RID 500",
		domainSID + "-572":  "RID 572",
		domainSID + "-999":  "RID 999",
		domainSID + "-1000": "",
		"S-1-5-32-544":      "built-in",
		"S-1-5-18":          "well-known principal",
	} {
		u := adUser("x")
		u.SID = sid
		if got := reconcile.NeverTouchReason(u, reconcile.NeverTouch{}); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("NeverTouchReason(SID %s) = %q, want %q", sid, got, want)
		}
	}
}

// TestEmptiedMemberList checks that a member list read empty removes
// nothing until a second read confirms it, in both directions.
func TestEmptiedMemberList(t *testing.T) {
	t.Parallel()
	t.Run("to AD", func(t *testing.T) {
		t.Parallel()
		bound := reconcile.Cloud{Users: []reconcile.CloudUser{bUser("alice"), bUser("bob")},
			Groups: []reconcile.CloudGroup{bGroup("Staff")}}
		ad := reconcile.Directory{Container: container, Users: []reconcile.ADUser{dUser("alice"), dUser("bob")},
			Groups: []reconcile.ADGroup{anchored(dGroup("Staff", "alice", "bob"), "jcg-Staff")}}
		p := reconcile.Diff(reconcile.ToAD, ad, bound, reconcile.DefaultPolicy())
		if got := lines(p); len(got) != 0 {
			t.Errorf("Diff(ToAD, empty list) = %q, want no change", got)
		}
		if got := p.Rechecks(); !slices.Equal(got, []string{"jcg-Staff"}) {
			t.Errorf("Rechecks() = %q, want [jcg-Staff]; skips %q", got, skips(p))
		}
		bound.Groups[0].MembersConfirmed = true
		p = reconcile.Diff(reconcile.ToAD, ad, bound, reconcile.DefaultPolicy())
		if got, want := lines(p), []string{"- membership Staff/alice", "- membership Staff/bob"}; !slices.Equal(got, want) {
			t.Errorf("Diff(ToAD, confirmed) = %q, want %q", got, want)
		}
		if len(p.Rechecks()) != 0 {
			t.Errorf("Rechecks() after confirmation = %q", p.Rechecks())
		}
	})
	t.Run("to JumpCloud", func(t *testing.T) {
		t.Parallel()
		dir := seedDirectory()
		dir.Groups[1].Members = nil // Group2 read empty
		p := reconcile.Diff(reconcile.ToJumpCloud, dir, seedCloud(), reconcile.DefaultPolicy())
		if got := lines(p); len(got) != 0 {
			t.Errorf("Diff(empty list) = %q, want no change", got)
		}
		if got := p.Rechecks(); !slices.Equal(got, []string{"guid-group2"}) {
			t.Errorf("Rechecks() = %q, want [guid-group2]; skips %q", got, skips(p))
		}
		dir.Groups[1].MembersConfirmed = true
		p = reconcile.Diff(reconcile.ToJumpCloud, dir, seedCloud(), reconcile.DefaultPolicy())
		if got, want := lines(p), []string{"- membership Group2/user3", "- membership Group2/user4"}; !slices.Equal(got, want) {
			t.Errorf("Diff(confirmed) = %q, want %q", got, want)
		}
	})
	t.Run("one member left is no emptying", func(t *testing.T) {
		t.Parallel()
		dir := seedDirectory()
		dir.Groups[1].Members = dir.Groups[1].Members[:1]
		p := reconcile.Diff(reconcile.ToJumpCloud, dir, seedCloud(), reconcile.DefaultPolicy())
		if got, want := lines(p), []string{"- membership Group2/user4"}; !slices.Equal(got, want) {
			t.Errorf("Diff() = %q, want %q", got, want)
		}
	})
}

// TestFingerprintNeverTouch checks that the never-touch facts change the
// fingerprint of both directions (a saved plan made under other rules is
// stale).
func TestFingerprintNeverTouch(t *testing.T) {
	t.Parallel()
	dir, cloud := seedDirectory(), seedCloud()
	base := reconcile.Fingerprint(reconcile.ToJumpCloud, dir, cloud)
	variants := map[string]func(*reconcile.Directory, *reconcile.Directory){
		"sid": func(d *reconcile.Directory, a *reconcile.Directory) {
			d.Users[0].SID = "S-1-5-32-544"
			a.Users[0].SID = "S-1-5-32-544"
		},
		"critical": func(d *reconcile.Directory, a *reconcile.Directory) {
			d.Users[0].Critical = true
			a.Users[0].Critical = true
		},
		"computer": func(d *reconcile.Directory, a *reconcile.Directory) {
			d.Users[0].Computer = true
			a.Users[0].Computer = true
		},
		"scope": func(d *reconcile.Directory, a *reconcile.Directory) {
			d.NeverTouch.Scope = "DC=x"
			a.NeverTouch.Scope = "DC=x"
		},
		"entry": func(d *reconcile.Directory, a *reconcile.Directory) {
			e := []reconcile.Protected{{Match: "x", Why: "y"}}
			d.NeverTouch.Entries, a.NeverTouch.Entries = e, e
		},
		"confirmed": func(d *reconcile.Directory, a *reconcile.Directory) {
			d.Groups[0].MembersConfirmed = true
			a.Groups[0].SID = "S-1-5-32-545"
		},
	}
	bound := reconcile.Cloud{Users: []reconcile.CloudUser{bUser("alice")}}
	ad := reconcile.Directory{Users: []reconcile.ADUser{dUser("alice")}, Groups: []reconcile.ADGroup{dGroup("Staff")}}
	baseAD := reconcile.Fingerprint(reconcile.ToAD, ad, bound)
	for name, f := range variants {
		d := seedDirectory()
		a := reconcile.Directory{Users: []reconcile.ADUser{dUser("alice")}, Groups: []reconcile.ADGroup{dGroup("Staff")}}
		f(&d, &a)
		if reconcile.Fingerprint(reconcile.ToJumpCloud, d, cloud) == base {
			t.Errorf("Fingerprint(ToJumpCloud) with %s changed = unchanged", name)
		}
		if reconcile.Fingerprint(reconcile.ToAD, a, bound) == baseAD {
			t.Errorf("Fingerprint(ToAD) with %s changed = unchanged", name)
		}
	}
}

// TestRefreshConfirmsEmptied checks that a targeted run, which reads every
// former member of a group again one by one, counts as the second read of
// a member list that empties: the removal is planned, not held.
func TestRefreshConfirmsEmptied(t *testing.T) {
	t.Parallel()
	d, c := seedDirectory(), seedCloud()
	now := seedDirectory()
	now.Groups[1].Members = nil
	now.Groups[0].Members = now.Groups[0].Members[:2]
	got := reconcile.DiffTargeted(d, c, freshFrom(now, c, []string{"guid-user3", "guid-user4"}), reconcile.DefaultPolicy())
	want := []string{"- membership Group1/user3", "- membership Group1/user4", "- membership Group2/user3", "- membership Group2/user4"}
	if g := lines(got); !slices.Equal(g, want) {
		t.Errorf("DiffTargeted(Group2 emptied) = %q, want %q", g, want)
	}
}
