package adapter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
)

// readDomainFull is ReadDomain as it was before it read only what is bound:
// every user under the base DN, and the groups named like bound groups or
// recording their ids, with every direct user member. It is the oracle the
// targeted read is checked against.
func readDomainFull(ctx context.Context, conn *ldapx.Conn, opts DomainOptions) (reconcile.Directory, error) {
	attr := opts.UsernameAttribute
	if attr == "" {
		attr = "sAMAccountName"
	}
	container := opts.Container
	if container == "" {
		container = "CN=Users," + opts.BaseDN
	}
	var extra []string
	if !strings.EqualFold(attr, "sAMAccountName") {
		extra = append(extra, attr)
	}
	users, err := conn.Users(ctx, opts.BaseDN, extra...)
	if err != nil {
		return reconcile.Directory{}, err
	}
	nt, err := ReadNeverTouch(ctx, conn, NeverTouchOptions{Scope: opts.BaseDN, RootContainer: container,
		Binds: opts.Binds, JumpCloudGroup: opts.JumpCloudGroup, AdminsGroup: opts.AdminsGroup, Entries: opts.NeverTouch})
	if err != nil {
		return reconcile.Directory{}, err
	}
	d := reconcile.Directory{Container: container, NeverTouch: nt}
	byDN := make(map[string]string, len(users))
	for _, u := range users {
		d.Users = append(d.Users, adUser(u, attr))
		byDN[strings.ToLower(u.DN)] = u.GUID
	}
	var clauses []string
	for _, g := range opts.Bound.Groups {
		clauses = append(clauses, ldapx.EqualityFilter("cn", g.Name))
	}
	for _, g := range opts.Bound.Groups {
		clauses = append(clauses, ldapx.EqualityFilter("adminDescription", GroupAnchorValue(g.ID)))
	}
	seen := map[string]bool{}
	for start := 0; start < len(clauses); start += batch {
		f := "(&(objectClass=group)(|" + strings.Join(clauses[start:min(start+batch, len(clauses))], "") + "))"
		es, err := conn.SearchAll(ctx, ldapx.Query{Base: opts.BaseDN, Scope: ldap.ScopeWholeSubtree, Filter: f,
			Attributes: []string{"cn", "adminCount", "adminDescription"}})
		if err != nil {
			return reconcile.Directory{}, err
		}
		for _, e := range es {
			if seen[strings.ToLower(e.DN)] {
				continue
			}
			seen[strings.ToLower(e.DN)] = true
			g, err := conn.Group(ctx, e.DN)
			if err != nil {
				return reconcile.Directory{}, err
			}
			n, _ := strconv.Atoi(e.GetAttributeValue("adminCount"))
			dg := reconcile.ADGroup{GUID: g.GUID, DN: g.DN, Name: g.Name, Privileged: n == 1, SID: g.SID, Critical: g.Critical}
			dg.Anchor, dg.AnchorSlotTaken = groupAnchor(e.GetAttributeValue("adminDescription"))
			for _, m := range g.Members {
				if guid, ok := byDN[strings.ToLower(m)]; ok {
					dg.Members = append(dg.Members, guid)
				}
			}
			d.Groups = append(d.Groups, dg)
		}
	}
	return d, nil
}

// counting is an ldap.Client that counts the entries its searches return.
type counting struct {
	ldap.Client
	entries *atomic.Int64
}

func (c counting) Search(req *ldap.SearchRequest) (*ldap.SearchResult, error) {
	r, err := c.Client.Search(req)
	if r != nil {
		c.entries.Add(int64(len(r.Entries)))
	}
	return r, err
}

func (c counting) SearchAsync(ctx context.Context, req *ldap.SearchRequest, bufferSize int) ldap.Response {
	return countingResponse{Response: c.Client.SearchAsync(ctx, req, bufferSize), entries: c.entries}
}

type countingResponse struct {
	ldap.Response
	entries *atomic.Int64
}

func (r countingResponse) Next() bool {
	ok := r.Response.Next()
	if ok && r.Response.Entry() != nil {
		r.entries.Add(1)
	}
	return ok
}

// TestReadDomainLab checks that ReadDomain, which reads only what is bound,
// gives the plan a read of every user in the domain gives: for bound users
// found by name (in another case), by anchor, missing, privileged, not a
// valid logon name or anchored to a deleted object, and bound groups found
// by name, by anchor under an old name, large (ranged members), privileged
// or missing, with AD members that are and are not bound. It logs how many
// entries each read returned and how long it took.
func TestReadDomainLab(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ctx := t.Context()
	var entries atomic.Int64
	dial := func(a ldaptest.Account, wrap func(ldap.Client) ldap.Client) *ldapx.Conn {
		c, err := ldapx.Dial(ctx, ldapx.Options{URL: l.URL, BindDN: a.Bind, Password: a.Password, CAFile: l.CAFile, Wrap: wrap, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
		if err != nil {
			t.Fatalf("Dial(%s) = %v", a.Bind, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	admin := dial(l.Admin, nil)
	conn := dial(l.Import, func(c ldap.Client) ldap.Client { return counting{Client: c, entries: &entries} })
	ou := l.TempOU(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	sfx := hex.EncodeToString(b[:])
	user := func(name string) ldapx.User {
		u, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: name + sfx, GivenName: name, SN: "Lab",
			Mail: name + sfx + "@adjc.lab", Password: secret.New("Dom-" + sfx + "-Pw1!")})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	group := func(name, anchor string, members ...ldapx.User) ldapx.Group {
		g, err := admin.CreateGroup(ctx, ou, name, name)
		if err != nil {
			t.Fatal(err)
		}
		if anchor != "" {
			if err := admin.Modify(ctx, g.DN, map[string][]string{"adminDescription": {anchor}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range members {
			if err := admin.AddMember(ctx, g.DN, m.DN); err != nil {
				t.Fatal(err)
			}
		}
		return g
	}
	alice, carol, dave := user("alice"), user("carol"), user("dave")
	user("bob")
	id := func(n int) string { return fmt.Sprintf("%s%016x", sfx, n) } // 24 hex digits, like a JumpCloud id
	group("g1"+sfx, "", alice, carol, dave)                            // dave is in AD only
	group("g2old"+sfx, GroupAnchorValue(id(102)), carol)               // renamed in JumpCloud

	five := []reconcile.CloudUser{
		{ID: id(1), Username: strings.ToUpper("alice" + sfx), Email: "alice" + sfx + "@adjc.lab", Firstname: "Alice", Lastname: "Lab"},
		{ID: id(2), Username: "bob" + sfx, Email: "bob" + sfx + "@adjc.lab", Firstname: "Robert", Lastname: "Lab", Suspended: true},
		{ID: id(3), Username: "carol-in-jc" + sfx, Anchor: strings.ToUpper(carol.GUID), Firstname: "carol", Lastname: "Lab"},
		{ID: id(4), Username: "nobody" + sfx, Firstname: "No", Lastname: "Body"},
		{ID: id(5), Username: "privileged"},
	}
	all := reconcile.Cloud{
		Users: append(slices.Clone(five),
			reconcile.CloudUser{ID: id(6), Username: "bulk0007", Firstname: "Bulk"},
			reconcile.CloudUser{ID: id(7), Username: "gone" + sfx, Anchor: "0badf00d-0000-4000-8000-" + sfx + "0000"},
			reconcile.CloudUser{ID: id(8), Username: "x*)(cn=*" + sfx},
			reconcile.CloudUser{ID: id(9), Username: "notaguid" + sfx, Anchor: "not-a-guid"},
		),
		Groups: []reconcile.CloudGroup{
			{ID: id(101), Name: "g1" + sfx, Members: []string{id(1), id(2)}},
			{ID: id(102), Name: "g2new" + sfx, Members: []string{id(3), id(2)}},
			{ID: id(103), Name: "BigGroup", Members: []string{id(6)}},
			{ID: id(104), Name: "Domain Admins", Members: []string{id(5)}},
			{ID: id(105), Name: "new" + sfx, Members: []string{id(1), id(4)}},
			{ID: id(106), Name: "g*)(cn=*" + sfx},
		},
	}
	tests := []struct {
		name  string
		bound reconcile.Cloud
		want  []string // some of the plan's lines, so the fixture is known to bite
	}{
		{"five users", reconcile.Cloud{Users: five}, []string{
			"~ user alice" + sfx, "~ user bob" + sfx, "+ user nobody" + sfx,
			"skip user privileged", "skip user carol-in-jc" + sfx,
		}},
		{"users and groups", all, []string{
			"~ group g2new" + sfx, "- membership g1" + sfx + "/carol-in-jc" + sfx, "+ membership g2new" + sfx + "/bob" + sfx,
			"~ user bulk0007", "skip group Domain Admins", "+ group new" + sfx, "skip user gone" + sfx,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DomainOptions{BaseDN: l.BaseDN, Bound: tt.bound}
			read := func(f func(context.Context, *ldapx.Conn, DomainOptions) (reconcile.Directory, error)) (reconcile.Directory, int64, time.Duration) {
				t.Helper()
				entries.Store(0)
				start := time.Now()
				d, err := f(ctx, conn, opts)
				if err != nil {
					t.Fatal(err)
				}
				return d, entries.Load(), time.Since(start)
			}
			full, fullN, fullT := read(readDomainFull)
			got, gotN, gotT := read(ReadDomain)
			t.Logf("entries read: every user %d in %v, bound only %d in %v (%d bound users, %d bound groups)",
				fullN, fullT.Round(time.Millisecond), gotN, gotT.Round(time.Millisecond), len(tt.bound.Users), len(tt.bound.Groups))
			if gotN >= fullN {
				t.Errorf("ReadDomain read %d entries, the full read %d: want fewer", gotN, fullN)
			}

			pol := reconcile.DefaultPolicy()
			want, plan := reconcile.Diff(reconcile.ToAD, full, tt.bound, pol), reconcile.Diff(reconcile.ToAD, got, tt.bound, pol)
			want.Fingerprint, plan.Fingerprint = "", "" // covers what was read
			if diff := cmp.Diff(want, plan); diff != "" {
				t.Errorf("Diff(ToAD, ReadDomain, bound) differs from Diff(ToAD, full read, bound) (-full +targeted):\n%s", diff)
			}
			lines := map[string]bool{}
			for _, c := range plan.Changes {
				lines[string(c.Action)+" "+string(c.Kind)+" "+c.Key] = true
			}
			for _, s := range plan.Skipped {
				lines["skip "+string(s.Kind)+" "+s.Key] = true
			}
			for _, w := range tt.want {
				if !lines[w] {
					t.Errorf("plan lacks %q; it has %v", w, slices.Sorted(func(yield func(string) bool) {
						for k := range lines {
							if !yield(k) {
								return
							}
						}
					}))
				}
			}

			// The users read are exactly the full read's users that a bound
			// user can match, and each group the full read's group with
			// the members among them.
			names, anchors := map[string]bool{}, map[string]bool{}
			for _, u := range tt.bound.Users {
				if u.Anchor != "" {
					anchors[strings.ToLower(u.Anchor)] = true
				} else {
					names[strings.ToLower(u.Username)] = true
				}
			}
			byGUID := func(us []reconcile.ADUser) map[string]reconcile.ADUser {
				m := map[string]reconcile.ADUser{}
				for _, u := range us {
					m[strings.ToLower(u.GUID)] = u
				}
				return m
			}
			wantUsers := map[string]reconcile.ADUser{}
			for k, u := range byGUID(full.Users) {
				if names[strings.ToLower(u.Username)] || anchors[k] {
					wantUsers[k] = u
				}
			}
			gotUsers := byGUID(got.Users)
			if len(got.Users) != len(gotUsers) {
				t.Errorf("ReadDomain read %d users, %d distinct", len(got.Users), len(gotUsers))
			}
			if diff := cmp.Diff(wantUsers, gotUsers); diff != "" {
				t.Errorf("ReadDomain users (-full read, matching +targeted):\n%s", diff)
			}
			keep := func(gs []reconcile.ADGroup) map[string]reconcile.ADGroup {
				m := map[string]reconcile.ADGroup{}
				for _, g := range gs {
					g.Members = slices.DeleteFunc(slices.Clone(g.Members), func(m string) bool { return gotUsers[strings.ToLower(m)].GUID == "" })
					slices.Sort(g.Members)
					m[strings.ToLower(g.GUID)] = g
				}
				return m
			}
			if diff := cmp.Diff(keep(full.Groups), keep(got.Groups)); diff != "" {
				t.Errorf("ReadDomain groups (-full read +targeted):\n%s", diff)
			}
		})
	}
}
