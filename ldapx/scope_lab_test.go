package ldapx_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
)

// TestReadScopeFixture checks both strategies against the lab fixture
// (scripts/lab.d/fixture.ldif): the seed example, a cycle, users outside
// CN=Users, awkward names, the 1600-member BigGroup and the admins.
func TestReadScopeFixture(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	for _, st := range []ldapx.Strategy{ldapx.StrategyWalk, ldapx.StrategyInChain} {
		t.Run(st.String(), func(t *testing.T) {
			t.Parallel()
			c := dialLab(t, l, l.Import)
			s, err := c.ReadScope(t.Context(), ldapx.ScopeOptions{Strategy: st, UsernameAttribute: "sAMAccountName"})
			if err != nil {
				t.Fatalf("ReadScope(%v) = %v", st, err)
			}
			// The full read's pages went over its second connection, and
			// the same fixture came out of it (below).
			if ldapx.WirePages(c) == 0 {
				t.Errorf("ReadScope(%v) carried no page over its second connection", st)
			}
			// The lab is shared: other tests may nest their own temporary
			// OUs' objects under JumpCloud while this runs. Judge only the
			// fixture's containers.
			fixture := func(dn string) bool {
				for _, p := range []string{",CN=Users,", ",OU=Staff,", ",OU=Bulk,"} {
					if strings.HasSuffix(dn, p+l.BaseDN) {
						return true
					}
				}
				return false
			}
			maps.DeleteFunc(s.Users, func(_ string, u ldapx.User) bool { return !fixture(u.DN) })
			maps.DeleteFunc(s.Groups, func(_ string, g ldapx.ScopedGroup) bool { return !fixture(g.DN) })
			s.Root.Users = slices.DeleteFunc(s.Root.Users, func(g string) bool { _, ok := s.Users[g]; return !ok })
			byName := map[string]ldapx.ScopedGroup{}
			for _, g := range s.Groups {
				byName[g.Name] = g
			}
			names := func(guids []string) []string {
				var out []string
				for _, g := range guids {
					out = append(out, s.Users[g].SAMAccountName)
				}
				slices.Sort(out)
				return out
			}
			for name, want := range map[string][]string{
				"Group1":          {"user1", "user2", "user3", "user4"},
				"Group2":          {"user3", "user4"},
				"GroupA":          {"loop1", "loop2"},
				"GroupB":          {"loop1", "loop2"},
				"Helpdesk":        {"admin2"},
				"Staff":           {"staff1", "staff2"},
				`R&D, "Café" 中文组`: {"staff1", "zoe.strasse"},
			} {
				g, ok := byName[name]
				if !ok {
					t.Errorf("group %q not in scope; groups: %v", name, slices.Sorted(mapsKeys(byName)))
					continue
				}
				if got := names(g.Users); !slices.Equal(got, want) {
					t.Errorf("group %q users = %v, want %v", name, got, want)
				}
			}
			if got := len(byName["BigGroup"].Users); got != 1600 {
				t.Errorf("BigGroup has %d users, want 1600", got)
			}
			if len(s.Groups) != 8 {
				t.Errorf("len(Groups) = %d, want 8: %v", len(s.Groups), slices.Sorted(mapsKeys(byName)))
			}
			if len(s.Users) != 1615 || len(s.Root.Users) != 1615 {
				t.Errorf("len(Users) = %d, len(Root.Users) = %d, want 1615", len(s.Users), len(s.Root.Users))
			}
			wantCycles := [][]string{{"CN=GroupA,CN=Users,DC=adjc,DC=lab", "CN=GroupB,CN=Users,DC=adjc,DC=lab"}}
			if !slices.EqualFunc(s.Cycles, wantCycles, slices.Equal) {
				t.Errorf("Cycles = %q, want %q", s.Cycles, wantCycles)
			}
			var admins []string
			for g := range s.Admins {
				admins = append(admins, s.Users[g].SAMAccountName)
			}
			slices.Sort(admins)
			if want := []string{"admin1"}; !slices.Equal(admins, want) {
				t.Errorf("Admins = %v, want %v", admins, want)
			}
			if want := []string{"CN=Admin Outside,CN=Users,DC=adjc,DC=lab"}; !slices.Equal(s.AdminsOutOfScope, want) {
				t.Errorf("AdminsOutOfScope = %v, want %v", s.AdminsOutOfScope, want)
			}
			for _, u := range s.Users {
				if u.Attrs["sAMAccountName"] != u.SAMAccountName {
					t.Fatalf("user %s: Attrs[sAMAccountName] = %q, want %q", u.DN, u.Attrs["sAMAccountName"], u.SAMAccountName)
				}
			}
		})
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestReadScopeWithoutWire: when the second connection cannot be opened,
// the full read goes through the first one and reads the same scope.
func TestReadScopeWithoutWire(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	opts := ldapx.ScopeOptions{UsernameAttribute: "sAMAccountName"}
	want, err := dialLab(t, l, l.Import).ReadScope(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	c := dialLab(t, l, l.Import)
	ldapx.BreakWireDial(c, "ldaps://127.0.0.1:1") // nothing listens there
	got, err := c.ReadScope(t.Context(), opts)
	if err != nil {
		t.Fatalf("ReadScope() with no second connection = %v", err)
	}
	if n := ldapx.WirePages(c); n != 0 {
		t.Errorf("%d pages went over a connection that could not be opened", n)
	}
	// The lab is shared: judge the fixture's own users only.
	fixture := func(s *ldapx.Scope) []string {
		var out []string
		for _, u := range s.Users {
			if strings.HasSuffix(u.DN, ",OU=Bulk,"+l.BaseDN) || strings.HasSuffix(u.DN, ",OU=Staff,"+l.BaseDN) {
				out = append(out, u.GUID)
			}
		}
		slices.Sort(out)
		return out
	}
	if w, g := fixture(want), fixture(got); !slices.Equal(w, g) || len(g) == 0 {
		t.Errorf("ReadScope() without the second connection read %d fixture users, with it %d", len(g), len(w))
	}
}
