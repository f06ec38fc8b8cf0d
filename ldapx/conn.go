package ldapx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/adjc/adjc/secret"
	"github.com/go-ldap/ldap/v3"
)

// Default timeouts, used when [Options] leaves them zero.
const (
	DefaultDialTimeout      = 10 * time.Second
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultOpTimeout        = 60 * time.Second
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
	// StartTLS upgrades an ldap:// connection before binding, verifying
	// the certificate as for LDAPS; a DC that refuses is an
	// [ErrNoStartTLS] error, never a plaintext fallback. Ignored for
	// ldaps:// (already encrypted).
	StartTLS bool
	// AllowPlaintext permits a simple bind over ldap:// without StartTLS.
	// AD sends the password in clear text then; preflight FAILs it.
	AllowPlaintext bool
	// DialTimeout bounds the TCP connection; DefaultDialTimeout when zero.
	DialTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake, and for StartTLS also the
	// DC's answer to the StartTLS request; DefaultHandshakeTimeout when zero.
	HandshakeTimeout time.Duration
	// OpTimeout bounds the wait for each LDAP answer (the bind, each page
	// of a search, each write);
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
	transport Transport
	rootDSE   *RootDSE
	// scanTune replaces the walk's container-scan limits; tests only.
	scanTune *scanLimits

	// The wire ([wire]) carries the paged searches of full reads once
	// [Conn.ReadScope] turned it on (wireOn); it is dialled at the first
	// such page. wireOff: not to be used (a test's Wrap, a failed dial, a
	// closed Conn).
	wireMu  sync.Mutex
	wire    *wire
	wireOn  int // full reads under way
	wireOff bool
	// wirePages counts the pages the wire carried (tests).
	wirePages atomic.Int64
}

// wireStart and wireEnd bracket a full read: the wire lives for its
// duration only, so an idle one is never left for the DC to time out.
func (c *Conn) wireStart() {
	c.wireMu.Lock()
	c.wireOn++
	c.wireMu.Unlock()
}

func (c *Conn) wireEnd() {
	c.wireMu.Lock()
	defer c.wireMu.Unlock()
	if c.wireOn--; c.wireOn == 0 && c.wire != nil {
		c.wire.close()
		c.wire = nil
	}
}

// wireFor returns the wire for a new paged search, dialling it first if
// needed, or nil when the search goes through go-ldap's connection: the
// wire is off, or busy with another search's page (searches on one Conn
// may run side by side; go-ldap's connection takes turns better).
func (c *Conn) wireFor(ctx context.Context) *wire {
	c.wireMu.Lock()
	defer c.wireMu.Unlock()
	if c.wireOn == 0 || c.wireOff || c.opts.Wrap != nil {
		return nil
	}
	if c.wire == nil {
		w, err := dialWire(ctx, c.opts, c.transport)
		if err != nil {
			c.log.Debug("ldap second connection for full reads failed: reading through the first", "error", err)
			c.wireOff = true
			return nil
		}
		c.wire = w
	}
	if !c.wire.mu.TryLock() {
		return nil
	}
	c.wire.mu.Unlock()
	return c.wire
}

// Dial connects to opts.URL, sets up TLS, and binds as opts.BindDN.
func Dial(ctx context.Context, opts Options) (*Conn, error) {
	c, transport, err := dial(ctx, opts)
	if err != nil {
		return nil, err
	}
	if opts.OpTimeout == 0 {
		opts.OpTimeout = DefaultOpTimeout
	}
	if opts.OpTimeout > 0 {
		c.SetTimeout(opts.OpTimeout)
	}
	conn := newConn(c, transport, opts)
	if err := conn.bind(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return conn, nil
}

func newConn(c ldap.Client, transport Transport, opts Options) *Conn {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Wrap != nil {
		c = opts.Wrap(c)
	}
	return &Conn{c: c, opts: opts, log: log, transport: transport}
}

// dial opens the TCP connection and TLS (LDAPS, or StartTLS on an
// ldap:// URL when opts.StartTLS); it does not bind.
func dial(ctx context.Context, opts Options) (*ldap.Conn, Transport, error) {
	nc, transport, err := dialNet(ctx, opts)
	if err != nil {
		return nil, "", err
	}
	c := ldap.NewConn(nc, transport.Encrypted())
	c.Start()
	return c, transport, nil
}

// dialNet opens the network connection [dial] speaks LDAP over: TCP, then
// TLS as the URL and StartTLS say.
func dialNet(ctx context.Context, opts Options) (net.Conn, Transport, error) {
	ep, err := parseEndpoint(opts.URL)
	if err != nil {
		return nil, "", err
	}
	var tlsConf *tls.Config
	if ep.ldaps || opts.StartTLS {
		if tlsConf, err = clientTLS(opts, ep.host); err != nil {
			return nil, "", err
		}
	}
	nc, err := dialTCP(ctx, ep, opts.dialTimeout())
	if err != nil {
		return nil, "", err
	}
	transport := TransportPlaintext
	switch {
	case ep.ldaps:
		tc, err := handshake(ctx, nc, tlsConf, ep, opts.handshakeTimeout(), "the TLS handshake")
		if err != nil {
			nc.Close()
			return nil, "", err
		}
		nc, transport = tc, TransportLDAPS
	case opts.StartTLS:
		tc, err := startTLS(ctx, nc, tlsConf, ep, opts.handshakeTimeout())
		if err != nil {
			nc.Close()
			return nil, "", err
		}
		nc, transport = tc, TransportStartTLS
	}
	return nc, transport, nil
}

func (c *Conn) bind(ctx context.Context) error {
	if c.opts.BindDN == "" {
		return nil
	}
	if !c.transport.Encrypted() && !c.opts.AllowPlaintext {
		return &Error{Op: "bind", DN: c.opts.BindDN, Kind: ErrPlaintext,
			Hint: "use an ldaps:// URL, or start_tls: true with the ldap:// URL (allow_plaintext sends the password in clear, and preflight fails it)"}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	err := c.c.Bind(c.opts.BindDN, c.opts.Password.Reveal())
	c.log.Debug("ldap bind", "bind_dn", c.opts.BindDN, "transport", c.transport, "duration", time.Since(start), "error", err)
	return c.wrap("bind", c.opts.BindDN, "", err)
}

// Close unbinds and closes the connection.
func (c *Conn) Close() error {
	c.wireMu.Lock()
	c.wire.close()
	c.wire, c.wireOff = nil, true
	c.wireMu.Unlock()
	// A full read still under way gets errors from here on, as it
	// would from go-ldap's closed connection.
	return c.c.Close()
}

// Encrypted reports whether the connection uses TLS (LDAPS or StartTLS).
func (c *Conn) Encrypted() bool { return c.transport.Encrypted() }

// Transport says how the connection crosses the network: LDAPS, StartTLS
// or plaintext.
func (c *Conn) Transport() Transport { return c.transport }

// wrap is [wrapError] plus, for a request that outlived the operation
// timeout, which DC did not answer what within how long.
func (c *Conn) wrap(op, dn, attr string, err error) error {
	err = wrapError(op, dn, attr, err)
	var e *Error
	if errors.As(err, &e) && e.Kind == ErrTimeout && e.Reason == "" {
		what := "the " + op
		if dn != "" && op != "bind" {
			what += " of " + dn
		}
		e.Reason = fmt.Sprintf("the domain controller at %s did not answer %s in %s", c.opts.URL, what, seconds(c.opts.OpTimeout))
	}
	return err
}

// Client returns the underlying go-ldap client, for operations ldapx does
// not wrap. Prefer the typed methods.
func (c *Conn) Client() ldap.Client { return c.c }
