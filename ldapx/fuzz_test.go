package ldapx

import (
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// FuzzGUIDBytes parses arbitrary strings as GUIDs: never a panic, only
// 16 bytes on success, and a success round-trips to the same GUID (so a
// string that is not quite a GUID can never name some other object).
func FuzzGUIDBytes(f *testing.F) {
	for _, s := range []string{"0d5f1a2b-3c4d-5e6f-8091-a2b3c4d5e6f7", "{0D5F1A2B-3C4D-5E6F-8091-A2B3C4D5E6F7}", "", "{", "}",
		"0d5f1a2b-3c4d-5e6f-8091-a2b3c4d5e6fz", "0d5f1a2b+3c4d-5e6f-8091-a2b3c4d5e6f7", "*", `\2a`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw, err := GUIDBytes(s)
		if err != nil {
			return
		}
		if len(raw) != 16 {
			t.Fatalf("GUIDBytes(%q) = %d bytes, want 16", s, len(raw))
		}
		canon, err := GUIDString(raw)
		if err != nil {
			t.Fatalf("GUIDString(GUIDBytes(%q)): %v", s, err)
		}
		bare := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
		if !strings.EqualFold(canon, bare) {
			t.Fatalf("GUIDBytes(%q) round-trips to %q", s, canon)
		}
		filter, err := GUIDFilter(s)
		if err != nil {
			t.Fatalf("GUIDFilter(%q): %v", s, err)
		}
		p, err := ldap.CompileFilter(filter)
		if err != nil || p.Tag != ldap.FilterEqualityMatch {
			t.Fatalf("GUIDFilter(%q) = %q: not one equality match (%v)", s, filter, err)
		}
	})
}

// FuzzParseDN takes arbitrary strings as DNs (what AD or a config file may
// hold): normDN and ParentDN never panic, normDN is idempotent, and a parent
// is a proper suffix of the DN in normalised form — so a DN can never be
// taken to lie inside a container it is not in.
func FuzzParseDN(f *testing.F) {
	for _, s := range []string{"CN=Alice,CN=Users,DC=adjc,DC=lab", `CN=a\,b,OU=x`, `CN=\#x\ ,DC=a`, "cn=A+sn=B,dc=x", "", ",", "=",
		`CN=\`, `CN=a\2Cb,DC=x`, "CN=Zoë,DC=x", "CN=a , DC=b", "CN=\xff,DC=x", `OU=a\00b,DC=x`,
		`0=,\ 0=`} { // an attribute type no directory holds: ParentDN has no answer for it
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dn string) {
		n := normDN(dn)
		// Idempotence is promised for DNs a directory can hold: attribute
		// types that are names or OIDs. go-ldap also accepts types such
		// as `\ 0`, which normDN need not keep stable.
		if p, err := ldap.ParseDN(dn); err == nil && validTypes(p) && normDN(n) != n {
			t.Fatalf("normDN not idempotent for %q: %q then %q", dn, n, normDN(n))
		}
		parent := ParentDN(dn)
		if parent == "" {
			return
		}
		np := normDN(parent)
		if !strings.HasSuffix(n, ","+np) {
			t.Fatalf("ParentDN(%q) = %q, not a suffix of %q", dn, parent, n)
		}
	})
}
