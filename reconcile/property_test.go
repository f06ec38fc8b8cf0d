package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/reconcile/reconciletest"
)

// genDirectory builds n users and g groups with a mix of every case Diff
// distinguishes: admins, privileged, incomplete and disabled users.
func genDirectory(n, g int) reconcile.Directory {
	var d reconcile.Directory
	for i := range n {
		u := adUser(fmt.Sprintf("u%06d", i))
		switch {
		case i%97 == 5:
			u.Privileged = true
		case i%89 == 7:
			u.Mail, u.UPN = "", ""
		case i%31 == 3:
			u.Disabled = true
		case i%13 == 0:
			u.Mail = ""
		}
		if i%50 == 1 {
			d.Admins = append(d.Admins, u.GUID)
		}
		d.Users = append(d.Users, u)
	}
	for k := range g {
		d.Groups = append(d.Groups, reconcile.ADGroup{GUID: fmt.Sprintf("guid-g%04d", k), Name: fmt.Sprintf("G%04d", k)})
	}
	for i := range n {
		if g == 0 {
			break
		}
		for _, k := range []int{i % g, (i / 7) % g} {
			d.Groups[k].Members = append(d.Groups[k].Members, d.Users[i].GUID)
		}
	}
	return d
}

func cloneDirectory(d reconcile.Directory) reconcile.Directory {
	b, _ := json.Marshal(d)
	var c reconcile.Directory
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return c
}

func cloneCloud(c reconcile.Cloud) reconcile.Cloud {
	b, _ := json.Marshal(c)
	var o reconcile.Cloud
	if err := json.Unmarshal(b, &o); err != nil {
		panic(err)
	}
	return o
}

func TestDiffOfSyncedStateIsEmpty(t *testing.T) {
	t.Parallel()
	for _, d := range []reconcile.Directory{seedDirectory(), genDirectory(2000, 40)} {
		plan := reconcile.Diff(reconcile.ToJumpCloud, d, synced(d), reconcile.DefaultPolicy())
		if !plan.Empty() {
			t.Errorf("Diff(s, synced(s)) = %q, want no changes", lines(plan)[:min(10, len(plan.Changes))])
		}
	}
}

// TestSecondRunPlansNothing applies each plan to an in-memory JumpCloud and
// diffs again: a second run must plan nothing (STYLE §3, level-based).
func TestSecondRunPlansNothing(t *testing.T) {
	t.Parallel()
	suspendAll := reconcile.Policy{OnDisabled: reconcile.DispositionSuspend, OnRemoved: reconcile.DispositionSuspend,
		MaxDeletes: reconcile.NoLimit, MaxDeletePercent: reconcile.NoLimit}
	deleteAll := reconcile.Policy{OnDisabled: reconcile.DispositionDelete, OnRemoved: reconcile.DispositionDelete,
		MaxDeletes: reconcile.NoLimit, MaxDeletePercent: reconcile.NoLimit}

	// Each step is the AD state of one run; the JumpCloud state carries over.
	seed := seedDirectory()
	moved := seedDirectory()
	moved.Users[0].Username = "user1renamed"                            // rename
	moved.Users[1].Disabled = true                                      // disable
	moved.Users = slices.Delete(moved.Users, 3, 4)                      // user4 leaves scope
	moved.Users = append(moved.Users, adUser("user5"), adUser("user6")) // newcomers
	moved.Users[4].Username = "user1"                                   // takes the freed name
	moved.Groups[1].Name = "Group2renamed"                              // group rename
	moved.Groups[0].Members = []string{"guid-user1", "guid-user5"}      // membership churn
	moved.Groups[1].Members = []string{"guid-user3", "guid-user6"}      //
	moved.Groups = append(moved.Groups, adGroup("Local", "user3"))      // adopts a JumpCloud-only group
	moved.Admins = []string{"guid-user3", "guid-user5"}                 // admin flags
	back := cloneDirectory(moved)
	back.Users[1].Disabled = false // re-enable
	back.Groups = back.Groups[:1]  // groups leave scope

	local := reconcile.Cloud{
		Users: []reconcile.CloudUser{
			{ID: "jc-local", Username: "local", Email: "local@corp.example"},
			{ID: "jc-adopt", Username: "USER6", Email: "someone@corp.example", Suspended: true},
		},
		Groups: []reconcile.CloudGroup{{ID: "jc-g", Name: "local", Members: []string{"jc-local"}}},
	}
	gen := genDirectory(600, 12)
	genMoved := cloneDirectory(gen)
	for i := range genMoved.Users {
		switch i % 10 {
		case 1:
			genMoved.Users[i].Username += "x"
		case 2:
			genMoved.Users[i].Disabled = !genMoved.Users[i].Disabled
		case 3:
			genMoved.Users[i].GivenName = "Changed"
		}
	}
	genMoved.Users = genMoved.Users[:500]
	genMoved.Groups[0].Name = "Renamed"

	tests := []struct {
		name   string
		start  reconcile.Cloud
		steps  []reconcile.Directory
		policy reconcile.Policy
	}{
		{"seed, suspend policy", local, []reconcile.Directory{seed, moved, back, seed}, suspendAll},
		{"seed, delete policy", local, []reconcile.Directory{seed, moved, back, seed}, deleteAll},
		{"generated, suspend policy", reconcile.Cloud{}, []reconcile.Directory{gen, genMoved, gen}, suspendAll},
		{"generated, delete policy", reconcile.Cloud{}, []reconcile.Directory{gen, genMoved, gen}, deleteAll},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mem := reconciletest.NewMemory(tt.start)
			for n, d := range tt.steps {
				plan := reconcile.Diff(reconcile.ToJumpCloud, d, mem.Cloud(), tt.policy)
				if _, err := reconcile.Apply(t.Context(), plan, mem, reconcile.ApplyOptions{Concurrency: 4}); err != nil {
					t.Fatalf("step %d: Apply() = %v, want nil", n, err)
				}
				again := reconcile.Diff(reconcile.ToJumpCloud, d, mem.Cloud(), tt.policy)
				if !again.Empty() && deferred(plan) {
					// A change the plan reported as not applied (a name held
					// by a user this plan deletes, since deletes run last)
					// lands on the next run, and then nothing is left.
					if _, err := reconcile.Apply(t.Context(), again, mem, reconcile.ApplyOptions{}); err != nil {
						t.Fatalf("step %d: Apply(deferred) = %v, want nil", n, err)
					}
					again = reconcile.Diff(reconcile.ToJumpCloud, d, mem.Cloud(), tt.policy)
				}
				if !again.Empty() {
					t.Fatalf("step %d: second Diff() = %q, want no changes", n, lines(again))
				}
			}
			// JumpCloud-only objects survive every run untouched.
			c := mem.Cloud()
			for _, u := range c.Users {
				if u.ID == "jc-local" && (u.Anchor != "" || u.Suspended) {
					t.Errorf("JumpCloud-only user changed: %+v", u)
				}
			}
		})
	}
}

func TestDiffDoesNotMutateInputs(t *testing.T) {
	t.Parallel()
	d := genDirectory(300, 9)
	d.Users[0].GUID = strings.ToUpper(d.Users[0].GUID) // exercises lower-casing
	d.Cycles = []reconcile.Cycle{{Path: []string{"G0001", "G0002", "G0001"}}}
	c := synced(genDirectory(330, 10))
	c.Users[1].Username = "Renamed"
	slices.Reverse(c.Groups[0].Members)
	wantD, wantC := cloneDirectory(d), cloneCloud(c)
	reconcile.Diff(reconcile.ToJumpCloud, d, c, reconcile.DefaultPolicy())
	reconcile.Fingerprint(reconcile.ToJumpCloud, d, c)
	if diff := cmp.Diff(wantD, d); diff != "" {
		t.Errorf("Diff() changed desired (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(wantC, c); diff != "" {
		t.Errorf("Diff() changed actual (-before +after):\n%s", diff)
	}
}

func TestDiffIgnoresInputOrder(t *testing.T) {
	t.Parallel()
	d := genDirectory(300, 9)
	c := synced(genDirectory(330, 10))
	c.Users[1].Username = "Renamed"
	want := reconcile.Diff(reconcile.ToJumpCloud, d, c, reconcile.DefaultPolicy())

	rd, rc := cloneDirectory(d), cloneCloud(c)
	slices.Reverse(rd.Users)
	slices.Reverse(rd.Groups)
	for i := range rd.Groups {
		slices.Reverse(rd.Groups[i].Members)
	}
	slices.Reverse(rc.Users)
	slices.Reverse(rc.Groups)
	got := reconcile.Diff(reconcile.ToJumpCloud, rd, rc, reconcile.DefaultPolicy())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff() depends on input order (-in order +reversed):\n%s", diff)
	}
}

func TestPlanJSONRoundTrip(t *testing.T) {
	t.Parallel()
	d := seedDirectory()
	d.Users[0].Username = "renamed"
	d.Users = append(d.Users, adUser("user5"))
	d.Admins = []string{"guid-user5"}
	d.Cycles = []reconcile.Cycle{{Path: []string{"a", "b", "a"}}}
	plan := reconcile.Diff(reconcile.ToJumpCloud, d, seedCloud(), reconcile.DefaultPolicy())

	b, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		t.Fatalf("json.Marshal(plan) = %v", err)
	}
	var back reconcile.Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("json.Unmarshal(plan) = %v", err)
	}
	if diff := cmp.Diff(plan, back); diff != "" {
		t.Errorf("plan JSON round trip mismatch (-before +after):\n%s", diff)
	}
	again, _ := json.MarshalIndent(back, "", "  ")
	if !bytes.Equal(b, again) {
		t.Errorf("plan JSON not stable:\n%s\n---\n%s", b, again)
	}
	for _, w := range []string{`"action": "update"`, `"action": "create"`, `"version": 3`, `"direction": "ad-to-jumpcloud"`, `"fingerprint": "sha256:`} {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("plan JSON lacks %s:\n%s", w, b)
		}
	}
	var bad reconcile.Plan
	if err := json.Unmarshal([]byte(`{"changes":[{"action":"*"}]}`), &bad); err == nil {
		t.Errorf("json.Unmarshal(action \"*\") = nil, want an error")
	}
}

func TestEmptyPlanJSONHasEmptyLists(t *testing.T) {
	t.Parallel()
	plan := reconcile.Diff(reconcile.ToJumpCloud, reconcile.Directory{}, reconcile.Cloud{}, reconcile.DefaultPolicy())
	b, _ := json.Marshal(plan)
	if !bytes.Contains(b, []byte(`"changes":[]`)) || !bytes.Contains(b, []byte(`"skipped":[]`)) {
		t.Errorf("json.Marshal(empty plan) = %s, want empty lists, not null", b)
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	d, c := seedDirectory(), seedCloud()
	base := reconcile.Fingerprint(reconcile.ToJumpCloud, d, c)
	if !strings.HasPrefix(base, "sha256:") || len(base) != len("sha256:")+64 {
		t.Fatalf("Fingerprint() = %q, want sha256:<64 hex>", base)
	}
	rd, rc := cloneDirectory(d), cloneCloud(c)
	slices.Reverse(rd.Users)
	slices.Reverse(rc.Groups[0].Members)
	rd.Users[0].GUID = strings.ToUpper(rd.Users[0].GUID)
	if got := reconcile.Fingerprint(reconcile.ToJumpCloud, rd, rc); got != base {
		t.Errorf("Fingerprint(reordered) = %s, want %s", got, base)
	}
	if got := reconcile.Diff(reconcile.ToJumpCloud, d, c, reconcile.DefaultPolicy()).Fingerprint; got != base {
		t.Errorf("Diff().Fingerprint = %s, want %s", got, base)
	}
	moves := map[string]func(*reconcile.Directory, *reconcile.Cloud){
		"AD given name":     func(d *reconcile.Directory, _ *reconcile.Cloud) { d.Users[0].GivenName = "x" },
		"AD disabled":       func(d *reconcile.Directory, _ *reconcile.Cloud) { d.Users[0].Disabled = true },
		"AD member":         func(d *reconcile.Directory, _ *reconcile.Cloud) { d.Groups[1].Members = d.Groups[1].Members[:1] },
		"AD admin":          func(d *reconcile.Directory, _ *reconcile.Cloud) { d.Admins = []string{"guid-user1"} },
		"JumpCloud email":   func(_ *reconcile.Directory, c *reconcile.Cloud) { c.Users[2].Email = "x@y" },
		"JumpCloud suspend": func(_ *reconcile.Directory, c *reconcile.Cloud) { c.Users[2].Suspended = true },
		"JumpCloud member":  func(_ *reconcile.Directory, c *reconcile.Cloud) { c.Groups[0].Members = nil },
		"field boundary": func(d *reconcile.Directory, _ *reconcile.Cloud) {
			d.Users[0].GivenName, d.Users[0].Surname = d.Users[0].GivenName+"S", d.Users[0].Surname[1:]
		},
	}
	for name, move := range moves {
		md, mc := cloneDirectory(d), cloneCloud(c)
		move(&md, &mc)
		if got := reconcile.Fingerprint(reconcile.ToJumpCloud, md, mc); got == base {
			t.Errorf("Fingerprint() after %s unchanged, want a new one", name)
		}
	}
}

func TestApplyEmptyPlanCallsNothing(t *testing.T) {
	t.Parallel()
	mem := reconciletest.NewMemory(seedCloud())
	plan := reconcile.Diff(reconcile.ToJumpCloud, seedDirectory(), seedCloud(), reconcile.DefaultPolicy())
	res, err := reconcile.Apply(context.Background(), plan, mem, reconcile.ApplyOptions{})
	if err != nil || len(res.Outcomes) != 0 || len(mem.Calls()) != 0 {
		t.Errorf("Apply(empty plan) = %v, %v with calls %v, want nothing", res, err, mem.Calls())
	}
}

// deferred reports whether plan says it left a change for a later run.
func deferred(plan reconcile.Plan) bool {
	for _, s := range plan.Skipped {
		if strings.Contains(s.Reason, "not applied") {
			return true
		}
	}
	return false
}

// TestFieldChangeJSONTyped: boolean fields are JSON booleans (null when
// there is no old value), other fields strings, and both read back equal.
func TestFieldChangeJSONTyped(t *testing.T) {
	t.Parallel()
	in := []reconcile.FieldChange{
		{Name: reconcile.FieldSuspended, Old: "false", New: "true"},
		{Name: reconcile.FieldAdmin, New: "true"},
		{Name: reconcile.FieldEmail, Old: "a@x", New: "true"},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"suspended","old":false,"new":true},{"name":"sudo","old":null,"new":true},{"name":"email","old":"a@x","new":"true"}]`
	if string(b) != want {
		t.Errorf("json.Marshal(fields) = %s, want %s", b, want)
	}
	var back []reconcile.FieldChange
	if err := json.Unmarshal(b, &back); err != nil || !slices.Equal(back, in) {
		t.Errorf("round trip = %+v, %v; want %+v", back, err, in)
	}
}
