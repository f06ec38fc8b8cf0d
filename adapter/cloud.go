package adapter

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
)

// AnchorAttribute is the name of the custom system-user attribute that holds
// the AD objectGUID of the user it mirrors.
const AnchorAttribute = "adjcObjectGUID"

// ExternalSourceType is what adjc writes to a user's `external_source_type`.
// The spec leaves the value free; this is the restrictedField.type JumpCloud
// uses for Active Directory.
const ExternalSourceType = jcapi.AuthorityActiveDirectory

// memberReaders bounds the per-group member listings in flight. The client
// has its own concurrency bound and rate limit; this only keeps the number
// of goroutines and half-read pages small for an org with many groups.
const memberReaders = 8

// groupAnchorRE is the only description form read back as an anchor.
var groupAnchorRE = regexp.MustCompile(`^Mirrored from Active Directory by adjc \(objectGUID ([0-9a-fA-F-]{36})\)$`)

// GroupDescription returns the description adjc writes on a user group that
// mirrors the AD group with objectGUID guid.
func GroupDescription(guid string) string {
	return "Mirrored from Active Directory by adjc (objectGUID " + guid + ")"
}

// GroupAnchor returns the objectGUID recorded in a group description written
// by [GroupDescription], or "" for any other description: an operator's
// free text never makes a group managed by accident.
func GroupAnchor(description string) string {
	m := groupAnchorRE.FindStringSubmatch(description)
	if m == nil {
		return ""
	}
	g, err := ldapx.CanonicalGUID(m[1])
	if err != nil {
		return ""
	}
	return g
}

// userAnchor returns the canonical objectGUID in u's custom attributes, or "".
func userAnchor(u jcapi.SystemUser) string {
	for _, a := range u.Attributes {
		if a.Name == AnchorAttribute {
			if g, err := ldapx.CanonicalGUID(a.Value); err == nil {
				return g
			}
		}
	}
	return ""
}

// ReadCloud reads every JumpCloud system user and user group, with each
// group's direct members, as the engine's actual state.
func ReadCloud(ctx context.Context, c *jcapi.Client) (reconcile.Cloud, error) {
	var cl reconcile.Cloud
	for u, err := range c.SystemUsers(ctx, jcapi.ListOptions{}) {
		if err != nil {
			return reconcile.Cloud{}, fmt.Errorf("read jumpcloud: %w", err)
		}
		cl.Users = append(cl.Users, cloudUser(u))
	}
	for g, err := range c.UserGroups(ctx, jcapi.ListOptions{}) {
		if err != nil {
			return reconcile.Cloud{}, fmt.Errorf("read jumpcloud: %w", err)
		}
		cl.Groups = append(cl.Groups, reconcile.CloudGroup{ID: g.ID, Name: g.Name, Anchor: GroupAnchor(g.Description)})
	}
	if err := readMembers(ctx, c, cl.Groups); err != nil {
		return reconcile.Cloud{}, fmt.Errorf("read jumpcloud: %w", err)
	}
	return cl, nil
}

func cloudUser(u jcapi.SystemUser) reconcile.CloudUser {
	cu := reconcile.CloudUser{
		ID:        u.ID,
		Username:  u.Username,
		Email:     u.Email,
		Firstname: u.Firstname,
		Lastname:  u.Lastname,
		Suspended: u.State == jcapi.StateSuspended || (u.Suspended != nil && *u.Suspended),
		Staged:    u.State == jcapi.StateStaged,
		Admin:     u.Sudo != nil && *u.Sudo,
		Anchor:    userAnchor(u),
		Markers:   userMarkers(u),
		Attrs:     cloudAttrs(&u),
	}
	if u.PasswordDate != "" {
		// password_date is only compared, to report drift: an odd format
		// leaves it zero (no report) rather than failing the read.
		if t, err := time.Parse(time.RFC3339, u.PasswordDate); err == nil {
			cu.PasswordDate = t
		}
	}
	return cu
}

// readMembers fills in each group's direct user members, a few groups at a
// time; the first error cancels the rest.
func readMembers(ctx context.Context, c *jcapi.Client, groups []reconcile.CloudGroup) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, memberReaders)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i := range groups {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			g := &groups[i]
			for m, err := range c.UserGroupMembers(ctx, g.ID) {
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("group %q: %w", g.Name, err))
					mu.Unlock()
					cancel(err)
					return
				}
				if m.To.Type == jcapi.TypeUser {
					g.Members = append(g.Members, m.To.ID)
				}
			}
			slices.Sort(g.Members)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return ctx.Err()
}
