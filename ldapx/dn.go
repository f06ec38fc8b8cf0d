package ldapx

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

// RDN returns the relative distinguished name attr=value, with value escaped
// per RFC 4514 §2.4: the characters " + , ; < > \ anywhere, '#' or a space at
// the start, a space at the end, and control characters (as \XX). Valid
// non-ASCII UTF-8 is kept as is, which is how AD returns it; bytes that are
// not valid UTF-8 are hex-escaped so they survive a round trip.
//
// attr is an attribute name chosen by code (CN, OU, DC), never user input.
func RDN(attr, value string) string {
	var s strings.Builder
	s.Grow(len(attr) + 1 + len(value) + 8)
	s.WriteString(attr)
	s.WriteByte('=')
	s.WriteString(EscapeRDNValue(value))
	return s.String()
}

// EscapeRDNValue escapes one attribute value for use in a DN; see [RDN].
func EscapeRDNValue(value string) string {
	var s strings.Builder
	for i := 0; i < len(value); {
		c := value[i]
		switch {
		case c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\':
			s.WriteByte('\\')
			s.WriteByte(c)
		case i == 0 && (c == ' ' || c == '#'):
			s.WriteByte('\\')
			s.WriteByte(c)
		case i == len(value)-1 && c == ' ':
			s.WriteByte('\\')
			s.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&s, `\%02X`, c)
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(value[i:])
			if r == utf8.RuneError && size <= 1 {
				fmt.Fprintf(&s, `\%02X`, c)
				i++
				continue
			}
			s.WriteString(value[i : i+size])
			i += size
			continue
		default:
			s.WriteByte(c)
		}
		i++
	}
	return s.String()
}

// JoinDN joins an RDN (from [RDN]) and its parent DN.
func JoinDN(rdn, parent string) string {
	if parent == "" {
		return rdn
	}
	return rdn + "," + parent
}

// EqualityFilter returns (attr=value) with value escaped by [ldap.EscapeFilter],
// so that no value can add clauses or wildcards to a filter.
func EqualityFilter(attr, value string) string {
	return "(" + attr + "=" + ldap.EscapeFilter(value) + ")"
}

// normDN returns a comparison key for a DN: AD compares DNs without regard to
// case, and the same DN can be spelt with different escapes (\, or \2C) or
// spaces around separators. Unparseable input falls back to lower case.
//
// Most DNs need no parsing: AD prints them without escapes or spaces around
// separators, and the walk normalises every member value it sees (35,000
// on scripts/bench's fixture, where ParseDN was 14 % of the AD read's CPU),
// so such DNs are only lower-cased; plainDN says which. FuzzNormDN checks
// that both ways agree.
func normDN(dn string) string {
	if plainDN(dn) {
		return strings.ToLower(dn)
	}
	return parsedNormDN(dn)
}

// plainDN reports whether formatDN(ParseDN(dn)) would give dn back, up to
// case: one '=' per RDN, nothing to unescape or escape (\ " + ; # < >,
// control characters, invalid UTF-8) and no spaces around separators or at
// either end.
func plainDN(dn string) bool {
	if dn == "" || dn[0] == ' ' || dn[len(dn)-1] == ' ' {
		return false
	}
	eq, comma := 0, 0
	for i := 0; i < len(dn); i++ {
		switch b := dn[i]; b {
		case '\\', '"', '+', ';', '#', '<', '>':
			return false
		case '=', ',':
			if b == '=' {
				eq++
			} else {
				comma++
			}
			if (i > 0 && dn[i-1] == ' ') || (i+1 < len(dn) && dn[i+1] == ' ') {
				return false
			}
		default:
			if b < 0x20 || b == 0x7f {
				return false
			}
		}
	}
	return eq == comma+1 && utf8.ValidString(dn)
}

func parsedNormDN(dn string) string {
	p, err := ldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(dn)
	}
	return strings.ToLower(formatDN(p.RDNs))
}

// formatDN writes RDNs back as a string with [EscapeRDNValue] escaping
// (go-ldap's DN.String hex-escapes every non-ASCII byte, which AD accepts but
// never prints).
func formatDN(rdns []*ldap.RelativeDN) string {
	var s strings.Builder
	for i, rdn := range rdns {
		if i > 0 {
			s.WriteByte(',')
		}
		for j, a := range rdn.Attributes {
			if j > 0 {
				s.WriteByte('+')
			}
			s.WriteString(a.Type)
			s.WriteByte('=')
			s.WriteString(EscapeRDNValue(a.Value))
		}
	}
	return s.String()
}

// ParentDN returns the DN without its first RDN, or "" for a single RDN.
func ParentDN(dn string) string {
	p, err := ldap.ParseDN(dn)
	if err != nil || len(p.RDNs) < 2 || !validTypes(p) {
		return ""
	}
	return formatDN(p.RDNs[1:])
}

// validTypes reports whether every attribute type in dn is a name or an OID,
// as a directory's are (RFC 4512 descr / numericoid). go-ldap also parses
// types such as `\ 0`, whose printed form does not parse back the same, so
// a DN holding one has no parent adjc would trust.
func validTypes(dn *ldap.DN) bool {
	for _, r := range dn.RDNs {
		for _, a := range r.Attributes {
			if !attrType.MatchString(a.Type) {
				return false
			}
		}
	}
	return true
}

var attrType = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)*)$`)
