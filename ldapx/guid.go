package ldapx

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// GUIDString converts a raw 16-byte objectGUID to its canonical string,
// e.g. "0d5f1a2b-3c4d-5e6f-8091-a2b3c4d5e6f7", as AD tools print it.
//
// The first three fields of a Windows GUID are stored little-endian, so the
// canonical form reverses bytes 0-3, 4-5 and 6-7; the last eight bytes are
// printed in order. A byte-order UUID parser (uuid.FromBytes) gets the first
// half wrong.
func GUIDString(raw []byte) (string, error) {
	if len(raw) != 16 {
		return "", fmt.Errorf("ldapx: objectGUID has %d bytes, want 16", len(raw))
	}
	var b [16]byte
	b[0], b[1], b[2], b[3] = raw[3], raw[2], raw[1], raw[0]
	b[4], b[5] = raw[5], raw[4]
	b[6], b[7] = raw[7], raw[6]
	copy(b[8:], raw[8:])
	var s strings.Builder
	s.Grow(36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s.WriteByte('-')
		}
		s.WriteString(hex.EncodeToString([]byte{c}))
	}
	return s.String(), nil
}

// GUIDBytes is the inverse of [GUIDString]: it parses a canonical GUID
// (with or without braces, any case) into the 16 bytes AD stores.
func GUIDBytes(guid string) ([]byte, error) {
	s := strings.TrimSuffix(strings.TrimPrefix(guid, "{"), "}")
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return nil, fmt.Errorf("ldapx: %q is not a GUID", guid)
	}
	b, err := hex.DecodeString(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36])
	if err != nil {
		return nil, fmt.Errorf("ldapx: %q is not a GUID", guid)
	}
	raw := make([]byte, 16)
	raw[0], raw[1], raw[2], raw[3] = b[3], b[2], b[1], b[0]
	raw[4], raw[5] = b[5], b[4]
	raw[6], raw[7] = b[7], b[6]
	copy(raw[8:], b[8:])
	return raw, nil
}

// CanonicalGUID returns guid in canonical lower-case form, or an error if it
// is not a GUID.
func CanonicalGUID(guid string) (string, error) {
	raw, err := GUIDBytes(guid)
	if err != nil {
		return "", err
	}
	return GUIDString(raw)
}

// GUIDFilter returns the filter (objectGUID=\xx\xx…) that matches the object
// with this canonical GUID. Every byte is escaped, as binary attributes need.
func GUIDFilter(guid string) (string, error) {
	raw, err := GUIDBytes(guid)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	s.WriteString("(objectGUID=")
	for _, c := range raw {
		fmt.Fprintf(&s, `\%02x`, c)
	}
	s.WriteByte(')')
	return s.String(), nil
}

// SIDString converts a binary objectSid to its string form, e.g.
// "S-1-5-21-1004336348-1177238915-682003330-512".
func SIDString(raw []byte) (string, error) {
	if len(raw) < 8 {
		return "", fmt.Errorf("ldapx: objectSid has %d bytes, want at least 8", len(raw))
	}
	n := int(raw[1])
	if len(raw) != 8+4*n {
		return "", fmt.Errorf("ldapx: objectSid has %d bytes for %d sub-authorities", len(raw), n)
	}
	// The identifier authority is a 48-bit big-endian number; the
	// sub-authorities that follow are 32-bit little-endian.
	var auth uint64
	for _, c := range raw[2:8] {
		auth = auth<<8 | uint64(c)
	}
	var s strings.Builder
	s.WriteString("S-")
	s.WriteString(strconv.Itoa(int(raw[0])))
	s.WriteByte('-')
	s.WriteString(strconv.FormatUint(auth, 10))
	for i := range n {
		s.WriteByte('-')
		s.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(raw[8+4*i:])), 10))
	}
	return s.String(), nil
}
