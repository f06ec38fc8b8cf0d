package adapter

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
)

// ADTarget carries out a JumpCloud → AD plan ([reconcile.Diff] with
// [reconcile.ToAD]) over an LDAPS connection: it creates users (with a
// random password that meets the domain policy, then enabled) and groups
// in the Root User container,
// updates givenName, sn and mail, sets or clears ACCOUNTDISABLE keeping
// every other userAccountControl bit, and adds or removes single member
// values. Ids are distinguishedNames. Sync never deletes anything in AD, so
// the delete and admin methods refuse.
type ADTarget struct {
	Conn *ldapx.Conn
	// Container is the Root User container where users and groups are created.
	Container string
	// UPNSuffix, when set, gives created users userPrincipalName
	// <username>@<UPNSuffix> (the domain's DNS name).
	UPNSuffix string
	// Policy is the domain password policy the generated passwords meet.
	Policy ldapx.PasswordPolicy
	// Rand is the randomness for generated passwords; crypto/rand when nil.
	Rand io.Reader

	mu sync.Mutex
	// renamed maps the DN a group had when the plan was made to the one a
	// rename in this run gave it: the plan's membership changes name the
	// group by its old DN.
	renamed map[string]string
}

var _ reconcile.Target = (*ADTarget)(nil)

// errNotSync is returned for changes a sync plan never holds.
var errNotSync = errors.New("the AD target does not do this: sync never deletes in AD nor sets JumpCloud admin flags")

// CreateUser implements [reconcile.Target].
func (t *ADTarget) CreateUser(ctx context.Context, u reconcile.UserSpec) (string, error) {
	display := strings.TrimSpace(u.Firstname + " " + u.Lastname)
	pw, err := GeneratePassword(t.Rand, t.Policy, reconcile.PasswordAccount{SAMAccountName: u.Username, DisplayName: display, Username: u.Username})
	if err != nil {
		return "", err
	}
	nu := ldapx.NewUser{
		Container: t.Container, SAMAccountName: u.Username,
		GivenName: u.Firstname, SN: u.Lastname, Mail: u.Email, DisplayName: display,
		Password: pw,
	}
	if t.UPNSuffix != "" {
		nu.UserPrincipalName = u.Username + "@" + t.UPNSuffix
	}
	created, err := t.Conn.CreateUser(ctx, nu)
	if err != nil {
		return "", markAD(err)
	}
	return created.DN, nil
}

// UpdateUser implements [reconcile.Target]: the profile fields, then the
// account state.
func (t *ADTarget) UpdateUser(ctx context.Context, dn string, p reconcile.UserPatch) error {
	attrs := map[string][]string{}
	set := func(name string, v *string) {
		if v == nil {
			return
		}
		if *v == "" {
			attrs[name] = nil // removes the attribute
			return
		}
		attrs[name] = []string{*v}
	}
	set("givenName", p.Firstname)
	set("sn", p.Lastname)
	set("mail", p.Email)
	if p.Username != nil || p.Anchor != nil {
		return errors.New("the AD target does not rename users or record anchors")
	}
	if err := t.Conn.Modify(ctx, dn, attrs); err != nil {
		return markAD(err)
	}
	if p.Suspended != nil {
		if _, err := t.Conn.SetDisabled(ctx, dn, *p.Suspended); err != nil {
			return markAD(err)
		}
	}
	return nil
}

// CreateGroup implements [reconcile.Target]: a global security group whose
// adminDescription records the JumpCloud group id ([GroupAnchorValue]). If
// recording it fails the group exists all the same and its DN is returned
// with the error; the next sync takes it over by name and records the id.
func (t *ADTarget) CreateGroup(ctx context.Context, g reconcile.GroupSpec) (string, error) {
	created, err := t.Conn.CreateGroup(ctx, t.Container, g.Name, g.SAMAccountName)
	if err != nil {
		return "", markAD(err)
	}
	if g.Anchor != "" {
		if err := t.Conn.Modify(ctx, created.DN, map[string][]string{"adminDescription": {GroupAnchorValue(g.Anchor)}}); err != nil {
			return created.DN, fmt.Errorf("record the JumpCloud group id: %w", markAD(err))
		}
	}
	return created.DN, nil
}

// UpdateGroup implements [reconcile.Target]: it records the JumpCloud
// group id of a group taken over by name, and renames a group renamed in
// JumpCloud — a new cn (the object, its objectGUID and members stay), and
// the same sAMAccountName when it was the old cn, so the old name is free
// for another group.
func (t *ADTarget) UpdateGroup(ctx context.Context, dn string, p reconcile.GroupPatch) error {
	if p.Anchor != nil {
		if err := t.Conn.Modify(ctx, dn, map[string][]string{"adminDescription": {GroupAnchorValue(*p.Anchor)}}); err != nil {
			return markAD(err)
		}
	}
	if p.Name == nil {
		return nil
	}
	old, err := t.Conn.Group(ctx, dn)
	if err != nil {
		return markAD(err)
	}
	newDN, err := t.Conn.Rename(ctx, dn, *p.Name)
	if err != nil {
		return markAD(err)
	}
	t.mu.Lock()
	if t.renamed == nil {
		t.renamed = map[string]string{}
	}
	t.renamed[strings.ToLower(dn)] = newDN
	t.mu.Unlock()
	// The sAMAccountName follows when sync set it: the old cn, or the old
	// cn cleaned of what AD refuses there.
	if strings.EqualFold(old.SAMAccountName, old.Name) || strings.EqualFold(old.SAMAccountName, reconcile.GroupSAMAccountName(old.Name)) {
		if err := t.Conn.Modify(ctx, newDN, map[string][]string{"sAMAccountName": {reconcile.GroupSAMAccountName(*p.Name)}}); err != nil {
			return fmt.Errorf("renamed to %s, but sAMAccountName stays %s: %w", newDN, old.SAMAccountName, markAD(err))
		}
	}
	return nil
}

// groupDN is the DN the group the plan calls dn has now.
func (t *ADTarget) groupDN(dn string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n, ok := t.renamed[strings.ToLower(dn)]; ok {
		return n
	}
	return dn
}

// AddMember implements [reconcile.Target]; a member already there counts
// as added (someone got there first, and the level is reached).
func (t *ADTarget) AddMember(ctx context.Context, groupDN, userDN string) error {
	if err := t.Conn.AddMember(ctx, t.groupDN(groupDN), userDN); err != nil && !errors.Is(err, ldapx.ErrAlreadyExists) {
		return markAD(err)
	}
	return nil
}

// RemoveMember implements [reconcile.Target]; a member already gone counts
// as removed.
func (t *ADTarget) RemoveMember(ctx context.Context, groupDN, userDN string) error {
	if err := t.Conn.RemoveMember(ctx, t.groupDN(groupDN), userDN); err != nil && !errors.Is(err, ldapx.ErrNoSuchValue) {
		return markAD(err)
	}
	return nil
}

// DeleteUser implements [reconcile.Target] by refusing.
func (t *ADTarget) DeleteUser(context.Context, string) error { return errNotSync }

// SetAdmin implements [reconcile.Target] by refusing.
func (t *ADTarget) SetAdmin(context.Context, string, bool) error { return errNotSync }

// DeleteGroup implements [reconcile.Target] by refusing.
func (t *ADTarget) DeleteGroup(context.Context, string) error { return errNotSync }

// markAD marks errors after which every further write would fail too.
func markAD(err error) error {
	if errors.Is(err, ldapx.ErrInvalidCredentials) || errors.Is(err, ldapx.ErrPlaintext) {
		return &terminalError{err: err}
	}
	return err
}

// Character sets of generated passwords: no look-alikes, and symbols that
// need no quoting in a shell or LDIF.
const (
	pwUpper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	pwLower  = "abcdefghijkmnopqrstuvwxyz"
	pwDigit  = "23456789"
	pwSymbol = "!#%+-.:=?@^_~"
)

// GeneratePassword returns a random password that meets the AD policy p
// for acct: at least 20 characters (more if minPwdLength asks), every
// character class, and none of the account's name tokens. Nobody ever sees
// it: the user gets a password through `sync password` or JumpCloud.
func GeneratePassword(r io.Reader, p ldapx.PasswordPolicy, acct reconcile.PasswordAccount) (secret.Secret, error) {
	if r == nil {
		r = rand.Reader
	}
	n := max(p.MinLength, 20)
	all := pwUpper + pwLower + pwDigit + pwSymbol
	pick := func(set string) (byte, error) {
		i, err := rand.Int(r, big.NewInt(int64(len(set))))
		if err != nil {
			return 0, fmt.Errorf("generate password: %w", err)
		}
		return set[i.Int64()], nil
	}
	for range 100 {
		b := make([]byte, n)
		for i := range b {
			set := all
			if i < 4 {
				set = []string{pwUpper, pwLower, pwDigit, pwSymbol}[i]
			}
			c, err := pick(set)
			if err != nil {
				return secret.Secret{}, err
			}
			b[i] = c
		}
		// Shuffle so the guaranteed classes are not always in front.
		for i := len(b) - 1; i > 0; i-- {
			j, err := rand.Int(r, big.NewInt(int64(i+1)))
			if err != nil {
				return secret.Secret{}, fmt.Errorf("generate password: %w", err)
			}
			b[i], b[j.Int64()] = b[j.Int64()], b[i]
		}
		s := secret.New(string(b))
		if len(reconcile.CheckADPassword(s, ADPasswordPolicy(p), acct)) == 0 {
			return s, nil
		}
	}
	return secret.Secret{}, errors.New("generate password: no random password met the policy in 100 tries")
}
