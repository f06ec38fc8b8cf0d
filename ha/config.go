package ha

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Defaults for [Config].
const (
	DefaultPrefix   = "/adjc"
	DefaultLeaseTTL = 10 * time.Second
	// MinLeaseTTL keeps the fencing margin meaningful: keepalives go out
	// every TTL/3 and the margin is a fifth of the TTL.
	MinLeaseTTL = 5 * time.Second
)

// Config is the `ha: etcd:` section of adjc's configuration.
type Config struct {
	// Endpoints are etcd client URLs, https://host:2379 (http:// only on
	// loopback or a trusted network).
	Endpoints []string
	// CAFile is a PEM file of the CA that signed the etcd servers'
	// certificates; the system pool when empty.
	CAFile string
	// CertFile and KeyFile are a client certificate and its key, for etcd
	// clusters that require client authentication.
	CertFile, KeyFile string
	// Prefix is the key prefix of every key adjc writes; [DefaultPrefix]
	// when empty.
	Prefix string
	// LeaseTTL is how long a leader that stopped sending keepalives stays
	// leader; [DefaultLeaseTTL] when zero. etcd counts it in whole seconds.
	LeaseTTL time.Duration
}

// Enabled reports whether HA is configured at all.
func (c Config) Enabled() bool { return len(c.Endpoints) > 0 }

func (c Config) withDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	c.Prefix = "/" + strings.Trim(c.Prefix, "/")
	if c.LeaseTTL == 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	return c
}

// Validate checks the values without touching the network. Messages name
// the configuration key and the fix.
func (c Config) Validate() error {
	var errs []error
	if len(c.Endpoints) == 0 {
		errs = append(errs, errors.New("ha.etcd.endpoints: empty; list the etcd client URLs, e.g. https://etcd1:2379"))
	}
	for _, ep := range c.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("ha.etcd.endpoints: %q is not an http(s)://host:port URL", ep))
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("ha.etcd.cert_file and ha.etcd.key_file: set both or neither"))
	}
	if c.LeaseTTL != 0 && (c.LeaseTTL < MinLeaseTTL || c.LeaseTTL%time.Second != 0) {
		errs = append(errs, fmt.Errorf("ha.etcd.lease_ttl: %s; use whole seconds, at least %s", c.LeaseTTL, MinLeaseTTL))
	}
	if strings.ContainsAny(c.Prefix, " \t\n") {
		errs = append(errs, fmt.Errorf("ha.etcd.prefix: %q contains white space", c.Prefix))
	}
	return errors.Join(errs...)
}

// Dial returns an etcd client for c. It does not wait for a connection:
// the first request does. The certificate of an https endpoint is verified
// against CAFile (or the system pool), like LDAPS; there is no option to
// skip it.
func Dial(c Config) (*clientv3.Client, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	cfg := clientv3.Config{
		Endpoints:   c.Endpoints,
		DialTimeout: 5 * time.Second,
		// The client logs with zap; adjc's own logs say what matters.
		Logger: zap.NewNop(),
		// Keepalive probes find a dead TCP path sooner than the OS does.
		DialKeepAliveTime:    2 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
	}
	tlsOn := c.CAFile != "" || c.CertFile != ""
	for _, ep := range c.Endpoints {
		tlsOn = tlsOn || strings.HasPrefix(ep, "https://")
	}
	if tlsOn {
		tc, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		cfg.TLS = tc
	}
	cl, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("ha: etcd client: %w", err)
	}
	return cl, nil
}

func (c Config) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ha.etcd.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ha.etcd.ca_file: %s holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("ha.etcd.cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// keys are the etcd keys of one domain.
type keys struct {
	election string // NewElection appends "/"; nothing else may live below it
	members  string // members/<instance>
	state    string
	snapshot string // the last full read's description; its data under snapshot-data/<gen>/
	approved string // approved/<direction>/<unix nanos>: releases from 'adjc approve'
	writer   string // the writer lock (concurrency.Mutex appends "/")
	holder   string // who holds the writer lock, for the message of those waiting
}

func keysFor(prefix, domain string) keys {
	base := prefix + "/" + keyName(domain)
	return keys{election: base + "/election", members: base + "/members/", state: base + "/state",
		snapshot: base + "/snapshot", approved: base + "/approved/", writer: base + "/writer", holder: base + "/writer-holder"}
}

// keyName keeps a domain name to letters, digits, dot, dash and underscore,
// lower-cased, as the state file's name does.
func keyName(domain string) string {
	if domain == "" {
		return "default"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, strings.ToLower(domain))
}
