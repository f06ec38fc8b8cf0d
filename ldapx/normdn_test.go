package ldapx

import "testing"

// FuzzNormDN checks normDN's shortcut for plain DNs against parsing:
// whatever the input, both ways give the same comparison key.
func FuzzNormDN(f *testing.F) {
	for _, s := range []string{
		"CN=s000001,OU=Users,OU=Scale,DC=adjc,DC=lab", "cn=Ada Lovelace,ou=Staff,dc=adjc,dc=lab",
		"CN=Zoë Núñez,CN=Users,DC=adjc,DC=lab", "CN=O'Brien\\, Pat,CN=Users,DC=adjc,DC=lab",
		"CN=a=b,DC=x", "CN=a,,DC=x", "CN=a, DC=x", "CN= a,DC=x", "CN=a ,DC=x", " CN=a", "CN=a+SN=b,DC=x",
		"CN=#41,DC=x", "CN=a\x01,DC=x", "CN=\xff,DC=x", "", "=", ",", "CN=", "2.5.4.3=a,DC=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dn string) {
		if got, want := normDN(dn), parsedNormDN(dn); got != want {
			t.Fatalf("normDN(%q) = %q, want %q (plainDN %v)", dn, got, want, plainDN(dn))
		}
	})
}

// BenchmarkNormDN is the walk's per-member cost on a DN as AD prints it.
func BenchmarkNormDN(b *testing.B) {
	const dn = "CN=s004217,OU=Users,OU=Scale,DC=adjc,DC=lab"
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			normDN(dn)
		}
	})
	b.Run("parsed", func(b *testing.B) {
		for b.Loop() {
			parsedNormDN(dn)
		}
	})
}
