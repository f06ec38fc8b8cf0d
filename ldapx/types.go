package ldapx

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// UAC is a userAccountControl value. Only the bits adjc reads or writes
// have names; every other bit is preserved by [Conn.SetDisabled].
type UAC uint32

// userAccountControl flags (MS-ADTS 2.2.16).
const (
	UACAccountDisable       UAC = 0x0002
	UACLockout              UAC = 0x0010
	UACPasswdNotReqd        UAC = 0x0020
	UACNormalAccount        UAC = 0x0200
	UACDontExpirePassword   UAC = 0x10000
	UACSmartcardRequired    UAC = 0x40000
	UACPasswordExpired      UAC = 0x800000
	UACWorkstationTrust     UAC = 0x1000
	UACServerTrust          UAC = 0x2000
	UACInterdomainTrust     UAC = 0x0800
	UACTrustedForDelegation UAC = 0x80000
)

// Disabled reports ACCOUNTDISABLE.
func (u UAC) Disabled() bool { return u&UACAccountDisable != 0 }

// PasswordNeverExpires reports DONT_EXPIRE_PASSWORD.
func (u UAC) PasswordNeverExpires() bool { return u&UACDontExpirePassword != 0 }

// PasswordNotRequired reports PASSWD_NOTREQD (set on accounts created without a password).
func (u UAC) PasswordNotRequired() bool { return u&UACPasswdNotReqd != 0 }

// Normal reports NORMAL_ACCOUNT: a person's account, not a computer or trust.
func (u UAC) Normal() bool { return u&UACNormalAccount != 0 }

func (u UAC) String() string { return fmt.Sprintf("0x%x", uint32(u)) }

// User is an AD user as adjc sees it. GUID is the identity: a rename or a
// move keeps it, so it is what JumpCloud records, not the DN or username.
type User struct {
	GUID              string // canonical objectGUID, see [GUIDString]
	DN                string
	SAMAccountName    string
	UserPrincipalName string
	GivenName         string // JumpCloud firstname
	SN                string // JumpCloud lastname
	Mail              string
	DisplayName       string
	UAC               UAC
	AdminCount        int // 1 for accounts AD protects (Domain Admins &c.): never managed
	PwdLastSet        time.Time
	WhenChanged       time.Time
	USNChanged        int64
	SID               string
	// Critical is isCriticalSystemObject=TRUE: an object AD itself needs
	// (krbtgt, Guest, the built-in groups), never touched by adjc.
	Critical bool
	// Attrs holds extra single-valued attributes asked for by name, such as
	// the configured username attribute (UserFieldMapping); keys are as asked.
	Attrs map[string]string
}

// Disabled reports whether the account is disabled in AD.
func (u User) Disabled() bool { return u.UAC.Disabled() }

// Privileged reports adminCount=1: AD's protected accounts, which adjc never
// imports or manages.
func (u User) Privileged() bool { return u.AdminCount == 1 }

// Group is an AD group. Members are the direct member DNs, users and groups
// alike, as AD stores them.
type Group struct {
	GUID           string
	DN             string
	Name           string // cn; JumpCloud's group name
	SAMAccountName string
	Description    string
	WhenChanged    time.Time
	USNChanged     int64
	Members        []string
	// SID, AdminCount and Critical are objectSid, adminCount and
	// isCriticalSystemObject, as on [User].
	SID        string
	AdminCount int
	Critical   bool
}

// userAttrs are the attributes read for a [User]: identity, privilege and
// change tracking here, and the attributes the field table maps
// (tableUserAttrs, generated from reconcile.Fields).
var userAttrs = append([]string{
	"objectGUID", "objectSid", "userPrincipalName",
	"displayName", "adminCount", "pwdLastSet", "whenChanged", "uSNChanged",
	"isCriticalSystemObject",
}, tableUserAttrs...)

// groupAttrs are the attributes read for a [Group]; "member" is read
// separately when it is split into ranges. The field table's group
// attributes are tableGroupAttrs.
var groupAttrs = append([]string{
	"objectGUID", "sAMAccountName", "description", "whenChanged", "uSNChanged", "member",
	"objectSid", "adminCount", "isCriticalSystemObject",
}, tableGroupAttrs...)

func withExtra(base []string, extra ...string) []string {
	out := append([]string{}, base...)
	for _, x := range extra {
		if x == "" {
			continue
		}
		found := false
		for _, b := range out {
			if strings.EqualFold(b, x) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

// userFromEntry converts an entry read with userAttrs (plus extra).
func userFromEntry(e *ldap.Entry, extra ...string) (User, error) {
	guid, err := GUIDString(e.GetRawAttributeValue("objectGUID"))
	if err != nil {
		return User{}, fmt.Errorf("%s: %w", e.DN, err)
	}
	u := User{
		GUID:              guid,
		DN:                e.DN,
		SAMAccountName:    e.GetAttributeValue("sAMAccountName"),
		UserPrincipalName: e.GetAttributeValue("userPrincipalName"),
		GivenName:         e.GetAttributeValue("givenName"),
		SN:                e.GetAttributeValue("sn"),
		Mail:              e.GetAttributeValue("mail"),
		DisplayName:       e.GetAttributeValue("displayName"),
		AdminCount:        atoi(e.GetAttributeValue("adminCount")),
		PwdLastSet:        fileTime(e.GetAttributeValue("pwdLastSet")),
		WhenChanged:       generalizedTime(e.GetAttributeValue("whenChanged")),
		USNChanged:        atoi64(e.GetAttributeValue("uSNChanged")),
		Critical:          strings.EqualFold(e.GetAttributeValue("isCriticalSystemObject"), "TRUE"),
	}
	uac, _ := strconv.ParseInt(e.GetAttributeValue("userAccountControl"), 10, 64)
	u.UAC = UAC(uint32(uac))
	if sid := e.GetRawAttributeValue("objectSid"); len(sid) > 0 {
		u.SID, _ = SIDString(sid)
	}
	for _, x := range extra {
		if x == "" {
			continue
		}
		if u.Attrs == nil {
			u.Attrs = map[string]string{}
		}
		u.Attrs[x] = e.GetEqualFoldAttributeValue(x)
	}
	return u, nil
}

// groupFromEntry converts an entry read with groupAttrs. Members holds what
// the entry carried; the caller completes ranged values.
func groupFromEntry(e *ldap.Entry) (Group, error) {
	guid, err := GUIDString(e.GetRawAttributeValue("objectGUID"))
	if err != nil {
		return Group{}, fmt.Errorf("%s: %w", e.DN, err)
	}
	g := Group{
		GUID:           guid,
		DN:             e.DN,
		Name:           e.GetAttributeValue("cn"),
		SAMAccountName: e.GetAttributeValue("sAMAccountName"),
		Description:    e.GetAttributeValue("description"),
		WhenChanged:    generalizedTime(e.GetAttributeValue("whenChanged")),
		USNChanged:     atoi64(e.GetAttributeValue("uSNChanged")),
		Members:        e.GetAttributeValues("member"),
		AdminCount:     atoi(e.GetAttributeValue("adminCount")),
		Critical:       strings.EqualFold(e.GetAttributeValue("isCriticalSystemObject"), "TRUE"),
	}
	if sid := e.GetRawAttributeValue("objectSid"); len(sid) > 0 {
		g.SID, _ = SIDString(sid)
	}
	return g, nil
}

// isGroup and isUser classify an entry by objectClass. Computers are users
// in AD's class hierarchy, so they are excluded explicitly.
func isGroup(e *ldap.Entry) bool { return hasClass(e, "group") }
func isUser(e *ldap.Entry) bool {
	return hasClass(e, "user") && !hasClass(e, "computer")
}

func hasClass(e *ldap.Entry, class string) bool {
	for _, c := range e.GetAttributeValues("objectClass") {
		if strings.EqualFold(c, class) {
			return true
		}
	}
	return false
}

// userFilter selects people's accounts: users that are not computers.
const userFilter = "(&(objectCategory=person)(objectClass=user))"

// User reads one user by DN.
func (c *Conn) User(ctx context.Context, dn string, extra ...string) (User, error) {
	e, err := c.readEntry(ctx, dn, userFilter, withExtra(userAttrs, extra...))
	if err != nil {
		return User{}, err
	}
	return userFromEntry(e, extra...)
}

// UserByGUID finds a user anywhere in the domain by canonical objectGUID.
func (c *Conn) UserByGUID(ctx context.Context, guid string, extra ...string) (User, error) {
	f, err := GUIDFilter(guid)
	if err != nil {
		return User{}, err
	}
	return c.findUser(ctx, "(&"+userFilter+f+")", guid, extra)
}

// FindUser finds the one user in the domain whose attr equals value (the
// value is escaped), e.g. FindUser(ctx, "sAMAccountName", "alice").
func (c *Conn) FindUser(ctx context.Context, attr, value string, extra ...string) (User, error) {
	return c.findUser(ctx, "(&"+userFilter+EqualityFilter(attr, value)+")", attr+"="+value, extra)
}

func (c *Conn) findUser(ctx context.Context, filter, what string, extra []string) (User, error) {
	base, err := c.DomainDN(ctx)
	if err != nil {
		return User{}, err
	}
	es, err := c.SearchAll(ctx, Query{Base: base, Scope: ldap.ScopeWholeSubtree, Filter: filter, Attributes: withExtra(userAttrs, extra...)})
	if err != nil {
		return User{}, err
	}
	switch len(es) {
	case 0:
		return User{}, &Error{Op: "find user", DN: what, Kind: ErrNoSuchObject}
	case 1:
		return userFromEntry(es[0], extra...)
	}
	return User{}, &Error{Op: "find user", DN: what, Kind: ErrConstraint, Reason: fmt.Sprintf("%d users match", len(es))}
}

// Users reads every user under base (subtree).
func (c *Conn) Users(ctx context.Context, base string, extra ...string) ([]User, error) {
	var out []User
	for e, err := range c.Search(ctx, Query{Base: base, Scope: ldap.ScopeWholeSubtree, Filter: userFilter, Attributes: withExtra(userAttrs, extra...)}) {
		if err != nil {
			return nil, err
		}
		u, err := userFromEntry(e, extra...)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// UsersMatching reads the users under base (subtree) that also match
// filter, e.g. an OR of [EqualityFilter] or [GUIDFilter] clauses, so a
// caller that knows which users it wants reads those and not the whole
// domain. It pages like [Conn.Users].
func (c *Conn) UsersMatching(ctx context.Context, base, filter string, extra ...string) ([]User, error) {
	var out []User
	q := Query{Base: base, Scope: ldap.ScopeWholeSubtree, Filter: "(&" + userFilter + filter + ")", Attributes: withExtra(userAttrs, extra...)}
	for e, err := range c.Search(ctx, q) {
		if err != nil {
			return nil, err
		}
		u, err := userFromEntry(e, extra...)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// Group reads one group by DN, with all of its members (ranged if needed).
func (c *Conn) Group(ctx context.Context, dn string) (Group, error) {
	e, err := c.readEntry(ctx, dn, "(objectClass=group)", groupAttrs)
	if err != nil {
		return Group{}, err
	}
	return c.completeGroup(ctx, e)
}

// GroupByGUID finds a group anywhere in the domain by canonical objectGUID.
func (c *Conn) GroupByGUID(ctx context.Context, guid string) (Group, error) {
	f, err := GUIDFilter(guid)
	if err != nil {
		return Group{}, err
	}
	base, err := c.DomainDN(ctx)
	if err != nil {
		return Group{}, err
	}
	es, err := c.SearchAll(ctx, Query{Base: base, Scope: ldap.ScopeWholeSubtree, Filter: "(&(objectClass=group)" + f + ")", Attributes: groupAttrs})
	if err != nil {
		return Group{}, err
	}
	if len(es) == 0 {
		return Group{}, &Error{Op: "find group", DN: guid, Kind: ErrNoSuchObject}
	}
	return c.completeGroup(ctx, es[0])
}

// Exists reports whether any object (of any class, deleted ones excepted)
// has the objectGUID guid.
func (c *Conn) Exists(ctx context.Context, guid string) (bool, error) {
	f, err := GUIDFilter(guid)
	if err != nil {
		return false, err
	}
	base, err := c.DomainDN(ctx)
	if err != nil {
		return false, err
	}
	es, err := c.SearchAll(ctx, Query{Base: base, Scope: ldap.ScopeWholeSubtree, Filter: f, Attributes: []string{"1.1"}})
	if err != nil {
		return false, err
	}
	return len(es) > 0, nil
}

func (c *Conn) completeGroup(ctx context.Context, e *ldap.Entry) (Group, error) {
	g, err := groupFromEntry(e)
	if err != nil {
		return Group{}, err
	}
	vals, next, more := membersFromEntry(e)
	g.Members = vals
	if more {
		all, err := c.membersFrom(ctx, e.DN, vals, next, 0)
		if err != nil {
			return Group{}, err
		}
		g.Members = all
	}
	return g, nil
}
