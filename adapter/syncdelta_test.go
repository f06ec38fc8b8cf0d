package adapter

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
)

func TestTouchedBound(t *testing.T) {
	t.Parallel()
	b := reconcile.Cloud{
		Users:  []reconcile.CloudUser{{ID: "u1"}, {ID: "u2"}},
		Groups: []reconcile.CloudGroup{{ID: "g1", Members: []string{"u2"}}},
	}
	user := func(typ, id string) jcapi.Event {
		return jcapi.Event{EventType: typ, Resource: &jcapi.EventResource{ID: id, Type: "user"}}
	}
	assoc := func(op, ft, fid, tt, tid string) jcapi.Event {
		return jcapi.Event{EventType: jcapi.EventAssociationChange, Association: &jcapi.EventAssociation{Op: op,
			Connection: jcapi.EventConnection{From: jcapi.EventNode{Type: ft, ObjectID: fid}, To: jcapi.EventNode{Type: tt, ObjectID: tid}}}}
	}
	tests := []struct {
		name       string
		events     []jcapi.Event
		want       Touched
		fullReason string
	}{
		{"nothing", nil, Touched{Users: []string{}, Groups: []string{}}, ""},
		{"unbound user updated", []jcapi.Event{user("user_update", "u9")}, Touched{Users: []string{}, Groups: []string{}}, ""},
		{"bound user updated and suspended", []jcapi.Event{user("user_update", "u1"), user("user_suspended", "u2")}, Touched{Users: []string{"u1", "u2"}, Groups: []string{}}, ""},
		{"logins and passwords", []jcapi.Event{user("user_login_attempt", "u1"), user("user_password_change", "u1")}, Touched{Users: []string{}, Groups: []string{}}, ""},
		{"member added, upper-case types", []jcapi.Event{assoc("add", "USER_GROUP", "g1", "USER", "u9")}, Touched{Users: []string{}, Groups: []string{"g1"}}, ""},
		{"member removed, reversed ends", []jcapi.Event{assoc("remove", "user", "u2", "user_group", "g1")}, Touched{Users: []string{}, Groups: []string{"g1"}}, ""},
		{"unbound group's member", []jcapi.Event{assoc("add", "user_group", "g9", "user", "u1")}, Touched{Users: []string{}, Groups: []string{}}, ""},
		{"group renamed", []jcapi.Event{{EventType: "group_update", Resource: &jcapi.EventResource{ID: "g1"}}}, Touched{Users: []string{}, Groups: []string{"g1"}}, ""},
		{"bound user deleted", []jcapi.Event{user("user_delete", "u1")}, Touched{}, "deleted"},
		{"bound group deleted", []jcapi.Event{{EventType: "group_delete", Resource: &jcapi.EventResource{ID: "g1"}}}, Touched{}, "deleted"},
		{"user bound", []jcapi.Event{assoc("add", "active_directory", "ad1", "user", "u9")}, Touched{Users: []string{"u9"}, Groups: []string{}}, ""},
		{"user unbound", []jcapi.Event{assoc("remove", "user", "u1", "active_directory", "ad1")}, Touched{Users: []string{"u1"}, Groups: []string{}}, ""},
		{"group bound", []jcapi.Event{assoc("add", "active_directory", "ad1", "user_group", "g9")}, Touched{}, "group binding"},
		{"no association", []jcapi.Event{{EventType: jcapi.EventAssociationChange}}, Touched{}, "does not say"},
		{"update without resource", []jcapi.Event{{EventType: "user_update"}}, Touched{}, "names no user"},
		{"unknown type about a bound user", []jcapi.Event{user("user_frobnicated", "u1")}, Touched{}, "does not interpret"},
		{"unknown type about another user", []jcapi.Event{user("user_frobnicated", "u9")}, Touched{Users: []string{}, Groups: []string{}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TouchedBound(tt.events, b, "ad1")
			if tt.fullReason != "" {
				if !errors.Is(err, ErrFullRun) || !strings.Contains(err.Error(), tt.fullReason) {
					t.Errorf("TouchedBound() = %v, want a full run (%s)", err, tt.fullReason)
				}
				return
			}
			if err != nil || !slices.Equal(got.Users, tt.want.Users) || !slices.Equal(got.Groups, tt.want.Groups) {
				t.Errorf("TouchedBound() = %+v, %v, want %+v", got, err, tt.want)
			}
		})
	}
}

// TestReadTouched: a touched group is read again with its members; a
// member it gained is read and becomes bound; one it lost stays bound only
// when bound directly, and is in the part either way it stays.
func TestReadTouched(t *testing.T) {
	t.Parallel()
	srv := jcemu.New()
	org := srv.AddOrg("o")
	if err := srv.AddAPIKey("k", org); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := jcapi.New(ts.URL+"/api", secret.New("k"), jcapi.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	add := func(name string) string {
		u, err := srv.AddUser(org, jcapi.SystemUser{Username: name, Email: name + "@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	stay, gone, newcomer, other := add("stay"), add("gone"), add("newcomer"), add("other")
	g, err := srv.AddUserGroup(org, jcapi.UserGroup{Name: "G"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{newcomer} {
		if err := srv.AddMember(org, g.ID, m); err != nil {
			t.Fatal(err)
		}
	}
	cache := reconcile.Cloud{
		Users:  []reconcile.CloudUser{{ID: stay, Username: "stay"}, {ID: gone, Username: "gone"}, {ID: other, Username: "other"}},
		Groups: []reconcile.CloudGroup{{ID: g.ID, Name: "G", Members: []string{stay, gone}}},
	}
	all, part, err := ReadTouched(context.Background(), c, cache, map[string]bool{stay: true, other: true}, Touched{Groups: []string{g.ID}})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(us []reconcile.CloudUser) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.ID)
		}
		slices.Sort(out)
		return out
	}
	want := []string{stay, newcomer, other}
	slices.Sort(want)
	if got := ids(all.Users); !slices.Equal(got, want) {
		t.Errorf("all users = %v, want %v (gone left its only group)", got, want)
	}
	want = []string{stay, newcomer}
	slices.Sort(want)
	if got := ids(part.Users); !slices.Equal(got, want) {
		t.Errorf("part users = %v, want %v", got, want)
	}
	if len(part.Groups) != 1 || !slices.Equal(part.Groups[0].Members, []string{newcomer}) {
		t.Errorf("part groups = %+v, want G with its one member", part.Groups)
	}
	if len(cache.Groups[0].Members) != 2 {
		t.Error("ReadTouched modified the cache")
	}
}
