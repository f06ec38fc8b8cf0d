package reconcile

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strings"
	"time"
)

// Fingerprint returns "sha256:" and the hex digest of a canonical encoding of
// both states: the same users, groups and members in any order give the same
// fingerprint, and any change that could alter a plan gives another. A saved
// plan records it so that `import --plan` can refuse a plan whose state has
// moved since it was made. Fingerprint does not modify its inputs.
func Fingerprint(desired Directory, actual Cloud) string {
	e := fpEncoder{h: sha256.New(), buf: make([]byte, 0, 40<<10)}
	e.str("adjc-fingerprint-v1")

	users := sortedIdx(len(desired.Users), func(i int) string { return strings.ToLower(desired.Users[i].GUID) })
	e.int(len(users))
	for _, i := range users {
		u := &desired.Users[i]
		e.str(strings.ToLower(u.GUID))
		e.str(u.DN)
		e.str(u.Username)
		e.str(u.GivenName)
		e.str(u.Surname)
		e.str(u.Mail)
		e.str(u.UPN)
		e.bool(u.Disabled)
		e.bool(u.Privileged)
		e.time(u.PwdLastSet)
	}
	groups := sortedIdx(len(desired.Groups), func(i int) string { return strings.ToLower(desired.Groups[i].GUID) })
	e.int(len(groups))
	for _, i := range groups {
		g := &desired.Groups[i]
		e.str(strings.ToLower(g.GUID))
		e.str(g.DN)
		e.str(g.Name)
		e.set(g.Members, true)
	}
	e.set(desired.Admins, true)
	e.set(desired.NestedAdmins, true)
	e.int(len(desired.Cycles))
	for _, c := range desired.Cycles {
		e.int(len(c.Path))
		for _, p := range c.Path {
			e.str(p)
		}
	}
	// Reader skips are reports, not inputs to any decision: left out.

	cus := sortedIdx(len(actual.Users), func(i int) string { return actual.Users[i].ID })
	e.int(len(cus))
	for _, i := range cus {
		u := &actual.Users[i]
		e.str(u.ID)
		e.str(u.Username)
		e.str(u.Email)
		e.str(u.Firstname)
		e.str(u.Lastname)
		e.bool(u.Suspended)
		e.bool(u.Admin)
		e.str(strings.ToLower(u.Anchor))
		e.time(u.PasswordDate)
	}
	cgs := sortedIdx(len(actual.Groups), func(i int) string { return actual.Groups[i].ID })
	e.int(len(cgs))
	for _, i := range cgs {
		g := &actual.Groups[i]
		e.str(g.ID)
		e.str(g.Name)
		e.str(strings.ToLower(g.Anchor))
		e.set(g.Members, false)
	}
	var t fpTail
	for _, i := range users {
		u := &desired.Users[i]
		t.object(u.GUID, u.SID, u.Critical, u.Computer, false, false)
	}
	for _, i := range groups {
		g := &desired.Groups[i]
		t.object(g.GUID, g.SID, g.Critical, false, g.Privileged, g.MembersConfirmed)
		if g.Scope {
			t.items = append(t.items, "scope-group", strings.ToLower(g.GUID))
		}
	}
	for _, i := range cgs {
		g := &actual.Groups[i]
		t.object(g.ID, "", false, false, false, g.MembersConfirmed)
	}
	t.neverTouch(desired.NeverTouch)
	t.markers(desired.Authority, actual, cus, cgs)
	t.mapped(desired, actual, users, cus)
	t.write(&e)
	e.flush()
	return "sha256:" + hex.EncodeToString(e.h.Sum(nil))
}

// fpTail collects the never-touch facts and confirmations, which came after
// version 1 of the encoding: they are appended only when one is set, so a
// state without them keeps the fingerprint it had (saved plans stay valid).
type fpTail struct{ items []string }

func (t *fpTail) object(id, sid string, critical, computer, privileged, confirmed bool) {
	if sid == "" && !critical && !computer && !privileged && !confirmed {
		return
	}
	t.items = append(t.items, strings.ToLower(id), sid, boolText(critical), boolText(computer), boolText(privileged), boolText(confirmed))
}

func (t *fpTail) neverTouch(nt NeverTouch) {
	if nt.Scope == "" && len(nt.Entries) == 0 {
		return
	}
	t.items = append(t.items, "never-touch", strings.ToLower(nt.Scope))
	ms := make([]string, 0, len(nt.Entries))
	for _, p := range nt.Entries {
		ms = append(ms, strings.ToLower(p.Match)+"\x00"+p.Why)
	}
	slices.Sort(ms)
	t.items = append(t.items, ms...)
}

// markers adds the authority and every user's and group's AD-managed
// markers, which came after the never-touch facts: only when one is set.
func (t *fpTail) markers(a Authority, actual Cloud, cus, cgs []int) {
	var items []string
	if a != (Authority{}) {
		items = append(items, "authority", a.ID, boolText(a.Password))
	}
	for _, i := range cus {
		u := &actual.Users[i]
		m := u.Markers
		if m.ExternalDN == "" && m.ExternalSourceType == "" && !m.ExternallyManaged && m.DelegatedAuthority == "" && len(m.Restricted) == 0 && !m.Bound {
			continue
		}
		items = append(items, "user-markers", u.ID, m.ExternalDN, m.ExternalSourceType, boolText(m.ExternallyManaged),
			m.DelegatedAuthority, restrictedAll(m.Restricted), boolText(m.Bound))
	}
	for _, i := range cgs {
		if g := &actual.Groups[i]; g.Bound {
			items = append(items, "group-bound", g.ID)
		}
	}
	if len(items) > 0 {
		t.items = append(t.items, "adjc-markers-v1")
		t.items = append(t.items, items...)
	}
}

// mapped adds the opt-in fields ([Directory.Mapped]) and every user's
// values of them, which came after the markers: only when one is mapped,
// so a state without field_mapping keeps its fingerprint. Values of
// fields not mapped change no plan and are left out.
func (t *fpTail) mapped(desired Directory, actual Cloud, users, cus []int) {
	if len(desired.Mapped) == 0 {
		return
	}
	m := slices.Clone(desired.Mapped)
	slices.Sort(m)
	m = slices.Compact(m)
	items := []string{"mapped", strings.Join(m, ",")}
	for _, i := range users {
		if u := &desired.Users[i]; len(u.Attrs) > 0 {
			items = append(items, "ad-attrs", strings.ToLower(u.GUID), attrsText(u.Attrs, m))
		}
	}
	for _, i := range cus {
		if u := &actual.Users[i]; len(u.Attrs) > 0 {
			items = append(items, "jc-attrs", u.ID, attrsText(u.Attrs, m))
		}
	}
	if len(items) > 0 {
		t.items = append(t.items, "adjc-mapped-v1")
		t.items = append(t.items, items...)
	}
}

// attrsText encodes the mapped keys of a field map in key order,
// length-prefixed so no two maps share an encoding.
func attrsText(m map[string]string, mapped []string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if _, ok := slices.BinarySearch(mapped, k); !ok {
			continue
		}
		fmt.Fprintf(&b, "%d:%s%d:%s", len(k), k, len(m[k]), m[k])
	}
	return b.String()
}

// restrictedAll encodes every restrictedFields entry, whatever its type,
// sorted: entries of other authorities change what a write keeps.
func restrictedAll(rs []RestrictedField) string {
	l := make([]string, 0, len(rs))
	for _, r := range rs {
		l = append(l, r.Type+"\x00"+r.ID+"\x00"+r.Field)
	}
	slices.Sort(l)
	return strings.Join(l, "\x01")
}

func (t *fpTail) write(e *fpEncoder) {
	if len(t.items) == 0 {
		return
	}
	e.str("adjc-fingerprint-tail-v1")
	e.int(len(t.items))
	for _, s := range t.items {
		e.str(s)
	}
}

// sortedIdx returns 0..n-1 ordered by key, leaving the caller's slice as is.
func sortedIdx(n int, key func(int) string) []int {
	idx := make([]int, n)
	keys := make([]string, n)
	for i := range idx {
		idx[i], keys[i] = i, key(i)
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(keys[a], keys[b]) })
	return idx
}

// fpEncoder writes length-prefixed values, so no two different inputs share
// an encoding ("ab","c" vs "a","bc"). It batches writes to the hash.
type fpEncoder struct {
	h   hash.Hash
	buf []byte
}

func (e *fpEncoder) flush() {
	e.h.Write(e.buf)
	e.buf = e.buf[:0]
}

func (e *fpEncoder) int(n int) {
	e.buf = binary.AppendVarint(e.buf, int64(n))
}

func (e *fpEncoder) str(s string) {
	e.int(len(s))
	e.buf = append(e.buf, s...)
	if len(e.buf) > 32<<10 {
		e.flush()
	}
}

func (e *fpEncoder) bool(b bool) {
	if b {
		e.int(1)
	} else {
		e.int(0)
	}
}

func (e *fpEncoder) time(t time.Time) {
	if t.IsZero() {
		e.int(0)
		return
	}
	e.int(1)
	e.int(int(t.UnixNano()))
}

// set encodes a string set in sorted order, lower-cased when fold is set
// (objectGUIDs); duplicates collapse as they do in Diff.
func (e *fpEncoder) set(v []string, fold bool) {
	s := slices.Clone(v)
	if fold {
		for i := range s {
			s[i] = strings.ToLower(s[i])
		}
	}
	slices.Sort(s)
	s = slices.Compact(s)
	e.int(len(s))
	for _, x := range s {
		e.str(x)
	}
}

// FingerprintToAD is [Fingerprint] for the JumpCloud → AD direction: the
// same bound and domain state in any order gives the same value.
func FingerprintToAD(desired Bound, actual Domain) string {
	e := fpEncoder{h: sha256.New(), buf: make([]byte, 0, 40<<10)}
	e.str("adjc-fingerprint-toad-v1")
	e.str(strings.ToLower(actual.Container))
	us := sortedIdx(len(desired.Users), func(i int) string { return desired.Users[i].ID })
	e.int(len(us))
	for _, i := range us {
		u := &desired.Users[i]
		e.str(u.ID)
		e.str(u.Username)
		e.str(u.Email)
		e.str(u.Firstname)
		e.str(u.Lastname)
		e.bool(u.Suspended)
		e.str(strings.ToLower(u.Anchor))
	}
	gs := sortedIdx(len(desired.Groups), func(i int) string { return desired.Groups[i].ID })
	e.int(len(gs))
	for _, i := range gs {
		g := &desired.Groups[i]
		e.str(g.ID)
		e.str(g.Name)
		e.str(strings.ToLower(g.Anchor))
		e.set(g.Members, false)
	}
	as := sortedIdx(len(actual.Users), func(i int) string { return strings.ToLower(actual.Users[i].GUID) })
	e.int(len(as))
	for _, i := range as {
		u := &actual.Users[i]
		e.str(strings.ToLower(u.GUID))
		e.str(u.DN)
		e.str(u.Username)
		e.str(u.GivenName)
		e.str(u.Surname)
		e.str(u.Mail)
		e.bool(u.Disabled)
		e.bool(u.Privileged)
	}
	ags := sortedIdx(len(actual.Groups), func(i int) string { return strings.ToLower(actual.Groups[i].GUID) })
	e.int(len(ags))
	for _, i := range ags {
		g := &actual.Groups[i]
		e.str(strings.ToLower(g.GUID))
		e.str(g.DN)
		e.str(g.Name)
		e.str(g.Anchor)
		e.bool(g.AnchorSlotTaken)
		e.bool(g.Privileged)
		e.set(g.Members, true)
	}
	var t fpTail
	for _, i := range gs {
		g := &desired.Groups[i]
		t.object(g.ID, "", false, false, false, g.MembersConfirmed)
	}
	for _, i := range as {
		u := &actual.Users[i]
		t.object(u.GUID, u.SID, u.Critical, u.Computer, false, false)
		if u.UPN != "" {
			// The never-touch rules match a user by UPN too.
			t.items = append(t.items, "upn", strings.ToLower(u.GUID), u.UPN)
		}
	}
	for _, i := range ags {
		g := &actual.Groups[i]
		t.object(g.GUID, g.SID, g.Critical, false, false, false)
	}
	t.neverTouch(actual.NeverTouch)
	t.write(&e)
	e.flush()
	return "sha256:" + hex.EncodeToString(e.h.Sum(nil))
}
