package ldapx

// The way to a domain controller, one network wait at a time: the TCP
// connection, then the TLS handshake (LDAPS) or the StartTLS exchange and
// its handshake, then (in conn.go) the bind. Each wait has its own timeout,
// and an error says which one ran out, where, and after how long, so "the
// DC accepted the connection but never answered the handshake" does not
// read like a certificate problem.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// Transport is how a connection's traffic crosses the network.
type Transport string

// The transports, as preflight and logs name them.
const (
	TransportLDAPS     Transport = "LDAPS"     // TLS from the first byte (ldaps://, port 636)
	TransportStartTLS  Transport = "StartTLS"  // ldap:// upgraded with the StartTLS extended operation
	TransportPlaintext Transport = "plaintext" // ldap:// as is: nothing is encrypted
)

// Encrypted reports whether t protects the traffic.
func (t Transport) Encrypted() bool { return t == TransportLDAPS || t == TransportStartTLS }

// oidStartTLS is the StartTLS extended operation (RFC 4511 §4.14.1).
const oidStartTLS = "1.3.6.1.4.1.1466.20037"

// endpoint is a parsed LDAP URL.
type endpoint struct {
	url   string // as configured, for messages
	host  string
	addr  string // host:port
	ldaps bool
}

func parseEndpoint(raw string) (endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return endpoint{}, &Error{Op: "dial", Err: fmt.Errorf("invalid LDAP URL %q", raw), Hint: "use ldaps://host or ldap://host"}
	}
	ep := endpoint{url: raw, host: u.Hostname()}
	port := u.Port()
	switch strings.ToLower(u.Scheme) {
	case "ldaps":
		ep.ldaps = true
		if port == "" {
			port = "636"
		}
	case "ldap":
		if port == "" {
			port = "389"
		}
	default:
		return endpoint{}, &Error{Op: "dial", Err: fmt.Errorf("unsupported URL scheme %q", u.Scheme), Hint: "use ldaps://host or ldap://host"}
	}
	ep.addr = net.JoinHostPort(ep.host, port)
	return ep, nil
}

func (o Options) dialTimeout() time.Duration {
	if o.DialTimeout > 0 {
		return o.DialTimeout
	}
	return DefaultDialTimeout
}

func (o Options) handshakeTimeout() time.Duration {
	if o.HandshakeTimeout > 0 {
		return o.HandshakeTimeout
	}
	return DefaultHandshakeTimeout
}

// dialTCP opens the TCP connection within the dial timeout.
func dialTCP(ctx context.Context, ep endpoint, timeout time.Duration) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(dctx, "tcp", ep.addr)
	if err == nil {
		return nc, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err() // the caller gave up, not the DC
	}
	if isTimeout(err) {
		return nil, &Error{Op: "dial", Kind: ErrTimeout, Err: err,
			Reason: fmt.Sprintf("the domain controller at %s did not accept a connection within %s", ep.url, seconds(timeout)),
			Hint:   "check the host and port in ldap_url, and that no firewall silently drops the traffic to " + ep.addr}
	}
	return nil, &Error{Op: "dial", Kind: ErrUnavailable, Err: err, Reason: err.Error(),
		Hint: "check the LDAP URL and that the domain controller listens on " + ep.addr}
}

// handshake runs the TLS client handshake on nc within timeout. what names
// the wait in a timeout message ("the TLS handshake", "the TLS handshake
// after StartTLS").
func handshake(ctx context.Context, nc net.Conn, conf *tls.Config, ep endpoint, timeout time.Duration, what string) (*tls.Conn, error) {
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tc := tls.Client(nc, conf)
	err := tc.HandshakeContext(hctx)
	if err == nil {
		return tc, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if isTimeout(err) {
		return nil, &Error{Op: "tls handshake", Kind: ErrTimeout, Err: err,
			Reason: fmt.Sprintf("the domain controller at %s accepted the connection but did not answer %s in %s", ep.url, what, seconds(timeout)),
			Hint:   handshakeHint(ep)}
	}
	return nil, tlsError(err, ep)
}

func handshakeHint(ep endpoint) string {
	if ep.ldaps {
		return "check that " + ep.addr + " speaks LDAPS (usually port 636; port 389 speaks plain LDAP: use ldap:// with start_tls there)"
	}
	return "check that the domain controller has a certificate for StartTLS, or use ldaps://"
}

// startTLS asks the DC to start TLS (RFC 4511 §4.14) on the unencrypted
// connection nc and, when it agrees, runs the handshake. Nothing but the
// StartTLS request crosses nc before TLS is up, so a DC that refuses, or
// a peer in the middle that strips the answer, never sees a bind.
//
// It speaks the one request itself instead of calling go-ldap's
// Conn.StartTLS, whose handshake has no deadline: a DC that agreed and then
// went silent would hang the dial for ever.
func startTLS(ctx context.Context, nc net.Conn, conf *tls.Config, ep endpoint, timeout time.Duration) (*tls.Conn, error) {
	deadline := time.Now().Add(timeout)
	if err := nc.SetDeadline(deadline); err != nil {
		return nil, &Error{Op: "starttls", Kind: ErrUnavailable, Err: err}
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAPMessage")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(1), "messageID"))
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationExtendedRequest, nil, "ExtendedRequest")
	req.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, oidStartTLS, "requestName"))
	msg.AppendChild(req)

	failed := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if isTimeout(err) {
			return &Error{Op: "starttls", Kind: ErrTimeout, Err: err,
				Reason: fmt.Sprintf("the domain controller at %s accepted the connection but did not answer the StartTLS request in %s", ep.url, seconds(timeout)),
				Hint:   "check that " + ep.addr + " is a domain controller's LDAP port (389), or use ldaps://"}
		}
		return &Error{Op: "starttls", Kind: ErrUnavailable, Err: err,
			Reason: "the domain controller at " + ep.url + " closed the connection instead of answering the StartTLS request",
			Hint:   "check that " + ep.addr + " speaks LDAP, or use ldaps://"}
	}
	if _, err := nc.Write(msg.Bytes()); err != nil {
		return nil, failed(err)
	}
	resp, err := ber.ReadPacket(nc)
	if err != nil {
		return nil, failed(err)
	}
	if err := startTLSResult(resp); err != nil {
		return nil, &Error{Op: "starttls", Kind: ErrNoStartTLS, Err: err,
			Reason: "the domain controller at " + ep.url + " answered: " + err.Error(),
			Hint:   "give the domain controller a certificate so it offers StartTLS, or use ldaps:// (port 636); adjc does not bind without encryption unless allow_plaintext is set"}
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return nil, failed(err)
	}
	stop()
	return handshake(ctx, nc, conf, ep, timeout, "the TLS handshake after StartTLS")
}

// startTLSResult checks that resp is the extended response to message 1
// with resultCode success.
func startTLSResult(resp *ber.Packet) error {
	if len(resp.Children) < 2 {
		return errors.New("a malformed LDAP message")
	}
	id, _ := resp.Children[0].Value.(int64)
	op := resp.Children[1]
	if id == 0 {
		// An unsolicited notification, such as the Notice of
		// Disconnection (RFC 4511 §4.4.1): the server is hanging up.
		return fmt.Errorf("an unsolicited notice instead of the StartTLS response (%w)", ldap.GetLDAPError(resp))
	}
	if id != 1 || op.ClassType != ber.ClassApplication || op.Tag != ldap.ApplicationExtendedResponse {
		return fmt.Errorf("an unexpected LDAP message (id %d, tag %d) instead of the StartTLS response", id, op.Tag)
	}
	if err := ldap.GetLDAPError(resp); err != nil {
		var le *ldap.Error
		if errors.As(err, &le) {
			text := ldap.LDAPResultCodeMap[le.ResultCode]
			if le.Err != nil && le.Err.Error() != "" {
				text += ": " + le.Err.Error()
			}
			return fmt.Errorf("%s (LDAP %d)", text, le.ResultCode)
		}
		return err
	}
	return nil
}

// tlsError explains a failed handshake that did not time out. Only a
// certificate the client refused earns the CA-file hint; the other causes
// (a port that speaks no TLS, a reset) are about the endpoint.
func tlsError(err error, ep endpoint) error {
	e := &Error{Op: "tls handshake", Err: err, Kind: ErrUnavailable, Hint: handshakeHint(ep)}
	var (
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		inval   x509.CertificateInvalidError
		record  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &inval):
		e.Kind = nil // not worth retrying: the certificate is wrong
		e.Hint = "check the CA file and that the certificate names the host in the URL (subjectAltName)"
	case errors.As(err, &record):
		e.Reason = "the domain controller at " + ep.url + " answered, but not with TLS"
	}
	return e
}

// clientTLS builds the TLS configuration: opts.TLSConfig, or the system
// pool plus opts.CAFile; the host name is always verified.
func clientTLS(opts Options, host string) (*tls.Config, error) {
	if opts.TLSConfig != nil {
		c := opts.TLSConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = host
		}
		return c, nil
	}
	c := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, &Error{Op: "tls setup", Err: err, Hint: "check the CA file path"}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &Error{Op: "tls setup", Err: fmt.Errorf("no PEM certificates in %s", opts.CAFile), Hint: "the CA file must hold PEM certificates"}
		}
		c.RootCAs = pool
	}
	return c, nil
}

// isTimeout reports whether err is a deadline running out: a context's, a
// net.Conn deadline's, or go-ldap's request timeout.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var le *ldap.Error
	return errors.As(err, &le) && le.ResultCode == ldap.ErrorNetwork && le.Err != nil &&
		strings.Contains(le.Err.Error(), "timed out")
}

// seconds renders a timeout as people write it: "10 s", "1.5 s", "200 ms".
func seconds(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
