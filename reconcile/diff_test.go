package reconcile_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/adjc/adjc/reconcile"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	def := reconcile.DefaultPolicy()
	deleteDisabled := def
	deleteDisabled.OnDisabled = reconcile.DispositionDelete
	suspendRemoved := def
	suspendRemoved.OnRemoved = reconcile.DispositionSuspend
	nested := def
	nested.NestedAdmins = true

	mod := func(u reconcile.ADUser, f func(*reconcile.ADUser)) reconcile.ADUser { f(&u); return u }
	modc := func(u reconcile.CloudUser, f func(*reconcile.CloudUser)) reconcile.CloudUser { f(&u); return u }
	one := func(us ...reconcile.ADUser) reconcile.Directory { return reconcile.Directory{Users: us} }
	cloud := func(us ...reconcile.CloudUser) reconcile.Cloud { return reconcile.Cloud{Users: us} }

	tests := []struct {
		name      string
		desired   reconcile.Directory
		actual    reconcile.Cloud
		policy    reconcile.Policy
		want      []string
		wantSkips []string // each a substring of one skip line, in order
	}{
		{
			name:    "create",
			desired: one(adUser("alice")),
			want:    []string{"+ user alice"},
		},
		{
			name:    "email falls back to userPrincipalName",
			desired: one(mod(adUser("alice"), func(u *reconcile.ADUser) { u.Mail = "" })),
			actual:  cloud(modc(jcUser("alice"), func(u *reconcile.CloudUser) { u.Email = "alice@example.local" })),
			want:    []string{},
		},
		{
			name:    "mail set wins over userPrincipalName",
			desired: one(adUser("alice")),
			actual:  cloud(modc(jcUser("alice"), func(u *reconcile.CloudUser) { u.Email = "alice@example.local" })),
			want:    []string{"~ user alice {email:alice@example.local→alice@example.com}"},
		},
		{
			name:    "adopt by username, case-insensitively",
			desired: one(adUser("alice")),
			actual:  cloud(reconcile.CloudUser{ID: "jc-1", Username: "Alice", Email: "a@corp.example"}),
			want: []string{
				"> user alice {anchor:→guid-alice email:a@corp.example→alice@example.com external_dn:→CN=alice,CN=Users,DC=example,DC=com external_source_type:→active_directory externally_managed:false→true firstname:→Givenalice lastname:→Suralice}",
			},
		},
		{
			name:    "adopt by email",
			desired: one(adUser("alice")),
			actual: cloud(reconcile.CloudUser{ID: "jc-1", Username: "asmith", Email: "ALICE@example.com",
				Firstname: "Givenalice", Lastname: "Suralice", Suspended: true}),
			want: []string{"> user alice {anchor:→guid-alice external_dn:→CN=alice,CN=Users,DC=example,DC=com external_source_type:→active_directory externally_managed:false→true suspended:true→false username:asmith→alice}"},
		},
		{
			name:    "adopt refused when username and email match different users",
			desired: one(adUser("alice")),
			actual: cloud(
				reconcile.CloudUser{ID: "jc-1", Username: "alice", Email: "x@corp.example"},
				reconcile.CloudUser{ID: "jc-2", Username: "asmith", Email: "alice@example.com"},
			),
			want:      []string{},
			wantSkips: []string{"user alice: username matches JumpCloud user jc-1 but email matches JumpCloud user jc-2"},
		},
		{
			name:    "no adoption of a user managed for another AD object",
			desired: one(adUser("alice")),
			actual:  cloud(modc(jcUser("alice"), func(u *reconcile.CloudUser) { u.Anchor = "guid-old" })),
			policy:  suspendRemoved,
			want:    []string{"~ user alice {suspended:false→true}"},
			wantSkips: []string{
				"user alice: username and email matches JumpCloud user id-alice, which adjc manages for AD object guid-old",
			},
		},
		{
			name:    "rename keeps the JumpCloud id",
			desired: one(mod(adUser("alice"), func(u *reconcile.ADUser) { u.Username = "alice.smith" })),
			actual:  cloud(jcUser("alice")),
			want:    []string{"~ user alice.smith {username:alice→alice.smith}"},
		},
		{
			name:    "rename onto a taken username is reported, not applied",
			desired: one(mod(adUser("alice"), func(u *reconcile.ADUser) { u.Username = "bob" })),
			actual:  cloud(jcUser("alice"), reconcile.CloudUser{ID: "jc-bob", Username: "bob", Email: "bob@corp.example"}),
			want:    []string{},
			wantSkips: []string{
				`user alice: rename to "bob" not applied: username already used by JumpCloud user jc-bob`,
			},
		},
		{
			name: "a username freed by a rename can be created",
			desired: one(
				mod(adUser("alice"), func(u *reconcile.ADUser) { u.Username = "alice2" }),
				mod(adUser("newalice"), func(u *reconcile.ADUser) { u.Username = "alice" }),
			),
			actual: cloud(jcUser("alice")),
			want:   []string{"+ user alice", "~ user alice2 {username:alice→alice2}"},
		},
		{
			name:    "case-only differences in username and email are not changes",
			desired: one(mod(adUser("alice"), func(u *reconcile.ADUser) { u.Username = "Alice"; u.Mail = "Alice@Example.com" })),
			actual:  cloud(jcUser("alice")),
			want:    []string{},
		},
		{
			name:    "name fields follow givenName and sn",
			desired: one(mod(adUser("alice"), func(u *reconcile.ADUser) { u.GivenName = "Alicia"; u.Surname = "Smith" })),
			actual:  cloud(jcUser("alice")),
			want:    []string{"~ user alice {firstname:Givenalice→Alicia lastname:Suralice→Smith}"},
		},
		{
			name:    "disabled suspends",
			desired: one(mod(adUser("alice"), func(u *reconcile.ADUser) { u.Disabled = true })),
			actual:  cloud(jcUser("alice")),
			want:    []string{"~ user alice {suspended:false→true}"},
		},
		{
			name:    "disabled deletes by policy",
			desired: one(mod(adUser("alice"), func(u *reconcile.ADUser) { u.Disabled = true })),
			actual:  cloud(jcUser("alice")),
			policy:  deleteDisabled,
			want:    []string{"- user alice"},
		},
		{
			name:      "disabled and never imported is not created",
			desired:   one(mod(adUser("alice"), func(u *reconcile.ADUser) { u.Disabled = true })),
			want:      []string{},
			wantSkips: []string{"user alice: disabled in AD: not imported while disabled"},
		},
		{
			name:    "re-enabled unsuspends",
			desired: one(adUser("alice")),
			actual:  cloud(modc(jcUser("alice"), func(u *reconcile.CloudUser) { u.Suspended = true })),
			want:    []string{"~ user alice {suspended:true→false}"},
		},
		{
			name:    "removed from scope is deleted",
			desired: one(adUser("alice")),
			actual:  cloud(jcUser("alice"), jcUser("bob")),
			want:    []string{"- user bob"},
		},
		{
			name:    "removed from scope is suspended by policy",
			desired: one(adUser("alice")),
			actual:  cloud(jcUser("alice"), jcUser("bob"), modc(jcUser("carol"), func(u *reconcile.CloudUser) { u.Suspended = true })),
			policy:  suspendRemoved,
			want:    []string{"~ user bob {suspended:false→true}"},
		},
		{
			name:    "JumpCloud-only users are never touched",
			desired: one(adUser("alice")),
			actual:  cloud(jcUser("alice"), reconcile.CloudUser{ID: "jc-9", Username: "local", Email: "local@corp.example"}),
			want:    []string{},
		},
		{
			name:      "privileged is never imported",
			desired:   one(mod(adUser("admin"), func(u *reconcile.ADUser) { u.Privileged = true })),
			want:      []string{},
			wantSkips: []string{"user admin: privileged in AD (adminCount=1): never imported"},
		},
		{
			name: "imported user that became privileged is left as is",
			desired: reconcile.Directory{
				Users:  []reconcile.ADUser{mod(adUser("alice"), func(u *reconcile.ADUser) { u.Privileged = true; u.GivenName = "X" })},
				Groups: []reconcile.ADGroup{adGroup("Group1")},
				Admins: []string{"guid-alice"},
			},
			actual: reconcile.Cloud{
				Users:  []reconcile.CloudUser{jcUser("alice")},
				Groups: []reconcile.CloudGroup{jcGroup("Group1", "alice")},
			},
			want:      []string{},
			wantSkips: []string{"user alice: privileged in AD (adminCount=1): not managed; JumpCloud user id-alice left as is"},
		},
		{
			name: "missing username or email is skipped",
			desired: one(
				mod(adUser("nomail"), func(u *reconcile.ADUser) { u.Mail, u.UPN = "", "" }),
				mod(adUser("noname"), func(u *reconcile.ADUser) { u.Username = "" }),
			),
			want: []string{},
			wantSkips: []string{
				"user CN=noname,CN=Users,DC=example,DC=com: no username",
				"user nomail: no email: mail and userPrincipalName are both empty in AD",
			},
		},
		{
			name:      "imported user that lost its email is left as is, not deleted",
			desired:   one(mod(adUser("alice"), func(u *reconcile.ADUser) { u.Mail, u.UPN = "", "" })),
			actual:    cloud(jcUser("alice")),
			want:      []string{},
			wantSkips: []string{"user alice: no email: mail and userPrincipalName are both empty in AD; JumpCloud user id-alice left as is"},
		},
		{
			name: "two AD users with one username: the first by objectGUID wins",
			desired: one(
				mod(adUser("b"), func(u *reconcile.ADUser) { u.Username = "same" }),
				mod(adUser("a"), func(u *reconcile.ADUser) { u.Username = "same" }),
			),
			want:      []string{"+ user same"},
			wantSkips: []string{`user same: username "same" is also the username of AD user CN=a`},
		},
		{
			name:    "seed example: first import",
			desired: seedDirectory(),
			want: []string{
				"+ user user1", "+ user user2", "+ user user3", "+ user user4",
				"+ group Group1", "+ group Group2",
				"+ membership Group1/user1", "+ membership Group1/user2", "+ membership Group1/user3", "+ membership Group1/user4",
				"+ membership Group2/user3", "+ membership Group2/user4",
			},
		},
		{
			name:    "seed example: already imported",
			desired: seedDirectory(),
			actual:  seedCloud(),
			want:    []string{},
		},
		{
			name: "group rename keeps the group",
			desired: func() reconcile.Directory {
				d := seedDirectory()
				d.Groups[1].Name = "Engineering"
				return d
			}(),
			actual: seedCloud(),
			want:   []string{"~ group Engineering {name:Group2→Engineering}"},
		},
		{
			name: "user leaving a group loses only that membership",
			desired: func() reconcile.Directory {
				d := seedDirectory()
				d.Groups[1].Members = []string{"guid-user3"}
				return d
			}(),
			actual: seedCloud(),
			want:   []string{"- membership Group2/user4"},
		},
		{
			name: "group out of scope is deleted, JumpCloud-only groups stay",
			desired: func() reconcile.Directory {
				d := seedDirectory()
				d.Groups = d.Groups[:1]
				return d
			}(),
			actual: func() reconcile.Cloud {
				c := seedCloud()
				c.Groups = append(c.Groups, reconcile.CloudGroup{ID: "jc-g", Name: "Local", Members: []string{"id-user1"}})
				return c
			}(),
			want: []string{"- group Group2"},
		},
		{
			name:    "JumpCloud-only member of a mirrored group keeps its membership",
			desired: seedDirectory(),
			actual: func() reconcile.Cloud {
				c := seedCloud()
				c.Users = append(c.Users, reconcile.CloudUser{ID: "jc-9", Username: "local", Email: "local@corp.example"})
				c.Groups[0].Members = append(c.Groups[0].Members, "jc-9")
				return c
			}(),
			want: []string{},
		},
		{
			name: "a JumpCloud-only group with the mirrored name is adopted with its members",
			desired: reconcile.Directory{
				Users:  []reconcile.ADUser{adUser("user1")},
				Groups: []reconcile.ADGroup{adGroup("Group1", "user1")},
			},
			actual: reconcile.Cloud{
				Users:  []reconcile.CloudUser{jcUser("user1"), {ID: "jc-9", Username: "local", Email: "l@corp.example"}},
				Groups: []reconcile.CloudGroup{{ID: "jc-g", Name: "group1", Members: []string{"jc-9"}}},
			},
			want: []string{
				"> group Group1 {anchor:→guid-group1 name:group1→Group1}",
				"+ membership Group1/user1",
			},
		},
		{
			name: "out of scope and suspended by policy: AD memberships removed",
			desired: reconcile.Directory{
				Users:  []reconcile.ADUser{adUser("user1")},
				Groups: []reconcile.ADGroup{adGroup("Group1", "user1")},
			},
			actual: reconcile.Cloud{
				Users:  []reconcile.CloudUser{jcUser("user1"), jcUser("user2")},
				Groups: []reconcile.CloudGroup{jcGroup("Group1", "user1", "user2")},
			},
			policy: suspendRemoved,
			want:   []string{"~ user user2 {suspended:false→true}", "- membership Group1/user2"},
		},
		{
			name: "out of scope and deleted: memberships go with the user",
			desired: reconcile.Directory{
				Users:  []reconcile.ADUser{adUser("user1")},
				Groups: []reconcile.ADGroup{adGroup("Group1", "user1")},
			},
			actual: reconcile.Cloud{
				Users:  []reconcile.CloudUser{jcUser("user1"), jcUser("user2")},
				Groups: []reconcile.CloudGroup{jcGroup("Group1", "user1", "user2")},
			},
			want: []string{"- user user2"},
		},
		{
			name: "admin flag follows JumpCloud Admins",
			desired: reconcile.Directory{
				Users:  []reconcile.ADUser{adUser("alice"), adUser("bob"), adUser("carol")},
				Admins: []string{"guid-alice", "guid-carol", "guid-notinscope"},
			},
			actual: cloud(jcUser("alice"), modc(jcUser("bob"), func(u *reconcile.CloudUser) { u.Admin = true })),
			want: []string{
				"+ user carol",
				"+ admin alice {sudo:false→true}",
				"- admin bob {sudo:true→false}",
				"+ admin carol {sudo:false→true}",
			},
		},
		{
			name: "nested admins only by policy",
			desired: reconcile.Directory{
				Users:        []reconcile.ADUser{adUser("alice"), adUser("bob")},
				NestedAdmins: []string{"guid-bob"},
			},
			actual: cloud(jcUser("alice"), jcUser("bob")),
			policy: nested,
			want:   []string{"+ admin bob {sudo:false→true}"},
		},
		{
			name: "cycles are reported and the run continues",
			desired: func() reconcile.Directory {
				d := seedDirectory()
				d.Cycles = []reconcile.Cycle{{Path: []string{"Group1", "Group2", "Group1"}}}
				return d
			}(),
			actual:    seedCloud(),
			want:      []string{},
			wantSkips: []string{"group Group1 > Group2 > Group1: nesting cycle in AD"},
		},
		{
			name: "password drift is reported",
			desired: one(mod(adUser("alice"), func(u *reconcile.ADUser) {
				u.PwdLastSet = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			})),
			actual: cloud(modc(jcUser("alice"), func(u *reconcile.CloudUser) {
				u.PasswordDate = time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
			})),
			want:      []string{},
			wantSkips: []string{"password alice: password drift: changed in JumpCloud (password_date 2024-02-01T00:00:00Z) after AD (pwdLastSet 2024-01-01T00:00:00Z)"},
		},
		{
			name: "password changed in AD and not delivered is drift",
			desired: one(mod(adUser("alice"), func(u *reconcile.ADUser) {
				u.PwdLastSet = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			})),
			actual: cloud(modc(jcUser("alice"), func(u *reconcile.CloudUser) {
				u.PasswordDate = time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
			})),
			want:      []string{},
			wantSkips: []string{"password alice: password drift: changed in AD (pwdLastSet 2024-03-01T00:00:00Z) after JumpCloud (password_date 2024-02-01T00:00:00Z) and not delivered"},
		},
		{
			name: "no JumpCloud password while AD has one is drift",
			desired: one(mod(adUser("alice"), func(u *reconcile.ADUser) {
				u.PwdLastSet = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			})),
			actual:    cloud(jcUser("alice")),
			want:      []string{},
			wantSkips: []string{"password alice: password drift: set in AD (pwdLastSet 2024-03-01T00:00:00Z) but JumpCloud has no password"},
		},
		{
			name: "stamps within the clock-skew tolerance are no drift, either way",
			desired: reconcile.Directory{Users: []reconcile.ADUser{
				mod(adUser("alice"), func(u *reconcile.ADUser) { u.PwdLastSet = time.Date(2024, 3, 1, 0, 4, 59, 0, time.UTC) }),
				mod(adUser("bob"), func(u *reconcile.ADUser) { u.PwdLastSet = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC) }),
			}},
			actual: cloud(
				modc(jcUser("alice"), func(u *reconcile.CloudUser) { u.PasswordDate = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC) }),
				modc(jcUser("bob"), func(u *reconcile.CloudUser) { u.PasswordDate = time.Date(2024, 3, 1, 0, 4, 59, 0, time.UTC) }),
			),
			want: []string{},
		},
		{
			name: "no pwdLastSet, or a disabled account, is no drift",
			desired: reconcile.Directory{Users: []reconcile.ADUser{
				adUser("alice"),
				mod(adUser("bob"), func(u *reconcile.ADUser) {
					u.PwdLastSet, u.Disabled = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), true
				}),
			}},
			actual: cloud(jcUser("alice"), modc(jcUser("bob"), func(u *reconcile.CloudUser) { u.Suspended = true })),
			want:   []string{},
		},
		{
			name: "reader skips are carried into the plan",
			desired: reconcile.Directory{Skipped: []reconcile.Skip{
				{Kind: reconcile.KindUser, Key: "far", Reason: "outside the Root User container"},
			}},
			want:      []string{},
			wantSkips: []string{"user far: outside the Root User container"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := tt.policy
			if p == (reconcile.Policy{}) {
				p = def
			}
			plan := reconcile.Diff(reconcile.ToJumpCloud, tt.desired, tt.actual, p)
			if diff := cmp.Diff(tt.want, lines(plan)); diff != "" {
				t.Errorf("Diff() changes mismatch (-want +got):\n%s", diff)
			}
			got := skips(plan)
			if len(got) != len(tt.wantSkips) {
				t.Fatalf("Diff() skipped = %q, want %d matching %q", got, len(tt.wantSkips), tt.wantSkips)
			}
			for i, w := range tt.wantSkips {
				if !strings.Contains(got[i], w) {
					t.Errorf("Diff() skipped[%d] = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestDiffCreateCarriesEveryField(t *testing.T) {
	t.Parallel()
	u := adUser("alice")
	u.Username = "Alice"
	plan := reconcile.Diff(reconcile.ToJumpCloud, reconcile.Directory{Users: []reconcile.ADUser{u}}, reconcile.Cloud{}, reconcile.DefaultPolicy())
	want := []reconcile.Change{{
		Action: reconcile.Create, Kind: reconcile.KindUser, Key: "alice", Reason: "in scope in AD",
		User: &reconcile.Ref{Anchor: "guid-alice", Name: "Alice"},
		Fields: []reconcile.FieldChange{
			{Name: "anchor", New: "guid-alice"},
			{Name: "email", New: "alice@example.com"},
			{Name: "external_dn", New: "CN=alice,CN=Users,DC=example,DC=com"},
			{Name: "external_source_type", New: "active_directory"},
			{Name: "externally_managed", New: "true"},
			{Name: "firstname", New: "Givenalice"},
			{Name: "lastname", New: "Suralice"},
			{Name: "username", New: "Alice"},
		},
	}}
	if diff := cmp.Diff(want, plan.Changes); diff != "" {
		t.Errorf("Diff() mismatch (-want +got):\n%s", diff)
	}
}

func TestDiffRenameIsAnUpdateOfTheSameID(t *testing.T) {
	t.Parallel()
	d := seedDirectory()
	d.Users[0].Username = "user1renamed"
	plan := reconcile.Diff(reconcile.ToJumpCloud, d, seedCloud(), reconcile.DefaultPolicy())
	if len(plan.Changes) != 1 {
		t.Fatalf("Diff() = %q, want one change", lines(plan))
	}
	c := plan.Changes[0]
	if c.Action != reconcile.Update || c.User.ID != "id-user1" || c.Reason != "renamed in AD" {
		t.Errorf("Diff() = %+v %+v, want an update of id-user1 renamed in AD", c, *c.User)
	}
}

func TestDiffFieldsSortedByName(t *testing.T) {
	t.Parallel()
	u := adUser("alice")
	u.Username, u.Mail, u.GivenName, u.Surname, u.Disabled = "alicia", "alicia@example.com", "A", "S", true
	plan := reconcile.Diff(reconcile.ToJumpCloud, reconcile.Directory{Users: []reconcile.ADUser{u}}, reconcile.Cloud{Users: []reconcile.CloudUser{jcUser("alice")}}, reconcile.DefaultPolicy())
	for _, c := range plan.Changes {
		if !slices.IsSortedFunc(c.Fields, func(a, b reconcile.FieldChange) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("Diff() fields of %s = %v, want sorted by name", c.Key, c.Fields)
		}
	}
	if got := plan.Changes[0].Reason; got != "email changed in AD; name changed in AD; disabled in AD; renamed in AD" {
		t.Errorf("Diff() reason = %q", got)
	}
}
