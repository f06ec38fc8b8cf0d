package ldapx

// Reads that only `adjc preflight` needs: what the TLS handshake presented,
// who the service account is and which groups it holds, what it may write
// (asked of AD, never tried), the DC's clock, and traces of other sync tools.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// TLSInfo is what [ProbeTLS] learned about a DC's TLS.
type TLSInfo struct {
	// Transport is LDAPS, StartTLS, or plaintext for an ldap:// URL
	// without StartTLS.
	Transport Transport
	// Encrypted is Transport.Encrypted(); StartTLS is Transport == StartTLS.
	Encrypted bool
	StartTLS  bool
	Version   uint16 // tls.VersionTLS12, …
	// ServerName is the name the certificate was checked against.
	ServerName string
	// Chain is the certificates the DC presented, leaf first.
	Chain []*x509.Certificate
	// VerifyErr is why the chain is not valid for ServerName under the
	// configured CAs (Options.CAFile, Options.TLSConfig or the system pool);
	// nil when it is.
	VerifyErr error
}

// ProbeTLS connects to opts.URL and does the TLS handshake (LDAPS, or
// StartTLS when opts.StartTLS is set on an ldap:// URL) without binding,
// through the same steps and timeouts as [Dial]. Unlike Dial it completes
// a handshake with a certificate it does not trust, so it can say what is
// wrong with it (unknown CA, wrong host, expired) and when it expires; it
// sends no credentials, so talking to an untrusted peer costs nothing. An
// error means the DC could not be reached, refused StartTLS, or spoke no
// TLS.
func ProbeTLS(ctx context.Context, opts Options) (TLSInfo, error) {
	ep, err := parseEndpoint(opts.URL)
	if err != nil {
		return TLSInfo{}, err
	}
	var conf *tls.Config
	if ep.ldaps || opts.StartTLS {
		if conf, err = clientTLS(opts, ep.host); err != nil {
			return TLSInfo{}, err
		}
	}
	nc, err := dialTCP(ctx, ep, opts.dialTimeout())
	if err != nil {
		return TLSInfo{}, err
	}
	defer nc.Close()
	if conf == nil {
		return TLSInfo{Transport: TransportPlaintext}, nil
	}
	probe := conf.Clone()
	probe.InsecureSkipVerify = true // verified below, by hand, to report why it fails
	probe.VerifyConnection = nil
	probe.VerifyPeerCertificate = nil

	var tc *tls.Conn
	info := TLSInfo{Transport: TransportLDAPS}
	if ep.ldaps {
		tc, err = handshake(ctx, nc, probe, ep, opts.handshakeTimeout(), "the TLS handshake")
	} else {
		info.Transport = TransportStartTLS
		tc, err = startTLS(ctx, nc, probe, ep, opts.handshakeTimeout())
	}
	if err != nil {
		return TLSInfo{}, err
	}
	state := tc.ConnectionState()
	info.Encrypted, info.StartTLS = true, !ep.ldaps
	info.Version, info.ServerName, info.Chain = state.Version, conf.ServerName, state.PeerCertificates
	info.VerifyErr = verifyChain(state.PeerCertificates, conf)
	return info, nil
}

// verifyChain checks certs as crypto/tls would with conf: chained to
// conf.RootCAs (the system pool when nil) and valid for conf.ServerName.
func verifyChain(certs []*x509.Certificate, conf *tls.Config) error {
	if len(certs) == 0 {
		return errors.New("the server presented no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	vo := x509.VerifyOptions{Roots: conf.RootCAs, Intermediates: inter, DNSName: conf.ServerName}
	if conf.Time != nil {
		vo.CurrentTime = conf.Time()
	}
	_, err := certs[0].Verify(vo)
	return err
}

// Principal is a security principal named in a token or an ACL.
type Principal struct {
	DN   string
	SID  string
	Name string // sAMAccountName, or cn when it has none
}

// ServiceAccount is the account adjc binds as, with every group in its
// security token (tokenGroups: nested and primary groups included).
type ServiceAccount struct {
	User
	CN     string
	Groups []Principal // sorted by Name
	// UnresolvedSIDs are token SIDs no object in the domain carries
	// (well-known SIDs such as S-1-5-11), sorted.
	UnresolvedSIDs []string
}

// SIDs returns the account's own SID followed by its groups' SIDs.
func (a ServiceAccount) SIDs() []string {
	out := []string{a.SID}
	for _, g := range a.Groups {
		out = append(out, g.SID)
	}
	return append(out, a.UnresolvedSIDs...)
}

// ServiceAccount reads the account named by bind — a UPN
// (jcsync@example.com), DOMAIN\user or a DN, as in [Options.BindDN] — with
// its token groups.
func (c *Conn) ServiceAccount(ctx context.Context, bind string) (ServiceAccount, error) {
	u, err := c.findBindUser(ctx, bind)
	if err != nil {
		return ServiceAccount{}, err
	}
	a := ServiceAccount{User: u}
	e, err := c.readEntry(ctx, u.DN, "", []string{"cn", "tokenGroups"})
	if err != nil {
		return ServiceAccount{}, err
	}
	a.CN = e.GetAttributeValue("cn")
	raw := e.GetRawAttributeValues("tokenGroups")
	if len(raw) == 0 {
		return a, nil
	}
	domain, err := c.DomainDN(ctx)
	if err != nil {
		return ServiceAccount{}, err
	}
	var b strings.Builder
	b.WriteString("(|")
	want := map[string]bool{}
	for _, sid := range raw {
		s, err := SIDString(sid)
		if err != nil {
			return ServiceAccount{}, err
		}
		want[s] = true
		b.WriteString("(objectSid=")
		for _, x := range sid {
			fmt.Fprintf(&b, "\\%02x", x)
		}
		b.WriteString(")")
	}
	b.WriteString(")")
	for e, err := range c.Search(ctx, Query{Base: domain, Scope: ldap.ScopeWholeSubtree, Filter: b.String(),
		Attributes: []string{"objectSid", "sAMAccountName", "cn"}}) {
		if err != nil {
			return ServiceAccount{}, err
		}
		sid, err := SIDString(e.GetRawAttributeValue("objectSid"))
		if err != nil {
			return ServiceAccount{}, err
		}
		name := e.GetAttributeValue("sAMAccountName")
		if name == "" {
			name = e.GetAttributeValue("cn")
		}
		a.Groups = append(a.Groups, Principal{DN: e.DN, SID: sid, Name: name})
		delete(want, sid)
	}
	slices.SortFunc(a.Groups, func(x, y Principal) int { return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)) })
	for s := range want {
		a.UnresolvedSIDs = append(a.UnresolvedSIDs, s)
	}
	slices.Sort(a.UnresolvedSIDs)
	return a, nil
}

// BindUser finds the user a bind name denotes (a UPN, DOMAIN\user or a
// DN, as in [Options.BindDN]), so adjc can keep its own account out of
// every plan.
func (c *Conn) BindUser(ctx context.Context, bind string) (User, error) {
	return c.findBindUser(ctx, bind)
}

// BindName returns the name this connection bound as ([Options.BindDN]).
func (c *Conn) BindName() string { return c.opts.BindDN }

// findBindUser finds the user a bind name denotes. A UPN that no user
// carries is tried as sAMAccountName@domain, which AD also accepts.
func (c *Conn) findBindUser(ctx context.Context, bind string) (User, error) {
	if dn, err := ldap.ParseDN(bind); err == nil && len(dn.RDNs) > 1 {
		return c.User(ctx, bind)
	}
	if _, sam, ok := strings.Cut(bind, `\`); ok {
		return c.FindUser(ctx, "sAMAccountName", sam)
	}
	if local, _, ok := strings.Cut(bind, "@"); ok {
		u, err := c.FindUser(ctx, "userPrincipalName", bind)
		if errors.Is(err, ErrNoSuchObject) {
			return c.FindUser(ctx, "sAMAccountName", local)
		}
		return u, err
	}
	return c.FindUser(ctx, "sAMAccountName", bind)
}

// Effective is what the bound account may do to one object, as AD computes
// it for that account: the constructed attributes allowedAttributesEffective
// (attributes it may write) and allowedChildClassesEffective (classes it may
// create beneath). Asking costs no write.
type Effective struct {
	Attributes   []string // sorted, lower-case
	ChildClasses []string // sorted, lower-case
}

// CanWrite reports whether attr is among the writable attributes.
func (e Effective) CanWrite(attr string) bool {
	_, ok := slices.BinarySearch(e.Attributes, strings.ToLower(attr))
	return ok
}

// CanCreate reports whether objects of class may be created beneath.
func (e Effective) CanCreate(class string) bool {
	_, ok := slices.BinarySearch(e.ChildClasses, strings.ToLower(class))
	return ok
}

// Effective reads the bound account's effective rights on dn.
func (c *Conn) Effective(ctx context.Context, dn string) (Effective, error) {
	e, err := c.readEntry(ctx, dn, "", []string{"allowedAttributesEffective", "allowedChildClassesEffective"})
	if err != nil {
		return Effective{}, err
	}
	lower := func(vs []string) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = strings.ToLower(v)
		}
		slices.Sort(out)
		return out
	}
	return Effective{
		Attributes:   lower(e.GetAttributeValues("allowedAttributesEffective")),
		ChildClasses: lower(e.GetAttributeValues("allowedChildClassesEffective")),
	}, nil
}

// RightResetPassword is the User-Force-Change-Password extended right: what
// replacing unicodePwd needs (a write-property right on it is not enough).
const RightResetPassword = "00299570-246d-11d0-a768-00aa006e0529"

// oidSDFlags asks for parts of nTSecurityDescriptor; without it AD wants
// the SACL too, which only admins may read, and returns nothing.
const oidSDFlags = "1.2.840.113556.1.4.801"

// GrantsControlAccess reports whether the DACL of dn lets any of sids use
// the extended right (a GUID such as [RightResetPassword]), evaluating the
// ACEs in order as Windows does: the first ACE that names one of sids and
// covers the right decides. Only the DACL is read (SD flags control, value
// DACL_SECURITY_INFORMATION), which any authenticated user may do.
func (c *Conn) GrantsControlAccess(ctx context.Context, dn, right string, sids []string) (bool, error) {
	// SEQUENCE { INTEGER 4 }: DACL_SECURITY_INFORMATION.
	ctl := ldap.NewControlString(oidSDFlags, true, "\x30\x03\x02\x01\x04")
	req := ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"nTSecurityDescriptor"}, []ldap.Control{ctl})
	if err := ctx.Err(); err != nil {
		return false, err
	}
	res, err := c.c.Search(req)
	if err != nil {
		return false, c.wrap("read", dn, "nTSecurityDescriptor", err)
	}
	if len(res.Entries) == 0 {
		return false, &Error{Op: "read", DN: dn, Kind: ErrNoSuchObject}
	}
	sd := res.Entries[0].GetRawAttributeValue("nTSecurityDescriptor")
	if len(sd) == 0 {
		return false, &Error{Op: "read", DN: dn, Attribute: "nTSecurityDescriptor", Kind: ErrInsufficientRights,
			Reason: "the security descriptor is not readable"}
	}
	g, err := GUIDBytes(right)
	if err != nil {
		return false, err
	}
	return daclGrants(sd, [16]byte(g), sids)
}

// Access mask bits and ACE types (MS-DTYP 2.4.3, 2.4.4.1, MS-ADTS 5.1.3.2).
const (
	rightControlAccess = 0x00000100
	rightGenericAll    = 0x10000000
	aceAllowed         = 0x00
	aceDenied          = 0x01
	aceAllowedObject   = 0x05
	aceDeniedObject    = 0x06
	aceInheritOnly     = 0x08
	aceObjectTypeSet   = 0x1
	aceInheritedSet    = 0x2
)

// daclGrants evaluates a self-relative security descriptor's DACL for a
// control-access right (raw objectGUID byte order) held by any of sids.
func daclGrants(sd []byte, right [16]byte, sids []string) (bool, error) {
	bad := errors.New("ldapx: malformed security descriptor")
	if len(sd) < 20 {
		return false, bad
	}
	off := int(binary.LittleEndian.Uint32(sd[16:20])) // OffsetDacl
	if off == 0 {
		return true, nil // a NULL DACL grants everything
	}
	if off+8 > len(sd) {
		return false, bad
	}
	count := int(binary.LittleEndian.Uint16(sd[off+4 : off+6]))
	pos := off + 8
	for range count {
		if pos+4 > len(sd) {
			return false, bad
		}
		typ, flags := sd[pos], sd[pos+1]
		size := int(binary.LittleEndian.Uint16(sd[pos+2 : pos+4]))
		if size < 8 || pos+size > len(sd) {
			return false, bad
		}
		ace := sd[pos : pos+size]
		pos += size
		if flags&aceInheritOnly != 0 {
			continue // applies to children, not to this object
		}
		mask := binary.LittleEndian.Uint32(ace[4:8])
		var sidRaw []byte
		matchesRight := mask&rightGenericAll != 0
		switch typ {
		case aceAllowed, aceDenied:
			sidRaw = ace[8:]
			matchesRight = matchesRight || mask&rightControlAccess != 0 // every extended right
		case aceAllowedObject, aceDeniedObject:
			if len(ace) < 12 {
				return false, bad
			}
			objFlags := binary.LittleEndian.Uint32(ace[8:12])
			p := 12
			if objFlags&aceObjectTypeSet != 0 {
				if len(ace) < p+16 {
					return false, bad
				}
				if mask&rightControlAccess != 0 && [16]byte(ace[p:p+16]) == right {
					matchesRight = true
				}
				p += 16
			} else if mask&rightControlAccess != 0 {
				matchesRight = true // no object type: all extended rights
			}
			if objFlags&aceInheritedSet != 0 {
				p += 16
			}
			if p > len(ace) {
				return false, bad
			}
			sidRaw = ace[p:]
		default:
			continue
		}
		if !matchesRight {
			continue
		}
		sid, err := SIDString(sidRaw)
		if err != nil || !slices.Contains(sids, sid) {
			continue
		}
		return typ == aceAllowed || typ == aceAllowedObject, nil
	}
	return false, nil
}

// CurrentTime reads the DC's clock (the rootDSE's currentTime, to the
// second), for comparing with this host's: Kerberos tolerates 5 minutes.
func (c *Conn) CurrentTime(ctx context.Context) (time.Time, error) {
	e, err := c.readEntry(ctx, "", "", []string{"currentTime"})
	if err != nil {
		return time.Time{}, err
	}
	t := generalizedTime(e.GetAttributeValue("currentTime"))
	if t.IsZero() {
		return time.Time{}, &Error{Op: "read", Attribute: "currentTime", Reason: "the rootDSE has no currentTime"}
	}
	return t, nil
}

// FindGroup finds the group named name (its cn or sAMAccountName) directly
// in container; ErrNoSuchObject when there is none.
func (c *Conn) FindGroup(ctx context.Context, container, name string) (Group, error) {
	return c.findGroup(ctx, container, name)
}

// SampleUsers returns up to n users directly in container, in the DC's
// order. An account without read access sees none rather than an error:
// AD hides what one may not read.
func (c *Conn) SampleUsers(ctx context.Context, container string, n int) ([]User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req := ldap.NewSearchRequest(container, ldap.ScopeSingleLevel, ldap.NeverDerefAliases, n, 0, false,
		userFilter, userAttrs, nil)
	res, err := c.c.Search(req)
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return nil, c.wrap("search", container, "", err)
	}
	var out []User
	if res != nil {
		for _, e := range res.Entries {
			if len(out) == n { // Samba ignores the size limit
				break
			}
			u, err := userFromEntry(e)
			if err != nil {
				return nil, err
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// syncToolFilter finds the accounts Microsoft's directory sync tools create:
// Entra Connect's MSOL_<hex> connector account, Entra Cloud Sync's
// provAgentgMSA, the older Azure AD Sync's AAD_<hex> and the Sync_<host>
// service account, and ADToAADSyncServiceAccount.
const syncToolFilter = "(|(sAMAccountName=MSOL_*)(sAMAccountName=AAD_*)(sAMAccountName=Sync_*)" +
	"(sAMAccountName=provAgentgMSA*)(sAMAccountName=ADToAADSyncServiceAccount))"

// SyncToolAccounts returns the sAMAccountNames, sorted, of accounts under
// base (the domain when empty) that Microsoft Entra Connect or Cloud Sync
// would have created.
func (c *Conn) SyncToolAccounts(ctx context.Context, base string) ([]string, error) {
	if base == "" {
		d, err := c.DomainDN(ctx)
		if err != nil {
			return nil, err
		}
		base = d
	}
	var out []string
	for e, err := range c.Search(ctx, Query{Base: base, Scope: ldap.ScopeWholeSubtree, Filter: syncToolFilter, Attributes: []string{"sAMAccountName"}}) {
		if err != nil {
			return nil, err
		}
		out = append(out, e.GetAttributeValue("sAMAccountName"))
	}
	slices.Sort(out)
	return out, nil
}
