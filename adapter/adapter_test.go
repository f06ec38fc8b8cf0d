package adapter_test

import (
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
)

const testKey = "test-api-key-0123456789"

// emulator starts jcemu on loopback with one org and returns it, the org id
// and a client without rate limit (the emulator is in memory).
func emulator(t *testing.T) (*jcemu.Server, string, *jcapi.Client) {
	t.Helper()
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := jcemu.New(jcemu.WithClock(func() time.Time { return at }))
	org := srv.AddOrg("adjc test")
	if err := srv.AddAPIKey(testKey, org); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := jcapi.New(ts.URL+"/api", secret.New(testKey),
		jcapi.WithRateLimit(0, 0), jcapi.WithConcurrency(8), jcapi.WithRetry(2, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return srv, org, c
}

func TestGroupAnchor(t *testing.T) {
	t.Parallel()
	const guid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	if got := adapter.GroupAnchor(adapter.GroupDescription(guid)); got != guid {
		t.Errorf("GroupAnchor(GroupDescription(%q)) = %q", guid, got)
	}
	for _, d := range []string{
		"",
		"engineering",
		"Mirrored from Active Directory by adjc (objectGUID " + guid + ") and edited",
		"mirrored from active directory by adjc (objectGUID " + guid + ")",
		"Mirrored from Active Directory by adjc (objectGUID 3f2504e0-4f89-11d3-9a0c-0305e82c330z)",
		" Mirrored from Active Directory by adjc (objectGUID " + guid + ")",
	} {
		if got := adapter.GroupAnchor(d); got != "" {
			t.Errorf("GroupAnchor(%q) = %q, want \"\"", d, got)
		}
	}
	if got := adapter.GroupAnchor(adapter.GroupDescription("3F2504E0-4F89-11D3-9A0C-0305E82C3301")); got != guid {
		t.Errorf("GroupAnchor(upper case) = %q, want %q", got, guid)
	}
}

// TestReadCloud seeds the emulator through its Go API and reads it back.
func TestReadCloud(t *testing.T) {
	t.Parallel()
	srv, org, c := emulator(t)
	const guid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	managed, err := srv.AddUser(org, jcapi.SystemUser{
		Username: "alice", Email: "alice@example.com", Firstname: "Alice", Lastname: "A",
		Sudo: jcapi.Bool(true), Attributes: []jcapi.Attribute{{Name: "dept", Value: "x"}, {Name: adapter.AnchorAttribute, Value: guid}},
	})
	if err != nil {
		t.Fatal(err)
	}
	local, err := srv.AddUser(org, jcapi.SystemUser{Username: "bob", Email: "bob@example.com", State: jcapi.StateSuspended})
	if err != nil {
		t.Fatal(err)
	}
	g, err := srv.AddUserGroup(org, jcapi.UserGroup{Name: "eng", Description: adapter.GroupDescription(guid)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := srv.AddUserGroup(org, jcapi.UserGroup{Name: "local", Description: "kept by hand"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range [][2]string{{g.ID, managed.ID}, {g.ID, local.ID}, {h.ID, local.ID}} {
		if err := srv.AddMember(org, m[0], m[1]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := adapter.ReadCloud(t.Context(), c)
	if err != nil {
		t.Fatalf("ReadCloud() = %v", err)
	}
	want := reconcile.Cloud{
		Users: []reconcile.CloudUser{
			{ID: managed.ID, Username: "alice", Email: "alice@example.com", Firstname: "Alice", Lastname: "A", Admin: true, Anchor: guid},
			{ID: local.ID, Username: "bob", Email: "bob@example.com", Suspended: true},
		},
		Groups: []reconcile.CloudGroup{
			{ID: g.ID, Name: "eng", Anchor: guid, Members: slices.Sorted(slices.Values([]string{managed.ID, local.ID}))},
			{ID: h.ID, Name: "local", Members: []string{local.ID}},
		},
	}
	if a, b := reconcile.Fingerprint(reconcile.ToJumpCloud, reconcile.Directory{}, got), reconcile.Fingerprint(reconcile.ToJumpCloud, reconcile.Directory{}, want); a != b {
		t.Errorf("ReadCloud() = %+v\nwant %+v", got, want)
	}
}

// TestUnauthorizedIsTerminal checks that a rejected key stops Apply at once.
func TestUnauthorizedIsTerminal(t *testing.T) {
	t.Parallel()
	srv, _, _ := emulator(t)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	bad, err := jcapi.New(ts.URL+"/api", secret.New("wrong-key"), jcapi.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	dir := reconcile.Directory{Users: []reconcile.ADUser{
		{GUID: "3f2504e0-4f89-11d3-9a0c-0305e82c3301", Username: "a", Mail: "a@example.com"},
		{GUID: "3f2504e0-4f89-11d3-9a0c-0305e82c3302", Username: "b", Mail: "b@example.com"},
	}}
	plan := reconcile.Diff(reconcile.ToJumpCloud, dir, reconcile.Cloud{}, reconcile.DefaultPolicy())
	res, err := reconcile.Apply(t.Context(), plan, adapter.NewJumpCloudTarget(bad, dir), reconcile.ApplyOptions{})
	if !reconcile.IsTerminal(err) || !errors.Is(err, jcapi.ErrUnauthorized) {
		t.Fatalf("Apply(bad key) = %v, want a terminal ErrUnauthorized", err)
	}
	if n := res.Count(reconcile.StatusFailed); n != 1 {
		t.Errorf("Apply(bad key) failed %d changes, want 1 (then stop)", n)
	}
}

// TestImportFixture reads the lab fixture, imports it into an empty emulated
// org through Apply, and diffs again: the second plan must be empty.
func TestImportFixture(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	conn, err := ldapx.Dial(t.Context(), ldapx.Options{URL: l.URL, BindDN: l.Import.Bind, Password: l.Import.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("Dial(%s) = %v", l.URL, err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx := t.Context()
	start := time.Now()
	dir, err := adapter.ReadDirectory(ctx, conn, adapter.ReadOptions{})
	if err != nil {
		t.Fatalf("ReadDirectory() = %v", err)
	}
	t.Logf("ReadDirectory: %d users, %d groups in %v", len(dir.Users), len(dir.Groups), time.Since(start))

	byGUID := map[string]reconcile.ADUser{}
	for _, u := range dir.Users {
		byGUID[u.GUID] = u
	}
	names := func(guids []string) []string {
		var out []string
		for _, g := range guids {
			out = append(out, byGUID[g].Username)
		}
		slices.Sort(out)
		return out
	}
	groups := map[string][]string{}
	for _, g := range dir.Groups {
		groups[g.Name] = names(g.Members)
	}
	for name, want := range map[string][]string{
		"Group1": {"user1", "user2", "user3", "user4"},
		"Group2": {"user3", "user4"},
		"Staff":  {"staff1", "staff2"}, // outside CN=Users, in scope through Staff
	} {
		if got := groups[name]; !slices.Equal(got, want) {
			t.Errorf("group %s = %v, want %v", name, got, want)
		}
	}
	if got := names(dir.Admins); !slices.Equal(got, []string{"admin1"}) {
		t.Errorf("Admins = %v, want [admin1]", got)
	}
	if got := names(dir.NestedAdmins); !slices.Equal(got, []string{"admin2"}) {
		t.Errorf("NestedAdmins = %v, want [admin2]", got)
	}
	if len(dir.Cycles) != 1 || !slices.Equal(dir.Cycles[0].Path, []string{"GroupA", "GroupB", "GroupA"}) {
		t.Errorf("Cycles = %v, want [GroupA GroupB GroupA]", dir.Cycles)
	}
	skipped := map[string]bool{}
	for _, s := range dir.Skipped {
		skipped[s.Key] = true
	}
	if n := len(groups["BigGroup"]); n != 1600 {
		t.Errorf("BigGroup has %d members, want 1600", n)
	}
	for _, k := range []string{"CN=Admin Outside,CN=Users,DC=adjc,DC=lab"} {
		if !skipped[k] {
			t.Errorf("Skipped has no %q: %v", k, dir.Skipped)
		}
	}

	srv, org, c := emulator(t)
	cloud, err := adapter.ReadCloud(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	plan := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy())
	start = time.Now()
	res, err := reconcile.Apply(ctx, plan, adapter.NewJumpCloudTarget(c, dir), reconcile.ApplyOptions{Concurrency: 8})
	if err != nil {
		t.Fatalf("Apply() = %v", err)
	}
	t.Logf("Apply: %d changes in %v", len(res.Outcomes), time.Since(start))

	cloud, err = adapter.ReadCloud(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if again := reconcile.Diff(reconcile.ToJumpCloud, dir, cloud, reconcile.DefaultPolicy()); !again.Empty() {
		t.Errorf("second Diff plans %d changes, want none; first: %+v", len(again.Changes), again.Changes[:min(5, len(again.Changes))])
	}

	// The seed example, as the emulator holds it.
	users := map[string]jcapi.SystemUser{}
	for _, u := range srv.Users(org) {
		users[u.ID] = u
	}
	for _, g := range srv.UserGroups(org) {
		var got []string
		for _, id := range srv.Members(org, g.ID) {
			got = append(got, users[id].Username)
		}
		slices.Sort(got)
		switch g.Name {
		case "Group1":
			if !slices.Equal(got, []string{"user1", "user2", "user3", "user4"}) {
				t.Errorf("JumpCloud Group1 = %v", got)
			}
		case "Group2":
			if !slices.Equal(got, []string{"user3", "user4"}) {
				t.Errorf("JumpCloud Group2 = %v", got)
			}
		}
	}
	for _, u := range srv.Users(org) {
		if u.Username == "user1" && (u.ExternalDN != "CN=User1,CN=Users,DC=adjc,DC=lab" || u.ExternalSourceType != adapter.ExternalSourceType) {
			t.Errorf("user1 external_dn = %q, external_source_type = %q", u.ExternalDN, u.ExternalSourceType)
		}
		if u.Username == "admin1" && (u.Sudo == nil || !*u.Sudo) {
			t.Errorf("admin1 sudo = %v, want true", u.Sudo)
		}
	}
}

// TestRecheckBound checks the second read of an emptied member list: an
// empty answer again confirms it, an answer with members replaces it, and
// groups not named are left as read.
func TestRecheckBound(t *testing.T) {
	t.Parallel()
	srv, org, c := emulator(t)
	u, err := srv.AddUser(org, jcapi.SystemUser{Username: "alice", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := srv.AddUserGroup(org, jcapi.UserGroup{Name: "empty"})
	if err != nil {
		t.Fatal(err)
	}
	full, err := srv.AddUserGroup(org, jcapi.UserGroup{Name: "full"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddMember(org, full.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	// As a first read that answered [] for both groups.
	b := reconcile.Cloud{Groups: []reconcile.CloudGroup{{ID: empty.ID, Name: "empty"}, {ID: full.ID, Name: "full"}, {ID: "other", Name: "other"}}}
	got, err := adapter.RecheckBound(t.Context(), c, b, []string{empty.ID, full.ID})
	if err != nil {
		t.Fatal(err)
	}
	if g := got.Groups[0]; !g.MembersConfirmed || len(g.Members) != 0 {
		t.Errorf("RecheckBound: empty group = %+v, want confirmed with no members", g)
	}
	if g := got.Groups[1]; g.MembersConfirmed || !slices.Equal(g.Members, []string{u.ID}) {
		t.Errorf("RecheckBound: group with a member = %+v, want [%s], not confirmed", g, u.ID)
	}
	if g := got.Groups[2]; g.MembersConfirmed {
		t.Errorf("RecheckBound: group not named = %+v, want as read", g)
	}
	if b.Groups[0].MembersConfirmed || b.Groups[1].Members != nil {
		t.Errorf("RecheckBound modified its input: %+v", b.Groups)
	}
}
