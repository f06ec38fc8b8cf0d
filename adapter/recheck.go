package adapter

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
)

// RecheckBound reads again the member lists of the bound groups ids (a
// plan's [reconcile.Plan.Rechecks]) that b holds empty. A list empty again
// is confirmed ([reconcile.CloudGroup.MembersConfirmed]), so the next
// [reconcile.Diff] towards AD may remove what the group lost; a list that
// now has members replaces the empty one, the first answer having been
// wrong. b is not modified.
//
// The pipeline plans, and when the plan names groups to recheck, calls
// RecheckBound and plans again:
//
//	plan := reconcile.Diff(reconcile.ToAD, ad, bound, pol)
//	if ids := plan.Rechecks(); len(ids) > 0 {
//		bound, err = adapter.RecheckBound(ctx, jc, bound, ids)
//		…
//		plan = reconcile.Diff(reconcile.ToAD, ad, bound, pol)
//	}
func RecheckBound(ctx context.Context, c *jcapi.Client, b reconcile.Cloud, ids []string) (reconcile.Cloud, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	out := b
	out.Groups = slices.Clone(b.Groups)
	var again []reconcile.CloudGroup
	var at []int
	for i, g := range out.Groups {
		if want[g.ID] && len(g.Members) == 0 {
			g.Members = nil
			again = append(again, g)
			at = append(at, i)
		}
	}
	if err := readMembers(ctx, c, again); err != nil {
		return reconcile.Cloud{}, fmt.Errorf("read bound groups again: %w", err)
	}
	for n, g := range again {
		g.MembersConfirmed = len(g.Members) == 0
		out.Groups[at[n]] = g
	}
	return out, nil
}

// RecheckDirectory reads the import scope again, as [ReadDirectory] with
// opts, when a plan over dir names groups to recheck (ids: objectGUIDs from
// [reconcile.Plan.Rechecks]); those of them that are empty again are
// confirmed ([reconcile.ADGroup.MembersConfirmed]). It returns the new
// read, which the caller plans again: a second read that differs in any
// other way is the state to plan from anyway.
func RecheckDirectory(ctx context.Context, conn *ldapx.Conn, opts ReadOptions, ids []string) (reconcile.Directory, error) {
	d, err := ReadDirectory(ctx, conn, opts)
	if err != nil {
		return reconcile.Directory{}, fmt.Errorf("read directory again: %w", err)
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[strings.ToLower(id)] = true
	}
	for i := range d.Groups {
		if g := &d.Groups[i]; want[strings.ToLower(g.GUID)] && len(g.Members) == 0 {
			g.MembersConfirmed = true
		}
	}
	return d, nil
}
