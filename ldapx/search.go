package ldapx

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Query is one search. Filter values must already be escaped ([EqualityFilter],
// [ldap.EscapeFilter]).
type Query struct {
	Base       string
	Scope      int // ldap.ScopeWholeSubtree (0 is ScopeBaseObject)
	Filter     string
	Attributes []string
	// PageSize is the number of entries per page; DefaultPageSize when zero.
	PageSize uint32
	// Controls are added to every page's request (e.g. show-deleted).
	Controls []ldap.Control
}

// Search runs q and yields every entry, one page at a time, so there is no
// 1000-entry cap and no need to hold the whole result. Breaking out of the
// loop abandons the remaining pages. Referrals are skipped.
//
// A DC (or a proxy in front of it) that does not page answers with at most
// its size limit (MaxPageSize, 1000 on Windows) and sizeLimitExceeded, or
// with unavailableCriticalExtension: either ends the search with an
// [ErrUnsupportedControl] error naming the paged-results control, never a
// silently partial read. One that ignores the control and answers the whole
// result with success is read as it is.
func (c *Conn) Search(ctx context.Context, q Query) iter.Seq2[*ldap.Entry, error] {
	return func(yield func(*ldap.Entry, error) bool) {
		for e, err := range c.pages(ctx, q) {
			if e == nil && err == nil {
				continue // a page boundary
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// pages is [Conn.Search] that also yields (nil, nil) after each whole page
// that has another after it, before asking for that one: a consumer that
// stops there (or, through iter.Pull, pauses there) leaves no page half
// read, so the connection is free for other searches meanwhile (go-ldap
// hands a connection's messages to their searches one by one, and an
// unread entry would hold up every other search on it).
func (c *Conn) pages(ctx context.Context, q Query) iter.Seq2[*ldap.Entry, error] {
	return func(yield func(*ldap.Entry, error) bool) {
		size := q.PageSize
		if size == 0 {
			size = DefaultPageSize
		}
		paging := ldap.NewControlPaging(size)
		req := ldap.NewSearchRequest(q.Base, q.Scope, ldap.NeverDerefAliases, 0, 0, false,
			q.Filter, q.Attributes, append(append([]ldap.Control{}, q.Controls...), paging))
		seen := newSeenSet()
		w := c.wireFor(ctx) // nil: go-ldap's connection, for every page
		abandon := func() { c.abandonPaging(ctx, w, req, paging) }
		for page := 1; ; page++ {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			start := time.Now()
			pageCtx, cancel := context.WithCancel(ctx)
			var res ldap.Response
			if w != nil {
				w.mu.Lock()
				p, err := w.page(pageCtx, req)
				w.mu.Unlock()
				c.wirePages.Add(1)
				if err != nil {
					p = &wirePage{err: err}
				}
				res = p
			} else {
				res = c.c.SearchAsync(pageCtx, req, 64)
			}
			var cookie []byte
			paged := false
			n := 0
			for res.Next() {
				if e := res.Entry(); e != nil {
					n++
					if first, dup := seen.add(e); dup {
						cancel()
						abandon()
						yield(nil, &Error{Op: "search", DN: q.Base, Kind: ErrInconsistentRead,
							Reason: fmt.Sprintf("page %d returned %s, already returned on page %d", page, e.DN, first),
							Hint:   "nothing was planned from this read; the next run reads again (a DC or proxy that replays pages needs fixing if it persists)"})
						return
					}
					seen.page(e, page)
					if !yield(e, nil) {
						cancel()
						abandon()
						return
					}
				}
				if ctl := ldap.FindControl(res.Controls(), ldap.ControlTypePaging); ctl != nil {
					if p, ok := ctl.(*ldap.ControlPaging); ok {
						cookie, paged = p.Cookie, true
					}
				}
			}
			cancel()
			err := res.Err()
			c.log.Debug("ldap search page", "base", q.Base, "filter", q.Filter, "page", page, "entries", n, "duration", time.Since(start), "error", err)
			if err == nil && ctx.Err() != nil {
				err = ctx.Err() // SearchAsync reports cancellation as a clean end
			}
			if err != nil {
				if !paged && pagingRefused(err) {
					err = &Error{Op: "search", DN: q.Base, Kind: ErrUnsupportedControl, Err: err,
						Reason: fmt.Sprintf("the paged-results control (%s) was not honoured and the search stopped after %d entries", ldap.ControlTypePaging, n),
						Hint:   "adjc reads the directory whole or not at all: point ldap_url at a domain controller that pages searches (every Windows DC does; an LDAP proxy or gateway in between may not)"}
				}
				yield(nil, c.wrap("search", q.Base, "", err))
				return
			}
			if len(cookie) == 0 {
				return
			}
			paging.SetCookie(cookie)
			if !yield(nil, nil) {
				abandon()
				return
			}
		}
	}
}

// seenSet remembers, for one paged search, the page each entry came on,
// by objectGUID when the search asked for it and by DN in any case: an
// object renamed between two pages keeps its GUID, and a replayed page
// repeats both.
type seenSet struct {
	guid map[string]int
	dn   map[string]int
}

func newSeenSet() *seenSet { return &seenSet{guid: map[string]int{}, dn: map[string]int{}} }

// add reports whether e was seen before, and on which page.
func (s *seenSet) add(e *ldap.Entry) (first int, dup bool) {
	if g := e.GetRawAttributeValue("objectGUID"); len(g) > 0 {
		if p, ok := s.guid[string(g)]; ok {
			return p, true
		}
	}
	if p, ok := s.dn[normDN(e.DN)]; ok {
		return p, true
	}
	return 0, false
}

// page records that e came on page p.
func (s *seenSet) page(e *ldap.Entry, p int) {
	if g := e.GetRawAttributeValue("objectGUID"); len(g) > 0 {
		s.guid[string(g)] = p
	}
	s.dn[normDN(e.DN)] = p
}

// pagingRefused reports whether a search failed the way a DC that does not
// page answers: sizeLimitExceeded (it stopped at MaxPageSize) or
// unavailableCriticalExtension.
func pagingRefused(err error) bool {
	return ldap.IsErrorAnyOf(err, ldap.LDAPResultSizeLimitExceeded, ldap.LDAPResultUnavailableCriticalExtension)
}

// abandonPaging tells the server to drop a paged search's state, by asking
// for a page of size 0 with the current cookie (RFC 2696 §3), on the
// connection the search ran on (w, or go-ldap's when nil).
func (c *Conn) abandonPaging(ctx context.Context, w *wire, req *ldap.SearchRequest, paging *ldap.ControlPaging) {
	if len(paging.Cookie) == 0 {
		return
	}
	paging.PagingSize = 0
	if w != nil {
		w.mu.Lock()
		_, _ = w.page(context.WithoutCancel(ctx), req)
		w.mu.Unlock()
		return
	}
	_, _ = c.c.Search(req)
}

// SearchAll is [Conn.Search] collected into a slice.
func (c *Conn) SearchAll(ctx context.Context, q Query) ([]*ldap.Entry, error) {
	var out []*ldap.Entry
	for e, err := range c.Search(ctx, q) {
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// readEntry reads one object by DN, or returns ErrNoSuchObject.
func (c *Conn) readEntry(ctx context.Context, dn string, filter string, attrs []string) (*ldap.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if filter == "" {
		filter = "(objectClass=*)"
	}
	req := ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil)
	res, err := c.c.Search(req)
	if err != nil {
		return nil, c.wrap("read", dn, "", err)
	}
	if len(res.Entries) == 0 {
		return nil, &Error{Op: "read", DN: dn, Kind: ErrNoSuchObject}
	}
	return res.Entries[0], nil
}

// RootDSE holds what the DC says about itself before any bind.
type RootDSE struct {
	DefaultNamingContext       string // the domain DN, e.g. DC=adjc,DC=lab
	ConfigurationNamingContext string
	SchemaNamingContext        string
	RootDomainNamingContext    string
	DNSHostName                string
	ServerName                 string
	DomainFunctionality        int
	HighestCommittedUSN        int64
	SupportedControls          []string
	SupportedCapabilities      []string
	SupportedSASLMechanisms    []string
}

// Supports reports whether the DC advertises the control OID.
func (r *RootDSE) Supports(oid string) bool {
	for _, c := range r.SupportedControls {
		if c == oid {
			return true
		}
	}
	return false
}

// OIDs of the AD controls and matching rule ldapx relies on.
const (
	OIDPaging        = ldap.ControlTypePaging                // 1.2.840.113556.1.4.319
	OIDDirSync       = ldap.ControlTypeDirSync               // 1.2.840.113556.1.4.841
	OIDNotification  = ldap.ControlTypeMicrosoftNotification // 1.2.840.113556.1.4.528
	OIDShowDeleted   = ldap.ControlTypeMicrosoftShowDeleted  // 1.2.840.113556.1.4.417
	OIDSubtreeDelete = ldap.ControlTypeSubtreeDelete         // 1.2.840.113556.1.4.805
	OIDInChain       = "1.2.840.113556.1.4.1941"             // LDAP_MATCHING_RULE_IN_CHAIN
	OIDBitAnd        = "1.2.840.113556.1.4.803"              // LDAP_MATCHING_RULE_BIT_AND
)

// RootDSE reads (once per connection) and returns the rootDSE.
func (c *Conn) RootDSE(ctx context.Context) (*RootDSE, error) {
	if c.rootDSE != nil {
		return c.rootDSE, nil
	}
	e, err := c.readEntry(ctx, "", "", []string{
		"defaultNamingContext", "configurationNamingContext", "schemaNamingContext",
		"rootDomainNamingContext", "dnsHostName", "serverName", "domainFunctionality",
		"highestCommittedUSN", "supportedControl", "supportedCapabilities", "supportedSASLMechanisms",
	})
	if err != nil {
		return nil, err
	}
	r := &RootDSE{
		DefaultNamingContext:       e.GetAttributeValue("defaultNamingContext"),
		ConfigurationNamingContext: e.GetAttributeValue("configurationNamingContext"),
		SchemaNamingContext:        e.GetAttributeValue("schemaNamingContext"),
		RootDomainNamingContext:    e.GetAttributeValue("rootDomainNamingContext"),
		DNSHostName:                e.GetAttributeValue("dnsHostName"),
		ServerName:                 e.GetAttributeValue("serverName"),
		DomainFunctionality:        atoi(e.GetAttributeValue("domainFunctionality")),
		HighestCommittedUSN:        atoi64(e.GetAttributeValue("highestCommittedUSN")),
		SupportedControls:          e.GetAttributeValues("supportedControl"),
		SupportedCapabilities:      e.GetAttributeValues("supportedCapabilities"),
		SupportedSASLMechanisms:    e.GetAttributeValues("supportedSASLMechanisms"),
	}
	c.rootDSE = r
	return r, nil
}

// DomainDN returns the domain's DN (the rootDSE's defaultNamingContext).
func (c *Conn) DomainDN(ctx context.Context) (string, error) {
	r, err := c.RootDSE(ctx)
	if err != nil {
		return "", err
	}
	return r.DefaultNamingContext, nil
}

// PasswordPolicy is the domain's default password and lockout policy, read
// from the domain object. (Fine-grained policies are not read.)
type PasswordPolicy struct {
	MinLength     int           // minPwdLength
	Complex       bool          // pwdProperties & DOMAIN_PASSWORD_COMPLEX (1)
	Properties    uint32        // pwdProperties, all bits
	HistoryLength int           // pwdHistoryLength
	MaxAge        time.Duration // maxPwdAge; 0 = passwords never expire
	MinAge        time.Duration // minPwdAge
	// LockoutThreshold is the number of bad passwords before lockout; 0 = never.
	LockoutThreshold int
	LockoutDuration  time.Duration // lockoutDuration; 0 = until an admin unlocks
	LockoutWindow    time.Duration // lockOutObservationWindow
}

// pwdPropertiesComplex is DOMAIN_PASSWORD_COMPLEX in pwdProperties.
const pwdPropertiesComplex = 1

// PasswordPolicy reads the domain password policy.
func (c *Conn) PasswordPolicy(ctx context.Context) (PasswordPolicy, error) {
	dn, err := c.DomainDN(ctx)
	if err != nil {
		return PasswordPolicy{}, err
	}
	e, err := c.readEntry(ctx, dn, "", []string{"minPwdLength", "pwdProperties", "pwdHistoryLength",
		"maxPwdAge", "minPwdAge", "lockoutThreshold", "lockoutDuration", "lockOutObservationWindow"})
	if err != nil {
		return PasswordPolicy{}, err
	}
	props := uint32(atoi64(e.GetAttributeValue("pwdProperties")))
	return PasswordPolicy{
		MinLength:        atoi(e.GetAttributeValue("minPwdLength")),
		Complex:          props&pwdPropertiesComplex != 0,
		Properties:       props,
		HistoryLength:    atoi(e.GetAttributeValue("pwdHistoryLength")),
		MaxAge:           adInterval(e.GetAttributeValue("maxPwdAge")),
		MinAge:           adInterval(e.GetAttributeValue("minPwdAge")),
		LockoutThreshold: atoi(e.GetAttributeValue("lockoutThreshold")),
		LockoutDuration:  adInterval(e.GetAttributeValue("lockoutDuration")),
		LockoutWindow:    adInterval(e.GetAttributeValue("lockOutObservationWindow")),
	}, nil
}

// adInterval converts AD's negative 100-nanosecond intervals (maxPwdAge is
// "-36288000000000" for 42 days) to a Duration; the minimum int64, which AD
// uses for "never", becomes 0.
func adInterval(s string) time.Duration {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v == -1<<63 {
		return 0
	}
	if v < 0 {
		v = -v
	}
	return time.Duration(v) * 100
}

// fileTime converts a FILETIME (100 ns since 1601-01-01 UTC), as in pwdLastSet,
// to a time; 0 and the maximum value (never) become the zero Time.
func fileTime(s string) time.Time {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v <= 0 || v == 1<<63-1 {
		return time.Time{}
	}
	const epochDiff = 116444736000000000 // 1601 → 1970 in 100 ns
	v -= epochDiff
	return time.Unix(v/1e7, (v%1e7)*100).UTC()
}

// generalizedTime parses whenChanged-style times, e.g. "20261121235500.0Z".
func generalizedTime(s string) time.Time {
	for _, layout := range []string{"20060102150405.0Z", "20060102150405Z", "20060102150405.0-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func atoi(s string) int {
	v, _ := strconv.Atoi(strings.TrimSpace(s))
	return v
}

func atoi64(s string) int64 {
	v, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return v
}
