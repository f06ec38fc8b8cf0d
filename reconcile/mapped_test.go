package reconcile_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/reconcile/reconciletest"
)

// userChange returns the plan's change of a kind about user key.
func userChange(p reconcile.Plan, key string) (reconcile.Change, bool) {
	i := slices.IndexFunc(p.Changes, func(c reconcile.Change) bool { return c.Kind == reconcile.KindUser && c.Key == key })
	if i < 0 {
		return reconcile.Change{}, false
	}
	return p.Changes[i], true
}

// TestMappedFieldsOptIn: without Mapped the opt-in values on either side
// plan nothing; with it each one is compared and written.
func TestMappedFieldsOptIn(t *testing.T) {
	t.Parallel()
	dir, cloud := seedDirectory(), seedCloud()
	dir.Users[0].Attrs = map[string]string{"department": "Sales", "jobTitle": "Rep", "employeeIdentifier": "E1", "phoneNumbers": "+1 555 0100"}
	cloud.Users[0].Attrs = map[string]string{"department": "Ops"}

	if p := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy()); len(p.Changes) != 0 {
		t.Fatalf("Diff without Mapped = %+v, want no changes", p.Changes)
	}
	dir.Mapped = reconcile.OptInFields()
	p := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy())
	c, ok := userChange(p, "user1")
	if !ok || c.Action != reconcile.Update {
		t.Fatalf("Diff with Mapped: no update of user1 in %+v", p.Changes)
	}
	want := []reconcile.FieldChange{
		{Name: "department", Old: "Ops", New: "Sales"},
		{Name: "employeeIdentifier", Old: "", New: "E1"},
		{Name: "jobTitle", Old: "", New: "Rep"},
		{Name: "phoneNumbers", Old: "", New: "+1 555 0100"},
	}
	if !slices.Equal(c.Fields, want) {
		t.Errorf("fields = %+v, want %+v", c.Fields, want)
	}
	if !strings.Contains(c.Reason, "department changed in AD") {
		t.Errorf("reason = %q, want the attribute named", c.Reason)
	}
	// Applied, the next plan is empty.
	cloud.Users[0].Attrs = map[string]string{"department": "Sales", "jobTitle": "Rep", "employeeIdentifier": "E1", "phoneNumbers": "+1 555 0100"}
	if p := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy()); len(p.Changes) != 0 {
		t.Errorf("Diff after apply = %+v, want none", p.Changes)
	}
	// An AD attribute emptied clears the JumpCloud field.
	dir.Users[0].Attrs = map[string]string{"jobTitle": "Rep", "employeeIdentifier": "E1", "phoneNumbers": "+1 555 0100"}
	c, _ = userChange(reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy()), "user1")
	if !slices.Equal(c.Fields, []reconcile.FieldChange{{Name: "department", Old: "Sales", New: ""}}) {
		t.Errorf("department emptied in AD: fields = %+v", c.Fields)
	}
}

// TestMappedManager: manager is the JumpCloud id of the manager's user
// when adjc imports the manager; otherwise unset, with the reason.
func TestMappedManager(t *testing.T) {
	t.Parallel()
	dir, cloud := seedDirectory(), seedCloud()
	dir.Mapped = []string{"manager"}
	dir.Users[0].Attrs = map[string]string{"manager": strings.ToUpper(dir.Users[1].DN)} // DNs compare ignoring case
	dir.Users[2].Attrs = map[string]string{"manager": "CN=Boss,OU=Elsewhere,DC=example,DC=com"}
	cloud.Users[2].Attrs = map[string]string{"manager": "id-someone"}
	newUser := adUser("user5")
	newUser.Attrs = map[string]string{"manager": dir.Users[0].DN}
	dir.Users = append(dir.Users, newUser)
	dir.Users[0].Attrs["x"] = ""
	p := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy())

	c, _ := userChange(p, "user1")
	if !slices.Equal(c.Fields, []reconcile.FieldChange{{Name: "manager", Old: "", New: "id-user2"}}) {
		t.Errorf("user1 fields = %+v, want manager id-user2", c.Fields)
	}
	c, _ = userChange(p, "user3")
	if !slices.Equal(c.Fields, []reconcile.FieldChange{{Name: "manager", Old: "id-someone", New: ""}}) {
		t.Errorf("user3 fields = %+v, want manager unset", c.Fields)
	}
	c, _ = userChange(p, "user5")
	if f, _ := c.Field("manager"); c.Action != reconcile.Create || f.New != "id-user1" {
		t.Errorf("user5 = %+v, want a create with manager id-user1", c)
	}
	var reasons []string
	for _, s := range p.Skipped {
		reasons = append(reasons, s.Key+": "+s.Reason)
	}
	if !slices.ContainsFunc(reasons, func(r string) bool {
		return strings.HasPrefix(r, "user3: ") && strings.Contains(r, "CN=Boss") && strings.Contains(r, "not imported")
	}) {
		t.Errorf("skipped = %q, want user3's manager named as not imported", reasons)
	}
}

// TestMappedManagerCreatedSamePlan: a manager created by the plan has no
// id yet; the field waits for the next run, and the plan says so.
func TestMappedManagerCreatedSamePlan(t *testing.T) {
	t.Parallel()
	dir, cloud := seedDirectory(), seedCloud()
	dir.Mapped = []string{"manager"}
	boss := adUser("boss")
	dir.Users = append(dir.Users, boss)
	dir.Users[0].Attrs = map[string]string{"manager": boss.DN}
	p := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy())
	if _, ok := userChange(p, "user1"); ok {
		t.Errorf("user1 changed while its manager is being created: %+v", p.Changes)
	}
	if !slices.ContainsFunc(p.Skipped, func(s reconcile.Skip) bool {
		return s.Key == "user1" && strings.Contains(s.Reason, "created by this plan")
	}) {
		t.Errorf("skipped = %+v, want the wait explained", p.Skipped)
	}
}

// TestMappedRestricted: mapped fields join restrictedFields, manager
// (not in the spec's restrictedField enum) does not.
func TestMappedRestricted(t *testing.T) {
	t.Parallel()
	a := reconcile.Authority{ID: "ad1"}
	dir, cloud := seedDirectory(), seedCloud()
	dir.Authority = a
	for i := range cloud.Users {
		cloud.Users[i].Markers = markers(dir.Users[i].DN, a)
	}
	for i := range cloud.Groups {
		cloud.Groups[i].Bound = true
	}
	if p := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy()); len(p.Changes) != 0 {
		t.Fatalf("Diff = %+v, want none", p.Changes)
	}
	dir.Mapped = []string{"department", "manager"}
	c, _ := userChange(reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy()), "user1")
	f, ok := c.Field(reconcile.FieldRestrictedFields)
	if !ok || f.New != "active_directory:ad1:department,email,firstname,lastname,username" {
		t.Errorf("restrictedFields = %+v, want department added and manager not", f)
	}
}

// TestMappedApplyConverges: applying a plan with opt-in fields (creates
// and updates, a manager resolved on the second run) through the memory
// target converges: the plan after is empty.
func TestMappedApplyConverges(t *testing.T) {
	t.Parallel()
	dir, cloud := seedDirectory(), seedCloud()
	dir.Mapped = reconcile.OptInFields()
	boss := adUser("boss")
	boss.Attrs = map[string]string{"department": "Board"}
	dir.Users = append(dir.Users, boss)
	dir.Groups[0].Members = append(dir.Groups[0].Members, boss.GUID)
	dir.Users[0].Attrs = map[string]string{"department": "Sales", "phoneNumbers": "+1 555 0100", "manager": boss.DN}
	mem := reconciletest.NewMemory(cloud)
	for run := 1; run <= 3; run++ {
		p := reconcile.Diff(reconcile.ToJumpCloud, dir, mem.Cloud(), reconcile.DefaultPolicy())
		if run == 3 {
			if !p.Empty() {
				t.Fatalf("third plan = %+v, want none", p.Changes)
			}
			break
		}
		if _, err := reconcile.Apply(t.Context(), p, mem, reconcile.ApplyOptions{}); err != nil {
			t.Fatalf("run %d: Apply() = %v", run, err)
		}
	}
	var bossID string
	for _, u := range mem.Cloud().Users {
		if u.Username == "boss" {
			bossID = u.ID
		}
	}
	for _, u := range mem.Cloud().Users {
		if u.Username == "user1" && (u.Attrs["manager"] != bossID || u.Attrs["department"] != "Sales") {
			t.Errorf("user1 = %+v, want manager %s and department Sales", u.Attrs, bossID)
		}
	}
}
