package ldaptest

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

const jumpCloudDN = "CN=JumpCloud,CN=Users,DC=adjc,DC=lab"

// search runs a subtree search under the base DN and returns the values of
// attr, sorted.
func search(t *testing.T, c *ldap.Conn, base, filter, attr string) []string {
	t.Helper()
	res, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		0, 0, false, filter, []string{attr}, nil))
	if err != nil {
		t.Fatalf("search %s: %v", filter, err)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, e.GetAttributeValue(attr))
	}
	slices.Sort(got)
	return got
}

// TestLabIsReal proves the lab is a real AD DC with the fixture: LDAPS with
// the lab CA, the import account's bind, the in-chain matching rule,
// privileged and nested admin members, and AD's refusal of plain binds.
func TestLabIsReal(t *testing.T) {
	t.Parallel()
	lab := Get(t)
	c := lab.Dial(t, lab.Import)

	t.Run("in-chain members of JumpCloud", func(t *testing.T) {
		// The seed example: Group1 ∈ JumpCloud, Group1 = {User1, User2, Group2}, Group2 = {User3, User4}.
		got := search(t, c, lab.BaseDN,
			"(&(objectClass=user)(sAMAccountName=user*)(memberOf:1.2.840.113556.1.4.1941:="+jumpCloudDN+"))",
			"sAMAccountName")
		if want := []string{"user1", "user2", "user3", "user4"}; !slices.Equal(got, want) {
			t.Errorf("transitive user* members of JumpCloud = %v, want %v", got, want)
		}
	})

	t.Run("privileged user in scope", func(t *testing.T) {
		got := search(t, c, lab.BaseDN,
			"(&(adminCount=1)(memberOf:1.2.840.113556.1.4.1941:="+jumpCloudDN+"))", "sAMAccountName")
		if want := []string{"privileged"}; !slices.Equal(got, want) {
			t.Errorf("adminCount=1 users in scope = %v, want %v", got, want)
		}
	})

	t.Run("JumpCloud Admins direct and nested", func(t *testing.T) {
		got := search(t, c, lab.BaseDN,
			"(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=CN=JumpCloud Admins,CN=Users,DC=adjc,DC=lab))",
			"sAMAccountName")
		if want := []string{"admin1", "admin2", "admin3"}; !slices.Equal(got, want) {
			t.Errorf("transitive members of JumpCloud Admins = %v, want %v", got, want)
		}
	})

	t.Run("plain LDAP simple bind refused", func(t *testing.T) {
		plain, err := ldap.DialURL("ldap://127.0.0.1:389")
		if err != nil {
			t.Fatal(err)
		}
		defer plain.Close()
		err = plain.Bind(lab.Import.Bind, lab.Import.Password.Reveal())
		if !ldap.IsErrorWithCode(err, ldap.LDAPResultStrongAuthRequired) {
			t.Errorf("simple bind over ldap:// = %v, want result 8 (strong auth required)", err)
		}
	})

	t.Run("certificate verified", func(t *testing.T) {
		// Without the lab CA the DC's certificate must not verify.
		_, err := ldap.DialURL(lab.URL, ldap.DialWithTLSConfig(&tls.Config{RootCAs: nil, ServerName: "127.0.0.1"}))
		if err == nil {
			t.Error("LDAPS without the lab CA succeeded, want a certificate error")
		}
	})
}

func TestTempOU(t *testing.T) {
	t.Parallel()
	lab := Get(t)
	c := lab.Dial(t, lab.Admin)
	var dn string
	t.Run("inner/é", func(t *testing.T) {
		dn = lab.TempOU(t)
		add := ldap.NewAddRequest("CN=temp user,"+dn, nil)
		add.Attribute("objectClass", []string{"user"})
		ou, _, _ := strings.Cut(dn, ",")
		add.Attribute("sAMAccountName", []string{"lt-" + ou[len(ou)-8:]}) // unique: the OU's random suffix
		if err := c.Add(add); err != nil {
			t.Fatalf("add user in %s: %v", dn, err)
		}
	})
	_, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{"dn"}, nil))
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		t.Errorf("search %s after cleanup = %v, want no such object", dn, err)
	}
}

func TestOUName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"TestX", "TestX"},
		{"TestX/sub case,\"é\"", "TestX-sub-case"},
		{"///", "test"},
		{"TestAVeryLongNameThatGoesOnAndOnAndOnForeverAndEverMore", "TestAVeryLongNameThatGoesOnAndOnAndOnForeverAndE"},
	}
	for _, tt := range tests {
		if got := ouName(tt.in); got != tt.want {
			t.Errorf("ouName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadEnvFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "env")
	body := "# comment\nexport ADJC_LAB_LDAP_URL='ldaps://127.0.0.1:636'\n\nADJC_LAB_REALM=ADJC.LAB\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got[envURL] != "ldaps://127.0.0.1:636" || got[envRealm] != "ADJC.LAB" || len(got) != 2 {
		t.Errorf("readEnvFile = %v", got)
	}
}
