package adapter_test

import (
	"testing"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/reconcile"
)

// TestMarkersRoundTrip applies a first import under an AD domain object
// through the emulator and reads it back: the markers and associations the
// target wrote are what ReadCloudFor reads, so a second Diff plans nothing;
// and no email is sent unless WelcomeEmail is set.
func TestMarkersRoundTrip(t *testing.T) {
	t.Parallel()
	for _, welcome := range []bool{false, true} {
		srv, org, c := emulator(t)
		ad, err := srv.AddActiveDirectory(org, "DC=example,DC=com")
		if err != nil {
			t.Fatal(err)
		}
		// An entry another authority owns must survive adjc's writes.
		dir := reconcile.Directory{
			Users: []reconcile.ADUser{{GUID: "3f2504e0-4f89-11d3-9a0c-0305e82c3301", DN: "CN=alice,OU=Sales,DC=example,DC=com",
				Username: "alice", GivenName: "Alice", Surname: "A", Mail: "alice@example.com"}},
			Groups:    []reconcile.ADGroup{{GUID: "3f2504e0-4f89-11d3-9a0c-0305e82c3302", DN: "CN=Sales,DC=example,DC=com", Name: "Sales", Members: []string{"3f2504e0-4f89-11d3-9a0c-0305e82c3301"}}},
			Authority: reconcile.Authority{ID: ad.ID, Password: true},
		}
		cloud, err := adapter.ReadCloudFor(t.Context(), c, ad.ID)
		if err != nil {
			t.Fatal(err)
		}
		plan := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy())
		target := adapter.NewJumpCloudTarget(c, dir)
		target.WelcomeEmail = welcome
		res, err := reconcile.Apply(t.Context(), plan, target, reconcile.ApplyOptions{})
		if err != nil {
			t.Fatalf("Apply() = %v (%+v)", err, res)
		}
		cloud, err = adapter.ReadCloudFor(t.Context(), c, ad.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(cloud.Users) != 1 || len(cloud.Groups) != 1 {
			t.Fatalf("ReadCloudFor() = %+v, want one user and one group", cloud)
		}
		m := cloud.Users[0].Markers
		if m.ExternalDN != dir.Users[0].DN || m.ExternalSourceType != "active_directory" || !m.ExternallyManaged ||
			m.DelegatedAuthority != "" || !m.Bound || !cloud.Groups[0].Bound {
			t.Errorf("markers read back = %+v, group bound %v", m, cloud.Groups[0].Bound)
		}
		if got, want := reconcile.RestrictedText(m.Restricted), "active_directory:"+ad.ID+":email,firstname,lastname,password,username"; got != want {
			t.Errorf("restrictedFields = %q, want %q", got, want)
		}
		if again := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy()); !again.Empty() {
			t.Errorf("second Diff() = %+v, want no changes", again.Changes)
		}
		users := srv.Users(org)
		if users[0].State != jcapi.StateActivated {
			t.Errorf("created user state = %s, want ACTIVATED", users[0].State)
		}
		if n, want := len(srv.Outbox(org)), map[bool]int{false: 0, true: 1}[welcome]; n != want {
			t.Errorf("WelcomeEmail=%v: %d emails sent, want %d", welcome, n, want)
		}
	}
}

// TestMarkersKeepOtherAuthorities checks that repairing restrictedFields
// keeps the entries another authority (SCIM here) owns: PUT replaces the
// list, and they are not adjc's to drop.
func TestMarkersKeepOtherAuthorities(t *testing.T) {
	t.Parallel()
	srv, org, c := emulator(t)
	ad, err := srv.AddActiveDirectory(org, "DC=example,DC=com")
	if err != nil {
		t.Fatal(err)
	}
	u, err := srv.AddUser(org, jcapi.SystemUser{Username: "bob", Email: "bob@example.com",
		RestrictedFields: []jcapi.RestrictedField{{Field: "jobTitle", Type: "scim", ID: "5f0000000000000000000001"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []reconcile.RestrictedField{{Field: "email", Type: "active_directory", ID: ad.ID}}
	target := adapter.NewJumpCloudTarget(c, reconcile.Directory{})
	if err := target.UpdateUser(t.Context(), u.ID, reconcile.UserPatch{Restricted: &want}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetSystemUser(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.RestrictedFields) != 2 || got.RestrictedFields[0].Type != "scim" || got.RestrictedFields[1].ID != ad.ID {
		t.Errorf("restrictedFields = %+v, want the scim entry kept and the AD one added", got.RestrictedFields)
	}
}
