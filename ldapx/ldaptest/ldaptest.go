// Package ldaptest gives tests the lab's Samba AD domain controller, the one
// scripts/lab provisions on loopback: where it listens, its CA, and the
// accounts to bind as.
//
// [Get] finds the lab from the ADJC_LAB_* environment variables, or else from
// the .lab/env file that `scripts/lab up` writes, looked for in the current
// directory and its parents. Without a lab the test is skipped, saying why,
// unless ADJC_LAB_REQUIRED=1 (scripts/test sets it): then it fails, so CI
// cannot pass by skipping.
//
// The lab's fixture (scripts/lab.d/fixture.ldif) is shared by every test and
// must not be changed; a test that writes creates its own OU with
// [Lab.TempOU] and works inside it.
package ldaptest

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/secret"
	"github.com/go-ldap/ldap/v3"
)

// Account is an identity in the lab's domain.
type Account struct {
	Bind         string // userPrincipalName, e.g. jcimport@adjc.lab
	Password     secret.Secret
	PasswordFile string // 0600 file holding Password, for code that reads *_file settings
}

// Lab describes a running lab DC.
type Lab struct {
	Dir    string // the .lab directory
	URL    string // ldaps://127.0.0.1:636
	BaseDN string // DC=adjc,DC=lab
	Realm  string // ADJC.LAB
	CAFile string // PEM of the lab CA that signed the DC's certificate

	Admin  Account // Administrator: full control; creates and deletes test OUs
	Import Account // jcimport: a plain domain user, reads only; may list CN=Deleted Objects
	// Reader is jcreader: a plain domain user like jcimport, without the
	// right to list CN=Deleted Objects (DirSync shows it no deletion).
	// Zero in a lab set up before it existed: [Lab.NeedReader].
	Reader Account
	Sync   Account // jcsync: delegated create/delete, reset password and write on users and groups in CN=Users
}

// Environment variables written to .lab/env by scripts/lab.
const (
	envDir        = "ADJC_LAB_DIR"
	envURL        = "ADJC_LAB_LDAP_URL"
	envBaseDN     = "ADJC_LAB_BASE_DN"
	envRealm      = "ADJC_LAB_REALM"
	envCAFile     = "ADJC_LAB_CA_FILE"
	envAdminBind  = "ADJC_LAB_ADMIN_BIND"
	envAdminPass  = "ADJC_LAB_ADMIN_PASSWORD_FILE"
	envImportBind = "ADJC_LAB_IMPORT_BIND"
	envImportPass = "ADJC_LAB_IMPORT_PASSWORD_FILE"
	envReaderBind = "ADJC_LAB_READER_BIND"
	envReaderPass = "ADJC_LAB_READER_PASSWORD_FILE"
	envSyncBind   = "ADJC_LAB_SYNC_BIND"
	envSyncPass   = "ADJC_LAB_SYNC_PASSWORD_FILE"
	envRequired   = "ADJC_LAB_REQUIRED"
)

// Get returns the lab, or skips the test (fails it when ADJC_LAB_REQUIRED=1)
// when there is none or it does not answer.
func Get(t testing.TB) *Lab {
	t.Helper()
	lab, err := find()
	if err == nil {
		err = lab.reachable()
	}
	if err != nil {
		if os.Getenv(envRequired) == "1" {
			t.Fatalf("ldaptest: %v (%s=1)", err, envRequired)
		}
		t.Skipf("ldaptest: %v", err)
	}
	return lab
}

// find reads the lab's settings from the environment when ADJC_LAB_LDAP_URL
// is set, else from the nearest .lab/env.
func find() (*Lab, error) {
	vars := map[string]string{}
	if os.Getenv(envURL) != "" {
		for _, k := range []string{envDir, envURL, envBaseDN, envRealm, envCAFile, envAdminBind,
			envAdminPass, envImportBind, envImportPass, envReaderBind, envReaderPass, envSyncBind, envSyncPass} {
			vars[k] = os.Getenv(k)
		}
	} else {
		path, err := findEnvFile()
		if err != nil {
			return nil, err
		}
		if vars, err = readEnvFile(path); err != nil {
			return nil, err
		}
	}
	for _, k := range []string{envURL, envBaseDN, envCAFile, envAdminBind, envAdminPass,
		envImportBind, envImportPass, envSyncBind, envSyncPass} {
		if vars[k] == "" {
			return nil, fmt.Errorf("lab settings lack %s", k)
		}
	}
	l := &Lab{
		Dir:    vars[envDir],
		URL:    vars[envURL],
		BaseDN: vars[envBaseDN],
		Realm:  vars[envRealm],
		CAFile: vars[envCAFile],
	}
	var err error
	if l.Admin, err = account(vars[envAdminBind], vars[envAdminPass]); err != nil {
		return nil, err
	}
	if l.Import, err = account(vars[envImportBind], vars[envImportPass]); err != nil {
		return nil, err
	}
	if l.Sync, err = account(vars[envSyncBind], vars[envSyncPass]); err != nil {
		return nil, err
	}
	if vars[envReaderBind] != "" {
		if l.Reader, err = account(vars[envReaderBind], vars[envReaderPass]); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func findEnvFile() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		path := filepath.Join(dir, ".lab", "env")
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no lab: neither " + envURL + " nor .lab/env found (run scripts/lab up)")
		}
		dir = parent
	}
}

// readEnvFile parses the lines `export NAME='value'` that scripts/lab writes.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			return nil, fmt.Errorf("%s: cannot parse %q", path, line)
		}
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		vars[k] = v
	}
	return vars, sc.Err()
}

func account(bind, passwordFile string) (Account, error) {
	b, err := os.ReadFile(passwordFile)
	if err != nil {
		return Account{}, fmt.Errorf("lab password for %s: %w", bind, err)
	}
	return Account{
		Bind:         bind,
		Password:     secret.New(strings.TrimRight(string(b), "\r\n")),
		PasswordFile: passwordFile,
	}, nil
}

// reachable tells a stale .lab/env (lab stopped) from a running lab.
func (l *Lab) reachable() error {
	u, err := url.Parse(l.URL)
	if err != nil {
		return fmt.Errorf("lab URL %q: %w", l.URL, err)
	}
	c, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		return fmt.Errorf("lab not answering at %s (run scripts/lab up): %w", l.URL, err)
	}
	return c.Close()
}

// TLSConfig returns a new TLS configuration that trusts only the lab CA and
// verifies the DC's certificate against the host in [Lab.URL].
func (l *Lab) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	if pem, err := os.ReadFile(l.CAFile); err == nil {
		pool.AppendCertsFromPEM(pem)
	}
	host := ""
	if u, err := url.Parse(l.URL); err == nil {
		host = u.Hostname()
	}
	return &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}
}

// Dial connects to the lab over LDAPS with full certificate verification and
// binds as a. The connection is closed when the test ends.
func (l *Lab) Dial(t testing.TB, a Account) *ldap.Conn {
	t.Helper()
	c, err := l.dial(a)
	if err != nil {
		t.Fatalf("ldaptest: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (l *Lab) dial(a Account) (*ldap.Conn, error) {
	// 30 s, not less: when go test starts every package at once on a
	// 2-core machine, Samba's TLS handshake has been seen to take over 5 s.
	c, err := ldap.DialURL(l.URL, ldap.DialWithTLSConfig(l.TLSConfig()),
		ldap.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", l.URL, err)
	}
	c.SetTimeout(time.Minute)
	if err := c.Bind(a.Bind, a.Password.Reveal()); err != nil {
		c.Close()
		return nil, fmt.Errorf("bind as %s: %w", a.Bind, err)
	}
	return c, nil
}

// NeedReader fails the test when the lab has no [Lab.Reader] (it was set
// up before jcreader existed): `scripts/lab up` adds it.
func (l *Lab) NeedReader(t testing.TB) {
	t.Helper()
	if l.Reader.Bind == "" {
		t.Fatalf("the lab has no jcreader account (%s unset): run scripts/lab up", envReaderBind)
	}
}

// TempOU creates an organizational unit for this test directly under the
// base DN, as Administrator, and returns its DN. Its name comes from
// t.Name() plus a random suffix, so parallel tests and repeated runs never
// collide. When the test ends the OU and everything in it are deleted (the
// subtree delete control, 1.2.840.113556.1.4.805). Keep what goes in it
// small: Samba deletes about 100 objects a second.
func (l *Lab) TempOU(t testing.TB) string {
	t.Helper()
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	dn := fmt.Sprintf("OU=%s-%s,%s", ouName(t.Name()), hex.EncodeToString(suffix[:]), l.BaseDN)

	c := l.Dial(t, l.Admin)
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"organizationalUnit"})
	req.Attribute("description", []string{"adjc test " + t.Name()})
	if err := c.Add(req); err != nil {
		t.Fatalf("ldaptest: create %s: %v", dn, err)
	}
	t.Cleanup(func() {
		// A fresh connection: cleanups run last-in first-out, and the test may
		// have closed or broken its own.
		c, err := l.dial(l.Admin)
		if err != nil {
			t.Errorf("ldaptest: delete %s: %v", dn, err)
			return
		}
		defer c.Close()
		del := ldap.NewDelRequest(dn, []ldap.Control{ldap.NewControlSubtreeDelete()})
		if err := c.Del(del); err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			t.Errorf("ldaptest: delete %s: %v", dn, err)
		}
	})
	return dn
}

// ouName makes t.Name() usable as an RDN value: letters, digits and '-'
// only, at most 48 characters.
func ouName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 48 {
		s = s[:48]
	}
	if s == "" {
		s = "test"
	}
	return s
}
