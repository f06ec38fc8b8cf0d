package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/secret"
	"github.com/go-ldap/ldap/v3"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestLabScripts runs the end-to-end transcripts in golden/script/lab against
// the lab's Samba DC and a JumpCloud emulator started here, one fresh
// emulated org per script. Scripts that change AD work in their own OU
// (`ad mkou`), which becomes the Root User container, so the shared fixture
// and other tests never see their changes.
func TestLabScripts(t *testing.T) {
	t.Parallel()
	l := ldaptest.Get(t)
	const key = "e2e-api-key-0123456789abcdef"
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join(golden.Dir(), "script", "lab"),
		UpdateScripts: golden.Update(),
		Setup: func(env *testscript.Env) error {
			emu := jcemu.New(jcemu.WithIDPrefix(jcemu.RandomIDPrefix())) // ids unlike other tests' on the shared DC
			org := emu.AddOrg("adjc e2e")
			if err := emu.AddAPIKey(key, org); err != nil {
				return err
			}
			ts := httptest.NewServer(emu)
			env.Defer(ts.Close)
			keyFile := filepath.Join(env.WorkDir, "jc-api-key")
			if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
				return err
			}
			cfg := fmt.Sprintf(`jumpcloud:
  api_url: %s/api
  api_key_file: %s
domains:
  - name: adjc.lab
    mode: ad-authority
    ldap_url: %s
    base_dn: %s
    bind: %s
    bind_password_file: %s
    ca_file: %s
state_dir: %s
`, ts.URL, keyFile, l.URL, l.BaseDN, l.Import.Bind, l.Import.PasswordFile, l.CAFile, filepath.Join(env.WorkDir, "state"))
			cfgFile := filepath.Join(env.WorkDir, "adjc.yaml")
			if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
				return err
			}
			env.Setenv("ADJC_CONFIG", cfgFile)
			env.Setenv("NO_COLOR", "1")
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/xdg-config")
			env.Setenv("XDG_STATE_HOME", env.WorkDir+"/xdg-state")
			env.Values["emu"] = emu
			env.Values["org"] = org
			jc, err := jcapi.New(ts.URL+"/api", secret.New(key), jcapi.WithRateLimit(0, 0))
			if err != nil {
				return err
			}
			env.Values["jc"] = jc
			// Sync (JumpCloud → AD) can create only in CN=Users, as jcsync:
			// scripts name what they create there with $SUFFIX, and
			// everything named so is deleted at the end.
			suffix := make([]byte, 3)
			rand.Read(suffix)
			env.Setenv("SUFFIX", hex.EncodeToString(suffix))
			env.Setenv("BASE_DN", l.BaseDN)
			env.Setenv("SYNC_BIND", l.Sync.Bind)
			if u, err := url.Parse(l.URL); err == nil {
				env.Setenv("LAB_LDAP_HOST", u.Hostname()) // for ldap:// (StartTLS) on port 389
			}
			env.Setenv("SYNC_PASSWORD_FILE", l.Sync.PasswordFile)
			env.Defer(func() { deleteSuffixed(l, hex.EncodeToString(suffix)) })
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status": cmdStatus,
			"ad":     func(ts *testscript.TestScript, neg bool, args []string) { cmdAD(ts, neg, args, l) },
			"jc": func(ts *testscript.TestScript, neg bool, args []string) {
				cmdJC(ts, neg, args, ts.Value("emu").(*jcemu.Server), ts.Value("org").(string), ts.Value("jc").(*jcapi.Client))
			},
		},
	})
}

// deleteSuffixed deletes, as Administrator, the users and groups in
// CN=Users whose cn ends with suffix: what a script's sync created there.
func deleteSuffixed(l *ldaptest.Lab, suffix string) {
	ctx := context.Background()
	conn, err := ldapx.Dial(ctx, ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		return
	}
	defer conn.Close()
	es, err := conn.SearchAll(ctx, ldapx.Query{Base: "CN=Users," + l.BaseDN, Scope: ldap.ScopeSingleLevel,
		Filter: "(&(|(objectClass=user)(objectClass=group))(cn=*" + ldap.EscapeFilter(suffix) + "))", Attributes: []string{"cn"}})
	if err != nil {
		return
	}
	for _, e := range es {
		conn.Delete(ctx, e.DN)
	}
}

// cmdAD changes AD as Administrator, inside the script's own OU:
//
//	ad mkou                         create the OU; $OU is its DN (deleted at the end)
//	ad user NAME...                 enabled users CN=NAME,$OU with sAMAccountName NAME
//	ad group NAME MEMBER...         a group CN=NAME,$OU holding users or groups of $OU
//	ad disable NAME                 set ACCOUNTDISABLE
//	ad rmmember GROUP MEMBER        remove one member
//	ad addmember GROUP MEMBER       add one member
//	ad rename NAME NEWSAM           change sAMAccountName (the CN stays)
//	ad state NAME                   print "NAME enabled|disabled" for the user NAME anywhere in the domain
//	ad bind NAME FILE               bind as NAME@realm with the password in FILE
//	ad move NAME PARENT             move the user NAME (anywhere in the domain) under PARENT
//	ad primary NAME GROUP           make GROUP (a cn in $OU, of which NAME is a member) NAME's primary group
//	ad showgroup CN                 print "CN sAMAccountName adminDescription members…" (member cns, sorted) of the group CN anywhere in the domain; ! for absent
func cmdAD(ts *testscript.TestScript, neg bool, args []string, l *ldaptest.Lab) {
	if neg && (len(args) == 0 || args[0] != "bind" && args[0] != "showgroup") || len(args) == 0 {
		ts.Fatalf("usage: ad mkou|user|group|disable|rmmember|addmember|rename|state|bind|showgroup args...")
	}
	conn, err := ldapx.Dial(context.Background(), ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	ts.Check(err)
	defer conn.Close()
	c := context.Background()
	ou := ts.Getenv("OU")
	dn := func(name string) string { return ldapx.JoinDN(ldapx.RDN("CN", name), ou) }
	switch args[0] {
	case "mkou":
		b := make([]byte, 4)
		rand.Read(b)
		name := "e2e-" + filepath.Base(ts.Getenv("WORK")) + "-" + hex.EncodeToString(b)
		dn, err := conn.CreateOU(c, l.BaseDN, name)
		ts.Check(err)
		ts.Defer(func() {
			conn, err := ldapx.Dial(context.Background(), ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
			if err == nil {
				conn.DeleteTree(context.Background(), dn)
				conn.Close()
			}
		})
		ts.Setenv("OU", dn)
	case "user":
		for _, name := range args[1:] {
			pw := make([]byte, 12)
			rand.Read(pw)
			_, err := conn.CreateUser(c, ldapx.NewUser{
				Container: ou, SAMAccountName: name, UserPrincipalName: name + "@" + strings.ToLower(l.Realm),
				GivenName: "E2E", SN: name, Mail: name + "@e2e.example",
				Password: secret.New("Aa1!" + hex.EncodeToString(pw)),
			})
			ts.Check(err)
		}
	case "group":
		if len(args) < 2 {
			ts.Fatalf("usage: ad group NAME MEMBER...")
		}
		b := make([]byte, 4)
		rand.Read(b)
		// sAMAccountName is unique in the domain (there is a JumpCloud
		// group already); the cn, which JumpCloud shows, is the name.
		g, err := conn.CreateGroup(c, ou, args[1], args[1]+"-"+hex.EncodeToString(b))
		ts.Check(err)
		for _, m := range args[2:] {
			ts.Check(conn.AddMember(c, g.DN, dn(m)))
		}
	case "primary":
		es, err := conn.SearchAll(c, ldapx.Query{Base: ou, Scope: ldap.ScopeSingleLevel,
			Filter: "(&(objectClass=group)" + ldapx.EqualityFilter("cn", args[2]) + ")", Attributes: []string{"objectSid"}})
		ts.Check(err)
		if len(es) != 1 {
			ts.Fatalf("ad: %d groups named %q in $OU", len(es), args[2])
		}
		sid, err := ldapx.SIDString(es[0].GetRawAttributeValue("objectSid"))
		ts.Check(err)
		user := dn(args[1])
		ts.Check(conn.Modify(c, user, map[string][]string{"primaryGroupID": {sid[strings.LastIndex(sid, "-")+1:]}}))
		// AD refuses to delete a group that is someone's primary group, so
		// the OU could not be deleted at the end: give the user back
		// Domain Users (RID 513) first (deferred calls run last first).
		ts.Defer(func() {
			conn, err := ldapx.Dial(context.Background(), ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
			if err == nil {
				conn.Modify(context.Background(), user, map[string][]string{"primaryGroupID": {"513"}})
				conn.Close()
			}
		})
	case "move":
		_, err := conn.Move(c, findUser(ts, conn, l, args[1]).DN, args[2])
		ts.Check(err)
	case "disable":
		_, err := conn.SetDisabled(c, dn(args[1]), true)
		ts.Check(err)
	case "rmmember":
		ts.Check(conn.RemoveMember(c, dn(args[1]), dn(args[2])))
	case "addmember":
		ts.Check(conn.AddMember(c, dn(args[1]), dn(args[2])))
	case "rename":
		ts.Check(conn.Modify(c, dn(args[1]), map[string][]string{"sAMAccountName": {args[2]}}))
	case "state":
		u := findUser(ts, conn, l, args[1])
		state := "enabled"
		if ldapx.UAC(atoi(u.GetAttributeValue("userAccountControl"))).Disabled() {
			state = "disabled"
		}
		fmt.Fprintf(ts.Stdout(), "%s %s\n", u.GetAttributeValue("sAMAccountName"), state)
	case "showgroup":
		es, err := conn.SearchAll(c, ldapx.Query{Base: l.BaseDN, Scope: ldap.ScopeWholeSubtree,
			Filter:     "(&(objectClass=group)" + ldapx.EqualityFilter("cn", args[1]) + ")",
			Attributes: []string{"cn", "sAMAccountName", "adminDescription", "member"}})
		ts.Check(err)
		if (len(es) == 1) == neg {
			ts.Fatalf("ad: %d groups named %q", len(es), args[1])
		}
		if neg {
			return
		}
		var members []string
		for _, m := range es[0].GetAttributeValues("member") {
			if dn, err := ldap.ParseDN(m); err == nil && len(dn.RDNs) > 0 {
				members = append(members, dn.RDNs[0].Attributes[0].Value)
			}
		}
		slices.Sort(members)
		fmt.Fprintln(ts.Stdout(), strings.Join(append([]string{es[0].GetAttributeValue("cn"), es[0].GetAttributeValue("sAMAccountName"),
			es[0].GetAttributeValue("adminDescription")}, members...), " "))
	case "bind":
		pw, err := os.ReadFile(ts.MkAbs(args[2]))
		ts.Check(err)
		uc, err := ldapx.Dial(c, ldapx.Options{URL: l.URL, BindDN: args[1] + "@" + strings.ToLower(l.Realm),
			Password: secret.New(strings.TrimRight(string(pw), "\r\n")), CAFile: l.CAFile})
		if (err == nil) == neg {
			ts.Fatalf("ad bind %s: %v", args[1], err)
		}
		if err == nil {
			uc.Close()
		}
	default:
		ts.Fatalf("ad: unknown subcommand %q", args[0])
	}
}

// findUser returns the user whose sAMAccountName is name, anywhere in the domain.
func findUser(ts *testscript.TestScript, conn *ldapx.Conn, l *ldaptest.Lab, name string) *ldap.Entry {
	es, err := conn.SearchAll(context.Background(), ldapx.Query{Base: l.BaseDN, Scope: ldap.ScopeWholeSubtree,
		Filter:     "(&(objectClass=user)" + ldapx.EqualityFilter("sAMAccountName", name) + ")",
		Attributes: []string{"sAMAccountName", "userAccountControl"}})
	ts.Check(err)
	if len(es) != 1 {
		ts.Fatalf("ad: %d users named %q, want 1", len(es), name)
	}
	return es[0]
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// cmdJC reads the emulator's state directly, not through adjc:
//
//	jc members GROUP        print the group's usernames, sorted, on one line
//	jc user USERNAME        print "USERNAME STATE sudo=BOOL"; fails if absent
//	jc saveid USERNAME VAR  set $VAR to the user's id
//	jc hasid USERNAME ID    fail unless the user's id is ID
//	jc adduser USERNAME     add a JumpCloud-only user (email USERNAME@e2e.example)
//	jc addgroup NAME USER...  add a user group with these members
//	jc renamegroup OLD NEW    rename a user group through the API
//	jc delegation STATE       set the delegationState of the org's only AD domain object
//	jc setdelegated USERNAME  set the user's delegatedAuthority to that object through the API
//	jc failnext METHOD PATH STATUS  answer the next call matching METHOD and the PATH pattern with STATUS
func cmdJC(ts *testscript.TestScript, neg bool, args []string, emu *jcemu.Server, org string, jc *jcapi.Client) {
	if len(args) < 2 {
		ts.Fatalf("usage: jc members|user|saveid|hasid args...")
	}
	users := emu.Users(org)
	find := func(name string) (jcapi.SystemUser, bool) {
		for _, u := range users {
			if strings.EqualFold(u.Username, name) {
				return u, true
			}
		}
		return jcapi.SystemUser{}, false
	}
	switch args[0] {
	case "members":
		byID := map[string]string{}
		for _, u := range users {
			byID[u.ID] = u.Username
		}
		for _, g := range emu.UserGroups(org) {
			if g.Name == args[1] {
				var names []string
				for _, id := range emu.Members(org, g.ID) {
					names = append(names, byID[id])
				}
				slices.Sort(names)
				fmt.Fprintln(ts.Stdout(), strings.Join(names, " "))
				return
			}
		}
		if !neg {
			ts.Fatalf("jc: no group %q", args[1])
		}
	case "user":
		u, ok := find(args[1])
		if ok == neg {
			ts.Fatalf("jc: user %q exists: %v", args[1], ok)
		}
		if ok {
			fmt.Fprintf(ts.Stdout(), "%s %s sudo=%v\n", u.Username, u.State, u.Sudo != nil && *u.Sudo)
		}
	case "markers":
		// markers NAME: the AD-managed markers of user NAME, the
		// delegated and restricting authority shown as "ad" when it is
		// the org's only AD domain object.
		u, ok := find(args[1])
		if !ok {
			ts.Fatalf("jc: no user %q", args[1])
		}
		fmt.Fprintln(ts.Stdout(), userMarkers(u, emu, org))
	case "groupbound":
		for _, g := range emu.UserGroups(org) {
			if g.Name == args[1] {
				fmt.Fprintf(ts.Stdout(), "%s bound=%v\n", g.Name, boundTo(emu, org, jcapi.TypeUserGroup, g.ID))
				return
			}
		}
		ts.Fatalf("jc: no group %q", args[1])
	case "outbox":
		// outbox KIND: how many emails of KIND (activation, welcome) the
		// emulator would have sent.
		n := 0
		for _, e := range emu.Outbox(org) {
			if e.Kind == args[1] {
				n++
			}
		}
		fmt.Fprintf(ts.Stdout(), "%d %s\n", n, args[1])
	case "saveid":
		u, ok := find(args[1])
		if !ok {
			ts.Fatalf("jc: no user %q", args[1])
		}
		ts.Setenv(args[2], u.ID)
	case "adduser":
		// adduser NAME [EMAIL]: the email is NAME@e2e.example unless given.
		email := args[1] + "@e2e.example"
		if len(args) > 2 {
			email = args[2]
		}
		_, err := emu.AddUser(org, jcapi.SystemUser{Username: args[1], Email: email, Firstname: "Sync", Lastname: args[1]})
		ts.Check(err)
	case "addgroup":
		g, err := emu.AddUserGroup(org, jcapi.UserGroup{Name: args[1]})
		ts.Check(err)
		for _, m := range args[2:] {
			u, ok := find(m)
			if !ok {
				ts.Fatalf("jc: no user %q", m)
			}
			ts.Check(emu.AddMember(org, g.ID, u.ID))
		}
	case "renamegroup":
		for _, g := range emu.UserGroups(org) {
			if g.Name == args[1] {
				_, err := jc.UpdateUserGroup(context.Background(), g.ID, jcapi.UserGroup{Name: args[2]})
				ts.Check(err)
				return
			}
		}
		ts.Fatalf("jc: no group %q", args[1])
	case "delegation", "setdelegated":
		ads := emu.ActiveDirectories(org)
		if len(ads) != 1 {
			ts.Fatalf("jc: %d AD domain objects, want 1", len(ads))
		}
		if args[0] == "delegation" {
			_, err := emu.UpdateActiveDirectory(org, ads[0].ID, jcapi.ActiveDirectory{DelegationState: args[1]})
			ts.Check(err)
			return
		}
		u, ok := find(args[1])
		if !ok {
			ts.Fatalf("jc: no user %q", args[1])
		}
		_, err := jc.UpdateSystemUser(context.Background(), u.ID, jcapi.SystemUserUpdate{DelegatedAuthority: &jcapi.DelegatedAuthority{Name: jcapi.DelegatedAuthorityActiveDirectory, ID: ads[0].ID}})
		ts.Check(err)
	case "failnext":
		if len(args) != 4 {
			ts.Fatalf("usage: jc failnext METHOD PATH STATUS")
		}
		emu.FailNext(jcemu.Fault{Method: args[1], Path: args[2], Status: atoi(args[3])})
	case "hasid":
		u, ok := find(args[1])
		if !ok || u.ID != args[2] {
			ts.Fatalf("jc: user %q has id %q, want %q", args[1], u.ID, args[2])
		}
	default:
		ts.Fatalf("jc: unknown subcommand %q", args[0])
	}
}

// userMarkers prints the AD-managed markers of u in one line:
// "NAME external_dn=… source=… managed=… delegated=ad restricted=f,f… bound=…".
func userMarkers(u jcapi.SystemUser, emu *jcemu.Server, org string) string {
	ads := emu.ActiveDirectories(org)
	name := func(id string) string {
		if len(ads) == 1 && id == ads[0].ID {
			return "ad"
		}
		return id
	}
	delegated := "none"
	if u.DelegatedAuthority != nil {
		delegated = name(u.DelegatedAuthority.ID)
	}
	var restricted []string
	for _, r := range u.RestrictedFields {
		restricted = append(restricted, r.Field+"@"+r.Type+":"+name(r.ID))
	}
	slices.Sort(restricted)
	return fmt.Sprintf("%s external_dn=%s source=%s managed=%v delegated=%s restricted=%s bound=%v",
		u.Username, u.ExternalDN, u.ExternalSourceType, u.ExternallyManaged != nil && *u.ExternallyManaged,
		delegated, strings.Join(restricted, ","), boundTo(emu, org, jcapi.TypeUser, u.ID))
}

// boundTo reports whether the object is associated directly with one of
// the org's AD domain objects.
func boundTo(emu *jcemu.Server, org, typ, id string) bool {
	for _, ad := range emu.ActiveDirectories(org) {
		for _, b := range emu.Bindings(org, ad.ID) {
			if b.Type == typ && b.ID == id {
				return true
			}
		}
	}
	return false
}
