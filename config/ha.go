package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Etcd is the `ha: etcd:` section: where several `adjc schedule` processes
// elect one leader per domain and share their state (package ha). HA is off
// while Endpoints is empty; then the file lock guards a single host.
type Etcd struct {
	// Endpoints are the etcd client URLs (https://host:2379).
	Endpoints []string
	// CAFile verifies the servers' certificates; the system pool when empty.
	CAFile string
	// CertFile and KeyFile are a client certificate and key, both or neither.
	CertFile, KeyFile string
	// Prefix of every key adjc writes; "/adjc" by default.
	Prefix string
	// LeaseTTL is how long a silent leader stays leader; 10 s by default.
	LeaseTTL time.Duration
}

// Enabled reports whether HA is configured.
func (e Etcd) Enabled() bool { return len(e.Endpoints) > 0 }

// Flags and variables of the ha.etcd section.
const (
	FlagEtcdEndpoints = "etcd-endpoints"
	FlagEtcdCAFile    = "etcd-ca-file"
	FlagEtcdCertFile  = "etcd-cert-file"
	FlagEtcdKeyFile   = "etcd-key-file"
	FlagEtcdPrefix    = "etcd-prefix"
	FlagEtcdLeaseTTL  = "etcd-lease-ttl"

	EnvEtcdEndpoints = "ADJC_ETCD_ENDPOINTS"
	EnvEtcdCAFile    = "ADJC_ETCD_CA_FILE"
	EnvEtcdCertFile  = "ADJC_ETCD_CERT_FILE"
	EnvEtcdKeyFile   = "ADJC_ETCD_KEY_FILE"
	EnvEtcdPrefix    = "ADJC_ETCD_PREFIX"
	EnvEtcdLeaseTTL  = "ADJC_ETCD_LEASE_TTL"
)

const (
	defaultEtcdPrefix   = "/adjc"
	defaultEtcdLeaseTTL = 10 * time.Second
	minEtcdLeaseTTL     = 5 * time.Second
)

var etcdKeys = []string{"endpoints", "ca_file", "cert_file", "key_file", "prefix", "lease_ttl"}

func etcdSettings() []setting {
	return []setting{
		{key: "endpoints", env: EnvEtcdEndpoints, flag: FlagEtcdEndpoints, help: "etcd client URLs, comma-separated, for several schedulers per domain (HA); off when empty"},
		{key: "ca_file", env: EnvEtcdCAFile, flag: FlagEtcdCAFile, help: "PEM file of the CA that signed the etcd servers' certificates"},
		{key: "cert_file", env: EnvEtcdCertFile, flag: FlagEtcdCertFile, help: "client certificate (PEM) for etcd"},
		{key: "key_file", env: EnvEtcdKeyFile, flag: FlagEtcdKeyFile, help: "key of the etcd client certificate (PEM)"},
		{key: "prefix", env: EnvEtcdPrefix, flag: FlagEtcdPrefix, help: "prefix of adjc's etcd keys, normally " + defaultEtcdPrefix},
		{key: "lease_ttl", env: EnvEtcdLeaseTTL, flag: FlagEtcdLeaseTTL, help: "how long a silent leader stays leader, whole seconds, at least 5s, normally 10s"},
	}
}

// parseHA reads the ha: mapping (only etcd: inside it) into doc.etcd. A
// list of endpoints is kept comma-joined, the form env and flag use.
func (p *fileParser) parseHA(v *yaml.Node, doc *fileDoc) {
	if !p.expect(v, yaml.MappingNode, "ha", "a mapping") {
		return
	}
	p.mapping(v, "ha.", []string{"etcd"}, func(_ string, v *yaml.Node) {
		if !p.expect(v, yaml.MappingNode, "ha.etcd", "a mapping") {
			return
		}
		p.mapping(v, "ha.etcd.", etcdKeys, func(k string, v *yaml.Node) {
			if k == "endpoints" && v.Kind == yaml.SequenceNode {
				var eps []string
				for _, item := range v.Content {
					eps = append(eps, p.scalar(item, "ha.etcd.endpoints", false).s)
				}
				doc.etcd[k] = value{s: strings.Join(eps, ","), src: p.src(v), set: true}
				return
			}
			doc.etcd[k] = p.scalar(v, "ha.etcd."+k, false)
		})
	})
}

// loadEtcd layers the ha.etcd settings and checks them.
func (l *loader) loadEtcd(c *Config, file map[string]value) {
	var raw = map[string]string{}
	for _, s := range etcdSettings() {
		var dst string
		def := ""
		switch s.key {
		case "prefix":
			def = defaultEtcdPrefix
		case "lease_ttl":
			def = defaultEtcdLeaseTTL.String()
		}
		l.set("ha.etcd."+s.key, &dst, l.layer(file[s.key], s.env, s.flag), def)
		raw[s.key] = dst
	}
	e := &c.HA
	for ep := range strings.SplitSeq(raw["endpoints"], ",") {
		if ep = strings.TrimSpace(ep); ep != "" {
			e.Endpoints = append(e.Endpoints, ep)
		}
	}
	e.CAFile, e.CertFile, e.KeyFile, e.Prefix = raw["ca_file"], raw["cert_file"], raw["key_file"], raw["prefix"]
	bad := func(key, v, msg, fix string) {
		l.problem(Problem{Field: "ha.etcd." + key, Value: v, Source: l.sources["ha.etcd."+key], Msg: msg, Fix: fix})
	}
	ttl, err := time.ParseDuration(raw["lease_ttl"])
	switch {
	case err != nil:
		bad("lease_ttl", raw["lease_ttl"], "not a duration", "write it like 10s")
	case ttl < minEtcdLeaseTTL || ttl%time.Second != 0:
		bad("lease_ttl", raw["lease_ttl"], fmt.Sprintf("must be whole seconds, at least %s", minEtcdLeaseTTL), "write it like 10s")
	default:
		e.LeaseTTL = ttl
	}
	if !e.Enabled() {
		return
	}
	for _, ep := range e.Endpoints {
		u, err := url.Parse(ep)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			bad("endpoints", ep, "not an etcd client URL", "write it as https://host:2379")
		case u.Scheme == "http" && !loopbackHost(u.Hostname()):
			// Leadership and the DirSync cookie would travel unauthenticated.
			bad("endpoints", ep, "plain http to a remote etcd", "use https:// with ha.etcd.ca_file (http is allowed only for localhost)")
		}
	}
	if (e.CertFile == "") != (e.KeyFile == "") {
		bad("cert_file", e.CertFile, "cert_file and key_file go together", "set both or neither")
	}
	if !strings.HasPrefix(e.Prefix, "/") || strings.ContainsAny(e.Prefix, " \t\r\n") {
		bad("prefix", e.Prefix, "must start with / and have no white space", "write it like "+defaultEtcdPrefix)
	}
}
