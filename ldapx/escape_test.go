package ldapx

import (
	"testing"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

func TestRDN(t *testing.T) {
	t.Parallel()
	tests := []struct{ value, want string }{
		{"Alice", `CN=Alice`},
		{`Zoë "Z" Straße, 中文`, `CN=Zoë \"Z\" Straße\, 中文`},
		{`a+b;c<d>e\f`, `CN=a\+b\;c\<d\>e\\f`},
		{`#hash`, `CN=\#hash`},
		{` lead and trail `, `CN=\ lead and trail\ `},
		{"nul\x00lf\n", `CN=nul\00lf\0A`},
		{"bad\xffutf8", `CN=bad\FFutf8`},
		{"a=b", `CN=a=b`},
	}
	for _, tt := range tests {
		if got := RDN("CN", tt.value); got != tt.want {
			t.Errorf("RDN(CN, %q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

// FuzzRDN proves no value can change a DN's shape: whatever the value,
// JoinDN(RDN("CN", v), parent) parses back to exactly one more RDN than
// the parent, with a single CN attribute whose value is v.
func FuzzRDN(f *testing.F) {
	for _, s := range []string{"Alice", `Zoë "Z" Straße, 中文`, `x,OU=Evil`, `a+OU=b`, "#", " ", "  ", `\`, `\,`, "a\x00b", "\xff", "=", `"`, "# x ", ";", "<>"} {
		f.Add(s)
	}
	const parent = "CN=Users,DC=adjc,DC=lab"
	f.Fuzz(func(t *testing.T, v string) {
		dn := JoinDN(RDN("CN", v), parent)
		p, err := ldap.ParseDN(dn)
		if err != nil {
			t.Fatalf("ParseDN(%q) for value %q: %v", dn, v, err)
		}
		if len(p.RDNs) != 4 {
			t.Fatalf("ParseDN(%q) has %d RDNs, want 4 (value %q)", dn, len(p.RDNs), v)
		}
		first := p.RDNs[0].Attributes
		if len(first) != 1 || first[0].Type != "CN" || first[0].Value != v {
			t.Fatalf("ParseDN(%q) first RDN = %+v, want CN=%q", dn, first, v)
		}
		if normDN(dn) != normDN(JoinDN(RDN("cn", v), parent)) {
			t.Fatalf("normDN differs by attribute case for %q", v)
		}
		if ParentDN(dn) != parent {
			t.Fatalf("ParentDN(%q) = %q, want %q", dn, ParentDN(dn), parent)
		}
	})
}

// FuzzEqualityFilter proves no value can change a filter's shape: the filter
// compiles, stays an AND of two equality matches, and carries v verbatim.
func FuzzEqualityFilter(f *testing.F) {
	for _, s := range []string{"alice", "*", "a*b", ")(objectClass=*", `\2a`, "\x00", "(|(a=b))", "中文", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		filter := "(&(objectClass=user)" + EqualityFilter("sAMAccountName", v) + ")"
		p, err := ldap.CompileFilter(filter)
		if err != nil {
			t.Fatalf("CompileFilter(%q): %v", filter, err)
		}
		if p.Tag != ldap.FilterAnd || len(p.Children) != 2 {
			t.Fatalf("filter %q: tag %d with %d children, want AND of 2", filter, p.Tag, len(p.Children))
		}
		eq := p.Children[1]
		if eq.Tag != ldap.FilterEqualityMatch || len(eq.Children) != 2 {
			t.Fatalf("filter %q: second clause tag %d, want equality", filter, eq.Tag)
		}
		if got := eq.Children[1].Data.String(); got != v {
			//lint:ignore S1030 the raw bytes, not String()'s reading of them, are what is compared
			if utf8.ValidString(v) || got != string(eq.Children[1].Data.Bytes()) {
				t.Fatalf("filter %q: value %q, want %q", filter, got, v)
			}
		}
	})
}
