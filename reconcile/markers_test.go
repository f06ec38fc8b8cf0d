package reconcile_test

import (
	"testing"

	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/reconcile/reconciletest"
	"github.com/google/go-cmp/cmp"
)

// TestDiffMarkers checks that the AD-managed markers (issue 15.5) are
// planned like other fields: set on create, repaired on drift, following a
// move in AD, and named by the authority only once it is known.
func TestDiffMarkers(t *testing.T) {
	t.Parallel()
	auth := reconcile.Authority{ID: "5f0000000000000000000ad1"}
	restricted := "active_directory:" + auth.ID + ":email,firstname,lastname,username"
	withAuth := func(d reconcile.Directory, a reconcile.Authority) reconcile.Directory { d.Authority = a; return d }
	tests := []struct {
		name  string
		dir   reconcile.Directory
		cloud reconcile.Cloud
		want  []string
	}{
		{
			name:  "in step without an authority",
			dir:   seedDirectory(),
			cloud: seedCloud(),
			want:  []string{},
		},
		{
			name: "moved between OUs: external_dn follows",
			dir: func() reconcile.Directory {
				d := seedDirectory()
				d.Users[0].DN = "CN=user1,OU=Sales,DC=example,DC=com"
				return d
			}(),
			cloud: seedCloud(),
			want:  []string{"~ user user1 {external_dn:CN=user1,CN=Users,DC=example,DC=com→CN=user1,OU=Sales,DC=example,DC=com}"},
		},
		{
			name: "markers cleared in JumpCloud",
			dir:  seedDirectory(),
			cloud: func() reconcile.Cloud {
				c := seedCloud()
				c.Users[1].Markers = reconcile.Markers{}
				return c
			}(),
			want: []string{"~ user user2 {external_dn:→CN=user2,CN=Users,DC=example,DC=com external_source_type:→active_directory externally_managed:false→true}"},
		},
		{
			name:  "authority known: restricted, delegated, associated",
			dir:   withAuth(reconcile.Directory{Users: []reconcile.ADUser{adUser("user1")}, Groups: []reconcile.ADGroup{adGroup("Group1", "user1")}}, auth),
			cloud: reconcile.Cloud{Users: []reconcile.CloudUser{jcUser("user1")}, Groups: []reconcile.CloudGroup{jcGroup("Group1", "user1")}},
			want: []string{
				"~ user user1 {bound:→" + auth.ID + " restrictedFields:→" + restricted + "}",
				"~ group Group1 {bound:→" + auth.ID + "}",
			},
		},
		{
			name: "password restricted when AD is the only password authority",
			dir: withAuth(reconcile.Directory{Users: []reconcile.ADUser{adUser("user1")}},
				reconcile.Authority{ID: auth.ID, Password: true}),
			cloud: reconcile.Cloud{Users: []reconcile.CloudUser{func() reconcile.CloudUser {
				u := jcUser("user1")
				u.Markers = markers(adUser("user1").DN, auth)
				return u
			}()}},
			want: []string{"~ user user1 {restrictedFields:" + restricted + "→active_directory:" + auth.ID + ":email,firstname,lastname,password,username}"},
		},
		{
			name: "another authority's restriction is not adjc's",
			dir:  withAuth(reconcile.Directory{Users: []reconcile.ADUser{adUser("user1")}}, auth),
			cloud: reconcile.Cloud{Users: []reconcile.CloudUser{func() reconcile.CloudUser {
				u := jcUser("user1")
				u.Markers = markers(adUser("user1").DN, auth)
				u.Markers.Restricted = append(u.Markers.Restricted, reconcile.RestrictedField{Field: "jobTitle", Type: "scim", ID: "x"})
				return u
			}()}},
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := reconcile.Diff(reconcile.ToJumpCloud, tt.dir, tt.cloud, reconcile.DefaultPolicy())
			if diff := cmp.Diff(tt.want, lines(plan)); diff != "" {
				t.Errorf("Diff() changes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMarkersApplyConverges applies a first import under an authority and
// checks that the markers it wrote leave nothing to plan.
func TestMarkersApplyConverges(t *testing.T) {
	t.Parallel()
	dir := seedDirectory()
	dir.Authority = reconcile.Authority{ID: "5f0000000000000000000ad1", Password: true}
	mem := reconciletest.NewMemory(reconcile.Cloud{})
	plan := reconcile.Diff(reconcile.ToJumpCloud, dir, mem.Cloud(), reconcile.DefaultPolicy())
	if _, err := reconcile.Apply(t.Context(), plan, mem, reconcile.ApplyOptions{}); err != nil {
		t.Fatalf("Apply() = %v", err)
	}
	c := mem.Cloud()
	for _, u := range c.Users {
		want := markers("CN="+u.Username+",CN=Users,DC=example,DC=com", dir.Authority)
		if reconcile.RestrictedText(u.Markers.Restricted) == reconcile.RestrictedText(want.Restricted) {
			want.Restricted = u.Markers.Restricted // order is not a difference
		}
		if !cmp.Equal(u.Markers, want) {
			t.Errorf("user %s markers = %+v, want %+v", u.Username, u.Markers, want)
		}
	}
	for _, g := range c.Groups {
		if !g.Bound {
			t.Errorf("group %s not associated with the AD domain object", g.Name)
		}
	}
	if again := reconcile.Diff(reconcile.ToJumpCloud, dir, c, reconcile.DefaultPolicy()); !again.Empty() {
		t.Errorf("second Diff() = %q, want no changes", lines(again))
	}
}

func TestRestrictedTextRoundTrip(t *testing.T) {
	t.Parallel()
	rs := []reconcile.RestrictedField{
		{Field: "username", Type: "active_directory", ID: "b"},
		{Field: "email", Type: "active_directory", ID: "b"},
		{Field: "email", Type: "active_directory", ID: "a"},
		{Field: "jobTitle", Type: "scim", ID: "s"},
	}
	got := reconcile.RestrictedText(rs)
	if want := "active_directory:a:email;active_directory:b:email,username"; got != want {
		t.Fatalf("RestrictedText() = %q, want %q", got, want)
	}
	if back := reconcile.RestrictedText(reconcile.ParseRestricted(got)); back != got {
		t.Errorf("RestrictedText(ParseRestricted(%q)) = %q", got, back)
	}
}

// TestDelegatedAuthority checks each delegated_authority outcome: a managed
// user's delegatedAuthority is set to the AD domain object, cleared, or left
// as it is, on create and on drift; a JumpCloud-only user is never written;
// and once applied, nothing is left to plan.
func TestDelegatedAuthority(t *testing.T) {
	t.Parallel()
	const adID, other = "5f0000000000000000000ad1", "5f00000000000000000000ff"
	tests := []struct {
		name       string
		delegation reconcile.Delegation
		have       string            // user1's delegatedAuthority in JumpCloud
		want       map[string]string // key → "old→new" of the delegatedAuthority field
	}{
		{name: "leave: another value stays", delegation: reconcile.DelegationLeave, have: other, want: map[string]string{}},
		{name: "leave: none stays", delegation: reconcile.DelegationLeave, want: map[string]string{}},
		{name: "set: missing", delegation: reconcile.DelegationSet, want: map[string]string{"user1": "→" + adID, "user2": "→" + adID}},
		{name: "set: in step", delegation: reconcile.DelegationSet, have: adID, want: map[string]string{"user2": "→" + adID}},
		{name: "set: another AD object", delegation: reconcile.DelegationSet, have: other, want: map[string]string{"user1": other + "→" + adID, "user2": "→" + adID}},
		{name: "clear: set", delegation: reconcile.DelegationClear, have: adID, want: map[string]string{"user1": adID + "→"}},
		{name: "clear: in step", delegation: reconcile.DelegationClear, want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := reconcile.Directory{Users: []reconcile.ADUser{adUser("user1"), adUser("user2")},
				Authority: reconcile.Authority{ID: adID, Delegation: tt.delegation}}
			managed := jcUser("user1")
			managed.Markers = markers(dir.Users[0].DN, reconcile.Authority{ID: adID})
			managed.Markers.DelegatedAuthority = tt.have
			// frank is JumpCloud's own: whatever his delegatedAuthority,
			// adjc never writes him.
			frank := reconcile.CloudUser{ID: "id-frank", Username: "frank", Email: "frank@example.org", Markers: reconcile.Markers{DelegatedAuthority: other}}
			cloud := reconcile.Cloud{Users: []reconcile.CloudUser{managed, frank}}
			plan := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy())
			got := map[string]string{}
			for _, c := range plan.Changes {
				if c.Key == "frank" {
					t.Errorf("Diff plans %c for the JumpCloud-only user frank: %+v", c.Action, c.Fields)
				}
				if f, ok := c.Field(reconcile.FieldDelegatedAuthority); ok {
					got[c.Key] = f.Old + "→" + f.New
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("delegatedAuthority changes mismatch (-want +got):\n%s", diff)
			}
			mem := reconciletest.NewMemory(cloud)
			if _, err := reconcile.Apply(t.Context(), plan, mem, reconcile.ApplyOptions{}); err != nil {
				t.Fatalf("Apply() = %v", err)
			}
			after := mem.Cloud()
			for _, u := range after.Users {
				if u.Username == "frank" && u.Markers.DelegatedAuthority != other {
					t.Errorf("frank's delegatedAuthority = %q after apply, want %q untouched", u.Markers.DelegatedAuthority, other)
				}
			}
			if again := reconcile.Diff(reconcile.ToJumpCloud, dir, after, reconcile.DefaultPolicy()); !again.Empty() {
				t.Errorf("second Diff() = %q, want no changes", lines(again))
			}
		})
	}
}

// TestActivateStaged: a managed user left STAGED (its activation failed)
// is activated while its AD account is enabled, and left STAGED while it is
// disabled (the suspension is planned instead); an adopted STAGED user is
// activated with the adoption.
func TestActivateStaged(t *testing.T) {
	t.Parallel()
	dir := reconcile.Directory{Users: []reconcile.ADUser{adUser("user1"), adUser("user2"), adUser("user3")}}
	dir.Users[1].Disabled = true
	cloud := reconcile.Cloud{Users: []reconcile.CloudUser{jcUser("user1"), jcUser("user2"), jcUser("user3")}}
	for i := range cloud.Users {
		cloud.Users[i].Staged = true
	}
	cloud.Users[2].Anchor = "" // JumpCloud's own until adopted
	plan := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy())
	got := map[string]string{}
	for _, c := range plan.Changes {
		if f, ok := c.Field(reconcile.FieldState); ok {
			got[c.Key] = string(c.Action) + " " + f.Old + "→" + f.New + " (" + c.Reason + ")"
		}
	}
	want := map[string]string{
		"user1": "~ STAGED→ACTIVATED (still STAGED in JumpCloud)",
		"user3": "> STAGED→ACTIVATED (" + planReason(plan, "user3") + ")",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("activations mismatch (-want +got):\n%s", diff)
	}
	mem := reconciletest.NewMemory(cloud)
	if _, err := reconcile.Apply(t.Context(), plan, mem, reconcile.ApplyOptions{}); err != nil {
		t.Fatalf("Apply() = %v", err)
	}
	if again := reconcile.Diff(reconcile.ToJumpCloud, dir, mem.Cloud(), reconcile.DefaultPolicy()); !again.Empty() {
		t.Errorf("second Diff() = %q, want no changes", lines(again))
	}
}

func planReason(p reconcile.Plan, key string) string {
	for _, c := range p.Changes {
		if c.Key == key {
			return c.Reason
		}
	}
	return ""
}
