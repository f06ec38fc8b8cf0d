package adapter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/reconcile"
)

// readFreshCloud fills in the JumpCloud side of f: first the users cached
// as anchored to f's AD users, by id; then, for names and emails those do
// not already hold, the users holding them (a rename onto a taken name, an
// adoption). Each user's group bindings are read with it. Reads of one step
// run concurrently (the client bounds them), so a run costs two round
// trips to JumpCloud rather than one per call.
func readFreshCloud(ctx context.Context, jc *jcapi.Client, cached *reconcile.Base, f *reconcile.Fresh) error {
	ids := cached.AnchoredTo(f.GUIDs)
	users := make([]*jcapi.SystemUser, len(ids))
	err := each(len(ids), func(i int) error {
		u, err := jc.GetSystemUser(ctx, ids[i])
		if errors.Is(err, jcapi.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read jumpcloud user %s: %w", ids[i], err)
		}
		users[i] = &u
		return nil
	})
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	held := map[string]bool{} // "username:x", "email:y" held by an anchored user of f, lower-cased
	var found []jcapi.SystemUser
	for i, u := range users {
		if u == nil {
			f.Gone = append(f.Gone, ids[i])
			continue
		}
		seen[u.ID] = true
		found = append(found, *u)
		held["username:"+strings.ToLower(u.Username)] = true
		held["email:"+strings.ToLower(u.Email)] = true
	}
	// Filters are case-sensitive; JumpCloud compares usernames and emails
	// without case, so ask for the value as AD has it and lower-cased.
	type query struct{ field, value string }
	var queries []query
	for _, u := range f.Users {
		email := u.Mail
		if email == "" {
			email = u.UPN
		}
		for _, q := range []query{{"username", u.Username}, {"email", email}} {
			if q.value == "" || held[q.field+":"+strings.ToLower(q.value)] {
				continue
			}
			for _, v := range slices.Compact([]string{q.value, strings.ToLower(q.value)}) {
				queries = append(queries, query{q.field, v})
			}
		}
	}
	hits := make([][]jcapi.SystemUser, len(queries))
	err = each(len(queries), func(i int) error {
		// The value goes in a search body, not a query filter: it may
		// hold a comma (jcapi.ErrCommaInFilter).
		su, err := jc.FindSystemUsers(ctx, queries[i].field, queries[i].value)
		if err != nil {
			return fmt.Errorf("find jumpcloud user by %s %q: %w", queries[i].field, queries[i].value, err)
		}
		hits[i] = su
		return nil
	})
	if err != nil {
		return err
	}
	for _, h := range hits {
		for _, su := range h {
			if !seen[su.ID] {
				seen[su.ID] = true
				found = append(found, su)
			}
		}
	}
	groups := make([][]string, len(found))
	err = each(len(found), func(i int) error {
		for m, err := range jc.UserMemberOf(ctx, found[i].ID) {
			if err != nil {
				return fmt.Errorf("read groups of jumpcloud user %s: %w", found[i].ID, err)
			}
			if m.Type == jcapi.TypeUserGroup {
				groups[i] = append(groups[i], m.ID)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, u := range found {
		f.CloudUsers = append(f.CloudUsers, cloudUser(u))
		f.CloudGroups[u.ID] = groups[i]
	}
	return nil
}

// each runs fn(0) … fn(n-1) concurrently and returns their errors, joined.
func each(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	return errors.Join(slices.DeleteFunc(errs, func(e error) bool { return e == nil })...)
}
