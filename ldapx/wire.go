package ldapx

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// wire is a second connection to the DC that carries the paged searches of
// a full read ([Conn.ReadScope]), and decodes the entries of their answers
// straight from the bytes of each message.
//
// Why: go-ldap reads every message through asn1-ber, which allocates a
// packet, a bytes.Buffer and a 512-byte io.ReadAll buffer for each value,
// and copies each element's bytes again into each of its parents. Profiled
// on the 10,000-user bench (scripts/bench, ADJC_BENCH_NOOP_CPUPROFILE),
// that reader was 1.25 s of a no-op import's 3.3 s of CPU, most of the rest
// being the garbage collector it kept busy. Here one message is one
// allocation, each value one string; everything but entries (the bind,
// a search's final result and its controls) still goes through
// asn1-ber, which is rare and small.
//
// A paged search's cookie belongs to the connection that issued it (Active
// Directory keeps its paging state per connection), so a search chooses
// the wire or go-ldap's connection at its first page and keeps it.
type wire struct {
	mu        sync.Mutex
	nc        net.Conn
	r         *bufio.Reader
	id        int64
	opTimeout time.Duration
	broken    error // set once a round trip failed midway: the stream is lost
}

// maxMessage bounds one LDAP message read from the DC (an entry with every
// attribute of a large group is a few MB).
const maxMessage = 256 << 20

// dialWire opens the wire with opts, as [Dial] opens a connection, and
// binds it the same way.
func dialWire(ctx context.Context, opts Options, transport Transport) (*wire, error) {
	nc, _, err := dialNet(ctx, opts)
	if err != nil {
		return nil, err
	}
	w := &wire{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), opTimeout: opts.OpTimeout}
	if opts.BindDN != "" {
		if !transport.Encrypted() && !opts.AllowPlaintext {
			nc.Close()
			return nil, &Error{Op: "bind", DN: opts.BindDN, Kind: ErrPlaintext}
		}
		if err := w.bind(ctx, opts.BindDN, opts.Password.Reveal()); err != nil {
			nc.Close()
			return nil, wrapError("bind", opts.BindDN, "", err)
		}
	}
	return w, nil
}

func (w *wire) close() {
	if w != nil {
		w.nc.Close()
	}
}

// bind sends a simple bind (RFC 4511 §4.2) and checks its result.
func (w *wire) bind(ctx context.Context, dn, password string) error {
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationBindRequest, nil, "Bind Request")
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 3, "Version"))
	req.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, dn, "User Name"))
	req.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, password, "Password"))
	return w.roundTrip(ctx, req, nil, func(tag byte, msg []byte, body int) (bool, error) {
		if tag != 0x61 { // [APPLICATION 1] BindResponse
			return false, fmt.Errorf("ldap: unexpected message (tag %#x) instead of the bind response", tag)
		}
		p, err := ber.DecodePacketErr(msg)
		if err != nil {
			return false, err
		}
		return true, ldap.GetLDAPError(p)
	})
}

// page runs one page of a search and returns it whole: its entries, the
// controls of its final result, and the result's error. A network error
// breaks the wire for good.
func (w *wire) page(ctx context.Context, req *ldap.SearchRequest) (*wirePage, error) {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchRequest, nil, "Search Request")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, req.BaseDN, "Base DN"))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, uint64(req.Scope), "Scope"))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, uint64(req.DerefAliases), "Deref Aliases"))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, uint64(req.SizeLimit), "Size Limit"))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, uint64(req.TimeLimit), "Time Limit"))
	op.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, req.TypesOnly, "Types Only"))
	filter, err := ldap.CompileFilter(req.Filter)
	if err != nil {
		return nil, err
	}
	op.AppendChild(filter)
	attrs := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Attributes")
	for _, a := range req.Attributes {
		attrs.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a, "Attribute"))
	}
	op.AppendChild(attrs)
	p := &wirePage{}
	err = w.roundTrip(ctx, op, req.Controls, func(tag byte, msg []byte, body int) (bool, error) {
		switch tag {
		case 0x64: // [APPLICATION 4] SearchResultEntry
			e, err := decodeEntry(msg[body:])
			if err != nil {
				return false, err
			}
			p.entries = append(p.entries, e)
			return false, nil
		case 0x73: // [APPLICATION 19] SearchResultReference: referrals are skipped
			return false, nil
		case 0x65: // [APPLICATION 5] SearchResultDone
			pkt, err := ber.DecodePacketErr(msg)
			if err != nil {
				return false, err
			}
			if len(pkt.Children) > 2 && pkt.Children[2].ClassType == ber.ClassContext && pkt.Children[2].Tag == 0 {
				for _, c := range pkt.Children[2].Children {
					ctl, err := ldap.DecodeControl(c)
					if err != nil {
						return false, err
					}
					p.controls = append(p.controls, ctl)
				}
			}
			p.err = ldap.GetLDAPError(pkt)
			return true, nil
		}
		return false, fmt.Errorf("ldap: unexpected message (tag %#x) in a search", tag)
	})
	return p, err
}

// roundTrip sends op (with controls) as the next message and hands each
// answer with the same message ID to each (its protocolOp tag, the whole
// message, and where the protocolOp's content starts) until each says the
// operation is done.
func (w *wire) roundTrip(ctx context.Context, op *ber.Packet, controls []ldap.Control, each func(tag byte, msg []byte, body int) (bool, error)) (err error) {
	if w.broken != nil {
		return w.broken
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w.id++
	env := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	env.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, w.id, "MessageID"))
	env.AppendChild(op)
	if len(controls) > 0 {
		cs := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "Controls")
		for _, c := range controls {
			cs.AppendChild(c.Encode())
		}
		env.AppendChild(cs)
	}
	deadline := time.Time{}
	if w.opTimeout > 0 {
		deadline = time.Now().Add(w.opTimeout)
	}
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	if err := w.nc.SetDeadline(deadline); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = w.nc.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		stop()
		if err != nil && w.broken == nil && !isResultError(err) {
			w.broken = err
			if ctx.Err() != nil {
				err = ctx.Err()
			}
		}
	}()
	if _, err := w.nc.Write(env.Bytes()); err != nil {
		return err
	}
	for {
		msg, err := readMessage(w.r)
		if err != nil {
			return err
		}
		id, tag, body, err := messageHead(msg)
		if err != nil {
			return err
		}
		if id != w.id {
			// Message 0 is an unsolicited notification (RFC 4511 §4.4):
			// the DC is hanging up. Nothing else may arrive unasked.
			return fmt.Errorf("ldap: message %d arrived while waiting for %d (the domain controller may be closing the connection)", id, w.id)
		}
		done, err := each(tag, msg, body)
		if err != nil || done {
			return err
		}
	}
}

// isResultError reports whether err is an LDAP result the DC sent, after
// which the connection is still in step.
func isResultError(err error) bool {
	var le *ldap.Error
	return errors.As(err, &le) && le.ResultCode < ldap.ErrorNetwork
}

// readMessage reads one BER-encoded LDAPMessage (a SEQUENCE) whole.
func readMessage(r *bufio.Reader) ([]byte, error) {
	hdr, err := r.Peek(2)
	if err != nil {
		return nil, err
	}
	if hdr[0] != 0x30 {
		return nil, fmt.Errorf("ldap: a message starts with tag %#x, not a SEQUENCE", hdr[0])
	}
	n, hlen := 0, 2
	switch l := int(hdr[1]); {
	case l < 0x80:
		n = l
	case l == 0x80 || l > 0x84:
		return nil, fmt.Errorf("ldap: unsupported message length form %#x", l)
	default:
		hlen += l - 0x80
		b, err := r.Peek(hlen)
		if err != nil {
			return nil, err
		}
		for _, c := range b[2:] {
			n = n<<8 | int(c)
		}
	}
	if n > maxMessage {
		return nil, fmt.Errorf("ldap: a message of %d bytes is more than %d", n, maxMessage)
	}
	msg := make([]byte, hlen+n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	return msg, nil
}

// element reads the BER element at b[i:]: its tag, where its content
// starts and where it ends. Only definite lengths are valid in LDAP.
func element(b []byte, i int) (tag byte, start, end int, err error) {
	if i+2 > len(b) {
		return 0, 0, 0, errShort
	}
	tag, l := b[i], int(b[i+1])
	start = i + 2
	if l >= 0x80 {
		k := l - 0x80
		if k == 0 || k > 4 || start+k > len(b) {
			return 0, 0, 0, errShort
		}
		l = 0
		for _, c := range b[start : start+k] {
			l = l<<8 | int(c)
		}
		start += k
	}
	end = start + l
	if l < 0 || end > len(b) {
		return 0, 0, 0, errShort
	}
	return tag, start, end, nil
}

var errShort = errors.New("ldap: a malformed message (an element runs past its parent)")

// messageHead returns an LDAPMessage's ID, its protocolOp's tag and where
// the protocolOp's content starts.
func messageHead(msg []byte) (id int64, tag byte, body int, err error) {
	_, s, e, err := element(msg, 0)
	if err != nil {
		return 0, 0, 0, err
	}
	msg = msg[:e]
	t, is, ie, err := element(msg, s)
	if err != nil || t != 0x02 || ie-is > 8 {
		return 0, 0, 0, errors.Join(errShort, err)
	}
	for k, c := range msg[is:ie] {
		if k == 0 && c&0x80 != 0 {
			id = -1
		}
		id = id<<8 | int64(c)
	}
	tag, body, _, err = element(msg, ie)
	return id, tag, body, err
}

// decodeEntry decodes a SearchResultEntry's content (RFC 4511 §4.5.2):
// objectName, then a SEQUENCE of attributes, each a SEQUENCE of a type and
// a SET of values.
func decodeEntry(b []byte) (*ldap.Entry, error) {
	t, s, e, err := element(b, 0)
	if err != nil || t != 0x04 {
		return nil, errors.Join(errShort, err)
	}
	entry := &ldap.Entry{DN: string(b[s:e])}
	t, s, end, err := element(b, e)
	if err != nil || t != 0x30 {
		return nil, errors.Join(errShort, err)
	}
	// Count the attributes first: one array holds them all.
	n := 0
	for i := s; i < end; n++ {
		_, _, next, err := element(b, i)
		if err != nil {
			return nil, err
		}
		i = next
	}
	attrs := make([]ldap.EntryAttribute, n)
	entry.Attributes = make([]*ldap.EntryAttribute, n)
	for k, i := 0, s; i < end; k++ {
		t, as, ae, err := element(b, i)
		if err != nil || t != 0x30 {
			return nil, errors.Join(errShort, err)
		}
		i = ae
		t, ns, ne, err := element(b, as)
		if err != nil || t != 0x04 {
			return nil, errors.Join(errShort, err)
		}
		t, vs, ve, err := element(b, ne)
		if err != nil || t != 0x31 {
			return nil, errors.Join(errShort, err)
		}
		nv := 0
		for j := vs; j < ve; nv++ {
			_, _, next, err := element(b, j)
			if err != nil {
				return nil, err
			}
			j = next
		}
		a := &attrs[k]
		a.Name = string(b[ns:ne])
		a.Values = make([]string, 0, nv)
		a.ByteValues = make([][]byte, 0, nv)
		for j := vs; j < ve; {
			t, s, e, err := element(b, j)
			if err != nil || t != 0x04 {
				return nil, errors.Join(errShort, err)
			}
			a.Values = append(a.Values, string(b[s:e]))
			a.ByteValues = append(a.ByteValues, b[s:e:e])
			j = e
		}
		entry.Attributes[k] = a
	}
	return entry, nil
}

// wirePage is one page read by [wire.page], as an ldap.Response answers
// go-ldap's SearchAsync: each entry, then the final result (no entry, its
// controls), then the end (with the result's error instead, if any).
type wirePage struct {
	entries  []*ldap.Entry
	controls []ldap.Control
	err      error
	i        int // 1 + the index of the entry Entry returns; len+1: the final result
}

func (p *wirePage) Next() bool {
	switch {
	case p.i < len(p.entries):
		p.i++
		return true
	case p.i == len(p.entries) && p.err == nil:
		p.i++
		return true
	}
	return false
}

func (p *wirePage) Entry() *ldap.Entry {
	if p.i == 0 || p.i > len(p.entries) {
		return nil
	}
	return p.entries[p.i-1]
}

func (p *wirePage) Controls() []ldap.Control {
	if p.i <= len(p.entries) {
		return nil
	}
	return p.controls
}

func (p *wirePage) Referral() string { return "" }

func (p *wirePage) Err() error {
	if p.i < len(p.entries) {
		return nil
	}
	return p.err
}
