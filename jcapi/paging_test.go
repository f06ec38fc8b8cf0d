package jcapi_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
)

// TestPagingIntegrity: a paged read whose pages do not form one listing
// fails with a PageError naming the path and page, for v1 users, v2 groups
// and a member list, whether a page is repeated, shifted or skips objects.
func TestPagingIntegrity(t *testing.T) {
	t.Parallel()
	const size = 10
	type read func(f *fixture, g string) error
	users := func(f *fixture, _ string) error {
		_, err := jcapi.Collect(f.c.SystemUsers(t.Context(), jcapi.ListOptions{PageSize: size}))
		return err
	}
	groups := func(f *fixture, _ string) error {
		_, err := jcapi.Collect(f.c.UserGroups(t.Context(), jcapi.ListOptions{PageSize: size}))
		return err
	}
	members := func(f *fixture, g string) error {
		// Members are read 100 at a time; the group has every user.
		_, err := jcapi.Collect(f.c.UserGroupMembers(t.Context(), g))
		return err
	}
	tests := []struct {
		name     string
		users    int
		read     read
		path     string // fault path
		fault    jcemu.Fault
		wantPath string
		wantPage int
		want     string
	}{
		{"v1 users, page 2 repeats page 1", 250, users, "/api/systemusers", jcemu.Fault{After: 1, Skew: -size}, "/systemusers", 2, "already read on page 1"},
		{"v1 users, page 2 shifted by one", 250, users, "/api/systemusers", jcemu.Fault{After: 1, Skew: -1}, "/systemusers", 2, "already read on page 1"},
		{"v1 users, last page skips three", 25, users, "/api/systemusers", jcemu.Fault{After: 2, Skew: 3}, "/systemusers", 3, "reported 25 items but the list ended after 22"},
		{"v2 groups, page 3 repeats page 2", 250, groups, "/api/v2/usergroups", jcemu.Fault{After: 2, Skew: -size}, "/v2/usergroups", 3, "already read on page 2"},
		{"v2 groups, page 2 shifted by one", 250, groups, "/api/v2/usergroups", jcemu.Fault{After: 1, Skew: -1}, "/v2/usergroups", 2, "already read on page 1"},
		{"members, page 3 repeats page 2", 250, members, "/api/v2/usergroups/*/members", jcemu.Fault{After: 2, Skew: -100}, "/members", 3, "already read on page 2"},
		{"members, page 2 shifted by one", 250, members, "/api/v2/usergroups/*/members", jcemu.Fault{After: 1, Skew: -1}, "/members", 2, "already read on page 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			seeded := f.seedUsers(t, tt.users)
			g, err := f.emu.AddUserGroup(f.org, jcapi.UserGroup{Name: "all"})
			require.NoError(t, err)
			for _, u := range seeded {
				require.NoError(t, f.emu.AddMember(f.org, g.ID, u.ID))
			}
			for i := range 24 {
				_, err := f.emu.AddUserGroup(f.org, jcapi.UserGroup{Name: fmt.Sprintf("g%02d", i)})
				require.NoError(t, err)
			}
			require.NoError(t, tt.read(f, g.ID), "the read succeeds without the fault")
			ft := tt.fault
			ft.Method, ft.Path = "GET", tt.path
			f.emu.FailNext(ft)
			err = tt.read(f, g.ID)
			require.ErrorIs(t, err, jcapi.ErrInconsistentPage)
			var pe *jcapi.PageError
			require.True(t, errors.As(err, &pe), "%v", err)
			assert.Contains(t, pe.Path, tt.wantPath)
			assert.Equal(t, tt.wantPage, pe.Page)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestPagingTotalChanges: a user created while the list is being read
// changes the total between pages, and the read fails.
func TestPagingTotalChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedUsers(t, 25)
	var err error
	n := 0
	for _, e := range f.c.SystemUsers(t.Context(), jcapi.ListOptions{PageSize: 10}) {
		if e != nil {
			err = e
			break
		}
		if n++; n == 1 {
			_, aerr := f.emu.AddUser(f.org, jcapi.SystemUser{Username: "late", Email: "late@example.com"})
			require.NoError(t, aerr)
		}
	}
	require.ErrorIs(t, err, jcapi.ErrInconsistentPage)
	assert.Contains(t, err.Error(), "page 2: the total changed from 25 to 26")
}
