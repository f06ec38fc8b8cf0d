package commands

import (
	"context"
	"slices"
	"testing"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/reconcile"
)

// TestSyncPlanRechecksEmptiedGroup: a bound group whose JumpCloud member
// list reads empty while AD still holds its members is read again before
// anything is planned; a second empty read removes the members, a second
// read that finds them plans nothing.
func TestSyncPlanRechecksEmptiedGroup(t *testing.T) {
	t.Parallel()
	const ctr = "CN=Users,DC=example,DC=com"
	user := func(n string) reconcile.CloudUser {
		return reconcile.CloudUser{ID: "jc-" + n, Username: n, Email: n + "@example.com", Firstname: "F" + n, Lastname: "L" + n}
	}
	adUser := func(n string) reconcile.ADUser {
		return reconcile.ADUser{GUID: "guid-" + n, DN: "CN=" + n + "," + ctr, Username: n, Mail: n + "@example.com", GivenName: "F" + n, Surname: "L" + n}
	}
	for _, tt := range []struct {
		name        string
		secondRead  []string // member ids the second read finds
		wantRemoved int
	}{
		{"empty again: removed", nil, 2},
		{"members back: nothing", []string{"jc-alice", "jc-bob"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rechecks := 0
			read := func(context.Context, *config.Config, *config.Domain) (*State, error) {
				st := &State{
					Cloud: reconcile.Cloud{Users: []reconcile.CloudUser{user("alice"), user("bob")},
						Groups: []reconcile.CloudGroup{{ID: "jcg-Staff", Name: "Staff"}}},
					Directory: reconcile.Directory{Container: ctr, Users: []reconcile.ADUser{adUser("alice"), adUser("bob")},
						Groups: []reconcile.ADGroup{{GUID: "guid-Staff", DN: "CN=Staff," + ctr, Name: "Staff", Anchor: "jcg-Staff",
							Members: []string{"guid-alice", "guid-bob"}}}},
				}
				st.Recheck = func(_ context.Context, ids []string) error {
					rechecks++
					if !slices.Equal(ids, []string{"jcg-Staff"}) {
						t.Errorf("Recheck(%q), want [jcg-Staff]", ids)
					}
					st.Cloud.Groups[0].Members = tt.secondRead
					st.Cloud.Groups[0].MembersConfirmed = len(tt.secondRead) == 0
					return nil
				}
				return st, nil
			}
			d := &config.Domain{Name: "example.com", BaseDN: "DC=example,DC=com", Mode: config.ModeJCAuthority}
			_, plan, err := SyncPlan(t.Context(), read, &config.Config{}, d, false)
			if err != nil {
				t.Fatal(err)
			}
			if rechecks != 1 || plan.Removals() != tt.wantRemoved {
				t.Errorf("SyncPlan: %d rechecks, %d removals; want 1 and %d (plan %+v)", rechecks, plan.Removals(), tt.wantRemoved, plan.Changes)
			}
		})
	}
}
