package ldapx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/adjc/adjc/secret"
	"github.com/go-ldap/ldap/v3"
)

// Default timeouts, used when [Options] leaves them zero.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultOpTimeout   = 60 * time.Second
	// DefaultPageSize is AD's MaxPageSize: a larger page is cut to it anyway.
	DefaultPageSize = 1000
)

// Options say how to reach and bind to a domain controller.
type Options struct {
	// URL is ldaps://host[:port] (the default, port 636) or ldap://host[:port]
	// (port 389, with StartTLS unless AllowPlaintext).
	URL string
	// BindDN is the service account as a DN or a UPN (jcimport@adjc.lab).
	// Empty means an anonymous bind, which AD allows only for the rootDSE.
	BindDN   string
	Password secret.Secret
	// CAFile is a PEM bundle of CAs to trust instead of the system pool.
	CAFile string
	// TLSConfig overrides CAFile and the system pool when set; ServerName is
	// filled in from the URL when empty.
	TLSConfig *tls.Config
	// StartTLS upgrades an ldap:// connection before binding.
	StartTLS bool
	// AllowPlaintext permits a simple bind over ldap:// without StartTLS.
	// AD sends the password in clear text then; preflight FAILs it.
	AllowPlaintext bool
	DialTimeout    time.Duration // TCP and TLS handshake; DefaultDialTimeout when zero
	// OpTimeout bounds each LDAP operation (each page of a search);
	// DefaultOpTimeout when zero, none when negative.
	OpTimeout time.Duration
	Logger    *slog.Logger // nil discards
	// Wrap, when set, wraps the bound connection; tests use it to inject
	// faults (a dropped connection, a busy DC) in front of the real one.
	Wrap func(ldap.Client) ldap.Client
}

// Conn is a bound connection to one domain controller. It is safe for
// concurrent use to the extent go-ldap's connection is (requests are
// multiplexed), but the usual pattern is one goroutine per Conn.
type Conn struct {
	c         ldap.Client
	opts      Options
	log       *slog.Logger
	encrypted bool
	rootDSE   *RootDSE
}

// Dial connects to opts.URL, sets up TLS, and binds as opts.BindDN.
func Dial(ctx context.Context, opts Options) (*Conn, error) {
	c, encrypted, err := dial(ctx, opts)
	if err != nil {
		return nil, err
	}
	if opts.OpTimeout == 0 {
		opts.OpTimeout = DefaultOpTimeout
	}
	if opts.OpTimeout > 0 {
		c.SetTimeout(opts.OpTimeout)
	}
	conn := newConn(c, encrypted, opts)
	if err := conn.bind(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return conn, nil
}

func newConn(c ldap.Client, encrypted bool, opts Options) *Conn {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Wrap != nil {
		c = opts.Wrap(c)
	}
	return &Conn{c: c, opts: opts, log: log, encrypted: encrypted}
}

// dial opens the TCP connection and TLS; it does not bind.
func dial(ctx context.Context, opts Options) (*ldap.Conn, bool, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || u.Host == "" {
		return nil, false, &Error{Op: "dial", Err: fmt.Errorf("invalid LDAP URL %q", opts.URL), Hint: "use ldaps://host or ldap://host"}
	}
	host, port := u.Hostname(), u.Port()
	var useTLS bool
	switch u.Scheme {
	case "ldaps":
		useTLS = true
		if port == "" {
			port = "636"
		}
	case "ldap":
		if port == "" {
			port = "389"
		}
	default:
		return nil, false, &Error{Op: "dial", Err: fmt.Errorf("unsupported URL scheme %q", u.Scheme), Hint: "use ldaps://host or ldap://host"}
	}
	timeout := opts.DialTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var tlsConf *tls.Config
	if useTLS || opts.StartTLS {
		if tlsConf, err = clientTLS(opts, host); err != nil {
			return nil, false, err
		}
	}
	d := net.Dialer{}
	nc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, false, &Error{Op: "dial", DN: "", Kind: ErrUnavailable, Err: err, Reason: err.Error(),
			Hint: "check the LDAP URL and that the domain controller listens on " + net.JoinHostPort(host, port)}
	}
	if useTLS {
		tc := tls.Client(nc, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, false, tlsError(err)
		}
		nc = tc
	}
	c := ldap.NewConn(nc, useTLS)
	c.Start()
	if !useTLS && opts.StartTLS {
		// go-ldap's StartTLS has no context; bound it by the dial deadline.
		c.SetTimeout(time.Until(deadline(ctx)))
		if err := c.StartTLS(tlsConf); err != nil {
			c.Close()
			var le *ldap.Error
			if errors.As(err, &le) && le.Err != nil {
				err = le.Err
			}
			return nil, false, tlsError(err)
		}
		useTLS = true
	}
	return c, useTLS, nil
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

func tlsError(err error) error {
	e := &Error{Op: "tls handshake", Err: err, Kind: ErrUnavailable,
		Hint: "check the CA file and that the certificate names the host in the URL (subjectAltName)"}
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var inval x509.CertificateInvalidError
	if errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &inval) {
		e.Kind = nil // not worth retrying: the certificate is wrong
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

func (c *Conn) bind(ctx context.Context) error {
	if c.opts.BindDN == "" {
		return nil
	}
	if !c.encrypted && !c.opts.AllowPlaintext {
		return &Error{Op: "bind", DN: c.opts.BindDN, Kind: ErrPlaintext,
			Hint: "use an ldaps:// URL or StartTLS (or explicitly allow plaintext, which preflight fails)"}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	err := c.c.Bind(c.opts.BindDN, c.opts.Password.Reveal())
	c.log.Debug("ldap bind", "bind_dn", c.opts.BindDN, "encrypted", c.encrypted, "duration", time.Since(start), "error", err)
	return wrapError("bind", c.opts.BindDN, "", err)
}

// Close unbinds and closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// Encrypted reports whether the connection uses TLS (LDAPS or StartTLS).
func (c *Conn) Encrypted() bool { return c.encrypted }

// Client returns the underlying go-ldap client, for operations ldapx does
// not wrap. Prefer the typed methods.
func (c *Conn) Client() ldap.Client { return c.c }
