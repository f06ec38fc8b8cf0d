package ldapx_test

import (
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/secret"
	"github.com/go-ldap/ldap/v3"
)

func TestCreateUserAndPassword(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ou := l.TempOU(t)
	c := dialLab(t, l, l.Admin)
	ctx := t.Context()

	u, err := c.CreateUser(ctx, ldapx.NewUser{
		Container: ou, CN: `Ann "A" Lee, Jr`, SAMAccountName: "ann.lee", UserPrincipalName: "ann.lee@adjc.lab",
		GivenName: "Ann", SN: "Lee", Mail: "ann@example.com", DisplayName: "Ann Lee",
		Password: secret.New("Corr3ct-Horse-Battery"),
	})
	if err != nil {
		t.Fatalf("CreateUser() = %v", err)
	}
	if u.Disabled() || u.UAC.PasswordNotRequired() || !u.UAC.Normal() || u.PwdLastSet.IsZero() {
		t.Errorf("new user UAC = %v, pwdLastSet %v; want enabled, normal, password set", u.UAC, u.PwdLastSet)
	}
	if u.GivenName != "Ann" || u.Mail != "ann@example.com" || u.DN != `CN=Ann \"A\" Lee\, Jr,`+ou {
		t.Errorf("CreateUser() = %+v", u)
	}
	// The password works: the new user can bind with it.
	if _, err := ldapx.Dial(ctx, labOptions(l, ldaptest.Account{Bind: "ann.lee@adjc.lab", Password: secret.New("Corr3ct-Horse-Battery")})); err != nil {
		t.Errorf("bind as the new user = %v", err)
	}

	// Policy refusals come back in words, and leave nothing behind.
	for _, tt := range []struct {
		pw   string
		want error
	}{
		{"Sh0rt!", ldapx.ErrPasswordTooShort},
		{"alllowercaseletters", ldapx.ErrPasswordNotComplex},
	} {
		_, err := c.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "bad.pw", Password: secret.New(tt.pw)})
		if !errors.Is(err, tt.want) || !errors.Is(err, ldapx.ErrPasswordPolicy) {
			t.Errorf("CreateUser(password %q) = %v, want %v", tt.pw, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), tt.pw) || ldapx.Hint(err) == "") {
			t.Errorf("error %q leaks the password or lacks a hint", err)
		}
		if _, err := c.User(ctx, "CN=bad.pw,"+ou); !errors.Is(err, ldapx.ErrNoSuchObject) {
			t.Errorf("after a refused password, User(bad.pw) = %v, want ErrNoSuchObject", err)
		}
	}
	var e *ldapx.Error
	_, err = c.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "bad.pw", Password: secret.New("Sh0rt!")})
	if !errors.As(err, &e) || e.Attribute != "unicodePwd" || e.Reason != "it must be at least 7 characters" {
		t.Errorf("too-short error = %#v, want attribute unicodePwd and the minimum length", e)
	}

	if err := c.SetPassword(ctx, u.DN, secret.New("An0ther-Good-One")); err != nil {
		t.Errorf("SetPassword() = %v", err)
	}
	// Same account name again: already exists.
	if _, err := c.CreateUser(ctx, ldapx.NewUser{Container: ou, CN: `Ann "A" Lee, Jr`, SAMAccountName: "ann.lee2"}); !errors.Is(err, ldapx.ErrAlreadyExists) {
		t.Errorf("CreateUser(duplicate CN) = %v, want ErrAlreadyExists", err)
	}
	if err := c.Modify(ctx, "CN=nobody,"+ou, map[string][]string{"sn": {"x"}}); !errors.Is(err, ldapx.ErrNoSuchObject) {
		t.Errorf("Modify(missing) = %v, want ErrNoSuchObject", err)
	}
}

// TestSetDisabledKeepsOtherBits flips ACCOUNTDISABLE on a user that also has
// DONT_EXPIRE_PASSWORD and checks nothing else moves.
func TestSetDisabledKeepsOtherBits(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ou := l.TempOU(t)
	c := dialLab(t, l, l.Admin)
	ctx := t.Context()
	u, err := c.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "uac.user", Password: secret.New("Uac-Test-Passw0rd")})
	if err != nil {
		t.Fatalf("CreateUser() = %v", err)
	}
	base := ldapx.UACNormalAccount | ldapx.UACDontExpirePassword
	if err := c.Modify(ctx, u.DN, map[string][]string{"userAccountControl": {"66048"}}); err != nil {
		t.Fatalf("Modify(userAccountControl) = %v", err)
	}
	uac := func() ldapx.UAC {
		t.Helper()
		u, err := c.User(ctx, u.DN)
		if err != nil {
			t.Fatal(err)
		}
		return u.UAC
	}
	steps := []struct {
		disabled bool
		changed  bool
		want     ldapx.UAC
	}{
		{true, true, base | ldapx.UACAccountDisable},
		{true, false, base | ldapx.UACAccountDisable},
		{false, true, base},
		{false, false, base},
	}
	for _, s := range steps {
		changed, err := c.SetDisabled(ctx, u.DN, s.disabled)
		if err != nil || changed != s.changed {
			t.Fatalf("SetDisabled(%v) = %v, %v; want %v", s.disabled, changed, err, s.changed)
		}
		if got := uac(); got != s.want {
			t.Fatalf("after SetDisabled(%v) UAC = %v, want %v", s.disabled, got, s.want)
		}
	}
}

func TestGroupsAndMembers(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ou := l.TempOU(t)
	c := dialLab(t, l, l.Admin)
	ctx := t.Context()
	g, err := c.CreateGroup(ctx, ou, `Eng, "Core" 中文`, "eng-core")
	if err != nil {
		t.Fatalf("CreateGroup() = %v", err)
	}
	if g.Name != `Eng, "Core" 中文` || g.SAMAccountName != "eng-core" || g.GUID == "" {
		t.Errorf("CreateGroup() = %+v", g)
	}
	var users []string
	for _, n := range []string{"m1", "m2"} {
		u, err := c.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: n})
		if err != nil {
			t.Fatalf("CreateUser(%s) = %v", n, err)
		}
		users = append(users, u.DN)
		if err := c.AddMember(ctx, g.DN, u.DN); err != nil {
			t.Fatalf("AddMember(%s) = %v", n, err)
		}
	}
	if err := c.AddMember(ctx, g.DN, users[0]); !errors.Is(err, ldapx.ErrAlreadyExists) {
		t.Errorf("AddMember(again) = %v, want ErrAlreadyExists", err)
	}
	if err := c.RemoveMember(ctx, g.DN, users[0]); err != nil {
		t.Fatalf("RemoveMember() = %v", err)
	}
	if err := c.RemoveMember(ctx, g.DN, users[0]); !errors.Is(err, ldapx.ErrNoSuchValue) {
		t.Errorf("RemoveMember(again) = %v, want ErrNoSuchValue", err)
	}
	got, err := c.Group(ctx, g.DN)
	if err != nil || !slices.Equal(got.Members, users[1:]) {
		t.Fatalf("Group().Members = %v, %v; want %v", got.Members, err, users[1:])
	}
	newDN, err := c.Rename(ctx, g.DN, "Eng+Platform")
	if err != nil {
		t.Fatalf("Rename() = %v", err)
	}
	byGUID, err := c.GroupByGUID(ctx, g.GUID)
	if err != nil || byGUID.DN != newDN || byGUID.Name != "Eng+Platform" {
		t.Fatalf("GroupByGUID after rename = %+v, %v; want DN %s", byGUID, err, newDN)
	}
	if err := c.Modify(ctx, newDN, map[string][]string{"description": {"platform team"}}); err != nil {
		t.Errorf("Modify(description) = %v", err)
	}
}

// TestInsufficientRights writes as jcimport, a plain domain user.
func TestInsufficientRights(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ou := l.TempOU(t)
	ctx := t.Context()
	admin := dialLab(t, l, l.Admin)
	u, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "victim"})
	if err != nil {
		t.Fatal(err)
	}
	c := dialLab(t, l, l.Import)
	for name, err := range map[string]error{
		"modify":   c.Modify(ctx, u.DN, map[string][]string{"sn": {"x"}}),
		"password": c.SetPassword(ctx, u.DN, secret.New("Whatever-Passw0rd")),
		"add": func() error {
			_, err := c.CreateUser(ctx, ldapx.NewUser{Container: ou, SAMAccountName: "nope"})
			return err
		}(),
	} {
		if !errors.Is(err, ldapx.ErrInsufficientRights) || ldapx.Hint(err) == "" {
			t.Errorf("%s as jcimport = %v (hint %q), want ErrInsufficientRights with a hint", name, err, ldapx.Hint(err))
		}
	}
}

// TestPasswordNeedsTLS: over plain LDAP ldapx does not send unicodePwd.
func TestPasswordNeedsTLS(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	o := labOptions(l, ldaptest.Account{}) // anonymous: a plain connection may open
	o.URL = strings.Replace(strings.Replace(l.URL, "ldaps://", "ldap://", 1), ":636", ":389", 1)
	c, err := ldapx.Dial(t.Context(), o)
	if err != nil {
		t.Fatalf("Dial(%s, anonymous) = %v", o.URL, err)
	}
	defer c.Close()
	if c.Encrypted() {
		t.Fatalf("Encrypted() = true over %s", o.URL)
	}
	if err := c.SetPassword(t.Context(), "CN=User1,CN=Users,"+l.BaseDN, secret.New("Whatever-Passw0rd")); !errors.Is(err, ldapx.ErrPlaintext) {
		t.Fatalf("SetPassword over ldap:// = %v, want ErrPlaintext", err)
	}
}

// writeCount counts the writes that reach the DC.
type writeCount struct {
	ldap.Client
	n atomic.Int32
}

func (w *writeCount) Add(r *ldap.AddRequest) error       { w.n.Add(1); return w.Client.Add(r) }
func (w *writeCount) Modify(r *ldap.ModifyRequest) error { w.n.Add(1); return w.Client.Modify(r) }
func (w *writeCount) Del(r *ldap.DelRequest) error       { w.n.Add(1); return w.Client.Del(r) }

// TestCreateUserIsOneWrite: a user with a password is created by one add
// carrying unicodePwd and an enabled userAccountControl, so a connection
// lost mid-create never leaves a disabled account without a password (AD
// refuses to enable one, and the next sync would take it over as is).
func TestCreateUserIsOneWrite(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	ou := l.TempOU(t)
	w := &writeCount{}
	o := labOptions(l, l.Admin)
	o.Wrap = func(c ldap.Client) ldap.Client { w.Client = c; return w }
	c, err := ldapx.Dial(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	u, err := c.CreateUser(t.Context(), ldapx.NewUser{Container: ou, SAMAccountName: "one.write", Password: secret.New("0ne-Write-Enough!")})
	if err != nil {
		t.Fatalf("CreateUser() = %v", err)
	}
	if n := w.n.Load(); n != 1 || u.Disabled() || u.PwdLastSet.IsZero() {
		t.Errorf("CreateUser() took %d writes, disabled %v, pwdLastSet %v; want 1 write, enabled, password set", n, u.Disabled(), u.PwdLastSet)
	}
}
