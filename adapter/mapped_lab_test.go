package adapter_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
)

// TestFieldMappingLab imports a scope of its own from the lab DC with the
// profile attributes set on its users here (never relying on the
// fixture): without field_mapping nothing of them is read, planned or
// written; opted in (by name, and one field by a translation rule) each
// lands in JumpCloud, manager as the JumpCloud id of the imported
// manager; changed in AD, they are updated; a manager adjc does not
// import is unset with the reason; a rule adjc cannot honour is listed.
func TestFieldMappingLab(t *testing.T) {
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
		u, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: name + suffix, GivenName: name, SN: "Map",
			Mail: name + suffix + "@adjc.lab", Password: secret.New("Map-" + suffix + "-Pw1!")})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	alice, bob, carol := user("alice"), user("bob"), user("carol") // carol stays out of scope
	g, err := admin.CreateGroup(ctx, ou, "JumpCloud", "JumpCloud"+suffix)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{alice.DN, bob.DN} {
		if err := admin.AddMember(ctx, g.DN, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := admin.Modify(ctx, bob.DN, map[string][]string{
		"department": {"Sales"}, "title": {"Rep"}, "employeeID": {"E-" + suffix},
		"telephoneNumber": {"+1 555 0100"}, "manager": {alice.DN},
	}); err != nil {
		t.Fatal(err)
	}

	srv, org, jc := emulator(t)
	ad, err := srv.AddActiveDirectory(org, "DC=adjc,DC=lab")
	if err != nil {
		t.Fatal(err)
	}
	auth := reconcile.Authority{ID: ad.ID}
	pol := reconcile.DefaultPolicy()
	read := func(mapped []string, notes []reconcile.Skip) (reconcile.Directory, reconcile.Cloud) {
		t.Helper()
		dir, err := adapter.ReadDirectory(ctx, conn, adapter.ReadOptions{RootContainer: ou, Authority: auth, Mapped: mapped, Notes: notes})
		if err != nil {
			t.Fatalf("ReadDirectory() = %v", err)
		}
		cloud, err := adapter.ReadCloudFor(ctx, jc, ad.ID)
		if err != nil {
			t.Fatal(err)
		}
		return dir, cloud
	}
	apply := func(p reconcile.Plan, dir reconcile.Directory) {
		t.Helper()
		if res, err := reconcile.Apply(ctx, p, adapter.NewJumpCloudTarget(jc, dir), reconcile.ApplyOptions{}); err != nil {
			t.Fatalf("Apply() = %v (%+v)", err, res)
		}
	}
	jcUser := func(u ldapx.User) jcapi.SystemUser {
		t.Helper()
		for _, su := range srv.Users(org) {
			if strings.EqualFold(su.Username, u.SAMAccountName) {
				return su
			}
		}
		t.Fatalf("no JumpCloud user %s", u.SAMAccountName)
		return jcapi.SystemUser{}
	}

	// Not opted in: the attributes are there in AD, and nothing of them
	// is read or written.
	dir, cloud := read(nil, nil)
	if dir.Mapped != nil || slices.ContainsFunc(dir.Users, func(u reconcile.ADUser) bool { return u.Attrs != nil }) {
		t.Fatalf("ReadDirectory without Mapped read opt-in fields: %+v", dir.Users)
	}
	apply(reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, pol), dir)
	if b := jcUser(bob); b.Department != "" || b.JobTitle != "" || b.EmployeeIdentifier != "" || b.Manager != "" || len(b.PhoneNumbers) != 0 {
		t.Fatalf("import without field_mapping wrote profile fields: %+v", b)
	}
	// A number of another type, set in JumpCloud, must survive.
	if _, err := jc.UpdateSystemUser(ctx, jcUser(bob).ID, jcapi.SystemUserUpdate{PhoneNumbers: &[]jcapi.PhoneNumber{{Number: "+1 555 0199", Type: "mobile"}}}); err != nil {
		t.Fatal(err)
	}
	dir, cloud = read(nil, nil)
	if p := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, pol); !p.Empty() {
		t.Fatalf("second Diff without field_mapping = %v, want none", planLines(p))
	}

	// Opted in: four fields by name, the phone by a translation rule, and
	// a rule adjc cannot honour.
	for _, r := range []jcapi.TranslationRule{
		{Source: "telephoneNumber", Destination: "phoneNumbers", Direction: jcapi.RuleImport, SourceType: jcapi.RulePath, AppliedOn: []string{jcapi.RuleOnCreate, jcapi.RuleOnUpdate}},
		{Source: "{{.physicalDeliveryOfficeName}}", Destination: "location", Direction: jcapi.RuleImport, SourceType: "GOLANG_TEMPLATE", AppliedOn: []string{jcapi.RuleOnUpdate}},
	} {
		if _, err := jc.CreateTranslationRule(ctx, ad.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	mapped, notes, err := adapter.Mapping(ctx, jc, ad.ID, []string{"department", "title", "employeeID", "manager"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"department", "jobTitle", "employeeIdentifier", "phoneNumbers", "manager"}; !slices.Equal(mapped, want) {
		t.Fatalf("Mapping() = %v, want %v", mapped, want)
	}
	dir, cloud = read(mapped, notes)
	p := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, pol)
	if !slices.ContainsFunc(p.Skipped, func(s reconcile.Skip) bool {
		return s.Kind == reconcile.KindRule && strings.Contains(s.Reason, "GOLANG_TEMPLATE")
	}) {
		t.Errorf("plan skipped = %+v, want the template rule named", p.Skipped)
	}
	apply(p, dir)
	b, a := jcUser(bob), jcUser(alice)
	if b.Department != "Sales" || b.JobTitle != "Rep" || b.EmployeeIdentifier != "E-"+suffix || b.Manager != a.ID {
		t.Errorf("bob after the mapped import = %+v, want Sales, Rep, E-%s and manager %s", b, suffix, a.ID)
	}
	if !slices.Contains(b.PhoneNumbers, jcapi.PhoneNumber{Number: "+1 555 0100", Type: "work"}) ||
		!slices.Contains(b.PhoneNumbers, jcapi.PhoneNumber{Number: "+1 555 0199", Type: "mobile"}) {
		t.Errorf("bob's phoneNumbers = %+v, want the work number added and the mobile one kept", b.PhoneNumbers)
	}
	var restricted []string
	for _, r := range b.RestrictedFields {
		restricted = append(restricted, r.Field)
	}
	for _, f := range []string{"department", "jobTitle", "employeeIdentifier", "phoneNumbers"} {
		if !slices.Contains(restricted, f) {
			t.Errorf("bob's restrictedFields = %v, want %s", restricted, f)
		}
	}
	dir, cloud = read(mapped, notes)
	if p := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, pol); !p.Empty() {
		t.Fatalf("Diff after the mapped import = %v, want none", planLines(p))
	}

	// Changed in AD: updated; a manager adjc does not import is unset. A
	// targeted run (the watch's) re-reads the mapped attributes too and
	// plans what a full run plans.
	snapDir, idx, err := adapter.ReadDirectoryIndex(ctx, conn, adapter.ReadOptions{RootContainer: ou, Authority: auth, Mapped: mapped, Notes: notes})
	if err != nil || idx == nil {
		t.Fatalf("ReadDirectoryIndex() = %v, index %v", err, idx)
	}
	snap := &adapter.Snapshot{Directory: snapDir, Cloud: cloud, Index: idx}
	if err := admin.Modify(ctx, bob.DN, map[string][]string{"department": {"Marketing"}, "telephoneNumber": {"+1 555 0111"}, "manager": {carol.DN}}); err != nil {
		t.Fatal(err)
	}
	fresh, err := adapter.ReadFresh(ctx, conn, jc, snap, adapter.Changed{Users: []string{bob.GUID}})
	if err != nil {
		t.Fatalf("ReadFresh(bob) = %v", err)
	}
	targeted := reconcile.DiffTargeted(snap.Directory, snap.Cloud, fresh, pol)
	dir, cloud = read(mapped, notes)
	p = reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, pol)
	if got, want := planLines(targeted), planLines(p); !slices.Equal(got, want) {
		t.Errorf("targeted plan = %v, want the full plan %v", got, want)
	}
	if want := "~ user " + strings.ToLower(bob.SAMAccountName) + " {department:Sales→Marketing manager:" + a.ID + "→ phoneNumbers:+1 555 0100→+1 555 0111}"; !slices.Contains(planLines(p), want) {
		t.Errorf("plan = %v, want %q", planLines(p), want)
	}
	if !slices.ContainsFunc(p.Skipped, func(s reconcile.Skip) bool {
		return strings.Contains(s.Reason, carol.DN) && strings.Contains(s.Reason, "not imported")
	}) {
		t.Errorf("plan skipped = %+v, want carol named as a manager adjc does not import", p.Skipped)
	}
	apply(p, dir)
	b = jcUser(bob)
	if b.Department != "Marketing" || b.Manager != "" || b.JobTitle != "Rep" || workNumber(b) != "+1 555 0111" {
		t.Errorf("bob after the change = %+v, want Marketing, no manager, Rep, work +1 555 0111", b)
	}
	dir, cloud = read(mapped, notes)
	if p := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, pol); !p.Empty() {
		t.Errorf("Diff after the change = %v, want none", planLines(p))
	}
}

func workNumber(u jcapi.SystemUser) string {
	for _, p := range u.PhoneNumbers {
		if p.Type == "work" {
			return p.Number
		}
	}
	return ""
}
