package ldapx_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/secret"
)

// TestLabIsRealAD proves the lab answers like an AD DC: rootDSE, the
// controls ldapx relies on, and the domain policy.
func TestLabIsRealAD(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	c := dialLab(t, l, l.Import)
	if !c.Encrypted() {
		t.Fatalf("Encrypted() = false over %s", l.URL)
	}
	r, err := c.RootDSE(t.Context())
	if err != nil {
		t.Fatalf("RootDSE() = %v", err)
	}
	if r.DefaultNamingContext != l.BaseDN {
		t.Errorf("DefaultNamingContext = %q, want %q", r.DefaultNamingContext, l.BaseDN)
	}
	for _, oid := range []string{ldapx.OIDPaging, ldapx.OIDDirSync, ldapx.OIDNotification, ldapx.OIDShowDeleted, ldapx.OIDSubtreeDelete} {
		if !r.Supports(oid) {
			t.Errorf("rootDSE does not list control %s", oid)
		}
	}
	p, err := c.PasswordPolicy(t.Context())
	if err != nil {
		t.Fatalf("PasswordPolicy() = %v", err)
	}
	if p.MinLength != 7 || !p.Complex || p.HistoryLength != 24 || p.MaxAge <= 0 {
		t.Errorf("PasswordPolicy() = %+v, want Samba's defaults (7, complex, 24, 42 days)", p)
	}
}

func TestDial(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	host := strings.TrimPrefix(l.URL, "ldaps://")
	host = host[:strings.LastIndex(host, ":")]
	tests := []struct {
		name string
		mod  func(*ldapx.Options)
		want error // nil: success; otherwise errors.Is target
		fail bool  // an error without a Kind (certificate problems)
	}{
		{"ldaps upn", func(o *ldapx.Options) {}, nil, false},
		{"ldaps dn", func(o *ldapx.Options) { o.BindDN = "CN=jcimport,CN=Users," + l.BaseDN }, nil, false},
		{"starttls", func(o *ldapx.Options) { o.URL = "ldap://" + host; o.StartTLS = true }, nil, false},
		{"starttls port 389 dn", func(o *ldapx.Options) {
			o.URL, o.StartTLS, o.BindDN = "ldap://"+host+":389", true, "CN=jcimport,CN=Users,"+l.BaseDN
		}, nil, false},
		{"starttls verifies the CA like ldaps", func(o *ldapx.Options) { o.URL = "ldap://" + host; o.StartTLS = true; o.CAFile = "" }, nil, true},
		{"starttls verifies the host name like ldaps", func(o *ldapx.Options) {
			o.URL, o.StartTLS = "ldap://"+host, true
			o.TLSConfig = l.TLSConfig()
			o.TLSConfig.ServerName = "elsewhere.example"
		}, nil, true},
		{"wrong password", func(o *ldapx.Options) { o.Password = secret.New("not-the-password") }, ldapx.ErrInvalidCredentials, false},
		{"plain refused locally", func(o *ldapx.Options) { o.URL = "ldap://" + host }, ldapx.ErrPlaintext, false},
		{"plain refused by the DC", func(o *ldapx.Options) { o.URL = "ldap://" + host; o.AllowPlaintext = true }, ldapx.ErrStrongAuthRequired, false},
		{"system CAs reject the lab CA", func(o *ldapx.Options) { o.CAFile = "" }, nil, true},
		{"hostname not in SANs", func(o *ldapx.Options) {
			o.TLSConfig = l.TLSConfig()
			o.TLSConfig.ServerName = "elsewhere.example"
		}, nil, true},
		{"nothing listening", func(o *ldapx.Options) { o.URL = "ldaps://127.0.0.1:1" }, ldapx.ErrUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := labOptions(l, l.Import)
			tt.mod(&o)
			c, err := ldapx.Dial(t.Context(), o)
			if err == nil {
				defer c.Close()
			}
			switch {
			case tt.fail:
				var e *ldapx.Error
				if !errors.As(err, &e) || e.Op != "tls handshake" {
					t.Fatalf("Dial() = %v, want a TLS handshake error", err)
				}
			case tt.want == nil && err != nil:
				t.Fatalf("Dial() = %v, want success", err)
			case tt.want == nil:
				want := ldapx.TransportLDAPS
				if o.StartTLS {
					want = ldapx.TransportStartTLS
				}
				if got := c.Transport(); got != want || !c.Encrypted() {
					t.Errorf("Transport() = %v (encrypted %v), want %v", got, c.Encrypted(), want)
				}
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("Dial() = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), l.Import.Password.Reveal()) {
				t.Fatalf("Dial() error contains the password")
			}
		})
	}
}

// TestSearchPages reads the 1600 bulk users with pages of 500: more than
// AD's 1000 cap, in four pages, each user once.
func TestSearchPages(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	c := dialLab(t, l, l.Import)
	seen := map[string]bool{}
	for e, err := range c.Search(t.Context(), ldapx.Query{
		Base: "OU=Bulk," + l.BaseDN, Scope: ldap.ScopeWholeSubtree, PageSize: 500,
		Filter: "(&(objectClass=user)(sAMAccountName=bulk*))", Attributes: []string{"sAMAccountName"},
	}) {
		if err != nil {
			t.Fatalf("Search() = %v", err)
		}
		name := e.GetAttributeValue("sAMAccountName")
		if seen[name] {
			t.Fatalf("Search() returned %s twice", name)
		}
		seen[name] = true
	}
	if len(seen) != 1600 {
		t.Fatalf("Search() returned %d users, want 1600", len(seen))
	}
	// Stopping early abandons the paged search and leaves the connection usable.
	n := 0
	for _, err := range c.Search(t.Context(), ldapx.Query{Base: "OU=Bulk," + l.BaseDN, Scope: ldap.ScopeWholeSubtree, PageSize: 100, Filter: "(objectClass=user)", Attributes: []string{"cn"}}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 150 {
			break
		}
	}
	if _, err := c.User(t.Context(), "CN=User1,CN=Users,"+l.BaseDN); err != nil {
		t.Fatalf("User() after an abandoned search = %v", err)
	}
}

// TestMembersRanged reads BigGroup's 1600 members in explicit ranges (as
// Windows would split them) and in one go (as Samba answers by default).
func TestMembersRanged(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	c := dialLab(t, l, l.Import)
	dn := "CN=BigGroup,CN=Users," + l.BaseDN
	var results [][]string
	for _, step := range []int{0, 1500, 700, 1} {
		if step == 1 && testing.Short() {
			continue
		}
		got, err := c.Members(t.Context(), dn, step)
		if err != nil {
			t.Fatalf("Members(step %d) = %v", step, err)
		}
		if len(got) != 1600 {
			t.Fatalf("Members(step %d) = %d values, want 1600", step, len(got))
		}
		s := slices.Clone(got)
		slices.Sort(s)
		if len(slices.Compact(s)) != 1600 {
			t.Fatalf("Members(step %d) has duplicates", step)
		}
		results = append(results, s)
	}
	for _, r := range results[1:] {
		if !slices.Equal(r, results[0]) {
			t.Fatalf("ranged and unranged member lists differ")
		}
	}
	g, err := c.Group(t.Context(), dn)
	if err != nil || len(g.Members) != 1600 {
		t.Fatalf("Group(BigGroup) = %d members, %v; want 1600", len(g.Members), err)
	}
}

// TestGUIDMatchesAD checks the canonical GUID against the DC itself: Samba
// resolves the extended DN <GUID=…> only if the byte order is right.
func TestGUIDMatchesAD(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	c := dialLab(t, l, l.Import)
	u, err := c.FindUser(t.Context(), "sAMAccountName", "zoe.strasse")
	if err != nil {
		t.Fatalf("FindUser(zoe.strasse) = %v", err)
	}
	if u.GivenName != "Zoë" || u.SN != "Straße" || !strings.HasPrefix(u.DN, `CN=Zoë \"Z\" Straße\, 中文`) {
		t.Errorf("FindUser(zoe.strasse) = %+v", u)
	}
	res, err := c.Client().Search(ldap.NewSearchRequest("<GUID="+u.GUID+">", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"sAMAccountName"}, nil))
	if err != nil || len(res.Entries) != 1 || res.Entries[0].GetAttributeValue("sAMAccountName") != "zoe.strasse" {
		t.Fatalf("search <GUID=%s> = %v, %v; want zoe.strasse", u.GUID, res, err)
	}
	byGUID, err := c.UserByGUID(t.Context(), strings.ToUpper(u.GUID))
	if err != nil || byGUID.DN != u.DN {
		t.Fatalf("UserByGUID(%s) = %v, %v", u.GUID, byGUID.DN, err)
	}
	if !strings.HasPrefix(u.SID, "S-1-5-21-") {
		t.Errorf("SID = %q, want a domain SID", u.SID)
	}
	if u.WhenChanged.IsZero() || u.USNChanged == 0 {
		t.Errorf("WhenChanged = %v, USNChanged = %d, want both set", u.WhenChanged, u.USNChanged)
	}
	p, err := c.FindUser(t.Context(), "sAMAccountName", "privileged")
	if err != nil || !p.Privileged() {
		t.Errorf("FindUser(privileged) = %+v, %v; want adminCount=1", p, err)
	}
	d, err := c.FindUser(t.Context(), "sAMAccountName", "disabled")
	if err != nil || !d.Disabled() {
		t.Errorf("FindUser(disabled) = %+v, %v; want disabled", d, err)
	}
	// A value that would widen the filter if it were not escaped finds nothing.
	if _, err := c.FindUser(t.Context(), "sAMAccountName", "*"); !errors.Is(err, ldapx.ErrNoSuchObject) {
		t.Errorf("FindUser(*) = %v, want ErrNoSuchObject", err)
	}
}
