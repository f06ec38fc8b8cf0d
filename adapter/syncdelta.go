package adapter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/reconcile"
)

// This file is what a sync delta tick reads: which bound JumpCloud objects
// Directory Insights events say changed since the last run, and those
// objects read again.

// Touched names the bound JumpCloud users and groups that events say
// changed, by id, sorted.
type Touched struct {
	Users, Groups []string
	// Direct maps users bound to, or unbound from, the domain object
	// directly to whether they are bound directly now (each is in Users).
	Direct map[string]bool
}

// Empty reports whether nothing bound was touched.
func (t Touched) Empty() bool { return len(t.Users)+len(t.Groups) == 0 }

// ignoredEvent reports event types that change nothing sync reads
// (authentications, passwords, MFA enrolment, admins, emails). Sync reads
// no password: 'adjc sync password' sets them.
func ignoredEvent(typ string) bool {
	for _, p := range []string{"admin_", "totp_", "user_login", "user_password", "user_mfa", "user_activation_",
		"user_suspension_schedule", "user_admin_", "sso_", "ldap_", "radius_", "system_", "command", "policy_", "file_"} {
		if strings.HasPrefix(typ, p) {
			return true
		}
	}
	switch typ {
	case "user_lockout", "user_unlocked", jcapi.EventUserCreate, jcapi.EventGroupCreate:
		// A new user or group is bound to nothing yet: the association
		// that binds it is an event of its own.
		return true
	}
	return false
}

// TouchedBound reads events against b, the JumpCloud side of the last full
// sync of the AD domain object adID, and says which bound users and groups
// they touch. Events about objects that are not bound are passed over. An
// error matching [ErrFullRun] says why the events cannot be trusted to say
// what changed: a bound object deleted, a group bound to or unbound from
// the domain object, an event without the object it is about, or an event type
// adjc does not interpret that names a bound object.
func TouchedBound(events []jcapi.Event, b reconcile.Cloud, adID string) (Touched, error) {
	users, groups := map[string]bool{}, map[string]bool{}
	for _, u := range b.Users {
		users[u.ID] = true
	}
	for _, g := range b.Groups {
		groups[g.ID] = true
	}
	bound := func(id string) bool { return users[id] || groups[id] || (id != "" && id == adID) }
	tu, tg := map[string]bool{}, map[string]bool{}
	var direct map[string]bool
	for _, e := range events {
		id := ""
		if e.Resource != nil {
			id = e.Resource.ID
		}
		switch e.EventType {
		case jcapi.EventUserUpdate, jcapi.EventUserSuspended, jcapi.EventUserUnsuspended, "user_activated":
			if id == "" {
				return Touched{}, fullRun("a %s event names no user", e.EventType)
			}
			if users[id] {
				tu[id] = true
			}
		case jcapi.EventUserDelete:
			if id == "" || users[id] {
				return Touched{}, fullRun("a bound user was deleted in JumpCloud")
			}
		case jcapi.EventGroupUpdate:
			if id == "" {
				return Touched{}, fullRun("a %s event names no group", e.EventType)
			}
			if groups[id] {
				tg[id] = true
			}
		case jcapi.EventGroupDelete:
			if id == "" || groups[id] {
				return Touched{}, fullRun("a bound group was deleted in JumpCloud")
			}
		case jcapi.EventAssociationChange:
			a := e.Association
			if a == nil || (a.Op != "add" && a.Op != "remove") {
				return Touched{}, fullRun("an association_change event does not say what it added or removed")
			}
			from, to := a.Connection.From, a.Connection.To
			ft, tt := strings.ToLower(from.Type), strings.ToLower(to.Type)
			switch {
			case (from.ObjectID == adID && tt == "user") || (to.ObjectID == adID && ft == "user"):
				// A user bound or unbound directly (import binds each user
				// it creates): read it, bound or not.
				u := to.ObjectID
				if to.ObjectID == adID {
					u = from.ObjectID
				}
				if u == "" {
					return Touched{}, fullRun("an association_change event names no user")
				}
				tu[u] = true
				if direct == nil {
					direct = map[string]bool{}
				}
				direct[u] = a.Op == "add"
			case from.ObjectID == adID || to.ObjectID == adID:
				return Touched{}, fullRun("a group binding of the JumpCloud AD domain object changed")
			case ft == "user_group" && tt == "user":
				if groups[from.ObjectID] {
					tg[from.ObjectID] = true
				}
			case ft == "user" && tt == "user_group":
				if groups[to.ObjectID] {
					tg[to.ObjectID] = true
				}
			case bound(from.ObjectID) || bound(to.ObjectID):
				// e.g. a user bound to a device: nothing sync reads, but
				// it names a bound object in a form not interpreted here.
				if ft == "" || tt == "" {
					return Touched{}, fullRun("an association_change event names a bound object without its type")
				}
			}
		default:
			if !ignoredEvent(e.EventType) && bound(id) {
				return Touched{}, fullRun("event type %s, which adjc does not interpret, names a bound object", e.EventType)
			}
		}
	}
	return Touched{Users: sortedSet(tu), Groups: sortedSet(tg), Direct: direct}, nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// DirectlyBound returns the ids of the users bound to the AD domain object
// adID directly (not through a group): a user who leaves every bound group
// stays bound only if it is one of them.
func DirectlyBound(ctx context.Context, c *jcapi.Client, adID string) (map[string]bool, error) {
	out := map[string]bool{}
	for e, err := range c.ActiveDirectoryAssociations(ctx, adID, jcapi.TypeUser) {
		if err != nil {
			return nil, fmt.Errorf("read the users bound to the domain object: %w", err)
		}
		out[e.To.ID] = true
	}
	return out, nil
}

// ReadTouched reads again the users and groups t names, and the members a
// touched group gained, and returns cache (the last full read) with them
// in place, and the part of it a plan of t needs: the touched users, the
// touched groups and all their members, before and after. A user that
// left every bound group and is not bound directly (direct, as t.Direct
// changes it) is no longer bound. cache and direct are not modified.
func ReadTouched(ctx context.Context, c *jcapi.Client, cache reconcile.Cloud, direct map[string]bool, t Touched) (all, part reconcile.Cloud, err error) {
	all.Groups = slices.Clone(cache.Groups)
	old := map[string][]string{}
	for i, g := range all.Groups {
		if !slices.Contains(t.Groups, g.ID) {
			continue
		}
		ug, err := c.GetUserGroup(ctx, g.ID)
		if errors.Is(err, jcapi.ErrNotFound) {
			return all, part, fullRun("bound group %s is gone", g.ID)
		}
		if err != nil {
			return all, part, fmt.Errorf("read bound group again: %w", err)
		}
		old[g.ID] = g.Members
		all.Groups[i] = reconcile.CloudGroup{ID: ug.ID, Name: ug.Name, Anchor: GroupAnchor(ug.Description)}
	}
	var fresh []reconcile.CloudGroup
	var at []int
	for i, g := range all.Groups {
		if _, ok := old[g.ID]; ok {
			fresh, at = append(fresh, g), append(at, i)
		}
	}
	if err := readMembers(ctx, c, fresh); err != nil {
		return all, part, fmt.Errorf("read bound group again: %w", err)
	}
	for n, g := range fresh {
		all.Groups[at[n]] = g
	}

	inGroup := map[string]bool{}
	for _, g := range all.Groups {
		for _, m := range g.Members {
			inGroup[m] = true
		}
	}
	cached := make(map[string]reconcile.CloudUser, len(cache.Users))
	wasBound := make(map[string]bool, len(cache.Users))
	for _, u := range cache.Users {
		cached[u.ID], wasBound[u.ID] = u, true
	}
	// Read: the touched users not known to be gone from the binding, and
	// members a touched group gained.
	want := idSet(t.Users)
	inPart := idSet(t.Users)
	for _, g := range fresh {
		for _, m := range g.Members {
			inPart[m] = true
			if !wasBound[m] {
				want[m] = true
			}
		}
	}
	for _, id := range sortedSet(want) {
		u, err := c.GetSystemUser(ctx, id)
		if errors.Is(err, jcapi.ErrNotFound) {
			return all, part, fullRun("bound user %s is gone", id)
		}
		if err != nil {
			return all, part, fmt.Errorf("read bound user again: %w", err)
		}
		cached[id] = cloudUser(u)
	}
	// Who is bound now: the directly bound, and the members of bound
	// groups; a member a touched group lost stays bound only so.
	left := map[string]bool{}
	for _, before := range old {
		for _, m := range before {
			// A member the group lost that stays bound is in the part:
			// its AD membership must be compared to be removed.
			left[m], inPart[m] = true, true
		}
	}
	directNow := func(id string) bool {
		if now, ok := t.Direct[id]; ok {
			return now
		}
		return direct[id]
	}
	for id, u := range cached {
		_, rebound := t.Direct[id]
		stays := inGroup[id] || directNow(id) || (wasBound[id] && !left[id] && !rebound)
		if !stays {
			continue
		}
		all.Users = append(all.Users, u)
		if inPart[id] {
			part.Users = append(part.Users, u)
		}
	}
	for _, g := range all.Groups {
		if _, ok := old[g.ID]; ok {
			part.Groups = append(part.Groups, g)
		}
	}
	sortBound(&all)
	sortBound(&part)
	return all, part, nil
}

func idSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func sortBound(b *reconcile.Cloud) {
	slices.SortFunc(b.Users, func(x, y reconcile.CloudUser) int { return compareStr(x.ID, y.ID) })
	slices.SortFunc(b.Groups, func(x, y reconcile.CloudGroup) int { return compareStr(x.ID, y.ID) })
}

// KeepTouched returns the changes of plan, made from part (see
// [ReadTouched]), that are about t's objects alone: a user change about a
// user of part, a group change about a touched group, and a membership
// change when both are. Other changes (a group part does not hold, which
// the plan would create) are dropped: part did not read them.
func KeepTouched(plan reconcile.Plan, part reconcile.Cloud, t Touched) reconcile.Plan {
	users := map[string]bool{}
	for _, u := range part.Users {
		users[u.ID] = true
	}
	groups := idSet(t.Groups)
	out := plan
	out.Changes = make([]reconcile.Change, 0, len(plan.Changes))
	for _, c := range plan.Changes {
		okUser := c.User == nil || users[c.User.Anchor]
		okGroup := c.Group == nil || groups[c.Group.Anchor]
		if okUser && okGroup {
			out.Changes = append(out.Changes, c)
		}
	}
	return out
}
