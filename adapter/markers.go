package adapter

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/reconcile"
)

// userMarkers converts the AD-managed markers of a system user (v1
// components.schemas.systemuserreturn: external_dn, external_source_type,
// externally_managed, delegatedAuthority, restrictedFields). The association
// with the AD domain object is not a user field: [ReadCloudFor] adds it.
func userMarkers(u jcapi.SystemUser) reconcile.Markers {
	m := reconcile.Markers{
		ExternalDN:         u.ExternalDN,
		ExternalSourceType: u.ExternalSourceType,
		ExternallyManaged:  u.ExternallyManaged != nil && *u.ExternallyManaged,
	}
	if u.DelegatedAuthority != nil {
		m.DelegatedAuthority = u.DelegatedAuthority.ID
	}
	for _, r := range u.RestrictedFields {
		m.Restricted = append(m.Restricted, reconcile.RestrictedField{Field: r.Field, Type: r.Type, ID: r.ID})
	}
	return m
}

// ReadCloudFor reads JumpCloud as [ReadCloud] does and, when adID (the AD
// domain object, jumpcloud_domain_id) is set, which users and groups are
// associated with it directly (GET /v2/activedirectories/{id}/associations,
// targets user and user_group).
func ReadCloudFor(ctx context.Context, c *jcapi.Client, adID string) (reconcile.Cloud, error) {
	cl, err := ReadCloud(ctx, c)
	if err != nil || adID == "" {
		return cl, err
	}
	bound := map[string]bool{}
	for a, err := range c.ActiveDirectoryAssociations(ctx, adID, jcapi.TypeUser, jcapi.TypeUserGroup) {
		if err != nil {
			return reconcile.Cloud{}, fmt.Errorf("read jumpcloud: associations of active directory %s: %w", adID, err)
		}
		bound[a.To.Type+"/"+a.To.ID] = true
	}
	for i := range cl.Users {
		cl.Users[i].Markers.Bound = bound[jcapi.TypeUser+"/"+cl.Users[i].ID]
	}
	for i := range cl.Groups {
		cl.Groups[i].Bound = bound[jcapi.TypeUserGroup+"/"+cl.Groups[i].ID]
	}
	return cl, nil
}

// restrictedFor returns the restrictedFields to write: the entries of cur
// that another authority owns (not adjc's to drop; PUT replaces the list),
// then want.
func restrictedFor(cur []jcapi.RestrictedField, want []reconcile.RestrictedField) []jcapi.RestrictedField {
	out := slices.DeleteFunc(slices.Clone(cur), func(r jcapi.RestrictedField) bool {
		return r.Type == jcapi.AuthorityActiveDirectory
	})
	for _, r := range want {
		out = append(out, jcapi.RestrictedField{Field: r.Field, Type: r.Type, ID: r.ID})
	}
	if out == nil {
		out = []jcapi.RestrictedField{}
	}
	return out
}

// writeAuthority writes restrictedFields and delegatedAuthority of user id,
// in a request of its own: the spec says a change of externally_managed
// fills restrictedFields "even if it is already set", so they go after it.
// restricted nil leaves restrictedFields; delegated nil leaves
// delegatedAuthority, "" clears it.
func (t *JumpCloudTarget) writeAuthority(ctx context.Context, id string, restricted *[]reconcile.RestrictedField, delegated *string) error {
	if restricted == nil && delegated == nil {
		return nil
	}
	var upd jcapi.SystemUserUpdate
	if restricted != nil {
		cur, err := t.client.GetSystemUser(ctx, id)
		if err != nil {
			return err
		}
		rf := restrictedFor(cur.RestrictedFields, *restricted)
		upd.RestrictedFields = &rf
	}
	if delegated != nil {
		if *delegated == "" {
			upd.ClearDelegatedAuthority = true
		} else {
			upd.DelegatedAuthority = &jcapi.DelegatedAuthority{Name: jcapi.DelegatedAuthorityActiveDirectory, ID: *delegated}
		}
	}
	_, err := t.client.UpdateSystemUser(ctx, id, upd)
	return err
}

// bind associates a user or group with the AD domain object adID; one
// already associated (409) counts as done, as for group members.
func (t *JumpCloudTarget) bind(ctx context.Context, adID, typ, id string) error {
	var err error
	if typ == jcapi.TypeUser {
		err = t.client.BindUser(ctx, adID, id)
	} else {
		err = t.client.BindUserGroup(ctx, adID, id)
	}
	if errors.Is(err, jcapi.ErrConflict) {
		return nil
	}
	return err
}
