package ldapx_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/go-ldap/ldap/v3"
)

// scanCounter counts the paged searches that start (no cookie yet) at
// each base.
type scanCounter struct {
	ldap.Client
	mu     sync.Mutex
	starts map[string]int
}

func (s *scanCounter) SearchAsync(ctx context.Context, req *ldap.SearchRequest, buf int) ldap.Response {
	if p, ok := ldap.FindControl(req.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging); ok && len(p.Cookie) == 0 && p.PagingSize > 0 {
		s.mu.Lock()
		s.starts[strings.ToLower(req.BaseDN)]++
		s.mu.Unlock()
	}
	return s.Client.SearchAsync(ctx, req, buf)
}

// TestReadScopeContainerScans reads a nest whose users two containers
// hold, with scan limits small enough (3 wanted DNs start a scan, pages of
// 2 entries, one scan paused at a time) that the walk scans both, pauses
// them at page boundaries, abandons the older to pause the newer, and
// resumes one at the next level, whatever order the DC returns entries
// in: the scope must be exactly the nest, no out-of-scope filler user of
// either container may leak into it, and no container scan may start
// twice (a restarted scan reads the same first entries again).
func TestReadScopeContainerScans(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ou := l.TempOU(t)
	admin := dialLab(t, l, l.Admin)
	tag := ou[strings.LastIndex(ou, "-")+1 : strings.Index(ou, ",")]
	add := func(dn string, attrs map[string][]string) {
		t.Helper()
		req := ldap.NewAddRequest(dn, nil)
		for k, v := range attrs {
			req.Attribute(k, v)
		}
		if err := admin.Client().Add(req); err != nil {
			t.Fatalf("add %s: %v", dn, err)
		}
	}
	users := map[string][]string{} // container letter → user DNs
	for _, c := range []string{"A", "B"} {
		add("OU="+c+","+ou, map[string][]string{"objectClass": {"organizationalUnit"}})
		for i := range 20 {
			dn := fmt.Sprintf("CN=%s%02d,OU=%s,%s", strings.ToLower(c), i, c, ou)
			add(dn, map[string][]string{"objectClass": {"user"}, "userAccountControl": {"544"},
				"sAMAccountName": {fmt.Sprintf("s%s%s%02d", tag, strings.ToLower(c), i)}})
			users[c] = append(users[c], dn)
		}
	}
	group := func(name string, members []string) string {
		dn := "CN=" + name + "," + ou
		add(dn, map[string][]string{"objectClass": {"group"}, "sAMAccountName": {"g" + tag + strings.ReplaceAll(name, " ", "")}, "member": members})
		return dn
	}
	// Root ∋ G1 ∋ G2. G1 holds users 0–3 of each container, G2 users
	// 4–11; users 12–19 are in no group of the nest.
	g2 := group("Scan G2", slices.Concat(users["A"][4:12], users["B"][4:12]))
	g1 := group("Scan G1", slices.Concat(users["A"][:4], users["B"][:4], []string{g2}))
	group("Scan Root", []string{g1})

	counter := &scanCounter{starts: map[string]int{}}
	o := labOptions(l, l.Import)
	o.Wrap = func(c ldap.Client) ldap.Client { counter.Client = c; return counter }
	c, err := ldapx.Dial(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ldapx.SetScanLimits(c, 3, 1, 2)
	s, err := c.ReadScope(t.Context(), ldapx.ScopeOptions{RootContainer: ou, JumpCloudGroup: "Scan Root", AdminsGroup: "-"})
	if err != nil {
		t.Fatalf("ReadScope = %v", err)
	}
	var got, want []string
	for _, u := range s.Users {
		got = append(got, u.DN)
	}
	want = slices.Concat(users["A"][:12], users["B"][:12])
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("scope users = %v\nwant %v", got, want)
	}
	byName := map[string]ldapx.ScopedGroup{}
	for _, g := range s.Groups {
		byName[g.Name] = g
	}
	if n := len(byName["Scan G1"].Users); n != 24 {
		t.Errorf("Scan G1 flattens to %d users, want 24", n)
	}
	if n := len(byName["Scan G2"].Users); n != 16 {
		t.Errorf("Scan G2 flattens to %d users, want 16", n)
	}
	if len(s.Root.Users) != 24 {
		t.Errorf("Root has %d users, want 24", len(s.Root.Users))
	}
	counter.mu.Lock()
	defer counter.mu.Unlock()
	for _, c := range []string{"A", "B"} {
		base := strings.ToLower("OU=" + c + "," + ou)
		if n := counter.starts[base]; n != 1 {
			t.Errorf("%d scans of %s started, want 1 (searches started by base: %v)", n, base, counter.starts)
		}
	}
}
