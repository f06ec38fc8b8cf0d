package reconcile_test

import (
	"slices"
	"testing"

	"github.com/adjc/adjc/reconcile"
	"github.com/google/go-cmp/cmp"
)

// scopeGroup is the JumpCloud group itself as the reader returns it: every
// user in scope is a member, and the never-touch set names it.
func scopeGroup(d *reconcile.Directory) {
	g := adGroup("JumpCloud", "user1", "user2", "user3", "user4")
	g.Scope = true
	d.Groups = append(d.Groups, g)
	d.NeverTouch.Entries = append(d.NeverTouch.Entries, reconcile.Protected{Match: "JumpCloud", Why: "the jumpcloud_group"})
}

// TestScopeGroupMirrored: the JumpCloud group is mirrored (seed 002)
// though never-touch guards it in AD; another group the never-touch set
// names is not.
func TestScopeGroupMirrored(t *testing.T) {
	t.Parallel()
	d := seedDirectory()
	scopeGroup(&d)
	d.Groups = append(d.Groups, adGroup("JumpCloud Admins", "user1"))
	d.NeverTouch.Entries = append(d.NeverTouch.Entries, reconcile.Protected{Match: "JumpCloud Admins", Why: "the admins_group"})
	plan := reconcile.Diff(reconcile.ToJumpCloud, d, seedCloud(), reconcile.DefaultPolicy())
	want := []string{
		"+ group JumpCloud",
		"+ membership JumpCloud/user1", "+ membership JumpCloud/user2", "+ membership JumpCloud/user3", "+ membership JumpCloud/user4",
	}
	if diff := cmp.Diff(want, lines(plan)); diff != "" {
		t.Errorf("Diff() changes mismatch (-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(skips(plan), func(s string) bool { return s == "group JumpCloud Admins: the admins_group: never mirrored" }) {
		t.Errorf("skips = %q, want JumpCloud Admins never mirrored", skips(plan))
	}
}

// TestScopeGroupTargeted: a watch run about one user keeps it in the
// mirrored JumpCloud group (the reader reports nested groups only).
func TestScopeGroupTargeted(t *testing.T) {
	t.Parallel()
	d := seedDirectory()
	scopeGroup(&d)
	c := synced(d)
	u := adUser("user2")
	u.GivenName = "Changed"
	f := reconcile.Fresh{GUIDs: []string{u.GUID}, Users: []reconcile.ADUser{u},
		Groups: map[string][]string{u.GUID: {"guid-Group1"}}, CloudUsers: []reconcile.CloudUser{jcUser("user2")},
		CloudGroups: map[string][]string{"id-user2": {"id-Group1", "id-JumpCloud"}}}
	plan := reconcile.DiffTargeted(d, c, f, reconcile.DefaultPolicy())
	if diff := cmp.Diff([]string{"~ user user2 {firstname:Givenuser2→Changed}"}, lines(plan)); diff != "" {
		t.Errorf("DiffTargeted() mismatch (-want +got):\n%s", diff)
	}
}

// TestDiffToADMatchesUsernameAndEmail: sync takes over an AD user only
// when username and email align (seed 002), and reports a conflict when
// they disagree instead of taking over or creating a second account.
func TestDiffToADMatchesUsernameAndEmail(t *testing.T) {
	t.Parallel()
	dom := func(us ...reconcile.ADUser) reconcile.Directory {
		return reconcile.Directory{Container: container, Users: us}
	}
	other := dUser("alice")
	other.Mail = "alice@elsewhere.example"
	noMail := dUser("alice")
	noMail.Mail = ""
	renamed := dUser("alice")
	renamed.Username = "asmith"
	tests := []struct {
		name      string
		dom       reconcile.Directory
		want      []string
		wantSkips []string
	}{
		{name: "both align: taken over", dom: dom(dUser("alice")), want: []string{}, wantSkips: []string{}},
		{name: "AD user without mail: taken over, mail written", dom: dom(noMail),
			want: []string{"~ user alice {email:→alice@example.com}"}, wantSkips: []string{}},
		{name: "username matches, mail differs: conflict", dom: dom(other), want: []string{},
			wantSkips: []string{`user alice: username matches AD user CN=alice,CN=Users,DC=example,DC=com but its mail is "alice@elsewhere.example", not "alice@example.com"; neither taken over nor created: resolve by hand`}},
		{name: "email matches another username: conflict", dom: dom(renamed), want: []string{},
			wantSkips: []string{`user alice: email matches AD user CN=alice,CN=Users,DC=example,DC=com, whose username is "asmith"; neither taken over nor created: resolve by hand`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := reconcile.Diff(reconcile.ToAD, tt.dom, reconcile.Cloud{Users: []reconcile.CloudUser{bUser("alice")}}, reconcile.DefaultPolicy())
			if diff := cmp.Diff(tt.want, lines(plan)); diff != "" {
				t.Errorf("Diff(ToAD) changes mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSkips, skips(plan)); diff != "" {
				t.Errorf("Diff(ToAD) skips mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGroupSAMAccountName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"Sales, EMEA":                  "Sales_ EMEA",
		`R&D, "Café" 中文组`:              `R&D_ _Café_ 中文组`,
		"a/b\\c[d]e:f;g|h=i+j*k?l<m>n": "a_b_c_d_e_f_g_h_i_j_k_l_m_n",
		"tab\there":                    "tab_here",
		"Engineering":                  "Engineering",
	} {
		if got := reconcile.GroupSAMAccountName(name); got != want {
			t.Errorf("GroupSAMAccountName(%q) = %q, want %q", name, got, want)
		}
		if reconcile.GroupNameProblem(reconcile.GroupSAMAccountName(name)) != "" {
			t.Errorf("GroupSAMAccountName(%q) still has a problem", name)
		}
	}
}
