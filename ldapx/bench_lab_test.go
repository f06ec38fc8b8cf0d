package ldapx_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
)

// BenchmarkReadScope compares the flattening strategies on the lab fixture
// (1615 users, 8 groups, a cycle, a 1600-member group):
//
//	go test ./ldapx -run '^$' -bench 'ReadScope/fixture'
func BenchmarkReadScope(b *testing.B) {
	l := ldaptest.Get(b)
	c := dialLab(b, l, l.Import)
	for _, st := range []ldapx.Strategy{ldapx.StrategyWalk, ldapx.StrategyInChain} {
		b.Run("fixture/"+st.String(), func(b *testing.B) {
			for b.Loop() {
				s, err := c.ReadScope(b.Context(), ldapx.ScopeOptions{Strategy: st})
				if err != nil || len(s.Users) != 1615 {
					b.Fatalf("ReadScope(%v) = %v users, %v", st, len(s.Users), err)
				}
			}
		})
	}
}

// BenchmarkReadScopeNest builds a 3000-user nest in a temporary OU (about a
// minute: 15 s of adds, 35 s of subtree delete) and compares the strategies
// on it. Root ∋ G1 ∋ G2 ∋ … ∋ G10, each Gi holding 300 users directly, so G1
// flattens to 3000 users and G10 to 300:
//
//	go test ./ldapx -run '^$' -bench 'ReadScopeNest' -benchtime 3x
func BenchmarkReadScopeNest(b *testing.B) {
	l := ldaptest.Get(b)
	ou := l.TempOU(b)
	admin := dialLab(b, l, l.Admin)
	const groups, per = 10, 300
	var dns [groups][]string
	for i := range groups * per {
		dn := fmt.Sprintf("CN=nest%04d,%s", i, ou)
		req := ldap.NewAddRequest(dn, nil)
		req.Attribute("objectClass", []string{"user"})
		req.Attribute("sAMAccountName", []string{fmt.Sprintf("nest%04d", i)})
		req.Attribute("userAccountControl", []string{"544"})
		if err := admin.Client().Add(req); err != nil {
			b.Fatalf("add %s: %v", dn, err)
		}
		dns[i/per] = append(dns[i/per], dn)
	}
	for i := groups - 1; i >= -1; i-- {
		name := "Nest Root"
		var members []string
		if i >= 0 {
			name = fmt.Sprintf("Nest G%d", i+1)
			members = dns[i]
		}
		if i+1 < groups {
			members = append(members, fmt.Sprintf("CN=Nest G%d,%s", i+2, ou))
		}
		req := ldap.NewAddRequest(fmt.Sprintf("CN=%s,%s", name, ou), nil)
		req.Attribute("objectClass", []string{"group"})
		rdn, _, _ := strings.Cut(ou, ",")
		req.Attribute("sAMAccountName", []string{strings.ReplaceAll(name, " ", "") + "-" + rdn[len(rdn)-8:]})
		req.Attribute("member", members)
		if err := admin.Client().Add(req); err != nil {
			b.Fatalf("add %s: %v", name, err)
		}
	}
	c := dialLab(b, l, l.Import)
	for _, st := range []ldapx.Strategy{ldapx.StrategyWalk, ldapx.StrategyInChain} {
		b.Run(st.String(), func(b *testing.B) {
			for b.Loop() {
				s, err := c.ReadScope(b.Context(), ldapx.ScopeOptions{RootContainer: ou, JumpCloudGroup: "Nest Root", AdminsGroup: "-", Strategy: st})
				if err != nil || len(s.Users) != groups*per || len(s.Groups) != groups {
					b.Fatalf("ReadScope(%v) = %d users, %d groups, %v", st, len(s.Users), len(s.Groups), err)
				}
			}
		})
	}
}

// BenchmarkPagedReadVsLdapsearch reads the 1600 users of OU=Bulk with
// ldapx's paged search (into [ldapx.User] values) and with OpenLDAP's
// ldapsearch (to /dev/null), same DC, same filter, attributes and page
// size, each over a fresh LDAPS connection, and reports ldapx/ldapsearch.
func BenchmarkPagedReadVsLdapsearch(b *testing.B) {
	l := ldaptest.Get(b)
	if _, err := exec.LookPath("ldapsearch"); err != nil {
		b.Skip("ldapsearch not installed (ldap-utils)")
	}
	base := "OU=Bulk," + l.BaseDN
	const filter = "(&(objectCategory=person)(objectClass=user))"
	attrs := []string{"objectGUID", "objectSid", "sAMAccountName", "userPrincipalName", "givenName", "sn", "mail",
		"displayName", "userAccountControl", "adminCount", "pwdLastSet", "whenChanged", "uSNChanged"}
	var goTime, cliTime time.Duration
	for b.Loop() {
		start := time.Now()
		c, err := ldapx.Dial(b.Context(), labOptions(l, l.Import))
		if err != nil {
			b.Fatal(err)
		}
		users, err := c.Users(b.Context(), base)
		c.Close()
		if err != nil || len(users) != 1600 {
			b.Fatalf("Users() = %d, %v", len(users), err)
		}
		goTime += time.Since(start)

		start = time.Now()
		cmd := exec.Command("ldapsearch", append([]string{"-LLL", "-o", "ldif-wrap=no", "-H", l.URL, "-x",
			"-D", l.Import.Bind, "-y", l.Import.PasswordFile, "-b", base, "-E", "pr=1000/noprompt", filter}, attrs...)...)
		cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+l.CAFile)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("ldapsearch: %v", err)
		}
		if n := strings.Count(string(out), "\ndn: ") + strings.Count(string(out[:min(4, len(out))]), "dn: "); n != 1600 {
			b.Fatalf("ldapsearch returned %d entries, want 1600", n)
		}
		cliTime += time.Since(start)
	}
	b.ReportMetric(float64(goTime.Microseconds())/float64(b.N)/1000, "ldapx-ms/op")
	b.ReportMetric(float64(cliTime.Microseconds())/float64(b.N)/1000, "ldapsearch-ms/op")
	b.ReportMetric(float64(goTime)/float64(cliTime), "ratio")
}
