package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
)

// TestSyncNeverTouch runs `adjc sync` as an operator would, with JumpCloud
// users and groups bound to the domain under the names of AD's built-ins
// and of adjc's own objects (issue 14.1): Guest (active), the sync bind
// account (suspended), krbtgt (suspended), and groups Domain Guests, Group
// Policy Creator Owners and JumpCloud Admins with a member. The plan must
// touch none of them and list each as not synced; only then is it applied,
// and AD is read again: nothing of theirs changed.
func TestSyncNeverTouch(t *testing.T) {
	s := newSyncLab(t)
	ctx := t.Context()
	own, err := s.admin.BindUser(ctx, s.lab.Sync.Bind)
	if err != nil {
		t.Fatal(err)
	}
	rid := func(n int) string { return own.SID[:strings.LastIndex(own.SID, "-")+1] + fmt.Sprint(n) }
	bySID := func(sid string) *ldap.Entry {
		es, err := s.admin.SearchAll(ctx, ldapx.Query{Base: s.lab.BaseDN, Scope: ldap.ScopeWholeSubtree, Filter: "(objectSid=" + sid + ")",
			Attributes: []string{"sAMAccountName", "cn", "userAccountControl", "uSNChanged", "member", "adminDescription"}})
		if err != nil || len(es) != 1 {
			t.Fatalf("objectSid %s: %d found, %v", sid, len(es), err)
		}
		return es[0]
	}
	// Found by objectSid, so the test holds on a DC whose built-ins are renamed.
	guest, krbtgt, guests, gpco := bySID(rid(501)), bySID(rid(502)), bySID(rid(514)), bySID(rid(520))
	admins, err := s.admin.FindGroup(ctx, s.users, ldapx.DefaultAdminsGroup)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func() []string {
		var out []string
		for _, dn := range []string{guest.DN, krbtgt.DN, own.DN, guests.DN, gpco.DN, admins.DN} {
			es, err := s.admin.SearchAll(ctx, ldapx.Query{Base: dn, Scope: ldap.ScopeBaseObject, Filter: "(objectClass=*)",
				Attributes: []string{"cn", "userAccountControl", "uSNChanged", "member", "adminDescription"}})
			if err != nil || len(es) != 1 {
				t.Fatalf("read %s: %v", dn, err)
			}
			e := es[0]
			m := e.GetAttributeValues("member")
			slices.Sort(m)
			out = append(out, fmt.Sprintf("%s uac=%s usn=%s desc=%q members=%q", e.DN, e.GetAttributeValue("userAccountControl"),
				e.GetAttributeValue("uSNChanged"), e.GetAttributeValue("adminDescription"), m))
		}
		return out
	}
	before := snapshot()

	bound := func(name string, suspended bool) jcapi.SystemUser {
		u := jcapi.SystemUser{Username: name, Email: fmt.Sprintf("%s-%s@sync.example", strings.ToLower(name), s.suffix), Firstname: name}
		if suspended {
			u.State = jcapi.StateSuspended
		}
		u, err := s.emu.AddUser(s.org, u)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.emu.Bind(s.org, s.adID, jcapi.TypeUser, u.ID); err != nil {
			t.Fatal(err)
		}
		return u
	}
	ordinary := bound("nt"+s.suffix, false)
	jcGuest := bound(guest.GetAttributeValue("sAMAccountName"), false)
	jcOwn := bound(own.SAMAccountName, true)
	bound(krbtgt.GetAttributeValue("sAMAccountName"), true)
	s.addGroup(guests.GetAttributeValue("cn"), jcGuest, ordinary)
	s.addGroup(gpco.GetAttributeValue("cn"), ordinary)
	s.addGroup(admins.Name, jcOwn, ordinary)

	out, errOut, code := s.run(s.lab.URL, "sync")
	t.Logf("sync (no --yes): exit %d\n%s%s", code, out, errOut)
	for _, name := range []string{guests.GetAttributeValue("cn"), gpco.GetAttributeValue("cn"), admins.Name} {
		for _, line := range strings.Split(out, "\n") {
			f := strings.Split(line, "\t")
			if len(f) > 2 && f[0] != "" && (f[1] == "group" || f[1] == "membership") && strings.HasPrefix(f[2], name) {
				t.Errorf("plan changes %s: %q", name, line)
			}
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Split(line, "\t"); len(f) > 2 && f[0] != "" && f[1] == "user" && f[2] != strings.ToLower(ordinary.Username) {
			t.Errorf("plan changes a user it must not: %q", line)
		}
	}
	for _, want := range []string{
		"user\tguest\twell-known domain principal (RID 501)",
		"user\t" + strings.ToLower(own.SAMAccountName) + "\tadjc's own bind account",
		"user\tkrbtgt\t",
		"group\t" + guests.GetAttributeValue("cn") + "\twell-known domain principal (RID 514)",
		"group\t" + gpco.GetAttributeValue("cn") + "\twell-known domain principal (RID 520)",
		"group\t" + admins.Name + "\tadjc's admins_group",
	} {
		if !strings.Contains(out, "\n"+want) {
			t.Errorf("the plan's not-synced list lacks %q", want)
		}
	}
	if t.Failed() {
		t.FailNow() // never apply a plan that would touch the shared DC's built-ins
	}
	out, errOut, code = s.run(s.lab.URL, "sync", "--yes")
	if code != 0 {
		t.Fatalf("sync --yes: exit %d\n%s%s", code, out, errOut)
	}
	if after := snapshot(); !slices.Equal(before, after) {
		t.Errorf("never-touch objects changed:\nbefore %q\nafter  %q", before, after)
	}
}
