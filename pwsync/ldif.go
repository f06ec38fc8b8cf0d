package pwsync

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/adjc/adjc/ldapx"
)

// SambaAttributes are the attributes `samba-tool user syncpasswords
// --cache-ldb-initialize --attributes=…` must be given so that
// [ParseSambaLDIF] finds what it needs.
const SambaAttributes = "objectGUID,sAMAccountName,virtualClearTextUTF8"

// ParseSambaLDIF reads the LDIF of one object that `samba-tool user
// syncpasswords` hands its --script on stdin, and returns the change it
// describes. ok is false when the object carries no cleartext: samba-tool
// also calls the script for a rename or a userAccountControl change, and
// for passwords set before the GnuPG key was configured.
//
// The cleartext arrives base64-encoded (virtualClearTextUTF8:: …), is
// decoded into a fresh slice, and every buffer that held it is cleared
// before return, on every path.
func ParseSambaLDIF(r io.Reader) (req Request, ok bool, err error) {
	raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
	defer clear(raw)
	if err != nil {
		return Request{}, false, fmt.Errorf("read ldif: %w", err)
	}
	// Unfold: a line that starts with one space continues the previous one
	// (RFC 2849).
	unfolded := bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n "), nil)
	defer clear(unfolded)
	var guid, sam string
	var pw []byte
	// bytes.Split, not a Scanner: the lines are views of unfolded (cleared
	// above), with no copy of the password left in a scanner's buffer.
	for _, line := range bytes.Split(unfolded, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		name, value, b64 := cutLDIF(line)
		switch strings.ToLower(name) {
		case "objectguid":
			v := value
			if b64 {
				d, err := base64.StdEncoding.DecodeString(value)
				if err != nil {
					return Request{}, false, fmt.Errorf("ldif: objectGUID is not base64")
				}
				if len(d) == 16 {
					if v, err = ldapx.GUIDString(d); err != nil {
						return Request{}, false, fmt.Errorf("ldif: objectGUID: %w", err)
					}
				} else {
					v = string(d)
				}
			}
			if guid, err = canonicalGUID(v); err != nil {
				return Request{}, false, fmt.Errorf("ldif: objectGUID %q: %w", v, err)
			}
		case "samaccountname":
			if b64 {
				d, err := base64.StdEncoding.DecodeString(value)
				if err != nil {
					return Request{}, false, fmt.Errorf("ldif: sAMAccountName is not base64")
				}
				value = string(d)
			}
			sam = value
		case "virtualcleartextutf8":
			clear(pw)
			enc := line[len(line)-len(value):]
			if !b64 {
				pw = bytes.Clone(enc) // plain ASCII without leading space or colon
				continue
			}
			pw = make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
			n, err := base64.StdEncoding.Decode(pw, enc)
			if err != nil {
				clear(pw)
				return Request{}, false, fmt.Errorf("ldif: virtualClearTextUTF8 is not base64")
			}
			pw = pw[:n]
		}
	}
	if guid == "" {
		clear(pw)
		return Request{}, false, fmt.Errorf("ldif: no objectGUID (initialise the cache with --attributes=%s)", SambaAttributes)
	}
	if len(pw) == 0 {
		return Request{}, false, nil
	}
	return Request{Op: OpNotify, ID: ID{GUID: guid}, Account: sam, Password: pw}, true, nil
}

// cutLDIF splits "name: value" or "name:: base64". The value is returned as a
// string only for the caller's non-secret attributes; the caller slices line
// itself for the password.
func cutLDIF(line []byte) (name, value string, b64 bool) {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return "", "", false
	}
	name = string(line[:i])
	rest := line[i+1:]
	if len(rest) > 0 && rest[0] == ':' {
		b64 = true
		rest = rest[1:]
	}
	rest = bytes.TrimLeft(rest, " ")
	if strings.EqualFold(name, "virtualClearTextUTF8") {
		// Not copied into a string: only its length matters to the caller.
		return name, strings.Repeat("x", len(rest)), b64
	}
	return name, string(rest), b64
}

func canonicalGUID(s string) (string, error) { return ldapx.CanonicalGUID(s) }
