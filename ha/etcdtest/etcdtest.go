// Package etcdtest runs a real, throwaway etcd server for tests: Debian's
// etcd-server binary (scripts/etcd install puts it on PATH), one member on
// loopback, data in the test's temporary folder, gone when the test ends.
//
// [Start] skips the test, saying why, when no etcd binary is found, unless
// ADJC_ETCD_REQUIRED=1 (scripts/test sets it): then it fails, so CI cannot
// pass by skipping. ADJC_ETCD_BIN names the binary when it is not "etcd" on
// PATH.
//
// A server can be stopped and started again on the same ports and data
// ([Server.Stop], [Server.Start]), which is how tests cut a leader off from
// etcd and bring etcd back.
package etcdtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Environment variables read by [Start].
const (
	EnvRequired = "ADJC_ETCD_REQUIRED"
	EnvBin      = "ADJC_ETCD_BIN"
)

// Server is one running (or stopped) single-member etcd.
type Server struct {
	// Endpoint is the client URL, http://127.0.0.1:port (https:// from
	// [StartTLS]).
	Endpoint string
	// With [StartTLS]: the CA that signed the server's and the client's
	// certificates, and the client certificate etcd requires.
	CAFile, CertFile, KeyFile string
	serverCert, serverKey     string

	t       testing.TB
	bin     string
	dir     string
	peerURL string
	cmd     *exec.Cmd
	exited  chan struct{}
	logFile string
}

// Start starts a server for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, false)
}

// StartTLS is [Start] with TLS on the client URL: a server certificate for
// 127.0.0.1 from a CA of the test's own, and client certificates required
// (etcd's --client-cert-auth).
func StartTLS(t testing.TB) *Server {
	t.Helper()
	return start(t, true)
}

func start(t testing.TB, useTLS bool) *Server {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		if os.Getenv(EnvRequired) == "1" {
			t.Fatalf("etcdtest: %v (%s=1: the test needs etcd; run 'scripts/etcd install')", err, EnvRequired)
		}
		t.Skipf("etcdtest: %v; run 'scripts/etcd install' or set %s=1 to fail instead of skipping", err, EnvRequired)
	}
	dir := t.TempDir()
	client, peer := freePort(t), freePort(t)
	s := &Server{
		Endpoint: "http://127.0.0.1:" + client,
		t:        t,
		bin:      bin,
		dir:      dir,
		peerURL:  "http://127.0.0.1:" + peer,
		logFile:  filepath.Join(dir, "etcd.log"),
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			if b, err := os.ReadFile(s.logFile); err == nil && len(b) > 0 {
				t.Logf("etcd log:\n%s", tail(b, 4000))
			}
		}
	})
	if useTLS {
		s.Endpoint = "https://127.0.0.1:" + client
		s.makeCerts()
	}
	s.Start()
	return s
}

func findBinary() (string, error) {
	if bin := os.Getenv(EnvBin); bin != "" {
		return bin, nil
	}
	bin, err := exec.LookPath("etcd")
	if err != nil {
		return "", errors.New("no etcd binary on PATH")
	}
	return bin, nil
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before etcd binds it; on this loopback-only test that is rare and
// shows as a failed start, not as a wrong result.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("etcdtest: free port: %v", err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// Start starts the server (again, after [Server.Stop]) and waits until it
// answers its health check.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatal("etcdtest: Start: already running")
	}
	log, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatalf("etcdtest: %v", err)
	}
	defer log.Close()
	clientURL := s.Endpoint
	// A short raft heartbeat and election timeout make the single member
	// leader in well under a second (Debian's 3.4 defaults take up to 1 s).
	args := []string{
		"--name", "t1",
		"--data-dir", filepath.Join(s.dir, "data"),
		"--listen-client-urls", clientURL,
		"--advertise-client-urls", clientURL,
		"--listen-peer-urls", s.peerURL,
		"--initial-advertise-peer-urls", s.peerURL,
		"--initial-cluster", "t1=" + s.peerURL,
		"--initial-cluster-state", "new",
		"--heartbeat-interval", "10",
		"--election-timeout", "100",
		"--logger", "zap",
		"--log-level", "warn",
	}
	if s.CAFile != "" {
		args = append(args, "--cert-file", s.serverCert, "--key-file", s.serverKey,
			"--client-cert-auth", "--trusted-ca-file", s.CAFile)
	}
	s.cmd = exec.Command(s.bin, args...)
	DieWithParent(s.cmd)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		s.cmd = nil
		s.t.Fatalf("etcdtest: start %s: %v", s.bin, err)
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(s.cmd, s.exited)
	if err := s.waitHealthy(30 * time.Second); err != nil {
		s.t.Fatalf("etcdtest: %v", err)
	}
}

// waitHealthy polls the /health endpoint etcd serves on its client URL.
func (s *Server) waitHealthy(limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	hc := http.DefaultClient
	if s.CAFile != "" {
		tc, err := s.clientTLS()
		if err != nil {
			return err
		}
		hc = &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
	}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint+"/health", nil)
		resp, err := hc.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(b), `"true"`) {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("etcd exited before it was healthy (log %s)", s.logFile)
		case <-ctx.Done():
			return fmt.Errorf("etcd not healthy after %s (log %s)", limit, s.logFile)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop stops the server with SIGTERM (SIGKILL after 10 s) and waits for it
// to exit. The data stays for [Server.Start]. Stopping a stopped server
// does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// makeCerts writes a CA, a server certificate for 127.0.0.1 and a client
// certificate (ECDSA P-256, PEM) to the server's folder.
func (s *Server) makeCerts() {
	s.t.Helper()
	caKey, caCert, caDER := newCert(s.t, nil, nil, &x509.Certificate{
		Subject: pkix.Name{CommonName: "etcdtest CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	})
	write := func(name string, der []byte, typ string) string {
		path := filepath.Join(s.dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			s.t.Fatalf("etcdtest: %v", err)
		}
		return path
	}
	s.CAFile = write("ca.pem", caDER, "CERTIFICATE")
	srvKey, _, srvDER := newCert(s.t, caCert, caKey, &x509.Certificate{
		Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	})
	s.serverCert = write("server.pem", srvDER, "CERTIFICATE")
	s.serverKey = write("server-key.pem", marshalKey(s.t, srvKey), "PRIVATE KEY")
	cliKey, _, cliDER := newCert(s.t, caCert, caKey, &x509.Certificate{
		Subject: pkix.Name{CommonName: "adjc"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	s.CertFile = write("client.pem", cliDER, "CERTIFICATE")
	s.KeyFile = write("client-key.pem", marshalKey(s.t, cliKey), "PRIVATE KEY")
}

var serial atomic.Int64

// newCert signs tmpl with parent/parentKey, or self-signs it when parent is
// nil, and returns its key, parsed certificate and DER.
func newCert(t testing.TB, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, tmpl *x509.Certificate) (*ecdsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	tmpl.SerialNumber = big.NewInt(serial.Add(1))
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	return key, cert, der
}

func marshalKey(t testing.TB, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	return der
}

func (s *Server) clientTLS() (*tls.Config, error) {
	b, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b)
	cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
