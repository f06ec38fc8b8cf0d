package ldapx

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// valueRange is the range option of an attribute description, as in
// "member;range=1500-2999" (last false) or "member;range=3000-*" (last true).
type valueRange struct {
	Attr string // the attribute without options, e.g. "member"
	Low  int
	High int // -1 when last
	Last bool
}

// parseRange parses an attribute description with a range option. AD
// (MaxValRange, 1500 by default) returns "member;range=0-1499" instead of
// "member" when a group has more values than that, and the client asks for
// "member;range=1500-*" next; the final chunk ends in "*". ok is false when
// the description has no range option (the server sent every value).
func parseRange(desc string) (r valueRange, ok bool) {
	parts := strings.Split(desc, ";")
	r.Attr = parts[0]
	for _, opt := range parts[1:] {
		v, found := cutPrefixFold(opt, "range=")
		if !found {
			continue
		}
		lo, hi, found := strings.Cut(v, "-")
		if !found {
			return valueRange{}, false
		}
		low, err := strconv.Atoi(lo)
		if err != nil || low < 0 {
			return valueRange{}, false
		}
		r.Low = low
		if hi == "*" {
			r.High, r.Last = -1, true
			return r, true
		}
		high, err := strconv.Atoi(hi)
		if err != nil || high < low {
			return valueRange{}, false
		}
		r.High = high
		return r, true
	}
	return r, false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// membersFromEntry returns the member values an entry carries and, when AD
// split them, the index of the next value to ask for.
func membersFromEntry(e *ldap.Entry) (vals []string, next int, more bool) {
	for _, a := range e.Attributes {
		r, ranged := parseRange(a.Name)
		if !strings.EqualFold(r.Attr, "member") {
			continue
		}
		if !ranged || r.Last {
			return a.Values, 0, false
		}
		return a.Values, r.High + 1, true
	}
	return nil, 0, false
}

// Members returns every value of the group's member attribute, asking for
// it in ranges: step values at a time ("member;range=0-<step-1>"), or, with
// step 0, as many as the server will give ("member;range=0-*"). Windows AD
// then answers in chunks of MaxValRange; Samba answers with all values.
func (c *Conn) Members(ctx context.Context, dn string, step int) ([]string, error) {
	return c.membersFrom(ctx, dn, 0, step)
}

func (c *Conn) membersFrom(ctx context.Context, dn string, start, step int) ([]string, error) {
	var out []string
	for {
		hi := "*"
		if step > 0 {
			hi = strconv.Itoa(start + step - 1)
		}
		attr := fmt.Sprintf("member;range=%d-%s", start, hi)
		e, err := c.readEntry(ctx, dn, "", []string{attr})
		if err != nil {
			return nil, err
		}
		var got *ldap.EntryAttribute
		var r valueRange
		var ranged bool
		for _, a := range e.Attributes {
			rr, ok := parseRange(a.Name)
			if strings.EqualFold(rr.Attr, "member") {
				got, r, ranged = a, rr, ok
				break
			}
		}
		switch {
		case got == nil:
			// No values in [start, …]: the previous chunk was the last, or
			// the group is empty.
			return out, nil
		case !ranged:
			// The server ignored the range and sent every value.
			if start < len(got.Values) {
				out = append(out, got.Values[start:]...)
			}
			return out, nil
		}
		out = append(out, got.Values...)
		if r.Last {
			return out, nil
		}
		if r.High < start {
			return nil, &Error{Op: "read members", DN: dn, Attribute: "member", Reason: "the server returned range " + got.Name + " for a request from " + strconv.Itoa(start)}
		}
		start = r.High + 1
	}
}
