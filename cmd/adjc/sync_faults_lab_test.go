package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/adjc/adjc/commands"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/reconcile"
	"github.com/go-ldap/ldap/v3"
)

// syncLab is one sync (JumpCloud → AD) test's world: a fresh emulated org
// with an AD domain object, and a jc-authority config binding as jcsync,
// which may create only in CN=Users. Every name the test uses ends with
// its random suffix; cleanup deletes whatever in CN=Users holds it.
type syncLab struct {
	t      *testing.T
	lab    *ldaptest.Lab
	emu    *jcemu.Server
	org    string
	adID   string
	dir    string
	cfg    string
	suffix string
	users  string // CN=Users,<base DN>
	admin  *ldapx.Conn
	// wrap, when set, wraps adjc's LDAP connection (ldapx.Options.Wrap).
	wrap func(ldap.Client) ldap.Client
}

const syncFaultKey = "sync-fault-api-key-0123456789"

func newSyncLab(t *testing.T) *syncLab {
	t.Helper()
	l := ldaptest.Get(t)
	s := &syncLab{t: t, lab: l, dir: t.TempDir(), suffix: suffix()[:6], users: "CN=Users," + l.BaseDN}
	s.emu = jcemu.New(jcemu.WithIDPrefix(jcemu.RandomIDPrefix())) // ids unlike other tests' on the shared DC
	s.org = s.emu.AddOrg("adjc sync faults")
	if err := s.emu.AddAPIKey(syncFaultKey, s.org); err != nil {
		t.Fatal(err)
	}
	ad, err := s.emu.AddActiveDirectory(s.org, l.BaseDN)
	if err != nil {
		t.Fatal(err)
	}
	s.adID = ad.ID
	srv := httptest.NewServer(s.emu)
	t.Cleanup(srv.Close)
	keyFile := filepath.Join(s.dir, "jc-api-key")
	if err := os.WriteFile(keyFile, []byte(syncFaultKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	admin, err := ldapx.Dial(t.Context(), ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.admin = admin
	t.Cleanup(func() {
		defer admin.Close()
		for _, e := range s.created(context.Background()) {
			if err := admin.Delete(context.Background(), e.DN); err != nil {
				t.Logf("cleanup %s: %v", e.DN, err)
			}
		}
	})
	s.cfg = filepath.Join(s.dir, "adjc.yaml")
	cfg := fmt.Sprintf(`jumpcloud:
  api_url: %s/api
  api_key_file: %s
domains:
  - name: adjc.lab
    mode: jc-authority
    ldap_url: %s
    base_dn: %s
    root_container: %s
    bind: %s
    bind_password_file: %s
    ca_file: %s
    jumpcloud_domain_id: %s
state_dir: %s
`, srv.URL, keyFile, l.URL, l.BaseDN, s.users, l.Sync.Bind, l.Sync.PasswordFile, l.CAFile, ad.ID, filepath.Join(s.dir, "state"))
	if err := os.WriteFile(s.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// created returns every user and group in the domain whose cn or
// sAMAccountName holds the suffix: what this test's syncs created.
func (s *syncLab) created(ctx context.Context) []*ldap.Entry {
	sfx := ldap.EscapeFilter(s.suffix)
	es, err := s.admin.SearchAll(ctx, ldapx.Query{Base: s.lab.BaseDN, Scope: ldap.ScopeWholeSubtree,
		Filter:     "(&(|(objectClass=user)(objectClass=group))(|(cn=*" + sfx + "*)(sAMAccountName=*" + sfx + "*)))",
		Attributes: []string{"cn", "sAMAccountName", "userAccountControl", "member", "adminDescription"}})
	if err != nil {
		s.t.Errorf("search for the test's objects: %v", err)
	}
	return es
}

// addUser adds a JumpCloud user bound to the domain.
func (s *syncLab) addUser(name string) jcapi.SystemUser {
	s.t.Helper()
	u, err := s.emu.AddUser(s.org, jcapi.SystemUser{Username: name, Email: s.suffix + fmt.Sprintf("%d@sync.example", len(s.emu.Users(s.org))),
		Firstname: "Sync", Lastname: "Fault"})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.emu.Bind(s.org, s.adID, jcapi.TypeUser, u.ID); err != nil {
		s.t.Fatal(err)
	}
	return u
}

// addGroup adds a JumpCloud user group bound to the domain.
func (s *syncLab) addGroup(name string, members ...jcapi.SystemUser) jcapi.UserGroup {
	s.t.Helper()
	g, err := s.emu.AddUserGroup(s.org, jcapi.UserGroup{Name: name})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, m := range members {
		if err := s.emu.AddMember(s.org, g.ID, m.ID); err != nil {
			s.t.Fatal(err)
		}
	}
	if err := s.emu.Bind(s.org, s.adID, jcapi.TypeUserGroup, g.ID); err != nil {
		s.t.Fatal(err)
	}
	return g
}

// run executes adjc's command code in process, as main does, with the
// LDAP URL ldapURL (the DC or a proxy) and s.wrap around the connection.
func (s *syncLab) run(ldapURL string, args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	ios, _, out, errOut := output.Test()
	env := map[string]string{"ADJC_CONFIG": s.cfg, "ADJC_LDAP_URL": ldapURL, "NO_COLOR": "1", "HOME": s.dir,
		"XDG_CONFIG_HOME": filepath.Join(s.dir, "xdg"), "XDG_STATE_HOME": filepath.Join(s.dir, "xdg-state")}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	f := commands.NewFactory(ios, lookup)
	f.DirectoryFor = func(ctx context.Context, d *config.Domain, dir config.Direction) (*ldapx.Conn, error) {
		a := d.BindFor(dir)
		pw, err := a.Password.Resolve()
		if err != nil {
			return nil, err
		}
		return ldapx.Dial(ctx, ldapx.Options{URL: d.LDAPURL, BindDN: a.Bind, Password: pw, CAFile: d.CAFile, Wrap: s.wrap})
	}
	f.Directory = func(ctx context.Context, d *config.Domain) (*ldapx.Conn, error) {
		return f.DirectoryFor(ctx, d, config.DirectionSync)
	}
	ctx, cancel := context.WithTimeout(s.t.Context(), 3*time.Minute)
	defer cancel()
	err := commands.Execute(ctx, f, args)
	commands.PrintError(ios.ErrOut, err)
	return out.String(), errOut.String(), commands.ExitCode(err)
}

// writeCounter passes every call to the real connection and calls onWrite
// after each add, modify, rename or delete with the number of writes so far.
type writeCounter struct {
	ldap.Client
	n       atomic.Int32
	onWrite func(n int)
}

func (w *writeCounter) wrote()                       { w.onWrite(int(w.n.Add(1))) }
func (w *writeCounter) Add(r *ldap.AddRequest) error { defer w.wrote(); return w.Client.Add(r) }
func (w *writeCounter) Del(r *ldap.DelRequest) error { defer w.wrote(); return w.Client.Del(r) }
func (w *writeCounter) Modify(r *ldap.ModifyRequest) error {
	defer w.wrote()
	return w.Client.Modify(r)
}
func (w *writeCounter) ModifyDN(r *ldap.ModifyDNRequest) error {
	defer w.wrote()
	return w.Client.ModifyDN(r)
}

// syncResult is the part of `sync -o json` these tests read.
type syncResult struct {
	Applied  int                 `json:"applied"`
	Failed   int                 `json:"failed"`
	Outcomes []reconcile.Outcome `json:"outcomes"`
}

// TestFaultLDAPCutMidSync cuts the TCP connection to the DC right after
// the second write of a sync creating four users, two groups and their
// memberships: the second user's add is done but its answer is read over a
// dead connection. The sync fails clearly with exit 3, every change it
// reports applied is in AD, and the next sync converges: a third plans
// nothing, and every user is enabled, has a password and is in its groups.
func TestFaultLDAPCutMidSync(t *testing.T) {
	t.Parallel()
	s := newSyncLab(t)
	var us []jcapi.SystemUser
	for i := 1; i <= 4; i++ {
		us = append(us, s.addUser(fmt.Sprintf("cut%d%s", i, s.suffix)))
	}
	s.addGroup("cutA"+s.suffix, us[0], us[1])
	s.addGroup("cutB"+s.suffix, us[2], us[3])

	p := newCutProxy(t, strings.TrimPrefix(s.lab.URL, "ldaps://"))
	var cut atomic.Bool
	s.wrap = func(c ldap.Client) ldap.Client {
		return &writeCounter{Client: c, onWrite: func(n int) {
			// One add per user, password and all.
			if n == 2 && !cut.Load() && p.cutAll() > 0 {
				cut.Store(true)
			}
		}}
	}
	proxied := "ldaps://" + p.addr
	stdout, stderr, code := s.run(proxied, "sync", "--yes", "-o", "json")
	t.Logf("cut sync: exit %d\n%s", code, stderr)
	if !cut.Load() {
		t.Fatalf("the connection was never cut (exit %d):\n%s%s", code, stdout, stderr)
	}
	if code != commands.ExitPartial || strings.Contains(stderr, "panic") {
		t.Errorf("sync cut mid-apply: exit %d, want %d (some changes applied, some failed)", code, commands.ExitPartial)
	}
	if !strings.Contains(stderr, "the domain controller is unavailable") {
		t.Errorf("sync cut mid-apply: stderr %q, want it to say the domain controller is unavailable", stderr)
	}
	var res syncResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("sync -o json: %v\n%s", err, stdout)
	}
	if res.Applied == 0 || res.Failed == 0 {
		t.Errorf("applied %d, failed %d; want some of each", res.Applied, res.Failed)
	}
	s.checkApplied(res.Outcomes)

	// The next sync, connection whole, finishes the job; the one after
	// plans nothing.
	if out, errOut, code := s.run(proxied, "sync", "--yes", "-o", "plain"); code != 0 {
		t.Fatalf("sync after the cut: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := s.run(proxied, "sync", "-o", "plain"); code != 0 || !strings.HasPrefix(out, "No changes") {
		t.Errorf("third sync: exit %d, want no changes:\n%s%s", code, out, errOut)
	}
	for _, u := range us {
		au, err := s.admin.FindUser(t.Context(), "sAMAccountName", u.Username)
		if err != nil || au.Disabled() || au.PwdLastSet.IsZero() {
			t.Errorf("user %s after convergence: %+v, %v; want it enabled, with a password", u.Username, au, err)
		}
	}
	for g, want := range map[string]int{"cutA" + s.suffix: 2, "cutB" + s.suffix: 2} {
		grp, err := s.admin.Group(t.Context(), ldapx.JoinDN(ldapx.RDN("CN", g), s.users))
		if err != nil || len(grp.Members) != want {
			t.Errorf("group %s after convergence: members %v, %v; want %d", g, grp.Members, err, want)
		}
	}
}

// checkApplied fails the test for every outcome reported applied that AD
// does not show: a created user enabled, a created group, a member added.
func (s *syncLab) checkApplied(outcomes []reconcile.Outcome) {
	s.t.Helper()
	ctx := s.t.Context()
	for _, o := range outcomes {
		if o.Status != reconcile.StatusApplied {
			continue
		}
		c := o.Change
		switch {
		case c.Kind == reconcile.KindUser && c.Action == reconcile.Create:
			u, err := s.admin.User(ctx, o.ID)
			if err != nil || u.Disabled() {
				s.t.Errorf("user %s reported created as %s: %+v, %v; want it in AD, enabled", c.Key, o.ID, u, err)
			}
		case c.Kind == reconcile.KindGroup && c.Action == reconcile.Create:
			if _, err := s.admin.Group(ctx, o.ID); err != nil {
				s.t.Errorf("group %s reported created as %s: %v", c.Key, o.ID, err)
			}
		case c.Kind == reconcile.KindMembership && c.Action == reconcile.Create:
			s.t.Errorf("membership %s reported added, but its group was created after the cut", c.Key)
		default:
			s.t.Errorf("unexpected applied change %c %s %s", c.Action, c.Kind, c.Key)
		}
	}
}

// recorder passes every call to the real connection and records the
// filters searched and the DNs added or renamed.
type recorder struct {
	ldap.Client
	mu      sync.Mutex
	filters []string
	adds    []string
}

func (r *recorder) note(list *[]string, s string) {
	r.mu.Lock()
	*list = append(*list, s)
	r.mu.Unlock()
}
func (r *recorder) Search(q *ldap.SearchRequest) (*ldap.SearchResult, error) {
	r.note(&r.filters, q.Filter)
	return r.Client.Search(q)
}
func (r *recorder) SearchAsync(ctx context.Context, q *ldap.SearchRequest, n int) ldap.Response {
	r.note(&r.filters, q.Filter)
	return r.Client.SearchAsync(ctx, q, n)
}
func (r *recorder) Add(q *ldap.AddRequest) error { r.note(&r.adds, q.DN); return r.Client.Add(q) }
func (r *recorder) ModifyDN(q *ldap.ModifyDNRequest) error {
	r.note(&r.adds, q.NewRDN+"+"+q.NewSuperior)
	return r.Client.ModifyDN(q)
}

// TestSyncLDAPInjection binds JumpCloud users and groups whose names hold
// filter metacharacters, NUL and DN specials (a leading #, leading and
// trailing spaces, , + " < > ; =). Sync creates exactly the
// names AD can hold, as direct children of CN=Users — a group whose name
// AD refuses only in sAMAccountName with that cn and a cleaned
// sAMAccountName (issue 15.7) — refuses the others with the reason, never
// searches with a wildcard or a value it did not escape, and a second sync
// plans nothing.
func TestSyncLDAPInjection(t *testing.T) {
	t.Parallel()
	s := newSyncLab(t)
	x := s.suffix
	// AD can hold these as sAMAccountName; their cn needs DN escaping.
	okUsers := []string{"#u" + x, "u(" + x + ")", "u&'!" + x, "u%" + x + "#", " ul" + x, "ut" + x + " "}
	okGroups := []string{"#g" + x, "g(" + x + ")&!", "g " + x, " gl" + x, "gt" + x + " "}
	// AD refuses these in sAMAccountName (users also refuse @): users are
	// refused, groups created with a cleaned sAMAccountName; NUL and "="
	// are in no cn the lab's DC holds.
	badUsers := []string{"u*" + x, `u\` + x, "u\x00" + x, "u,(cn=*)" + x, "u+" + x, `u"<>` + x, "u;=" + x}
	cleanedGroups := []string{"*" + x, `g\2a` + x, "g,OUx" + x, "g+sn" + x, `g"<>;` + x, "g*)(" + x}
	badGroups := []string{"g\x00" + x, "g*)(cn=*" + x, "g,OU=x" + x, "g+sn=" + x, "g=" + x}
	okGroups = append(okGroups, cleanedGroups...)
	var members []jcapi.SystemUser
	for _, n := range append(slices.Clone(okUsers), badUsers...) {
		members = append(members, s.addUser(n))
	}
	for _, n := range append(slices.Clone(okGroups), badGroups...) {
		s.addGroup(n, members...)
	}
	var rec *recorder
	s.wrap = func(c ldap.Client) ldap.Client { rec = &recorder{Client: c}; return rec }

	stdout, stderr, code := s.run(s.lab.URL, "sync", "--yes", "-o", "json")
	if code != 0 {
		t.Fatalf("sync: exit %d\n%s%s", code, stdout, stderr)
	}
	var res struct {
		syncResult
		Plan struct {
			Skipped []reconcile.Skip `json:"skipped"`
		} `json:"plan"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("sync -o json: %v\n%s", err, stdout)
	}
	skipped := map[string]string{}
	for _, sk := range res.Plan.Skipped {
		skipped[strings.ToLower(sk.Key)] = sk.Reason
	}
	for _, n := range append(slices.Clone(badUsers), badGroups...) {
		if why := skipped[strings.ToLower(n)]; !strings.Contains(why, "cannot be an AD") {
			t.Errorf("%q: skipped %q; want it refused, naming why", n, why)
		}
	}

	// AD holds exactly the names it can, each once, in CN=Users.
	got := map[string]int{}
	for _, e := range s.created(t.Context()) {
		cn := e.GetAttributeValue("cn")
		got[cn]++
		if want := reconcile.GroupSAMAccountName(cn); e.GetAttributeValue("sAMAccountName") != want {
			t.Errorf("%s: sAMAccountName %q, want %q (the cn, cleaned for a group)", e.DN, e.GetAttributeValue("sAMAccountName"), want)
		}
		want, _ := ldap.ParseDN(ldapx.JoinDN(ldapx.RDN("CN", cn), s.users))
		if dn, err := ldap.ParseDN(e.DN); err != nil || !dn.EqualFold(want) {
			t.Errorf("object at %s, want %s (%v)", e.DN, want, err)
		}
	}
	for _, n := range append(slices.Clone(okUsers), okGroups...) {
		if got[n] != 1 {
			t.Errorf("AD holds %q %d times, want once", n, got[n])
		}
		delete(got, n)
	}
	for n, k := range got {
		t.Errorf("AD holds %q (%d times), which sync should not have created", n, k)
	}
	for _, g := range okGroups {
		grp, err := s.admin.Group(t.Context(), ldapx.JoinDN(ldapx.RDN("CN", g), s.users))
		if err != nil || len(grp.Members) != len(okUsers) {
			t.Errorf("group %q: members %v, %v; want the %d users AD could hold", g, grp.Members, err, len(okUsers))
		}
	}
	for _, dn := range rec.adds {
		if !strings.HasSuffix(strings.ToLower(dn), ","+strings.ToLower(s.users)) {
			t.Errorf("sync added %s, outside %s", dn, s.users)
		}
	}
	checkFilters(t, rec.filters, slices.Concat(okUsers, okGroups, badUsers, badGroups))

	if out, errOut, code := s.run(s.lab.URL, "sync", "-o", "plain"); code != 0 || !strings.HasPrefix(out, "No changes") {
		t.Errorf("second sync: exit %d, want no changes:\n%s%s", code, out, errOut)
	}
}

// checkFilters fails for any filter that does not compile or holds one
// of names with a filter metacharacter (* ( ) \ NUL) as it is, unescaped:
// a wildcard or a new clause.
func checkFilters(t *testing.T, filters, names []string) {
	t.Helper()
	for _, f := range filters {
		if _, err := ldap.CompileFilter(f); err != nil {
			t.Errorf("filter %q does not compile: %v", f, err)
		}
		for _, n := range names {
			if strings.ContainsAny(n, "*()\\\x00") && strings.Contains(f, n) {
				t.Errorf("filter %q holds %q unescaped", f, n)
			}
		}
	}
}

// TestFaultEmptiedMemberListSync: a bound group's member list answered as
// [] (a 200) once removes nothing in AD — the second read finds the members
// — and only a list read empty twice removes them (issue 14 point 3).
func TestFaultEmptiedMemberListSync(t *testing.T) {
	t.Parallel()
	s := newSyncLab(t)
	var us []jcapi.SystemUser
	for i := 1; i <= 3; i++ {
		us = append(us, s.addUser(fmt.Sprintf("emp%d%s", i, s.suffix)))
	}
	g := s.addGroup("empG"+s.suffix, us...)
	if _, stderr, code := s.run(s.lab.URL, "sync", "--yes", "-o", "plain"); code != 0 {
		t.Fatalf("first sync: exit %d\n%s", code, stderr)
	}
	members := func() int {
		t.Helper()
		dn, err := s.admin.FindGroup(t.Context(), s.users, "empG"+s.suffix)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := s.admin.Members(t.Context(), dn.DN, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}
	if n := members(); n != 3 {
		t.Fatalf("after the first sync the AD group has %d members, want 3", n)
	}
	empty := jcemu.Fault{Method: "GET", Path: "/api/v2/usergroups/" + g.ID + "/members", Empty: true}

	// Empty once: the second read finds the members; nothing is removed.
	empty.Times = 1
	s.emu.FailNext(empty)
	stdout, stderr, code := s.run(s.lab.URL, "sync", "--yes", "-o", "plain")
	if code != 0 || !strings.Contains(stdout, "No changes") || members() != 3 {
		t.Errorf("sync with a member list read empty once: exit %d, %d members left\n%s%s", code, members(), stdout, stderr)
	}

	// Empty twice: confirmed, so the removals are planned and applied.
	empty.Times = 2
	s.emu.FailNext(empty)
	stdout, stderr, code = s.run(s.lab.URL, "sync", "--yes", "-o", "plain")
	if code != 0 || members() != 0 {
		t.Errorf("sync with a member list read empty twice: exit %d, %d members left, want 0\n%s%s", code, members(), stdout, stderr)
	}
}
