package preflight

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func statusOf(t *testing.T, f Facts, area Area, name string) Check {
	t.Helper()
	c := find(Evaluate(f), area, name)
	if c.Name == "" {
		t.Fatalf("no check %s/%s", area, name)
	}
	return c
}

func TestCertificateExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		after  time.Duration
		verify error
		want   Status
	}{
		{"far", 400 * 24 * time.Hour, nil, Pass},
		{"soon", 10 * 24 * time.Hour, nil, Warn},
		{"untrusted", 400 * 24 * time.Hour, x509.UnknownAuthorityError{}, Fail},
		{"wrong host", 400 * 24 * time.Hour, x509.HostnameError{Certificate: &x509.Certificate{DNSNames: []string{"other"}}, Host: "dc"}, Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := Facts{Now: now, Probe: &ldapx.TLSInfo{Encrypted: true, ServerName: "dc", VerifyErr: tt.verify,
				Chain: []*x509.Certificate{{Issuer: pkix.Name{CommonName: "CA"}, NotAfter: now.Add(tt.after)}}}}
			if c := statusOf(t, f, AreaLDAP, "certificate"); c.Status != tt.want {
				t.Errorf("certificate = %s (%s), want %s", c.Status, c.Reason, tt.want)
			}
		})
	}
}

func TestPrivilegedSIDs(t *testing.T) {
	t.Parallel()
	for sid, want := range map[string]bool{
		"S-1-5-21-1-2-3-512": true, "S-1-5-21-1-2-3-519": true, "S-1-5-32-544": true, "S-1-5-32-551": true,
		"S-1-5-21-1-2-3-513": false, "S-1-5-21-1-2-3-1512": false, "S-1-5-11": false,
	} {
		if got := privileged(sid); got != want {
			t.Errorf("privileged(%s) = %v, want %v", sid, got, want)
		}
	}
}

func TestPasswordPolicies(t *testing.T) {
	t.Parallel()
	ad := &ldapx.PasswordPolicy{MinLength: 8, Complex: true}
	tests := []struct {
		name       string
		ad         *ldapx.PasswordPolicy
		compliance string
		jc         jcapi.PasswordPolicy
		length     Status
		complexity Status
	}{
		{"windows aligned", ad, "windows", jcapi.PasswordPolicy{}, Pass, Pass},
		{"jc shorter", ad, "custom", jcapi.PasswordPolicy{EnableMinLength: true, MinLength: 6}, Warn, Warn},
		{"jc longer", ad, "custom", jcapi.PasswordPolicy{EnableMinLength: true, MinLength: 12, NeedsNumeric: true, NeedsSymbolic: true, NeedsUppercase: true}, Warn, Warn},
		{"length off counts as 0", &ldapx.PasswordPolicy{}, "custom", jcapi.PasswordPolicy{MinLength: 12}, Pass, Pass},
		{"ad simple, jc classes", &ldapx.PasswordPolicy{MinLength: 7}, "pci3", jcapi.PasswordPolicy{}, Pass, Warn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			org := jcapi.Organization{ID: "x"}
			f := Facts{Now: now, ADPolicy: tt.ad, JumpCloud: JumpCloudFacts{Reached: true, Org: &org, Compliance: tt.compliance, Policy: &tt.jc}}
			if c := statusOf(t, f, AreaPasswords, "min-length"); c.Status != tt.length {
				t.Errorf("min-length = %s (%s), want %s", c.Status, c.Reason, tt.length)
			}
			if c := statusOf(t, f, AreaPasswords, "complexity"); c.Status != tt.complexity {
				t.Errorf("complexity = %s (%s), want %s", c.Status, c.Reason, tt.complexity)
			}
		})
	}
}

func TestJumpCloudDomain(t *testing.T) {
	t.Parallel()
	org := jcapi.Organization{ID: "org1"}
	base := Facts{Domain: config.Domain{BaseDN: "DC=Example,DC=com", Mode: config.ModeTwoWay},
		Settings:  []config.Setting{{Key: "jumpcloud.api_url", Value: "https://console.jumpcloud.com/api"}},
		JumpCloud: JumpCloudFacts{Reached: true, Org: &org}}
	tests := []struct {
		name     string
		id       string
		domains  []jcapi.ActiveDirectory
		domain   Status
		useCase  Status
		contains string
	}{
		{"match, semicolons", "", []jcapi.ActiveDirectory{{ID: "a", Domain: "DC=example;DC=com", UseCase: "TWOWAYSYNC"}}, Pass, Pass, ""},
		{"none", "", []jcapi.ActiveDirectory{{ID: "a", Domain: "DC=other,DC=com"}}, Warn, Skip, "no AD domain object"},
		{"id of another domain", "a", []jcapi.ActiveDirectory{{ID: "a", Domain: "DC=other,DC=com"}}, Fail, Warn, "is for DC=other"},
		{"missing id", "b", []jcapi.ActiveDirectory{{ID: "a", Domain: "DC=example,DC=com"}}, Fail, Skip, "no AD domain object with id b"},
		{"no use case", "", []jcapi.ActiveDirectory{{ID: "a", Domain: "DC=example,DC=com", UseCase: "UNSET"}}, Pass, Warn, ""},
		{"other use case", "", []jcapi.ActiveDirectory{{ID: "a", Domain: "DC=example,DC=com", UseCase: "ADASAUTHORITY"}}, Pass, Warn, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := base
			f.Domain.JumpCloudDomainID = tt.id
			f.JumpCloud.Domains = tt.domains
			c := statusOf(t, f, AreaJumpCloud, "domain")
			if c.Status != tt.domain || !strings.Contains(c.Reason, tt.contains) {
				t.Errorf("domain = %s (%s), want %s containing %q", c.Status, c.Reason, tt.domain, tt.contains)
			}
			if c := statusOf(t, f, AreaJumpCloud, "domain-use-case"); c.Status != tt.useCase {
				t.Errorf("domain-use-case = %s (%s), want %s", c.Status, c.Reason, tt.useCase)
			}
		})
	}
}

// TestDomainDelegationInformational: delegationState is shown, never judged:
// every value the spec allows passes, and nothing reads it as a pause.
func TestDomainDelegationInformational(t *testing.T) {
	t.Parallel()
	org := jcapi.Organization{ID: "org1"}
	for _, state := range []string{"DISABLED", "PENDING", "ENABLED", ""} {
		f := Facts{Domain: config.Domain{BaseDN: "DC=x"}, JumpCloud: JumpCloudFacts{Reached: true, Org: &org,
			Domains: []jcapi.ActiveDirectory{{ID: "a", Domain: "DC=x", DelegationState: state}}}}
		c := statusOf(t, f, AreaJumpCloud, "domain-delegation")
		if c.Status != Pass || (state != "" && !strings.Contains(c.Reason, state)) {
			t.Errorf("delegationState %q: domain-delegation = %s %q, want Pass naming it", state, c.Status, c.Reason)
		}
	}
}

func TestJumpCloudAPI(t *testing.T) {
	t.Parallel()
	f := Facts{Settings: []config.Setting{{Key: "jumpcloud.api_url", Value: "http://api.example.com/api"}},
		JumpCloud: JumpCloudFacts{Reached: true, Err: &jcapi.APIError{Status: 401}}}
	if c := statusOf(t, f, AreaJumpCloud, "https"); c.Status != Fail {
		t.Errorf("https over the network = %s, want FAIL", c.Status)
	}
	if c := statusOf(t, f, AreaJumpCloud, "api-key"); c.Status != Fail || !strings.Contains(c.Reason, "refused") {
		t.Errorf("api-key = %s (%s), want FAIL refused", c.Status, c.Reason)
	}
	f.JumpCloud = JumpCloudFacts{Err: errors.New("dial tcp: connection refused")}
	if c := statusOf(t, f, AreaJumpCloud, "reachable"); c.Status != Fail {
		t.Errorf("reachable = %s, want FAIL", c.Status)
	}
	org := jcapi.Organization{ID: "b"}
	f.JumpCloud = JumpCloudFacts{Reached: true, Org: &org, Orgs: []jcapi.Organization{{ID: "a"}, {ID: "b"}}}
	if c := statusOf(t, f, AreaJumpCloud, "organization"); c.Status != Warn {
		t.Errorf("multi-tenant without org_id = %s, want WARN", c.Status)
	}
	f.Settings = append(f.Settings, config.Setting{Key: "jumpcloud.org_id", Value: "a"})
	if c := statusOf(t, f, AreaJumpCloud, "organization"); c.Status != Fail {
		t.Errorf("org_id not the client's org = %s, want FAIL", c.Status)
	}
}

func TestClockSkew(t *testing.T) {
	t.Parallel()
	for skew, want := range map[time.Duration]Status{0: Pass, 4 * time.Minute: Pass, -6 * time.Minute: Warn, 6 * time.Minute: Warn} {
		f := Facts{Now: now, DCTime: now.Add(-skew)}
		if c := statusOf(t, f, AreaClock, "skew"); c.Status != want {
			t.Errorf("skew %v = %s (%s), want %s", skew, c.Status, c.Reason, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	root := "CN=Users,DC=x"
	s := &ldapx.Scope{
		Root: ldapx.ScopedGroup{Group: ldapx.Group{Name: "JumpCloud", Members: make([]string, 1001)}},
		Users: map[string]ldapx.User{
			"1": {DN: "CN=A," + root, SAMAccountName: "a", Mail: "a@x"},
			"2": {DN: "CN=B,OU=Staff,DC=x", SAMAccountName: "b", UserPrincipalName: "b@x"},
			"3": {DN: "CN=C," + root, SAMAccountName: "c"},
			"4": {DN: "CN=D," + root, SAMAccountName: "d", AdminCount: 1},
			"5": {DN: "CN=E," + root, Mail: "e@x", Attrs: map[string]string{"employeeID": ""}},
		},
		Cycles: [][]string{{"CN=G1", "CN=G2"}},
	}
	got := Summarize(s, root, "sAMAccountName")
	if strings.Join(got.Privileged, ",") != "d" || strings.Join(got.NoEmail, ",") != "c" ||
		len(got.NoUsername) != 1 || strings.Join(got.Outside, ",") != "CN=B,OU=Staff,DC=x" ||
		len(got.LargeGroups) != 1 || len(got.Cycles) != 1 {
		t.Errorf("Summarize = %+v", got)
	}
	if got := Summarize(s, root, "employeeID"); len(got.NoUsername) != 4 {
		t.Errorf("Summarize(employeeID).NoUsername = %v, want every non-privileged user", got.NoUsername)
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	f := Facts{Secrets: []SecretFact{
		{Field: "domains[0].bind_password_file", Describe: "set (file /k)", File: "/k", Mode: 0o644},
		{Field: "jumpcloud.api_key_file", Describe: "not set", Err: errors.New("not set")},
	}}
	r := Evaluate(f)
	if c := find(r, AreaConfig, "bind-password"); c.Status != Fail || c.Fix != "chmod 600 /k" {
		t.Errorf("bind-password = %+v, want FAIL with chmod", c)
	}
	if c := find(r, AreaConfig, "api-key"); c.Status != Fail {
		t.Errorf("api-key = %+v, want FAIL", c)
	}
	if c := find(r, AreaJumpCloud, "api-key"); c.Status != Skip {
		t.Errorf("jumpcloud/api-key = %+v, want SKIP without a key", c)
	}
}

func TestNothingKnownSkips(t *testing.T) {
	t.Parallel()
	r := Evaluate(Facts{Now: now, ProbeErr: errors.New("refused")})
	if r.OK(false) {
		t.Error("unreachable DC: OK, want a failure")
	}
	for _, c := range r.Checks {
		if c.Area == AreaAccount && c.Status != Skip {
			t.Errorf("%s/%s = %s, want SKIP when nothing was read", c.Area, c.Name, c.Status)
		}
	}
}

// TestTransportNamed: the encryption verdict names the transport, a DC
// that refuses StartTLS is reachable but FAILs encryption, and a timeout is
// reported as one.
func TestTransportNamed(t *testing.T) {
	t.Parallel()
	noStartTLS := &ldapx.Error{Op: "starttls", Kind: ldapx.ErrNoStartTLS, Reason: "the domain controller at ldap://dc answered: Protocol Error (LDAP 2)", Hint: "give the domain controller a certificate"}
	timeout := &ldapx.Error{Op: "tls handshake", Kind: ldapx.ErrTimeout, Reason: "the domain controller at ldaps://dc accepted the connection but did not answer the TLS handshake in 10 s", Hint: "check that dc:636 speaks LDAPS"}
	tests := []struct {
		name       string
		url        string
		startTLS   bool
		plain      bool
		probe      *ldapx.TLSInfo
		probeErr   error
		reachable  Status
		encryption Status
		reason     string
	}{
		{"ldaps", "ldaps://dc", false, false, &ldapx.TLSInfo{Transport: ldapx.TransportLDAPS, Encrypted: true, Version: 0x0304}, nil, Pass, Pass, "LDAPS, TLS 1.3"},
		{"starttls", "ldap://dc", true, false, &ldapx.TLSInfo{Transport: ldapx.TransportStartTLS, Encrypted: true, StartTLS: true, Version: 0x0304}, nil, Pass, Pass, "StartTLS, TLS 1.3"},
		{"starttls refused", "ldap://dc", true, false, nil, noStartTLS, Pass, Fail, "StartTLS (start_tls): "},
		{"plaintext", "ldap://dc", false, false, &ldapx.TLSInfo{Transport: ldapx.TransportPlaintext}, nil, Pass, Fail, "plaintext LDAP"},
		{"plaintext allowed", "ldap://dc", false, true, &ldapx.TLSInfo{Transport: ldapx.TransportPlaintext}, nil, Pass, Warn, "plaintext LDAP (allow_plaintext)"},
		{"handshake timeout", "ldaps://dc", false, false, nil, timeout, Fail, Skip, "the DC could not be reached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := Facts{Now: now, Domain: config.Domain{LDAPURL: tt.url, StartTLS: tt.startTLS, AllowPlaintext: tt.plain}, Probe: tt.probe, ProbeErr: tt.probeErr}
			if c := statusOf(t, f, AreaLDAP, "reachable"); c.Status != tt.reachable {
				t.Errorf("reachable = %s (%s), want %s", c.Status, c.Reason, tt.reachable)
			} else if tt.probeErr == timeout && (!strings.Contains(c.Reason, "did not answer the TLS handshake in 10 s") || strings.Contains(c.Fix, "CA")) {
				t.Errorf("reachable = %+v, want the timeout named and no CA hint", c)
			}
			if c := statusOf(t, f, AreaLDAP, "encryption"); c.Status != tt.encryption || !strings.HasPrefix(c.Reason, tt.reason) {
				t.Errorf("encryption = %s (%s), want %s (%s…)", c.Status, c.Reason, tt.encryption, tt.reason)
			}
		})
	}
}
