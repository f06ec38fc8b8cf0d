package reconcile

import (
	"fmt"
	"strconv"
	"strings"
)

// NeverTouch says which Active Directory objects adjc leaves alone in both
// directions, beyond what each object's own facts say ([ADUser.SID],
// [ADUser.Critical], [ADUser.Computer], adminCount). Such an object is
// never imported into JumpCloud, never taken over, written, renamed or
// deleted in AD, and never given or stripped of members; each appears in
// the plan's Skipped list with the reason (DESIGN "Safety rules").
//
// The reader fills it from the configuration and from AD: the zero value
// protects nothing beyond the objects' facts.
type NeverTouch struct {
	// Scope is the DN below which adjc may write in AD (the configured base
	// DN); an object whose DN is elsewhere is left alone. Empty: no limit.
	Scope string `json:"scope,omitempty"`
	// Entries are the objects named as never to be touched: adjc's own bind
	// account, the jumpcloud_group and admins_group, the operator's
	// never_touch list and the members of the groups it names.
	Entries []Protected `json:"entries,omitempty"`
}

// Protected is one [NeverTouch] entry.
type Protected struct {
	// Match is an objectGUID, a DN, or a name (sAMAccountName, the
	// configured username, a group's cn), compared case-insensitively with
	// the same facts of every object; a name also stops sync creating an
	// object that would carry it.
	Match string `json:"match"`
	// Why is said in the plan, e.g. "adjc's own bind account".
	Why string `json:"why"`
}

// wellKnownRIDLimit: RIDs below it are the domain's well-known principals
// (MS-DTYP 2.4.2.4: 500 Administrator, 501 Guest, 502 krbtgt, 512–527
// the built-in domain groups, 553 RAS and IAS Servers, 571/572 the RODC
// password replication groups…); AD allocates ordinary objects from 1000.
const wellKnownRIDLimit = 1000

// sidRule says why an object with objectSid sid is well known, or "".
// Domain principals are S-1-5-21-<three sub-authorities>-<RID>; every other
// SID (S-1-5-32-* for the built-in domain's groups, S-1-5-18, S-1-1-0…) is a
// well-known principal no directory sync may own.
func sidRule(sid string) string {
	if sid == "" {
		return ""
	}
	if strings.HasPrefix(sid, "S-1-5-32-") {
		return fmt.Sprintf("built-in domain principal (objectSid %s)", sid)
	}
	parts := strings.Split(sid, "-")
	if len(parts) == 8 && parts[0] == "S" && parts[1] == "1" && parts[2] == "5" && parts[3] == "21" {
		rid, err := strconv.ParseUint(parts[7], 10, 32)
		if err == nil && rid >= wellKnownRIDLimit {
			return ""
		}
		if err == nil {
			return fmt.Sprintf("well-known domain principal (RID %d)", rid)
		}
	}
	return fmt.Sprintf("well-known principal (objectSid %s)", sid)
}

// guard answers, for one run, whether an AD object is never to be touched.
type guard struct {
	scope   string // lower-cased [NeverTouch.Scope]
	scopeDN string
	entries map[string]string // lower Match → Why
}

func newGuard(nt NeverTouch) guard {
	g := guard{scope: strings.ToLower(nt.Scope), scopeDN: nt.Scope, entries: make(map[string]string, len(nt.Entries))}
	for _, e := range nt.Entries {
		k := strings.ToLower(strings.TrimSpace(e.Match))
		if k == "" {
			continue
		}
		if _, dup := g.entries[k]; !dup {
			g.entries[k] = e.Why
		}
	}
	return g
}

// facts are what the rules look at, whichever value carries them.
type facts struct {
	guid, dn, sid string
	names         []string
	critical      bool
	computer      bool
}

// why returns the reason an object with facts f is never touched, or "".
// adminCount=1 is checked by the callers first, with its own wording.
func (g guard) why(f facts) string {
	if r := sidRule(f.sid); r != "" {
		return r
	}
	if f.critical {
		return "critical system object in AD (isCriticalSystemObject)"
	}
	if f.computer {
		return "computer account"
	}
	for _, k := range append([]string{f.guid, f.dn}, f.names...) {
		if r := g.named(k); r != "" {
			return r
		}
	}
	if f.dn != "" && g.scope != "" {
		dn := strings.ToLower(f.dn)
		if dn != g.scope && !strings.HasSuffix(dn, ","+g.scope) {
			return fmt.Sprintf("outside the write scope %s (%s)", g.scopeDN, f.dn)
		}
	}
	return ""
}

// named returns the reason of the entry matching key, or "".
func (g guard) named(key string) string {
	if key == "" {
		return ""
	}
	return g.entries[strings.ToLower(key)]
}

func (g guard) user(u *ADUser) string {
	return g.why(facts{guid: u.GUID, dn: u.DN, sid: u.SID, names: []string{u.Username, u.UPN},
		critical: u.Critical, computer: u.Computer})
}

func (g guard) adGroup(x *ADGroup) string {
	if x.Scope {
		// Only its own facts count: the never-touch entry naming it
		// protects it in AD, and mirroring it writes only to JumpCloud.
		return g.why(facts{sid: x.SID, critical: x.Critical})
	}
	return g.why(facts{guid: x.GUID, dn: x.DN, sid: x.SID, names: []string{x.Name}, critical: x.Critical})
}

// domainGroup guards an AD group sync would write to: unlike
// [guard.adGroup], [ADGroup.Scope] makes no exception, since here AD is
// the directory written and the scope group's never-touch entry counts.
func (g guard) domainGroup(x *ADGroup) string {
	return g.why(facts{guid: x.GUID, dn: x.DN, sid: x.SID, names: []string{x.Name}, critical: x.Critical})
}

// NeverTouchReason says why adjc must leave the AD user u alone under nt,
// or "" when it may manage it; adminCount=1 counts too. Commands that
// write to one user outside a plan (`sync password`) ask it first.
func NeverTouchReason(u ADUser, nt NeverTouch) string {
	if u.Privileged {
		return "privileged AD account (adminCount=1)"
	}
	return newGuard(nt).user(&u)
}
