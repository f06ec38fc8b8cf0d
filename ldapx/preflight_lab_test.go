package ldapx_test

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
)

func TestLabProbeTLS(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	host := func() string { u, _ := url.Parse(l.URL); return u.Hostname() }()

	info, err := ldapx.ProbeTLS(t.Context(), labOptions(l, ldaptest.Account{}))
	if err != nil {
		t.Fatalf("ProbeTLS(lab CA) = %v", err)
	}
	if !info.Encrypted || info.VerifyErr != nil || len(info.Chain) == 0 || info.ServerName != host {
		t.Errorf("ProbeTLS(lab CA) = %+v, want encrypted, verified for %s, with a chain", info, host)
	}
	if left := time.Until(info.Chain[0].NotAfter); left < 24*time.Hour {
		t.Errorf("lab certificate expires in %v", left)
	}

	// No CA file: the system pool does not know the lab CA, yet the probe
	// still completes and says why.
	o := labOptions(l, ldaptest.Account{})
	o.CAFile = ""
	info, err = ldapx.ProbeTLS(t.Context(), o)
	var unknown x509.UnknownAuthorityError
	if err != nil || !errors.As(info.VerifyErr, &unknown) || len(info.Chain) == 0 {
		t.Errorf("ProbeTLS(system pool) = %+v, %v; want UnknownAuthorityError and the chain", info, err)
	}

	// StartTLS on 389.
	o = labOptions(l, ldaptest.Account{})
	o.URL = "ldap://" + host + ":389"
	o.StartTLS = true
	info, err = ldapx.ProbeTLS(t.Context(), o)
	if err != nil || !info.StartTLS || info.VerifyErr != nil {
		t.Errorf("ProbeTLS(StartTLS) = %+v, %v; want verified StartTLS", info, err)
	}

	// Plain ldap:// without StartTLS: reachable, not encrypted.
	o.StartTLS = false
	info, err = ldapx.ProbeTLS(t.Context(), o)
	if err != nil || info.Encrypted {
		t.Errorf("ProbeTLS(plain) = %+v, %v; want reachable and unencrypted", info, err)
	}

	// Nothing listening.
	o.URL = "ldaps://127.0.0.1:1"
	if _, err := ldapx.ProbeTLS(t.Context(), o); !errors.Is(err, ldapx.ErrUnavailable) {
		t.Errorf("ProbeTLS(closed port) = %v, want ErrUnavailable", err)
	}
}

func TestLabServiceAccountAndRights(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ctx := t.Context()
	users := "CN=Users," + l.BaseDN

	imp := dialLab(t, l, l.Import)
	acct, err := imp.ServiceAccount(ctx, l.Import.Bind)
	if err != nil {
		t.Fatalf("ServiceAccount(%s) = %v", l.Import.Bind, err)
	}
	if acct.SAMAccountName != "jcimport" || !acct.UAC.PasswordNeverExpires() || acct.AdminCount != 0 {
		t.Errorf("ServiceAccount(%s) = %+v", l.Import.Bind, acct.User)
	}
	names := func(a ldapx.ServiceAccount) []string {
		var out []string
		for _, g := range a.Groups {
			out = append(out, g.Name)
		}
		return out
	}
	if !slices.Contains(names(acct), "Domain Users") || slices.Contains(names(acct), "Domain Admins") {
		t.Errorf("jcimport token groups = %v, want Domain Users and not Domain Admins", names(acct))
	}
	// The privileged fixture user, looked up as DOMAIN\user and by DN.
	priv, err := imp.ServiceAccount(ctx, `ADJC\privileged`)
	if err != nil || !slices.Contains(names(priv), "Domain Admins") || priv.AdminCount != 1 {
		t.Errorf(`ServiceAccount(ADJC\privileged) = %v, %v; want Domain Admins, adminCount 1`, names(priv), err)
	}
	if a, err := imp.ServiceAccount(ctx, "CN=jcsync,"+users); err != nil || a.SAMAccountName != "jcsync" {
		t.Errorf("ServiceAccount(DN) = %+v, %v", a.User, err)
	}
	if _, err := imp.ServiceAccount(ctx, "nobody@adjc.lab"); !errors.Is(err, ldapx.ErrNoSuchObject) {
		t.Errorf("ServiceAccount(nobody) = %v, want ErrNoSuchObject", err)
	}

	// Effective rights and the reset-password right: jcsync has them on
	// CN=Users, jcimport does not.
	syn := dialLab(t, l, l.Sync)
	syncAcct, err := syn.ServiceAccount(ctx, l.Sync.Bind)
	if err != nil {
		t.Fatal(err)
	}
	user1 := "CN=User1," + users
	for _, tc := range []struct {
		name  string
		c     *ldapx.Conn
		acct  ldapx.ServiceAccount
		write bool
	}{{"jcimport", imp, acct, false}, {"jcsync", syn, syncAcct, true}} {
		eff, err := tc.c.Effective(ctx, users)
		if err != nil {
			t.Fatalf("%s: Effective(%s) = %v", tc.name, users, err)
		}
		if eff.CanCreate("user") != tc.write {
			t.Errorf("%s: CanCreate(user) = %v, want %v", tc.name, !tc.write, tc.write)
		}
		eff, err = tc.c.Effective(ctx, user1)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"givenName", "sn", "mail", "userAccountControl"} {
			if eff.CanWrite(a) != tc.write {
				t.Errorf("%s: CanWrite(%s) on User1 = %v, want %v", tc.name, a, !tc.write, tc.write)
			}
		}
		eff, err = tc.c.Effective(ctx, "CN=JumpCloud,"+users)
		if err != nil || eff.CanWrite("member") != tc.write {
			t.Errorf("%s: CanWrite(member) on JumpCloud = %v, %v; want %v", tc.name, eff.CanWrite("member"), err, tc.write)
		}
		ok, err := tc.c.GrantsControlAccess(ctx, user1, ldapx.RightResetPassword, tc.acct.SIDs())
		if err != nil || ok != tc.write {
			t.Errorf("%s: GrantsControlAccess(reset password) = %v, %v; want %v", tc.name, ok, err, tc.write)
		}
	}

	// Clock, groups, samples, sync-tool accounts.
	dc, err := imp.CurrentTime(ctx)
	if err != nil || time.Until(dc).Abs() > time.Minute {
		t.Errorf("CurrentTime() = %v, %v; want about now", dc, err)
	}
	if g, err := imp.FindGroup(ctx, users, "JumpCloud"); err != nil || !strings.HasPrefix(g.DN, "CN=JumpCloud,") {
		t.Errorf("FindGroup(JumpCloud) = %v, %v", g.DN, err)
	}
	if _, err := imp.FindGroup(ctx, users, "NoSuchGroup"); !errors.Is(err, ldapx.ErrNoSuchObject) {
		t.Errorf("FindGroup(NoSuchGroup) = %v, want ErrNoSuchObject", err)
	}
	if us, err := imp.SampleUsers(ctx, users, 3); err != nil || len(us) != 3 {
		t.Errorf("SampleUsers(3) = %d users, %v", len(us), err)
	}
	ou := l.TempOU(t)
	admin := dialLab(t, l, l.Admin)
	if _, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: fmt.Sprintf("MSOL_%06x", time.Now().UnixNano()&0xffffff)}); err != nil {
		t.Fatal(err)
	}
	if got, err := imp.SyncToolAccounts(ctx, ou); err != nil || len(got) != 1 || !strings.HasPrefix(got[0], "MSOL_") {
		t.Errorf("SyncToolAccounts(temp OU) = %v, %v; want one MSOL_ account", got, err)
	}
	if got, err := imp.SyncToolAccounts(ctx, users); err != nil || len(got) != 0 {
		t.Errorf("SyncToolAccounts(CN=Users) = %v, %v; want none", got, err)
	}
}
