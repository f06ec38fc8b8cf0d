package jcapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/assert"
)

// The official specs are loaded once per test binary: v2-index.yaml is
// 2.9 MB and takes about half a second to load and route. Every test's
// traffic then goes through validatingTransport, so each request the client
// sends and each response the emulator returns is checked against them.

type spec struct {
	doc    *openapi3.T
	router routers.Router
}

var specs struct {
	once   sync.Once
	v1, v2 *spec
	dir    string
	load   time.Duration
	err    error
}

// specDir is the vendored copy of JumpCloud's official specs (see its
// README.md for provenance). Tests run in the package folder, so the path is
// relative and a plain clone has everything the contract checks need.
const specDir = "testdata/spec"

func loadSpec(path string) (*spec, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromFile(path)
	if err != nil {
		return nil, err
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &spec{doc: doc, router: r}, nil
}

// loadSpecs returns the specs. A missing or broken spec fails the test: the
// specs are part of the repository, so the contract checks never skip.
func loadSpecs(t testing.TB) (v1, v2 *spec) {
	t.Helper()
	specs.once.Do(func() {
		start := time.Now()
		specs.dir = specDir
		if specs.v1, specs.err = loadSpec(filepath.Join(specs.dir, "v1-index.yaml")); specs.err != nil {
			return
		}
		specs.v2, specs.err = loadSpec(filepath.Join(specs.dir, "v2-index.yaml"))
		specs.load = time.Since(start)
	})
	if specs.err != nil {
		t.Fatalf("load the vendored JumpCloud spec from %s: %v", specs.dir, specs.err)
	}
	return specs.v1, specs.v2
}

// validatingTransport checks every exchange against the specs and reports
// violations through t.Errorf.
type validatingTransport struct {
	t      testing.TB
	next   http.RoundTripper
	v1, v2 *spec
}

func newValidatingTransport(t testing.TB) *validatingTransport {
	v1, v2 := loadSpecs(t)
	return &validatingTransport{t: t, next: http.DefaultTransport, v1: v1, v2: v2}
}

func (vt *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	sp := vt.v1
	if strings.HasPrefix(req.URL.Path, "/api/v2/") {
		sp = vt.v2
	}
	// Route as if the request went to the spec's server.
	probe := req.Clone(context.Background())
	probe.URL.Scheme, probe.URL.Host, probe.Host = "https", "console.jumpcloud.com", "console.jumpcloud.com"
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := sp.router.FindRoute(probe)
	if err != nil {
		vt.t.Errorf("contract: %s %s: no such operation in the spec: %v", req.Method, req.URL.Path, err)
		return vt.next.RoundTrip(req)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{
			MultiError: true,
			AuthenticationFunc: func(_ context.Context, ai *openapi3filter.AuthenticationInput) error {
				if ai.RequestValidationInput.Request.Header.Get("x-api-key") == "" {
					return errors.New("x-api-key header missing")
				}
				return nil
			},
		},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		vt.t.Errorf("contract: request %s %s violates the spec: %v", req.Method, req.URL.Path, err)
	}

	resp, err := vt.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		var re *openapi3filter.ResponseError
		if errors.As(err, &re) && re.Reason == "status is not supported" && resp.StatusCode >= 400 {
			// The spec declares few error statuses (many v2 operations
			// list none, though JumpCloud returns 400/401/404/409/429/5xx).
			// An undeclared error must still be a components.schemas.Error.
			vt.checkErrorBody(sp, req, resp.StatusCode, body)
		} else {
			vt.t.Errorf("contract: response %d to %s %s violates the spec: %v\nbody: %.400s", resp.StatusCode, req.Method, req.URL.Path, err, body)
		}
	}
	return resp, nil
}

func (vt *validatingTransport) checkErrorBody(sp *spec, req *http.Request, status int, body []byte) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		vt.t.Errorf("contract: error %d to %s %s is not JSON: %.200s", status, req.Method, req.URL.Path, body)
		return
	}
	if err := sp.doc.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
		vt.t.Errorf("contract: error %d to %s %s is not an Error: %v", status, req.Method, req.URL.Path, err)
	}
}

// TestSpecLoad reports what loading the specs costs.
func TestSpecLoad(t *testing.T) {
	loadSpecs(t)
	t.Logf("specs from %s loaded and routed once in %v", specs.dir, specs.load)
}

// newEmulator starts an emulator on loopback.
func startServer(t testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// recordingTB collects contract violations instead of failing the test.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestContractCatchesViolations proves the validator is not a no-op: a
// request and a response that break the spec are both reported.
func TestContractCatchesViolations(t *testing.T) {
	t.Parallel()
	rec := &recordingTB{TB: t}
	vt := newValidatingTransport(rec)
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/systemusers":
			w.Write([]byte(`{"totalCount":"many","results":[{"state":"HAPPY"}]}`))
		default:
			w.WriteHeader(201)
			w.Write([]byte(`{"id":"x","type":"user_group","name":"n"}`))
		}
	}))
	hc := &http.Client{Transport: vt}
	send := func(method, path, body string, hdr map[string]string) {
		req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}
	send("GET", "/api/systemusers", "", map[string]string{"x-api-key": "k"})
	send("POST", "/api/v2/usergroups", `{"description":"no name"}`, map[string]string{"x-api-key": "k"})
	send("POST", "/api/v2/usergroups", `{"name":"ok"}`, nil)
	send("GET", "/api/nosuchthing", "", map[string]string{"x-api-key": "k"})
	all := strings.Join(rec.errs, "\n")
	for _, want := range []string{
		"response 200 to GET /api/systemusers violates the spec", // totalCount type, state enum
		"request POST /api/v2/usergroups violates the spec",      // name is required / x-api-key missing
		"x-api-key header missing",
		"no such operation in the spec",
	} {
		assert.Contains(t, all, want)
	}
}
