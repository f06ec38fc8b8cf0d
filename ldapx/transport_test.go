package ldapx_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/golden"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/secret"
)

// fakeDC listens on loopback and runs serve on the first connection; what
// the client sent that serve did not read is returned by the channel once
// the client hangs up (or the test ends).
func fakeDC(t *testing.T, serve func(c net.Conn)) (addr string, rest <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			out <- nil
			return
		}
		defer c.Close()
		serve(c)
		b, _ := io.ReadAll(c)
		out <- b
	}()
	return ln.Addr().String(), out
}

// silent accepts and never says a word until the client hangs up.
func silent(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// answer reads one LDAP request and answers it with an LDAP result of
// application tag op and the given code.
func answer(t *testing.T, c net.Conn, op ber.Tag, code int64, diag string) {
	t.Helper()
	req, err := ber.ReadPacket(c)
	if err != nil {
		t.Errorf("fake DC: reading the request: %v", err)
		return
	}
	id := req.Children[0].Value.(int64)
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAPMessage")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "messageID"))
	res := ber.Encode(ber.ClassApplication, ber.TypeConstructed, op, nil, "result")
	res.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, code, "resultCode"))
	res.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "matchedDN"))
	res.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, diag, "diagnosticMessage"))
	msg.AppendChild(res)
	if _, err := c.Write(msg.Bytes()); err != nil {
		t.Errorf("fake DC: writing the answer: %v", err)
	}
}

// TestTimeoutsNamed points Dial at peers that accept a connection and then
// stay silent at each step: every wait ends in an ErrTimeout whose message
// names the wait, the URL and the timeout, and none blames the CA file.
// The timeouts are short only to keep the test quick; nothing is timed.
func TestTimeoutsNamed(t *testing.T) {
	t.Parallel()
	const short = 200 * time.Millisecond
	tests := []struct {
		name   string
		scheme string
		opts   func(*ldapx.Options)
		serve  func(t *testing.T, c net.Conn)
		want   string
	}{
		{"tls handshake", "ldaps", nil, func(_ *testing.T, c net.Conn) { silent(c) },
			"accepted the connection but did not answer the TLS handshake in 200 ms"},
		{"starttls request", "ldap", func(o *ldapx.Options) { o.StartTLS = true }, func(_ *testing.T, c net.Conn) { silent(c) },
			"accepted the connection but did not answer the StartTLS request in 200 ms"},
		{"handshake after starttls", "ldap", func(o *ldapx.Options) { o.StartTLS = true },
			func(t *testing.T, c net.Conn) {
				answer(t, c, ldap.ApplicationExtendedResponse, 0, "")
				silent(c)
			},
			"did not answer the TLS handshake after StartTLS in 200 ms"},
		{"bind", "ldap", func(o *ldapx.Options) { o.AllowPlaintext = true }, func(_ *testing.T, c net.Conn) { silent(c) },
			"did not answer the bind in 200 ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, _ := fakeDC(t, func(c net.Conn) { tt.serve(t, c) })
			o := ldapx.Options{URL: tt.scheme + "://" + addr, BindDN: "svc@example.com", Password: secret.New("timeout-test-pw"),
				HandshakeTimeout: short, OpTimeout: short}
			if tt.opts != nil {
				tt.opts(&o)
			}
			_, err := ldapx.Dial(t.Context(), o)
			if !errors.Is(err, ldapx.ErrTimeout) || !errors.Is(err, ldapx.ErrUnavailable) {
				t.Fatalf("Dial() = %v, want an ErrTimeout (also ErrUnavailable)", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, o.URL) {
				t.Errorf("Dial() error = %q, want it to say %q and name %s", msg, tt.want, o.URL)
			}
			if h := ldapx.Hint(err); strings.Contains(strings.ToLower(h), "ca file") {
				t.Errorf("hint %q blames the CA file for a timeout", h)
			}
		})
	}
}

// TestDialTimeoutNamed: a connection that cannot be made in the dial
// timeout says so. A 1 ns timeout has run out before the connect starts.
func TestDialTimeoutNamed(t *testing.T) {
	t.Parallel()
	addr, _ := fakeDC(t, silent)
	_, err := ldapx.Dial(t.Context(), ldapx.Options{URL: "ldaps://" + addr, DialTimeout: time.Nanosecond})
	if !errors.Is(err, ldapx.ErrTimeout) {
		t.Fatalf("Dial() = %v, want ErrTimeout", err)
	}
	if want := "did not accept a connection within 0 ms"; !strings.Contains(err.Error(), want) {
		t.Errorf("Dial() error = %q, want %q", err, want)
	}
}

// TestSearchTimeoutNamed: a DC that accepts the bind and then never
// answers a search page ends the search with the search named.
func TestSearchTimeoutNamed(t *testing.T) {
	t.Parallel()
	addr, _ := fakeDC(t, func(c net.Conn) {
		answer(t, c, ldap.ApplicationBindResponse, 0, "")
		silent(c)
	})
	conn, err := ldapx.Dial(t.Context(), ldapx.Options{URL: "ldap://" + addr, BindDN: "svc@example.com",
		Password: secret.New("pw"), AllowPlaintext: true, OpTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("Dial() = %v", err)
	}
	defer conn.Close()
	_, err = conn.SearchAll(t.Context(), ldapx.Query{Base: "DC=example,DC=com", Scope: ldap.ScopeWholeSubtree, Filter: "(objectClass=user)"})
	if !errors.Is(err, ldapx.ErrTimeout) {
		t.Fatalf("SearchAll() = %v, want ErrTimeout", err)
	}
	if want := "did not answer the search of DC=example,DC=com in 200 ms"; !strings.Contains(err.Error(), want) {
		t.Errorf("SearchAll() error = %q, want %q", err, want)
	}
}

// TestStartTLSRefused: a DC that answers the StartTLS request with an
// error gets an ErrNoStartTLS error, and nothing after the StartTLS
// request — no bind, no password — reaches it.
func TestStartTLSRefused(t *testing.T) {
	t.Parallel()
	const pw = "never-sent-in-clear-7"
	addr, rest := fakeDC(t, func(c net.Conn) {
		answer(t, c, ldap.ApplicationExtendedResponse, int64(ldap.LDAPResultProtocolError), "unsupported extended operation")
	})
	_, err := ldapx.Dial(t.Context(), ldapx.Options{URL: "ldap://" + addr, BindDN: "svc@example.com",
		Password: secret.New(pw), StartTLS: true, HandshakeTimeout: 5 * time.Second})
	if !errors.Is(err, ldapx.ErrNoStartTLS) {
		t.Fatalf("Dial() = %v, want ErrNoStartTLS", err)
	}
	for _, want := range []string{"does not offer StartTLS", "Protocol Error", "unsupported extended operation"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Dial() error = %q, want it to contain %q", err, want)
		}
	}
	if got := <-rest; len(got) != 0 {
		t.Errorf("after the refused StartTLS the client sent %d more bytes (password in them: %v)", len(got), bytes.Contains(got, []byte(pw)))
	}
}

// TestPlaintextRefused: without StartTLS or allow_plaintext, an ldap://
// URL gets no bind at all.
func TestPlaintextRefused(t *testing.T) {
	t.Parallel()
	addr, rest := fakeDC(t, func(net.Conn) {})
	_, err := ldapx.Dial(t.Context(), ldapx.Options{URL: "ldap://" + addr, BindDN: "svc@example.com", Password: secret.New("pw-0")})
	if !errors.Is(err, ldapx.ErrPlaintext) {
		t.Fatalf("Dial() = %v, want ErrPlaintext", err)
	}
	if got := <-rest; len(got) != 0 {
		t.Errorf("the client sent %d bytes over plaintext, want none", len(got))
	}
}

// TestTimeoutMessagesGolden keeps the words of each named wait, as the
// operator reads them, in golden/ldapx/timeouts.txt (the loopback port
// replaced by PORT).
func TestTimeoutMessagesGolden(t *testing.T) {
	t.Parallel()
	const short = 200 * time.Millisecond
	cases := []struct {
		name   string
		scheme string
		opts   func(*ldapx.Options)
		serve  func(t *testing.T, c net.Conn)
		search bool
	}{
		{"dial", "ldaps", func(o *ldapx.Options) { o.DialTimeout = time.Nanosecond }, func(_ *testing.T, c net.Conn) { silent(c) }, false},
		{"tls handshake", "ldaps", nil, func(_ *testing.T, c net.Conn) { silent(c) }, false},
		{"starttls request", "ldap", func(o *ldapx.Options) { o.StartTLS = true }, func(_ *testing.T, c net.Conn) { silent(c) }, false},
		{"starttls refused", "ldap", func(o *ldapx.Options) { o.StartTLS = true }, func(t *testing.T, c net.Conn) {
			answer(t, c, ldap.ApplicationExtendedResponse, int64(ldap.LDAPResultProtocolError), "unsupported extended operation")
		}, false},
		{"handshake after starttls", "ldap", func(o *ldapx.Options) { o.StartTLS = true }, func(t *testing.T, c net.Conn) {
			answer(t, c, ldap.ApplicationExtendedResponse, 0, "")
			silent(c)
		}, false},
		{"bind", "ldap", func(o *ldapx.Options) { o.AllowPlaintext = true }, func(_ *testing.T, c net.Conn) { silent(c) }, false},
		{"search page", "ldap", func(o *ldapx.Options) { o.AllowPlaintext = true }, func(t *testing.T, c net.Conn) {
			answer(t, c, ldap.ApplicationBindResponse, 0, "")
			silent(c)
		}, true},
	}
	var b strings.Builder
	for _, tt := range cases {
		addr, _ := fakeDC(t, func(c net.Conn) { tt.serve(t, c) })
		o := ldapx.Options{URL: tt.scheme + "://" + addr, BindDN: "svc@example.com", Password: secret.New("pw"),
			HandshakeTimeout: short, OpTimeout: short}
		if tt.opts != nil {
			tt.opts(&o)
		}
		conn, err := ldapx.Dial(t.Context(), o)
		if tt.search {
			if err != nil {
				t.Fatalf("%s: Dial() = %v", tt.name, err)
			}
			_, err = conn.SearchAll(t.Context(), ldapx.Query{Base: "DC=example,DC=com", Scope: ldap.ScopeWholeSubtree, Filter: "(objectClass=user)"})
			conn.Close()
		}
		if err == nil {
			t.Fatalf("%s: no error", tt.name)
		}
		_, port, _ := net.SplitHostPort(addr)
		fmt.Fprintf(&b, "%s:\n  %s\n  hint: %s\n", tt.name, strings.ReplaceAll(err.Error(), port, "PORT"), strings.ReplaceAll(ldapx.Hint(err), port, "PORT"))
	}
	golden.Assert(t, []byte(b.String()), "ldapx/timeouts.txt")
}
