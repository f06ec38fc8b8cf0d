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
// the two sides as direction dir reads them: the same users, groups and
// members in any order give the same fingerprint, and any change that could
// alter a plan of that direction gives another. A saved plan records it so
// that `import --plan` and `sync --plan` can refuse a plan whose state has
// moved since it was made. Fingerprint does not modify its inputs.
//
// One encoding serves both directions. The mapped fields it covers are the
// ones dir carries in [Fields] ([Direction.Carries]); identities, never-touch
// facts and confirmations are covered in both; password dates and the
// AD-managed markers only towards JumpCloud, the one direction that reads
// them (a saved sync plan is not refused for a password change).
func Fingerprint(dir Direction, ad Directory, jc Cloud) string {
	imp := dir == ToJumpCloud
	var userFields, groupFields []fpField
	for _, f := range Fields {
		if !dir.Carries(f) || f.OptIn {
			// Opt-in fields are encoded with the mapping that names
			// them ([fpEncoder.mapped]).
			continue
		}
		v, ok := fpValues[f.Object][f.Name]
		if !ok {
			// A table field no fingerprint reads: TestFingerprintCoversEveryField
			// fails until fpValues has it.
			continue
		}
		if f.Object == KindUser {
			userFields = append(userFields, v)
		} else {
			groupFields = append(groupFields, v)
		}
	}

	e := fpEncoder{h: sha256.New(), buf: make([]byte, 0, 40<<10)}
	e.str("adjc-fingerprint-v2")
	e.str(string(dir))
	e.str(strings.ToLower(ad.Container))

	users := sortedIdx(len(ad.Users), func(i int) string { return strings.ToLower(ad.Users[i].GUID) })
	e.int(len(users))
	for _, i := range users {
		u := &ad.Users[i]
		e.str(strings.ToLower(u.GUID))
		e.str(u.DN)
		e.str(u.UPN)
		e.str(u.SID)
		e.bool(u.Critical)
		e.bool(u.Computer)
		e.bool(u.Privileged)
		for _, f := range userFields {
			if f.adUser != nil {
				e.str(f.adUser(u))
			}
		}
		if imp {
			e.time(u.PwdLastSet)
		}
	}
	groups := sortedIdx(len(ad.Groups), func(i int) string { return strings.ToLower(ad.Groups[i].GUID) })
	e.int(len(groups))
	for _, i := range groups {
		g := &ad.Groups[i]
		e.str(strings.ToLower(g.GUID))
		e.str(g.DN)
		for _, f := range groupFields {
			if f.adGroup != nil {
				e.str(f.adGroup(g))
			}
		}
		e.str(g.Anchor)
		e.bool(g.AnchorSlotTaken)
		e.str(g.SID)
		e.bool(g.Critical)
		e.bool(g.Privileged)
		e.bool(g.Scope)
		e.bool(g.MembersConfirmed)
		e.set(g.Members, true)
	}
	e.set(ad.Admins, true)
	e.set(ad.NestedAdmins, true)
	e.int(len(ad.Cycles))
	for _, c := range ad.Cycles {
		e.int(len(c.Path))
		for _, p := range c.Path {
			e.str(p)
		}
	}
	// Reader skips are reports, not inputs to any decision: left out.
	e.neverTouch(ad.NeverTouch)
	e.str(ad.Authority.ID)
	e.bool(ad.Authority.Password)
	e.str(string(ad.Authority.Delegation))

	cus := sortedIdx(len(jc.Users), func(i int) string { return jc.Users[i].ID })
	e.int(len(cus))
	for _, i := range cus {
		u := &jc.Users[i]
		e.str(u.ID)
		e.str(strings.ToLower(u.Anchor))
		for _, f := range userFields {
			if f.cloudUser != nil {
				e.str(f.cloudUser(u))
			}
		}
		if imp {
			e.time(u.PasswordDate)
			m := u.Markers
			e.str(m.ExternalDN)
			e.str(m.ExternalSourceType)
			e.bool(m.ExternallyManaged)
			e.str(m.DelegatedAuthority)
			e.str(restrictedAll(m.Restricted))
			e.bool(m.Bound)
			e.bool(u.Staged)
		}
	}
	cgs := sortedIdx(len(jc.Groups), func(i int) string { return jc.Groups[i].ID })
	e.int(len(cgs))
	for _, i := range cgs {
		g := &jc.Groups[i]
		e.str(g.ID)
		e.str(strings.ToLower(g.Anchor))
		for _, f := range groupFields {
			if f.cloudGroup != nil {
				e.str(f.cloudGroup(g))
			}
		}
		e.bool(g.MembersConfirmed)
		if imp {
			e.bool(g.Bound)
		}
		e.set(g.Members, false)
	}
	if imp {
		e.mapped(ad, jc, users, cus)
	}
	e.flush()
	return "sha256:" + hex.EncodeToString(e.h.Sum(nil))
}

// mapped encodes the opt-in fields import carries ([Directory.Mapped]) and
// every user's values of them on both sides. Values of fields not mapped
// change no plan and are left out.
func (e *fpEncoder) mapped(ad Directory, jc Cloud, users, cus []int) {
	m := slices.Clone(ad.Mapped)
	slices.Sort(m)
	m = slices.Compact(m)
	e.int(len(m))
	for _, name := range m {
		e.str(name)
	}
	if len(m) == 0 {
		return
	}
	for _, i := range users {
		e.str(attrsText(ad.Users[i].Attrs, m))
	}
	for _, i := range cus {
		e.str(attrsText(jc.Users[i].Attrs, m))
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

// fpField reads one mapped field's value on each side for [Fingerprint]; a
// nil function is a side that does not hold the field (AD holds `sudo` as
// membership of the admins group, which [Directory.Admins] covers).
type fpField struct {
	adUser     func(*ADUser) string
	cloudUser  func(*CloudUser) string
	adGroup    func(*ADGroup) string
	cloudGroup func(*CloudGroup) string
}

// fpValues has an entry for each field of [Fields], by object and name:
// where the value of the field lives in the engine's values.
var fpValues = map[Kind]map[string]fpField{
	KindUser: {
		FieldUsername: {
			adUser:    func(u *ADUser) string { return u.Username },
			cloudUser: func(u *CloudUser) string { return u.Username },
		},
		FieldEmail: {
			adUser:    func(u *ADUser) string { return u.Mail },
			cloudUser: func(u *CloudUser) string { return u.Email },
		},
		FieldFirstname: {
			adUser:    func(u *ADUser) string { return u.GivenName },
			cloudUser: func(u *CloudUser) string { return u.Firstname },
		},
		FieldLastname: {
			adUser:    func(u *ADUser) string { return u.Surname },
			cloudUser: func(u *CloudUser) string { return u.Lastname },
		},
		FieldSuspended: {
			adUser:    func(u *ADUser) string { return boolText(u.Disabled) },
			cloudUser: func(u *CloudUser) string { return boolText(u.Suspended) },
		},
		FieldAdmin: {
			cloudUser: func(u *CloudUser) string { return boolText(u.Admin) },
		},
	},
	KindGroup: {
		FieldName: {
			adGroup:    func(g *ADGroup) string { return g.Name },
			cloudGroup: func(g *CloudGroup) string { return g.Name },
		},
	},
}

// neverTouch encodes the never-touch set, entries sorted.
func (e *fpEncoder) neverTouch(nt NeverTouch) {
	e.str(strings.ToLower(nt.Scope))
	ms := make([]string, 0, len(nt.Entries))
	for _, p := range nt.Entries {
		ms = append(ms, strings.ToLower(p.Match)+"\x00"+p.Why)
	}
	slices.Sort(ms)
	e.int(len(ms))
	for _, m := range ms {
		e.str(m)
	}
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
