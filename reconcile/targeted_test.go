package reconcile_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/reconcile/reconciletest"
)

// freshFrom reads, from the complete state d and c, what a targeted run
// re-reads about the AD users guids: those in scope with their groups and
// admin status, and the JumpCloud users anchored to them or holding their
// usernames or emails, with their bindings. It stands in for the adapter.
func freshFrom(d reconcile.Directory, c reconcile.Cloud, guids []string) reconcile.Fresh {
	f := reconcile.Fresh{GUIDs: guids, Groups: map[string][]string{}, CloudGroups: map[string][]string{}}
	want := map[string]bool{}
	for _, g := range guids {
		want[g] = true
	}
	names := map[string]bool{}
	for _, u := range d.Users {
		if !want[u.GUID] {
			continue
		}
		f.Users = append(f.Users, u)
		names[strings.ToLower(u.Username)] = true
		names[strings.ToLower(u.Mail)] = true
		names[strings.ToLower(u.UPN)] = true
		for _, g := range d.Groups {
			if slices.Contains(g.Members, u.GUID) {
				f.Groups[u.GUID] = append(f.Groups[u.GUID], g.GUID)
			}
		}
	}
	for _, a := range d.Admins {
		if want[a] {
			f.Admins = append(f.Admins, a)
		}
	}
	for _, a := range d.NestedAdmins {
		if want[a] {
			f.NestedAdmins = append(f.NestedAdmins, a)
		}
	}
	for _, cu := range c.Users {
		if !want[cu.Anchor] && !names[strings.ToLower(cu.Username)] && !names[strings.ToLower(cu.Email)] {
			continue
		}
		f.CloudUsers = append(f.CloudUsers, cu)
		for _, g := range c.Groups {
			if slices.Contains(g.Members, cu.ID) {
				f.CloudGroups[cu.ID] = append(f.CloudGroups[cu.ID], g.ID)
			}
		}
	}
	return f
}

// mutations are the user-level changes a targeted run handles, each applied
// to user i of d.
var mutations = []struct {
	name string
	do   func(d *reconcile.Directory, i int)
}{
	{"disable", func(d *reconcile.Directory, i int) { d.Users[i].Disabled = true }},
	{"enable", func(d *reconcile.Directory, i int) { d.Users[i].Disabled = false }},
	{"rename", func(d *reconcile.Directory, i int) { d.Users[i].Username += "r" }},
	{"rename onto another's name", func(d *reconcile.Directory, i int) {
		d.Users[i].Username = d.Users[(i+1)%len(d.Users)].Username
	}},
	{"name and email", func(d *reconcile.Directory, i int) {
		d.Users[i].GivenName, d.Users[i].Mail = "New", "new"+d.Users[i].Mail
	}},
	{"privileged", func(d *reconcile.Directory, i int) { d.Users[i].Privileged = true }},
	{"admin toggled", func(d *reconcile.Directory, i int) {
		g := d.Users[i].GUID
		if slices.Contains(d.Admins, g) {
			d.Admins = slices.DeleteFunc(d.Admins, func(a string) bool { return a == g })
		} else {
			d.Admins = append(d.Admins, g)
		}
	}},
	{"leaves a group", func(d *reconcile.Directory, i int) {
		for k := range d.Groups {
			if slices.Contains(d.Groups[k].Members, d.Users[i].GUID) {
				d.Groups[k].Members = slices.DeleteFunc(d.Groups[k].Members, func(m string) bool { return m == d.Users[i].GUID })
				return
			}
		}
	}},
	{"joins a group", func(d *reconcile.Directory, i int) {
		for k := range d.Groups {
			if !slices.Contains(d.Groups[k].Members, d.Users[i].GUID) {
				d.Groups[k].Members = append(d.Groups[k].Members, d.Users[i].GUID)
				return
			}
		}
	}},
	{"leaves scope", func(d *reconcile.Directory, i int) {
		g := d.Users[i].GUID
		for k := range d.Groups {
			d.Groups[k].Members = slices.DeleteFunc(d.Groups[k].Members, func(m string) bool { return m == g })
		}
		d.Admins = slices.DeleteFunc(d.Admins, func(a string) bool { return a == g })
		d.Users[i].GUID = "" // marked; removed below
	}},
}

// targetedPolicies are the policies the targeted-plan properties hold
// under: the default, and every disposition suspending or deleting.
func targetedPolicies() map[string]reconcile.Policy {
	return map[string]reconcile.Policy{
		"default": reconcile.DefaultPolicy(),
		"suspend all": {OnDisabled: reconcile.DispositionSuspend, OnRemoved: reconcile.DispositionSuspend,
			MaxDeletes: reconcile.NoLimit, MaxDeletePercent: reconcile.NoLimit},
		"delete all": {OnDisabled: reconcile.DispositionDelete, OnRemoved: reconcile.DispositionDelete,
			MaxDeletes: reconcile.NoLimit, MaxDeletePercent: reconcile.NoLimit, NestedAdmins: true},
	}
}

// targetedLocal are JumpCloud-only users a targeted user may adopt or
// collide with, over genDirectory's users: one holds the username of a
// disabled, never imported AD user, one the email of another.
func targetedLocal() []reconcile.CloudUser {
	return []reconcile.CloudUser{
		{ID: "jc-only-1", Username: "u000034", Email: "someone@corp.example"},
		{ID: "jc-only-2", Username: "other", Email: "u000065@example.com", Suspended: true},
		{ID: "jc-only-3", Username: "u000100r", Email: "x@corp.example"},
	}
}

// TestDiffTargetedEqualsFull is the property a watch run rests on: when
// only some users changed in AD since the last full read, the targeted plan
// (the cache refreshed with what is re-read about those users) has exactly
// the changes of a full Diff over a complete fresh read, under every policy.
func TestDiffTargetedEqualsFull(t *testing.T) {
	t.Parallel()
	local := targetedLocal()
	for pname, pol := range targetedPolicies() {
		t.Run(pname, func(t *testing.T) {
			t.Parallel()
			base := genDirectory(200, 6)
			base.NestedAdmins = []string{base.Users[8].GUID}
			mem := reconciletest.NewMemory(reconcile.Cloud{Users: local})
			if _, err := reconcile.Apply(t.Context(), reconcile.Diff(reconcile.ToJumpCloud, base, mem.Cloud(), pol), mem, reconcile.ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			cache := mem.Cloud()
			rng := rand.New(rand.NewPCG(1, 2))
			for round := range 60 {
				now := cloneDirectory(base)
				var picked []int
				for range 1 + rng.IntN(3) {
					picked = append(picked, rng.IntN(len(now.Users)))
				}
				// Users 34 and 65 are disabled and never imported: enabling
				// them adopts the JumpCloud-only users above.
				if round%10 == 0 {
					picked = append(picked, 34, 65)
				}
				var guids, did []string
				for _, i := range picked {
					if slices.Contains(guids, base.Users[i].GUID) {
						continue
					}
					guids = append(guids, base.Users[i].GUID)
					m := mutations[rng.IntN(len(mutations))]
					if i == 34 || i == 65 {
						m = mutations[1]
					}
					m.do(&now, i)
					did = append(did, fmt.Sprintf("%s(%s)", m.name, base.Users[i].Username))
				}
				now.Users = slices.DeleteFunc(now.Users, func(u reconcile.ADUser) bool { return u.GUID == "" })

				full := reconcile.Diff(reconcile.ToJumpCloud, now, cache, pol)
				got := reconcile.DiffTargeted(base, cache, freshFrom(now, cache, guids), pol)
				if diff := cmp.Diff(lines(full), lines(got)); diff != "" {
					t.Errorf("round %d %v: DiffTargeted() differs from Diff() (-full +targeted):\n%s", round, did, diff)
				}
				if diff := cmp.Diff(full.Changes, got.Changes); diff != "" {
					t.Errorf("round %d %v: changes differ in detail (-full +targeted):\n%s", round, did, diff)
				}
				if got.Managed != full.Managed {
					t.Errorf("round %d: Managed = %d, want %d (the threshold counts every managed user)", round, got.Managed, full.Managed)
				}
			}
		})
	}
}

// TestDiffTargetedIgnoresOthersPending: changes other users have pending
// in the cached state (a stale cache) are not in a targeted plan.
func TestDiffTargetedIgnoresOthersPending(t *testing.T) {
	t.Parallel()
	d := seedDirectory()
	c := seedCloud()
	d.Users[1].Disabled = true        // user2: pending, not targeted
	d.Users[0].Username = "user1-new" // user1: targeted
	d.Groups = d.Groups[:1]           // Group2 leaves scope: a group change
	got := reconcile.DiffTargeted(d, c, freshFrom(d, c, []string{"guid-user1"}), reconcile.DefaultPolicy())
	want := []string{"~ user user1-new {username:user1→user1-new}"}
	if diff := cmp.Diff(want, lines(got)); diff != "" {
		t.Errorf("DiffTargeted(user1) (-want +got):\n%s", diff)
	}
	if n := len(reconcile.Diff(reconcile.ToJumpCloud, d, c, reconcile.DefaultPolicy()).Changes); n <= len(got.Changes) {
		t.Errorf("full plan has %d changes, want more than the targeted %d", n, len(got.Changes))
	}
}

func TestRefreshDoesNotMutateInputs(t *testing.T) {
	t.Parallel()
	d := genDirectory(50, 3)
	c := synced(d)
	wantD, wantC := cloneDirectory(d), cloneCloud(c)
	now := cloneDirectory(d)
	now.Users[0].Username = "renamed"
	now.Groups[0].Members = now.Groups[0].Members[1:]
	reconcile.Refresh(d, c, freshFrom(now, c, []string{d.Users[0].GUID, d.Users[1].GUID}))
	if diff := cmp.Diff(wantD, d); diff != "" {
		t.Errorf("Refresh() changed the directory (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(wantC, c); diff != "" {
		t.Errorf("Refresh() changed the cloud (-before +after):\n%s", diff)
	}
}

func TestRestrictKeepsThreshold(t *testing.T) {
	t.Parallel()
	d := genDirectory(100, 2)
	c := synced(d)
	now := cloneDirectory(d)
	var guids []string
	for i := range 20 {
		now.Users[i].Disabled = true
		guids = append(guids, now.Users[i].GUID)
	}
	pol := reconcile.DefaultPolicy()
	got := reconcile.DiffTargeted(d, c, freshFrom(now, c, guids), pol)
	if n := got.Removals(); n <= pol.Allowance(got.Managed) {
		t.Errorf("targeted plan disabling 20 of %d managed users: Removals() = %d, allowance %d; want it over", got.Managed, n, pol.Allowance(got.Managed))
	}
	if got.Managed != len(c.Users) {
		t.Errorf("Managed = %d, want %d", got.Managed, len(c.Users))
	}
}

// TestDiffTargetedDeletedGroup: a mirrored group deleted in AD, re-read as
// its members (GUIDs) and the group itself (DeletedGroups), plans what a
// full Diff over the directory without the group plans: the JumpCloud
// group's deletion, and the members' other changes, under every policy.
func TestDiffTargetedDeletedGroup(t *testing.T) {
	t.Parallel()
	for pname, pol := range map[string]reconcile.Policy{
		"default": reconcile.DefaultPolicy(),
		"delete all": {OnDisabled: reconcile.DispositionDelete, OnRemoved: reconcile.DispositionDelete,
			MaxDeletes: reconcile.NoLimit, MaxDeletePercent: reconcile.NoLimit},
	} {
		for k := range 6 {
			t.Run(fmt.Sprintf("%s/G%d", pname, k), func(t *testing.T) {
				t.Parallel()
				base := genDirectory(200, 6)
				mem := reconciletest.NewMemory(reconcile.Cloud{})
				if _, err := reconcile.Apply(t.Context(), reconcile.Diff(reconcile.ToJumpCloud, base, mem.Cloud(), pol), mem, reconcile.ApplyOptions{}); err != nil {
					t.Fatal(err)
				}
				cache := mem.Cloud()
				now := cloneDirectory(base)
				gone := now.Groups[k]
				now.Groups = slices.Delete(now.Groups, k, k+1)
				f := freshFrom(now, cache, gone.Members)
				f.DeletedGroups = []string{gone.GUID}
				full := reconcile.Diff(reconcile.ToJumpCloud, now, cache, pol)
				got := reconcile.DiffTargeted(base, cache, f, pol)
				if diff := cmp.Diff(lines(full), lines(got)); diff != "" {
					t.Errorf("DiffTargeted() differs from Diff() (-full +targeted):\n%s", diff)
				}
				if !slices.ContainsFunc(got.Changes, func(c reconcile.Change) bool {
					return c.Kind == reconcile.KindGroup && c.Action == reconcile.Delete && c.Group.Anchor == strings.ToLower(gone.GUID)
				}) {
					t.Errorf("DiffTargeted() = %v, want the deletion of group %s", lines(got), gone.Name)
				}
			})
		}
	}
}
