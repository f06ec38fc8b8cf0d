// This file holds what delivery looks up: the never-touch rules, the AD
// account behind a change, its JumpCloud user by anchor, and the policy.

package pwsync

import (
	"context"
	"fmt"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
	"github.com/go-ldap/ldap/v3"
)

// neverTouch asks the engine's never-touch rules about u, as a plan would
// (reconcile.NeverTouchReason): "" when its password may be delivered.
// Computer accounts never reach here: the capture points send user
// accounts only.
func (d *Deliverer) neverTouch(u ldapx.User) string {
	return reconcile.NeverTouchReason(adapter.ADUser(u, "sAMAccountName"), d.opts.NeverTouch)
}

func (d *Deliverer) directory(ctx context.Context) (*ldapx.Conn, error) {
	d.mu.Lock()
	c := d.conn
	d.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c, err := d.opts.Directory(ctx)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.conn = c
	d.mu.Unlock()
	return c, nil
}

func (d *Deliverer) resetConn() {
	d.mu.Lock()
	c := d.conn
	d.conn = nil
	d.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// lookup reads the AD user by objectGUID, or by RID (domain SID + RID) for
// the Windows filter, which knows only the RID.
func (d *Deliverer) lookup(ctx context.Context, conn *ldapx.Conn, id ID) (ldapx.User, error) {
	if id.GUID != "" {
		return conn.UserByGUID(ctx, id.GUID)
	}
	if d.domainSID == "" {
		sid, err := domainSID(ctx, conn)
		if err != nil {
			return ldapx.User{}, err
		}
		d.domainSID = sid
	}
	return conn.FindUser(ctx, "objectSid", fmt.Sprintf("%s-%d", d.domainSID, id.RID))
}

// anchored finds the JumpCloud user whose adjcObjectGUID is guid, from a
// map of all anchored users that is read again on a miss (a user imported
// since) or when fresh is set.
func (d *Deliverer) anchored(ctx context.Context, guid string, fresh bool) (jcapi.SystemUser, bool, error) {
	if !fresh && d.anchors != nil {
		if u, ok := d.anchors[guid]; ok {
			return u, true, nil
		}
	}
	m := map[string]jcapi.SystemUser{}
	for u, err := range d.opts.JumpCloud.SystemUsers(ctx, jcapi.ListOptions{}) {
		if err != nil {
			return jcapi.SystemUser{}, false, err
		}
		if g := userAnchor(u); g != "" {
			m[g] = u
		}
	}
	d.anchors = m
	u, ok := m[guid]
	return u, ok, nil
}

func (d *Deliverer) jcPolicy(ctx context.Context) (reconcile.JCPasswordPolicy, error) {
	d.pmu.Lock()
	if !d.policy.at.IsZero() && d.opts.Now().Sub(d.policy.at) < d.opts.PolicyMaxAge {
		defer d.pmu.Unlock()
		return d.policy.p, nil
	}
	d.pmu.Unlock()
	return d.fetchPolicy(ctx)
}

func (d *Deliverer) fetchPolicy(ctx context.Context) (reconcile.JCPasswordPolicy, error) {
	compliance, p, err := d.opts.JumpCloud.PasswordPolicy(ctx)
	if err != nil {
		return reconcile.JCPasswordPolicy{}, err
	}
	pol := adapter.JCPasswordPolicy(compliance, p)
	d.pmu.Lock()
	d.policy.p, d.policy.at = pol, d.opts.Now()
	d.pmu.Unlock()
	return pol, nil
}

// filterPolicy is the policy for a filter request, which has 150 ms: a
// policy read before (however old) is used at once and refreshed in the
// background when stale; only the very first request waits for JumpCloud.
func (d *Deliverer) filterPolicy(ctx context.Context) (reconcile.JCPasswordPolicy, error) {
	d.pmu.Lock()
	if d.policy.at.IsZero() {
		d.pmu.Unlock()
		return d.fetchPolicy(ctx)
	}
	p := d.policy.p
	if d.opts.Now().Sub(d.policy.at) >= d.opts.PolicyMaxAge && !d.policy.refreshing {
		d.policy.refreshing = true
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := d.fetchPolicy(ctx); err != nil {
				d.opts.Logger.Warn("jumpcloud password policy not refreshed", "err", err)
			}
			d.pmu.Lock()
			d.policy.refreshing = false
			d.pmu.Unlock()
		}()
	}
	d.pmu.Unlock()
	return p, nil
}

// Warm reads JumpCloud's password policy now, so the first filter request
// does not wait for it.
func (d *Deliverer) Warm(ctx context.Context) error {
	_, err := d.fetchPolicy(ctx)
	return err
}

// Check answers a "filter" request: the rules of JumpCloud's policy that pw
// would break for the account (none: it may be set). It reads no AD user
// and sets nothing; the account name stands for the username.
func (d *Deliverer) Check(ctx context.Context, req Request) ([]reconcile.Rule, error) {
	pol, err := d.filterPolicy(ctx)
	if err != nil {
		return nil, err
	}
	pw := secret.New(string(req.Password))
	return reconcile.CheckJumpCloudPassword(pw, pol, reconcile.PasswordAccount{SAMAccountName: req.Account, Username: req.Account}), nil
}

// userAnchor returns the canonical objectGUID in u's adjcObjectGUID custom
// attribute, or "" (as package adapter reads it).
func userAnchor(u jcapi.SystemUser) string {
	for _, a := range u.Attributes {
		if a.Name == adapter.AnchorAttribute {
			if g, err := ldapx.CanonicalGUID(a.Value); err == nil {
				return g
			}
		}
	}
	return ""
}

// domainSID reads the domain object's objectSid: with a RID it names a user.
func domainSID(ctx context.Context, conn *ldapx.Conn) (string, error) {
	base, err := conn.DomainDN(ctx)
	if err != nil {
		return "", err
	}
	es, err := conn.SearchAll(ctx, ldapx.Query{Base: base, Scope: ldap.ScopeBaseObject, Filter: "(objectClass=*)", Attributes: []string{"objectSid"}})
	if err != nil {
		return "", err
	}
	if len(es) != 1 {
		return "", fmt.Errorf("pwsync: domain object %s not found", base)
	}
	return ldapx.SIDString(es[0].GetRawAttributeValue("objectSid"))
}
