// This file holds the LDAP checks: transport, certificate, bind.

package preflight

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/adjc/adjc/ldapx"
)

func ldapScheme(f Facts) (scheme, host string) {
	u, err := url.Parse(f.Domain.LDAPURL)
	if err != nil {
		return "", ""
	}
	return strings.ToLower(u.Scheme), u.Host
}

func ldapChecks(f Facts) []Check {
	const a = AreaLDAP
	scheme, host := ldapScheme(f)
	var out []Check
	noStartTLS := errors.Is(f.ProbeErr, ldapx.ErrNoStartTLS)
	if f.ProbeErr != nil && !noStartTLS {
		out = append(out, check(a, "reachable", Fail, errText(f.ProbeErr), hint(f.ProbeErr, "check ldap_url and the network path to the DC")))
	} else {
		out = append(out, check(a, "reachable", Pass, host+" answers", ""))
	}

	// The transport is named in every verdict: LDAPS, StartTLS or plaintext.
	plaintext := scheme == "ldap" && !f.Domain.StartTLS
	switch {
	case noStartTLS:
		out = append(out, check(a, "encryption", Fail,
			"StartTLS (start_tls): "+errText(f.ProbeErr),
			hint(f.ProbeErr, "give the DC a certificate, or use ldaps://"+hostOnly(host)+":636")))
	case plaintext && f.Domain.AllowPlaintext:
		out = append(out, check(a, "encryption", Warn,
			"plaintext LDAP (allow_plaintext): the bind password and user data cross the network unencrypted",
			"set start_tls: true, or use ldaps://"+hostOnly(host)+":636 (the seeds STRONGLY recommend LDAPS)"))
	case plaintext:
		out = append(out, check(a, "encryption", Fail,
			"plaintext LDAP: the bind password would cross the network unencrypted",
			"set start_tls: true, or use ldaps://"+hostOnly(host)+":636 (the seeds STRONGLY recommend LDAPS)"))
	case f.Probe != nil && f.Probe.Encrypted:
		out = append(out, check(a, "encryption", Pass, string(probeTransport(f.Probe))+", "+tlsVersion(f.Probe.Version), ""))
	default:
		out = append(out, check(a, "encryption", Skip, "the DC could not be reached", ""))
	}

	out = append(out, certCheck(f))

	if len(f.Accounts) > 1 {
		for _, af := range f.Accounts {
			sub := f
			sub.Domain.Bind, sub.Bound, sub.BindErr, sub.Transport = af.Bind, af.Bound, af.BindErr, af.Transport
			c := bindCheck(sub, af.PasswordField)
			c.Name = "bind-" + directionsName(af.Directions)
			out = append(out, c)
		}
		return out
	}
	return append(out, bindCheck(f, "domains["))
}

// bindCheck is the verdict on binding as f.Domain.Bind.
func bindCheck(f Facts, passwordField string) Check {
	const a, n = AreaLDAP, "bind"
	switch {
	case f.Bound:
		reason := "bound as " + f.Domain.Bind
		if f.Transport != "" {
			reason += " over " + string(f.Transport)
		}
		return check(a, n, Pass, reason, "")
	case f.BindErr != nil:
		return check(a, n, Fail, errText(f.BindErr),
			hint(f.BindErr, "check bind and the bind password; the account must be enabled and unlocked"))
	case f.ProbeErr != nil:
		return check(a, n, Skip, "the DC could not be reached", "")
	case secretErr(f, passwordField):
		return check(a, n, Skip, "no bind password", "")
	}
	return check(a, n, Skip, "no trusted, encrypted connection to bind over", "")
}

// probeTransport is p's transport, also for facts that only say
// Encrypted and StartTLS.
func probeTransport(p *ldapx.TLSInfo) ldapx.Transport {
	switch {
	case p.Transport != "":
		return p.Transport
	case p.StartTLS:
		return ldapx.TransportStartTLS
	case p.Encrypted:
		return ldapx.TransportLDAPS
	}
	return ldapx.TransportPlaintext
}

// secretErr reports whether a secret whose field starts with prefix could
// not be read.
func secretErr(f Facts, prefix string) bool {
	for _, s := range f.Secrets {
		if strings.HasPrefix(s.Field, prefix) && s.Err != nil {
			return true
		}
	}
	return false
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func tlsVersion(v uint16) string {
	if v == 0 {
		return "TLS"
	}
	return tls.VersionName(v)
}

func certCheck(f Facts) Check {
	const a, n = AreaLDAP, "certificate"
	p := f.Probe
	if p == nil || !p.Encrypted || len(p.Chain) == 0 {
		return check(a, n, Skip, "no TLS connection", "")
	}
	leaf := p.Chain[0]
	details := []string{}
	for _, c := range p.Chain {
		details = append(details, fmt.Sprintf("%s (issued by %s, until %s)", certName(c.Subject.CommonName, c), c.Issuer.CommonName, c.NotAfter.UTC().Format(time.DateOnly)))
	}
	if err := p.VerifyErr; err != nil {
		var (
			unknown x509.UnknownAuthorityError
			host    x509.HostnameError
			inval   x509.CertificateInvalidError
		)
		c := check(a, n, Fail, "not trusted: "+errText(err), "", details...)
		switch {
		case errors.As(err, &unknown):
			c.Reason = fmt.Sprintf("signed by an unknown authority (%s)", leaf.Issuer.CommonName)
			c.Fix = "set ca_file to the PEM of the CA that issued the DC's certificate"
		case errors.As(err, &host):
			c.Reason = fmt.Sprintf("not valid for %s (it names %s)", p.ServerName, strings.Join(certNames(leaf), ", "))
			c.Fix = "use a host name the certificate names in ldap_url, or reissue it with that name in subjectAltName"
		case errors.As(err, &inval) && inval.Reason == x509.Expired:
			c.Reason = fmt.Sprintf("expired or not yet valid (valid %s to %s)", leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly))
			c.Fix = "renew the DC's certificate"
		default:
			c.Fix = "renew or reissue the DC's certificate"
		}
		return c
	}
	days := int(leaf.NotAfter.Sub(f.Now).Hours() / 24)
	reason := fmt.Sprintf("valid for %s, issued by %s, expires %s (%d days)", p.ServerName, leaf.Issuer.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly), days)
	if days < CertWarnDays {
		return check(a, n, Warn, reason, "renew the DC's certificate before it expires: adjc will refuse it then", details...)
	}
	return check(a, n, Pass, reason, "", details...)
}

func certName(cn string, c *x509.Certificate) string {
	if cn != "" {
		return cn
	}
	return strings.Join(certNames(c), ", ")
}

func certNames(c *x509.Certificate) []string {
	names := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, "CN "+c.Subject.CommonName+" only")
	}
	return names
}

// ---------------------------------------------------------------- account
