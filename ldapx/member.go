package ldapx

import (
	"context"
	"fmt"
	"slices"
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
//
// Each chunk must start where it was asked to, hold as many values as its
// range says, and repeat no value already read; otherwise the read fails
// with [ErrInconsistentRead] rather than return a member list with holes
// or doubles.
func (c *Conn) Members(ctx context.Context, dn string, step int) ([]string, error) {
	return c.membersFrom(ctx, dn, nil, 0, step)
}

// membersFrom reads the member values from index start on, after the
// values prior already read.
func (c *Conn) membersFrom(ctx context.Context, dn string, prior []string, start, step int) ([]string, error) {
	out := slices.Clone(prior)
	seen := make(map[string]bool, len(prior))
	inconsistent := func(reason string) error {
		return &Error{Op: "read members", DN: dn, Attribute: "member", Kind: ErrInconsistentRead, Reason: reason,
			Hint: "nothing was planned from this read; the next run reads again"}
	}
	for _, v := range prior {
		if seen[normDN(v)] {
			return nil, inconsistent("the server returned member " + v + " twice")
		}
		seen[normDN(v)] = true
	}
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
		var vals []string
		switch {
		case got == nil:
			// No values in [start, …]: the previous chunk was the last, or
			// the group is empty.
			return out, nil
		case !ranged:
			// The server ignored the range and sent every value.
			if start < len(got.Values) {
				vals = got.Values[start:]
			}
		case r.Low != start:
			return nil, inconsistent(fmt.Sprintf("the server returned range %s for a request from %d", got.Name, start))
		case !r.Last && len(got.Values) != r.High-r.Low+1:
			return nil, inconsistent(fmt.Sprintf("range %s held %d values", got.Name, len(got.Values)))
		default:
			vals = got.Values
		}
		for _, v := range vals {
			k := normDN(v)
			if seen[k] {
				return nil, inconsistent(fmt.Sprintf("range %s repeated member %s", got.Name, v))
			}
			seen[k] = true
		}
		out = append(out, vals...)
		if !ranged || r.Last {
			return out, nil
		}
		start = r.High + 1
	}
}
