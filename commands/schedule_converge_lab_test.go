package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/schedule"
	"github.com/adjc/adjc/secret"
)

// envConvergeSeed replays [TestScheduleConvergenceLab] with another seed.
const envConvergeSeed = "ADJC_CONVERGE_SEED"

// convergeOrg is an emulator org with the lab domain bound to it, and the
// adjc config that imports root into it.
type convergeOrg struct {
	srv       *jcemu.Server
	org, url  string
	jc        *jcapi.Client
	cfgFile   string
	adID, key string
}

func newConvergeOrg(tb testing.TB, l *ldaptest.Lab, root string) *convergeOrg {
	tb.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	o := &convergeOrg{srv: jcemu.New(), key: "converge-" + hex.EncodeToString(b) + "-0123456789"}
	o.org = o.srv.AddOrg("adjc convergence test")
	if err := o.srv.AddAPIKey(o.key, o.org); err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(o.srv)
	tb.Cleanup(ts.Close)
	o.url = ts.URL + "/api"
	ad, err := o.srv.AddActiveDirectory(o.org, l.BaseDN)
	if err != nil {
		tb.Fatal(err)
	}
	o.adID = ad.ID
	if o.jc, err = jcapi.New(o.url, secret.New(o.key), jcapi.WithRateLimit(0, 0)); err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	keyFile := filepath.Join(dir, "jc-key")
	if err := os.WriteFile(keyFile, []byte(o.key), 0o600); err != nil {
		tb.Fatal(err)
	}
	o.cfgFile = filepath.Join(dir, "adjc.yaml")
	y := fmt.Sprintf(`jumpcloud:
  api_url: %s
  api_key_file: %s
domains:
  - name: adjc.lab
    mode: ad-authority
    ldap_url: %s
    base_dn: %s
    root_container: %s
    bind: %s
    bind_password_file: %s
    ca_file: %s
    jumpcloud_domain_id: %s
state_dir: %s
audit_log: %s
`, o.url, keyFile, l.URL, l.BaseDN, root, l.Import.Bind, l.Import.PasswordFile, l.CAFile, o.adID, filepath.Join(dir, "state"), filepath.Join(dir, "audit.jsonl"))
	if err := os.WriteFile(o.cfgFile, []byte(y), 0o600); err != nil {
		tb.Fatal(err)
	}
	return o
}

// view is what the org holds, by names only (ids differ between orgs):
// each user's fields that import manages and its groups.
func (o *convergeOrg) view() map[string]string {
	names := map[string]string{}
	for _, u := range o.srv.Users(o.org) {
		names[u.ID] = u.Username
	}
	groups := map[string][]string{}
	for _, g := range o.srv.UserGroups(o.org) {
		for _, id := range o.srv.Members(o.org, g.ID) {
			groups[names[id]] = append(groups[names[id]], g.Name)
		}
	}
	out := map[string]string{}
	for _, u := range o.srv.Users(o.org) {
		gs := slices.Sorted(slices.Values(groups[u.Username]))
		out[u.Username] = fmt.Sprintf("email=%s first=%s last=%s state=%s dn=%s groups=%s",
			u.Email, u.Firstname, u.Lastname, u.State, strings.ToLower(u.ExternalDN), strings.Join(gs, ","))
	}
	for _, g := range o.srv.UserGroups(o.org) {
		out["group:"+g.Name] = "exists"
	}
	return out
}

// convergeUser is a user the test made, as it is in AD now.
type convergeUser struct {
	sam, dn string
	groups  map[int]bool
	off     bool
}

// TestScheduleConvergenceLab: a random stream of AD changes (attribute
// edits, renames, moves between OUs, nesting changes, disables, enables,
// user and group deletes, creations, member adds and removes) and JumpCloud console edits
// is applied while `adjc schedule --import` runs with delta ticks, one
// change per tick, ticks driven on a fake clock. Every full reconcile the
// full interval brings may correct the console edits made since the last
// full run and nothing else: anything more is a change the delta ticks
// missed. At the end the org equals a fresh full import of the same AD
// into an empty org. The seed is fixed; a failure prints it, and
// ADJC_CONVERGE_SEED replays another.
func TestScheduleConvergenceLab(t *testing.T) {
	seed := uint64(17)
	if v := os.Getenv(envConvergeSeed); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want a number", envConvergeSeed, v)
		}
		seed = n
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d: replay with %s=%d", seed, envConvergeSeed, seed)
		}
	})
	rng := mrand.New(mrand.NewPCG(seed, 17))
	l := ldaptest.Get(t)
	ctx := context.Background()
	admin, err := ldapx.Dial(ctx, ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("Dial as admin: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// The scope: a temporary OU with two OUs of users, its own JumpCloud
	// group, groups 0 and 1 nested in it and group 2 nested in 1 or not.
	root := l.TempOU(t)
	b := make([]byte, 3)
	rand.Read(b)
	prefix := "cv" + hex.EncodeToString(b)
	var ous [2]string
	for i := range ous {
		ous[i], err = admin.CreateOU(ctx, root, fmt.Sprintf("Part%d", i))
		must(err)
	}
	scope, err := admin.CreateGroup(ctx, root, "JumpCloud", prefix+"jc")
	must(err)
	var groups [3]ldapx.Group
	for i := range groups {
		groups[i], err = admin.CreateGroup(ctx, root, fmt.Sprintf("%s G%d", prefix, i), fmt.Sprintf("%sg%d", prefix, i))
		must(err)
	}
	must(admin.AddMember(ctx, scope.DN, groups[0].DN))
	must(admin.AddMember(ctx, scope.DN, groups[1].DN))
	nested := false
	deletedGroup := -1 // a group deleted at the last step, to make again
	var users []*convergeUser
	made := 0
	create := func() string {
		sam := fmt.Sprintf("%su%d", prefix, made)
		made++
		u, err := admin.CreateUser(ctx, ldapx.NewUser{Container: ous[rng.IntN(2)], SAMAccountName: sam, GivenName: "Given",
			SN: fmt.Sprintf("Sur%d", made), Mail: sam + "@adjc.lab", Password: secret.New("Conv-" + sam + "-Pw1!")})
		must(err)
		cu := &convergeUser{sam: sam, dn: u.DN, groups: map[int]bool{}}
		k := rng.IntN(3)
		must(admin.AddMember(ctx, groups[k].DN, u.DN))
		cu.groups[k] = true
		users = append(users, cu)
		return "create " + sam + " in group " + strconv.Itoa(k)
	}
	for range 6 {
		create()
	}

	o := newConvergeOrg(t, l, root)
	// Disabled users are deleted (not suspended) so that the org can equal a
	// fresh import, which never creates a disabled user.
	r := startTickRig(t, o.cfgFile, "--import", "--full-interval", "1m", "--max-deletes", "-1", "--on-disabled", "delete")
	if r.start.Err != nil || r.start.Summary.Applied == 0 {
		t.Fatalf("start run: %v, applied %d", r.start.Err, r.start.Summary.Applied)
	}

	// What a full run may correct, gathered since the last one: console
	// edits (deltas read AD only). Users deleted in AD are not: the lab's
	// import account may list CN=Deleted Objects, so DirSync shows it the
	// tombstones and the next delta tick plans them.
	edits := map[string]bool{} // JumpCloud users edited in the console
	lastFull := r.clock.Now()
	checkRun := func(step int, what string, rec schedule.Record) {
		t.Helper()
		t.Logf("step %d: %s → %s run, %s %s", step, what, rec.Summary.Kind(), rec.Summary.Changes(), rec.Summary.FullReason)
		if rec.Err != nil {
			t.Fatalf("step %d (%s): run failed: %v", step, what, rec.Err)
		}
		if rec.Summary.Kind() != "full" {
			return
		}
		// A full run a delta tick chose (a nesting change, too many
		// changes) applies what it was chosen for; the safety net (the
		// full interval, full-now) only what deltas cannot see.
		if strings.Contains(rec.Summary.FullReason, "full interval") || strings.Contains(rec.Summary.FullReason, "full-now") {
			var missed []string
			for _, c := range rec.Summary.ByKind {
				switch {
				case c.Kind == "user" && c.Action == '~' && c.N <= len(edits):
				default:
					missed = append(missed, fmt.Sprintf("%s%c%d", c.Kind, rune(c.Action), c.N))
				}
			}
			if len(missed) > 0 {
				t.Errorf("step %d (%s): the safety-net full run corrected %q, with %d console edits since the last full run: delta ticks missed %v",
					step, what, rec.Summary.Changes(), len(edits), missed)
			}
		}
		clear(edits)
		lastFull = r.clock.Now()
	}
	pick := func() *convergeUser { return users[rng.IntN(len(users))] }
	ops := []func() string{
		func() string { // attribute edit
			u := pick()
			must(admin.Modify(ctx, u.dn, map[string][]string{"givenName": {fmt.Sprintf("G%d", rng.IntN(1000))}}))
			return "givenName of " + u.sam
		},
		func() string { // rename
			u := pick()
			dn, err := admin.Rename(ctx, u.dn, fmt.Sprintf("%s r%d", u.sam, rng.IntN(1000)))
			must(err)
			u.dn = dn
			return "rename " + u.sam
		},
		func() string { // move to the other OU
			u := pick()
			to := ous[0]
			if strings.HasSuffix(strings.ToLower(u.dn), strings.ToLower(ous[0])) {
				to = ous[1]
			}
			dn, err := admin.Move(ctx, u.dn, to)
			must(err)
			u.dn = dn
			return "move " + u.sam
		},
		func() string { // disable or enable
			u := pick()
			u.off = !u.off
			_, err := admin.SetDisabled(ctx, u.dn, u.off)
			must(err)
			return fmt.Sprintf("disabled=%v %s", u.off, u.sam)
		},
		func() string { // delete, or create when few are left
			if len(users) <= 4 {
				return create()
			}
			i := rng.IntN(len(users))
			u := users[i]
			must(admin.Delete(ctx, u.dn))
			users = slices.Delete(users, i, i+1)
			return "delete " + u.sam
		},
		create,
		func() string { // member add or remove
			u, k := pick(), rng.IntN(3)
			if u.groups[k] {
				must(admin.RemoveMember(ctx, groups[k].DN, u.dn))
				delete(u.groups, k)
				return fmt.Sprintf("remove %s from group %d", u.sam, k)
			}
			must(admin.AddMember(ctx, groups[k].DN, u.dn))
			u.groups[k] = true
			return fmt.Sprintf("add %s to group %d", u.sam, k)
		},
		func() string { // group deleted; recreated at the next step (recreate)
			k := rng.IntN(3)
			must(admin.Delete(ctx, groups[k].DN))
			for _, u := range users {
				delete(u.groups, k)
			}
			if k > 0 {
				nested = false // group 2 nested in group 1: that nesting went with either
			}
			deletedGroup = k
			return fmt.Sprintf("delete group %d", k)
		},
		func() string { // nesting change
			nested = !nested
			if nested {
				must(admin.AddMember(ctx, groups[1].DN, groups[2].DN))
			} else {
				must(admin.RemoveMember(ctx, groups[1].DN, groups[2].DN))
			}
			return fmt.Sprintf("group 2 nested in group 1: %v", nested)
		},
		func() string { // console edit in JumpCloud
			cus := o.srv.Users(o.org)
			if len(cus) == 0 {
				return "no console edit: the org is empty"
			}
			cu := cus[rng.IntN(len(cus))]
			name := fmt.Sprintf("Console%d", rng.IntN(1000))
			if _, err := o.jc.UpdateSystemUser(ctx, cu.ID, jcapi.SystemUserUpdate{Firstname: &name}); err != nil {
				t.Fatal(err)
			}
			edits[cu.ID] = true
			return "console edit of " + cu.Username
		},
	}
	const steps = 24
	for step := range steps {
		for r.clock.Now().Add(2*r.interval).Sub(lastFull) >= time.Minute {
			// One of the next two ticks (a tick may be skipped: see
			// tickRig.tick) is the full interval's: a change made now
			// would be the safety net's to apply, not the deltas'.
			rec, _ := r.tick()
			checkRun(step, "nothing (full interval due)", rec)
		}
		var what string
		if k := deletedGroup; k >= 0 {
			// The other operations need every group: make it again, under
			// the same name (a new objectGUID, so a new JumpCloud group).
			groups[k], err = admin.CreateGroup(ctx, root, fmt.Sprintf("%s G%d", prefix, k), fmt.Sprintf("%sg%dr%d", prefix, k, step))
			must(err)
			if k < 2 {
				must(admin.AddMember(ctx, scope.DN, groups[k].DN))
			}
			deletedGroup, what = -1, fmt.Sprintf("recreate group %d", k)
		} else {
			what = ops[rng.IntN(len(ops))]()
		}
		rec, _ := r.tick()
		checkRun(step, what, rec)
	}
	r.requestFull()
	rec, _ := r.tick()
	checkRun(steps, "nothing (final full-now)", rec)
	r.stop()

	// A fresh import of the same AD into an empty org.
	fresh := newConvergeOrg(t, l, root)
	ios, stdout, stderr, _ := output.Test()
	env := map[string]string{config.EnvConfig: fresh.cfgFile, "HOME": t.TempDir()}
	f := NewFactory(ios, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	cmd := NewRootCmd(f)
	cmd.SetArgs([]string{"import", "--yes", "--max-deletes", "-1", "--on-disabled", "delete"})
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatalf("fresh import: %v\n%s%s", err, stdout, stderr)
	}
	got, want := o.view(), fresh.view()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s: scheduled org %q, fresh import %q", k, got[k], want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: in the scheduled org (%q), not in a fresh import", k, got[k])
		}
	}
}
