package adapter

import (
	"context"
	"fmt"
	"slices"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/reconcile"
)

// ReadBound reads the JumpCloud side of a sync: the users bound to the AD
// domain object adID, directly or through a bound group (GET
// /activedirectories/{id}/users), and the user groups bound to it with their
// direct members. Members of a bound group that are not themselves reachable
// from the domain object cannot occur: JumpCloud reports them as bound
// through the group.
func ReadBound(ctx context.Context, c *jcapi.Client, adID string) (reconcile.Cloud, error) {
	ids := make(map[string]bool)
	for o, err := range c.ActiveDirectoryUsers(ctx, adID, jcapi.ADUsersOptions{}) {
		if err != nil {
			return reconcile.Cloud{}, fmt.Errorf("read bound users: %w", err)
		}
		ids[o.ID] = true
	}
	var b reconcile.Cloud
	// One paged list of all users beats one GET per bound user: 100 a page.
	if len(ids) > 0 {
		for u, err := range c.SystemUsers(ctx, jcapi.ListOptions{}) {
			if err != nil {
				return reconcile.Cloud{}, fmt.Errorf("read bound users: %w", err)
			}
			if ids[u.ID] {
				b.Users = append(b.Users, cloudUser(u))
			}
		}
	}
	for o, err := range c.ActiveDirectoryUserGroups(ctx, adID, jcapi.ListOptions{}) {
		if err != nil {
			return reconcile.Cloud{}, fmt.Errorf("read bound groups: %w", err)
		}
		g, err := c.GetUserGroup(ctx, o.ID)
		if err != nil {
			return reconcile.Cloud{}, fmt.Errorf("read bound groups: %w", err)
		}
		b.Groups = append(b.Groups, reconcile.CloudGroup{ID: g.ID, Name: g.Name, Anchor: GroupAnchor(g.Description)})
	}
	if err := readMembers(ctx, c, b.Groups); err != nil {
		return reconcile.Cloud{}, fmt.Errorf("read bound groups: %w", err)
	}
	slices.SortFunc(b.Users, func(x, y reconcile.CloudUser) int { return compareStr(x.ID, y.ID) })
	slices.SortFunc(b.Groups, func(x, y reconcile.CloudGroup) int { return compareStr(x.ID, y.ID) })
	return b, nil
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
