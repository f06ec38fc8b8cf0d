package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/secret"
)

// lab is the benchmark lab as its env file describes it.
type lab struct {
	dir, url, baseDN, caFile         string
	adminBind, adminPW               string
	importBind, importPW, importFile string
	vars                             map[string]string
}

// The fixture's scope: scripts/lab.d/scale.py puts it under OU=Scale.
const (
	scaleOU        = "OU=Scale,"
	jumpCloudGroup = "JumpCloud"
	adminsGroup    = "JumpCloud Admins"
	orgID          = "65a0c0de00000000000000b9"
)

func readLab(path string) (*lab, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read lab env (is the benchmark lab up?): %w", err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		vars[k] = strings.Trim(v, "'\"")
	}
	read := func(file string) string {
		b, err := os.ReadFile(file)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	l := &lab{dir: vars["ADJC_LAB_DIR"], url: vars["ADJC_LAB_LDAP_URL"], baseDN: vars["ADJC_LAB_BASE_DN"],
		caFile: vars["ADJC_LAB_CA_FILE"], adminBind: vars["ADJC_LAB_ADMIN_BIND"],
		adminPW: read(vars["ADJC_LAB_ADMIN_PASSWORD_FILE"]), importBind: vars["ADJC_LAB_IMPORT_BIND"],
		importPW: read(vars["ADJC_LAB_IMPORT_PASSWORD_FILE"]), importFile: vars["ADJC_LAB_IMPORT_PASSWORD_FILE"], vars: vars}
	if l.url == "" || l.adminPW == "" || l.importPW == "" {
		return nil, fmt.Errorf("%s lacks the lab's URL or passwords", path)
	}
	return l, nil
}

func (l *lab) scope() string { return scaleOU + l.baseDN }

func (l *lab) dial(ctx context.Context, admin bool) (*ldapx.Conn, error) {
	o := ldapx.Options{URL: l.url, BindDN: l.importBind, Password: secret.New(l.importPW), CAFile: l.caFile}
	if admin {
		o.BindDN, o.Password = l.adminBind, secret.New(l.adminPW)
	}
	return ldapx.Dial(ctx, o)
}

// emulator is a JumpCloud emulator on a loopback port in this process,
// with the org, API key and AD domain object adjc's config names. Writes
// that succeed are reported on writes, for the watch measurement.
type emulator struct {
	*jcemu.Server
	url, keyFile, adID string
	srv                *http.Server
	// writes gets the time each successful system-user write ended.
	writes chan time.Time
}

// startEmulator serves an emulator whose state starts as a copy of state
// (when it exists) and is kept in work/jcemu.json, so the cache is never
// written by a measurement.
func startEmulator(o options, l *lab, state string) (*emulator, error) {
	work := filepath.Join(o.work, "jcemu.json")
	os.Remove(work)
	if state != "" {
		if b, err := os.ReadFile(state); err == nil {
			if err := os.WriteFile(work, b, 0o600); err != nil {
				return nil, err
			}
		}
	}
	s, err := jcemu.Open(jcemu.WithStateFile(work))
	if err != nil {
		return nil, err
	}
	key := "bench0000000000000000000000000000000000b9"
	keyFile := filepath.Join(o.work, "jc-api-key")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		return nil, err
	}
	if !s.HasOrg(orgID) {
		if err := s.AddOrgWithID(orgID, "Bench Org"); err != nil {
			return nil, err
		}
	}
	if err := s.AddAPIKey(key, orgID); err != nil {
		return nil, err
	}
	e := &emulator{Server: s, keyFile: keyFile, writes: make(chan time.Time, 1024)}
	for _, ad := range s.ActiveDirectories(orgID) {
		if strings.EqualFold(ad.Domain, l.baseDN) {
			e.adID = ad.ID
		}
	}
	if e.adID == "" {
		ad, err := s.AddActiveDirectory(orgID, l.baseDN)
		if err != nil {
			return nil, err
		}
		e.adID = ad.ID
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.url = "http://" + ln.Addr().String() + "/api"
	e.srv = &http.Server{Handler: http.HandlerFunc(e.serve), ReadHeaderTimeout: 10 * time.Second}
	go e.srv.Serve(ln)
	return e, nil
}

// serve passes every call to the emulator and reports the end of each
// successful write to a system user: the moment JumpCloud has the change.
func (e *emulator) serve(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	e.Server.ServeHTTP(rec, r)
	if r.Method != http.MethodGet && rec.status < 300 && strings.Contains(r.URL.Path, "/systemusers") {
		select {
		case e.writes <- time.Now():
		default:
		}
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (e *emulator) close() {
	e.srv.Close()
	e.Server.Close()
}

// writeConfig writes the adjc config for the fixture's scope against e.
func writeConfig(o options, l *lab, e *emulator) (string, error) {
	state := filepath.Join(o.work, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(o.work, "adjc.yaml")
	cfg := fmt.Sprintf(`jumpcloud:
  api_url: %s
  org_id: %s
  api_key_file: %s
domains:
  - name: adjc.lab
    mode: ad-authority
    ldap_url: %s
    base_dn: %s
    root_container: %s
    bind: %s
    bind_password_file: %s
    ca_file: %s
    jumpcloud_group: %s
    admins_group: %s
    username_attribute: sAMAccountName
    jumpcloud_domain_id: %s
state_dir: %s
`, e.url, orgID, e.keyFile, l.url, l.baseDN, l.scope(), l.importBind, l.importFile, l.caFile,
		jumpCloudGroup, adminsGroup, e.adID, state)
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}
