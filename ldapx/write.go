package ldapx

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/adjc/adjc/secret"
	"github.com/go-ldap/ldap/v3"
)

// NewUser describes a user to create with [Conn.CreateUser].
type NewUser struct {
	Container         string // parent DN, e.g. CN=Users,DC=adjc,DC=lab
	CN                string // defaults to SAMAccountName; escaped by ldapx
	SAMAccountName    string // required; at most 20 characters in AD
	UserPrincipalName string
	GivenName         string
	SN                string
	Mail              string
	DisplayName       string
	// Password is set after the add; the account is enabled only once it is
	// set. Empty leaves the account disabled without a password.
	Password secret.Secret
}

// CreateUser adds the user and returns it. With a password, one add
// request carries unicodePwd and an enabled NORMAL_ACCOUNT
// userAccountControl, so AD checks the password against the domain policy
// and creates the account whole or not at all: a connection cut or a
// refused password never leaves a disabled account without a password
// behind (which the next sync would take over, and which AD refuses to
// enable). Without a password the account is created disabled.
func (c *Conn) CreateUser(ctx context.Context, u NewUser) (User, error) {
	if u.SAMAccountName == "" || u.Container == "" {
		return User{}, &Error{Op: "add", Kind: ErrConstraint, Reason: "a user needs a container and a sAMAccountName"}
	}
	if !u.Password.IsZero() && !c.Encrypted() {
		return User{}, &Error{Op: "add", Attribute: "unicodePwd", Kind: ErrPlaintext, Hint: "use an ldaps:// URL or StartTLS"}
	}
	cn := u.CN
	if cn == "" {
		cn = u.SAMAccountName
	}
	dn := JoinDN(RDN("CN", cn), u.Container)
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"top", "person", "organizationalPerson", "user"})
	req.Attribute("sAMAccountName", []string{u.SAMAccountName})
	// Without a password the account stays disabled: AD refuses an enabled
	// account without a password that meets the policy.
	uac := UACNormalAccount | UACAccountDisable
	if !u.Password.IsZero() {
		uac = UACNormalAccount
		req.Attribute("unicodePwd", []string{encodePassword(u.Password)})
	}
	req.Attribute("userAccountControl", []string{strconv.Itoa(int(uac))})
	for _, kv := range [][2]string{
		{"userPrincipalName", u.UserPrincipalName}, {"givenName", u.GivenName}, {"sn", u.SN},
		{"mail", u.Mail}, {"displayName", u.DisplayName},
	} {
		if kv[1] != "" {
			req.Attribute(kv[0], []string{kv[1]})
		}
	}
	if err := c.do(ctx, "add", dn, "", func() error { return c.c.Add(req) }); err != nil {
		return User{}, err
	}
	return c.User(ctx, dn)
}

// SetPassword sets (resets) a user's password by replacing unicodePwd, which
// needs the "Reset password" right. AD accepts unicodePwd only over an
// encrypted connection, and ldapx does not even send it otherwise.
func (c *Conn) SetPassword(ctx context.Context, dn string, password secret.Secret) error {
	if !c.Encrypted() {
		return &Error{Op: "modify", DN: dn, Attribute: "unicodePwd", Kind: ErrPlaintext, Hint: "use an ldaps:// URL or StartTLS"}
	}
	req := ldap.NewModifyRequest(dn, nil)
	req.Replace("unicodePwd", []string{encodePassword(password)})
	return c.do(ctx, "modify", dn, "unicodePwd", func() error { return c.c.Modify(req) })
}

// encodePassword is the unicodePwd value: the password in double quotes,
// UTF-16LE encoded (MS-ADTS 3.1.1.3.1.5.1).
func encodePassword(p secret.Secret) string {
	units := utf16.Encode([]rune("\"" + p.Reveal() + "\""))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		b[2*i] = byte(u)
		b[2*i+1] = byte(u >> 8)
	}
	return string(b)
}

// Modify replaces the given attributes; an attribute with no values is
// removed. Attributes are sent in name order. Use [Conn.AddMember],
// [Conn.SetDisabled] and [Conn.SetPassword] for member, userAccountControl
// and unicodePwd, which need care this does not take.
func (c *Conn) Modify(ctx context.Context, dn string, attrs map[string][]string) error {
	if len(attrs) == 0 {
		return nil
	}
	req := ldap.NewModifyRequest(dn, nil)
	names := slices.Sorted(maps.Keys(attrs))
	for _, a := range names {
		req.Replace(a, attrs[a])
	}
	attr := ""
	if len(names) == 1 {
		attr = names[0]
	}
	return c.do(ctx, "modify", dn, attr, func() error { return c.c.Modify(req) })
}

// SetDisabled sets or clears ACCOUNTDISABLE and leaves every other
// userAccountControl bit as it was. It reports whether anything changed.
func (c *Conn) SetDisabled(ctx context.Context, dn string, disabled bool) (bool, error) {
	return c.updateUAC(ctx, dn, func(v UAC) UAC {
		if disabled {
			return v | UACAccountDisable
		}
		return v &^ UACAccountDisable
	})
}

// updateUAC is a read-modify-write of userAccountControl. The write deletes
// the value read and adds the new one in one modify, so if another writer
// changed it in between, AD answers noSuchAttribute instead of silently
// losing their change; then it reads again and retries.
func (c *Conn) updateUAC(ctx context.Context, dn string, f func(UAC) UAC) (bool, error) {
	for attempt := 0; ; attempt++ {
		e, err := c.readEntry(ctx, dn, "", []string{"userAccountControl"})
		if err != nil {
			return false, err
		}
		old := e.GetAttributeValue("userAccountControl")
		v, err := strconv.ParseUint(old, 10, 32)
		if err != nil {
			return false, &Error{Op: "modify", DN: dn, Attribute: "userAccountControl", Kind: ErrConstraint, Reason: "unreadable value " + strconv.Quote(old)}
		}
		nv := f(UAC(v))
		if nv == UAC(v) {
			return false, nil
		}
		req := ldap.NewModifyRequest(dn, nil)
		req.Delete("userAccountControl", []string{old})
		req.Add("userAccountControl", []string{strconv.FormatUint(uint64(nv), 10)})
		err = c.do(ctx, "modify", dn, "userAccountControl", func() error { return c.c.Modify(req) })
		if errors.Is(err, ErrNoSuchValue) && attempt < 3 {
			continue
		}
		return err == nil, err
	}
}

// CreateGroup adds a global security group named name in container and
// returns it. sAMAccountName is name unless samAccountName is set.
func (c *Conn) CreateGroup(ctx context.Context, container, name, samAccountName string) (Group, error) {
	if samAccountName == "" {
		samAccountName = name
	}
	dn := JoinDN(RDN("CN", name), container)
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"top", "group"})
	req.Attribute("sAMAccountName", []string{samAccountName})
	// ADS_GROUP_TYPE_GLOBAL_GROUP | ADS_GROUP_TYPE_SECURITY_ENABLED, as a
	// signed 32-bit number the way AD stores it.
	req.Attribute("groupType", []string{strconv.Itoa(int(int32(-0x80000000 | 0x2)))})
	if err := c.do(ctx, "add", dn, "", func() error { return c.c.Add(req) }); err != nil {
		return Group{}, err
	}
	return c.Group(ctx, dn)
}

// AddMember adds one value to a group's member attribute; it never rewrites
// the list, so concurrent changes by others are kept. Adding a member that
// is already there returns ErrAlreadyExists.
func (c *Conn) AddMember(ctx context.Context, groupDN, memberDN string) error {
	req := ldap.NewModifyRequest(groupDN, nil)
	req.Add("member", []string{memberDN})
	return c.do(ctx, "modify", groupDN, "member", func() error { return c.c.Modify(req) })
}

// RemoveMember removes one value from a group's member attribute. Removing
// a member that is not there returns ErrNoSuchValue.
func (c *Conn) RemoveMember(ctx context.Context, groupDN, memberDN string) error {
	req := ldap.NewModifyRequest(groupDN, nil)
	req.Delete("member", []string{memberDN})
	return c.do(ctx, "modify", groupDN, "member", func() error { return c.c.Modify(req) })
}

// Rename gives an object a new cn (a group renamed in JumpCloud); it stays
// in the same container and keeps its objectGUID. It returns the new DN.
func (c *Conn) Rename(ctx context.Context, dn, newCN string) (string, error) {
	rdn := RDN("CN", newCN)
	req := ldap.NewModifyDNRequest(dn, rdn, true, "")
	if err := c.do(ctx, "rename", dn, "cn", func() error { return c.c.ModifyDN(req) }); err != nil {
		return "", err
	}
	return JoinDN(rdn, ParentDN(dn)), nil
}

// Move puts an object under another container, keeping its cn and its
// objectGUID (an admin moving a user between OUs). It returns the new DN.
func (c *Conn) Move(ctx context.Context, dn, newParent string) (string, error) {
	p, err := ldap.ParseDN(dn)
	if err != nil || len(p.RDNs) < 2 {
		return "", fmt.Errorf("move %s: not a DN with a parent", dn)
	}
	rdn := formatDN(p.RDNs[:1])
	req := ldap.NewModifyDNRequest(dn, rdn, true, newParent)
	if err := c.do(ctx, "move", dn, "", func() error { return c.c.ModifyDN(req) }); err != nil {
		return "", err
	}
	return rdn + "," + newParent, nil
}

// Delete removes one leaf object.
func (c *Conn) Delete(ctx context.Context, dn string) error {
	return c.do(ctx, "delete", dn, "", func() error { return c.c.Del(ldap.NewDelRequest(dn, nil)) })
}

// DeleteTree removes an object and everything under it (subtree-delete
// control, 1.2.840.113556.1.4.805). Tests use it to remove their OUs.
func (c *Conn) DeleteTree(ctx context.Context, dn string) error {
	req := ldap.NewDelRequest(dn, []ldap.Control{ldap.NewControlSubtreeDelete()})
	return c.do(ctx, "delete", dn, "", func() error { return c.c.Del(req) })
}

// CreateOU adds an organizational unit and returns its DN.
func (c *Conn) CreateOU(ctx context.Context, parent, name string) (string, error) {
	dn := JoinDN(RDN("OU", name), parent)
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"top", "organizationalUnit"})
	return dn, c.do(ctx, "add", dn, "", func() error { return c.c.Add(req) })
}

// do runs one write, logs it (never its values) and maps its error.
func (c *Conn) do(ctx context.Context, op, dn, attr string, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	err := f()
	c.log.Debug("ldap "+op, "dn", dn, "attr", attr, "duration", time.Since(start), "error", err)
	return c.wrap(op, dn, attr, err)
}
