package ldapx_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/secret"
)

// TestTLSRefusals puts a TLS listener with certificates made here in place
// of a DC: an expired certificate, one for another host name, one from a CA
// the client does not trust, and (for contrast) a valid one. Every bad one
// is refused during the handshake — before the bind, so the password is
// never sent — with a message that says what is wrong and what to check.
// adjc has no option to skip verification (see SECURITY.md).
func TestTLSRefusals(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ca, caKey := newCA(t, "adjc test CA")
	other, otherKey := newCA(t, "some other CA")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cert tls.Certificate
		want string // in the error; "" = the handshake succeeds
	}{
		{"valid", leaf(t, ca, caKey, "127.0.0.1", now.Add(-time.Hour), now.Add(time.Hour)), ""},
		{"expired", leaf(t, ca, caKey, "127.0.0.1", now.Add(-48*time.Hour), now.Add(-24*time.Hour)), "expired"},
		{"not yet valid", leaf(t, ca, caKey, "127.0.0.1", now.Add(24*time.Hour), now.Add(48*time.Hour)), "not yet valid"},
		{"hostname mismatch", leaf(t, ca, caKey, "10.9.8.7", now.Add(-time.Hour), now.Add(time.Hour)), "127.0.0.1"},
		{"unknown CA", leaf(t, other, otherKey, "127.0.0.1", now.Add(-time.Hour), now.Add(time.Hour)), "unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{tt.cert}})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			handshook := make(chan bool, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				handshook <- c.(*tls.Conn).Handshake() == nil
			}()
			const pw = "tls-test-password-0"
			_, err = ldapx.Dial(t.Context(), ldapx.Options{URL: "ldaps://" + ln.Addr().String(), BindDN: "svc@example.com",
				Password: secret.New(pw), CAFile: caFile, DialTimeout: 5 * time.Second, OpTimeout: 2 * time.Second})
			if tt.want == "" {
				if ok := <-handshook; !ok {
					t.Fatalf("valid certificate: handshake failed")
				}
				return // the bind then fails: nothing speaks LDAP here
			}
			var e *ldapx.Error
			if !errors.As(err, &e) || e.Op != "tls handshake" {
				t.Fatalf("Dial() = %v, want a TLS handshake error", err)
			}
			msg := err.Error() + " " + ldapx.Hint(err)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("Dial() error %q, want it to mention %q", msg, tt.want)
			}
			if !strings.Contains(msg, "certificate") {
				t.Errorf("Dial() error %q does not say the certificate is the problem", msg)
			}
			if strings.Contains(msg, pw) {
				t.Errorf("Dial() error contains the password")
			}
		})
	}
}

func newCA(t *testing.T, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func leaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, ip string, from, to time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "dc"},
		NotBefore: from, NotAfter: to, IPAddresses: []net.IP{net.ParseIP(ip)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
