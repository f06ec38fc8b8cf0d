package pwsync

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MaxField bounds one netstring's payload. A password longer than AD's own
// limit (256 UTF-16 characters for unicodePwd, at most 1 kB of UTF-8) is no
// password a DC accepted, so a larger field is a broken or hostile client.
const MaxField = 1024

// maxFields bounds the netstrings of one frame.
const maxFields = 8

// ErrFrame reports input that is not a well-formed frame.
var ErrFrame = errors.New("pwsync: malformed frame")

// WriteFrame writes fields as one frame: a netstring each, then "0:,".
// An empty field cannot be sent (it would end the frame); callers send "-".
func WriteFrame(w io.Writer, fields ...[]byte) error {
	buf := make([]byte, 0, 64)
	for _, f := range fields {
		if len(f) == 0 || len(f) > MaxField {
			return fmt.Errorf("%w: field of %d bytes (want 1..%d)", ErrFrame, len(f), MaxField)
		}
		buf = strconv.AppendInt(buf, int64(len(f)), 10)
		buf = append(buf, ':')
		buf = append(buf, f...)
		buf = append(buf, ',')
	}
	buf = append(buf, "0:,"...)
	_, err := w.Write(buf)
	clear(buf) // it held the password in a request
	return err
}

// ReadFrame reads one frame. It returns io.EOF only when r ends before the
// first byte of a frame; a frame cut short is ErrFrame. The caller owns the
// returned slices and should clear the password field after use.
func ReadFrame(r *bufio.Reader) ([][]byte, error) {
	var fields [][]byte
	for {
		n, err := readLength(r)
		if err != nil {
			if errors.Is(err, io.EOF) && len(fields) == 0 && n == -1 {
				return nil, io.EOF
			}
			wipe(fields)
			return nil, err
		}
		if n == 0 {
			if c, err := r.ReadByte(); err != nil || c != ',' {
				wipe(fields)
				return nil, fmt.Errorf("%w: missing ',' after the end mark", ErrFrame)
			}
			return fields, nil
		}
		if len(fields) == maxFields {
			wipe(fields)
			return nil, fmt.Errorf("%w: more than %d fields", ErrFrame, maxFields)
		}
		b := make([]byte, n+1)
		if _, err := io.ReadFull(r, b); err != nil || b[n] != ',' {
			clear(b)
			wipe(fields)
			return nil, fmt.Errorf("%w: field cut short or missing ','", ErrFrame)
		}
		fields = append(fields, b[:n])
	}
}

// readLength reads "<digits>:" and returns the number; -1 with io.EOF when r
// ends before any digit.
func readLength(r *bufio.Reader) (int, error) {
	n, digits := 0, 0
	for {
		c, err := r.ReadByte()
		if err != nil {
			if digits == 0 && errors.Is(err, io.EOF) {
				return -1, io.EOF
			}
			return 0, fmt.Errorf("%w: length cut short", ErrFrame)
		}
		switch {
		case c >= '0' && c <= '9':
			if digits > 0 && n == 0 {
				return 0, fmt.Errorf("%w: leading zero in a length", ErrFrame)
			}
			n = n*10 + int(c-'0')
			digits++
			if n > MaxField {
				return 0, fmt.Errorf("%w: field longer than %d bytes", ErrFrame, MaxField)
			}
		case c == ':' && digits > 0:
			return n, nil
		default:
			return 0, fmt.Errorf("%w: unexpected byte %q in a length", ErrFrame, c)
		}
	}
}

func wipe(fields [][]byte) {
	for _, f := range fields {
		clear(f)
	}
}

// Ops of a request.
const (
	OpNotify = "notify"
	OpFilter = "filter"
)

// Reply statuses.
const (
	ReplyQueued  = "queued"
	ReplyOK      = "ok"
	ReplyRefused = "refused"
	ReplyError   = "error"
)

// Request is a decoded request frame. Password is the caller's to clear.
type Request struct {
	Op      string
	ID      ID
	Account string
	// Password is the UTF-8 cleartext. It is a byte slice so that it can be
	// zeroed (clear) once the change is done.
	Password []byte
}

// ID names the AD account: by objectGUID (Samba) or by relative id (the
// Windows filter, which LSA gives only the RID and the account name).
type ID struct {
	GUID string // canonical lower-case objectGUID, or ""
	RID  uint32 // relative id, or 0
}

func (id ID) String() string {
	if id.GUID == "" && id.RID == 0 {
		return "-"
	}
	if id.GUID != "" {
		return "guid:" + id.GUID
	}
	return "rid:" + strconv.FormatUint(uint64(id.RID), 10)
}

// ParseID reads "guid:<objectGUID>" or "rid:<n>".
func ParseID(s string) (ID, error) {
	switch {
	case len(s) > 5 && s[:5] == "guid:":
		g, err := canonicalGUID(s[5:])
		if err != nil {
			return ID{}, fmt.Errorf("%w: id %q: %v", ErrFrame, s, err)
		}
		return ID{GUID: g}, nil
	case len(s) > 4 && s[:4] == "rid:":
		n, err := strconv.ParseUint(s[4:], 10, 32)
		if err != nil || n == 0 {
			return ID{}, fmt.Errorf("%w: id %q is not rid:<1..4294967295>", ErrFrame, s)
		}
		return ID{RID: uint32(n)}, nil
	}
	return ID{}, fmt.Errorf("%w: id %q (want guid:<objectGUID> or rid:<n>)", ErrFrame, s)
}

// EncodeRequest writes req as a frame.
func EncodeRequest(w io.Writer, req Request) error {
	acct := req.Account
	if acct == "" {
		acct = "-"
	}
	return WriteFrame(w, []byte(req.Op), []byte(req.ID.String()), []byte(acct), req.Password)
}

// DecodeRequest reads one request frame; io.EOF at a clean end of input.
func DecodeRequest(r *bufio.Reader) (Request, error) {
	f, err := ReadFrame(r)
	if err != nil {
		return Request{}, err
	}
	if len(f) != 4 {
		wipe(f)
		return Request{}, fmt.Errorf("%w: %d fields, want 4 (op, id, account, password)", ErrFrame, len(f))
	}
	req := Request{Op: string(f[0]), Account: string(f[2]), Password: f[3]}
	if req.Op != OpNotify && req.Op != OpFilter {
		clear(f[3])
		return Request{}, fmt.Errorf("%w: op %q (want notify or filter)", ErrFrame, req.Op)
	}
	// A filter request comes before the DC has stored anything, from
	// PasswordFilter, which LSA gives the account name but no RID: "-".
	if !(req.Op == OpFilter && string(f[1]) == "-") {
		if req.ID, err = ParseID(string(f[1])); err != nil {
			clear(f[3])
			return Request{}, err
		}
	}
	if req.Account == "-" {
		req.Account = ""
	}
	return req, nil
}

// Reply is a decoded reply frame.
type Reply struct{ Status, Message string }

// EncodeReply writes a reply frame.
func EncodeReply(w io.Writer, rp Reply) error {
	msg := rp.Message
	if msg == "" {
		msg = "-"
	}
	if len(msg) > MaxField {
		msg = msg[:MaxField]
	}
	return WriteFrame(w, []byte(rp.Status), []byte(msg))
}

// DecodeReply reads a reply frame.
func DecodeReply(r *bufio.Reader) (Reply, error) {
	f, err := ReadFrame(r)
	if err != nil {
		return Reply{}, err
	}
	if len(f) != 2 {
		return Reply{}, fmt.Errorf("%w: reply of %d fields, want 2", ErrFrame, len(f))
	}
	rp := Reply{Status: string(f[0]), Message: string(f[1])}
	if rp.Message == "-" {
		rp.Message = ""
	}
	return rp, nil
}
