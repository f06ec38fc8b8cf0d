package jcapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	di     *spec // Directory Insights
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
	fixSpec(doc)
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &spec{doc: doc, router: r}, nil
}

// fixSpec corrects, in memory, the spec defects the tests know of, each
// against the spec's own prose:
//   - paths./systemusers/{id}/state/activate.post types the body's email as
//     an object, while its description ("Email Flag") documents true, false
//     and an address; the prose is followed (boolean or string).
//   - Directory Insights components.schemas.EventQuery types search_after
//     items as objects, while the spec's own "Getting All the Pages of
//     Data" shows [1576181718000, "DZrPyW8BNsa9iKWoOm7h"] (a number and a
//     string, echoed from X-Search_after) and jcapi-powershell's
//     Get-JcSdkEvent types it String[]; the prose is followed (number or
//     string items).
func fixSpec(doc *openapi3.T) {
	if s := doc.Components.Schemas["EventQuery"]; s != nil && s.Value != nil {
		for _, part := range s.Value.AllOf {
			if p := part.Value.Properties["search_after"]; p != nil && p.Value != nil && p.Value.Items != nil {
				p.Value.Items = openapi3.NewSchemaRef("", openapi3.NewOneOfSchema(openapi3.NewInt64Schema(), openapi3.NewStringSchema()))
			}
		}
	}
	if pi := doc.Paths.Value("/systemusers/{id}/state/activate"); pi != nil && pi.Post != nil && pi.Post.RequestBody != nil {
		if mt := pi.Post.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
			mt.Schema.Value.Properties["email"] = openapi3.NewSchemaRef("", openapi3.NewOneOfSchema(openapi3.NewBoolSchema(), openapi3.NewStringSchema()))
			mt.Schema.Value.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
		}
	}
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
		if specs.v2, specs.err = loadSpec(filepath.Join(specs.dir, "v2-index.yaml")); specs.err != nil {
			return
		}
		specs.di, specs.err = loadSpec(filepath.Join(specs.dir, "directory-insights-v1-index.yaml"))
		specs.load = time.Since(start)
	})
	require.NoError(t, specs.err, "load the vendored JumpCloud spec from %s", specs.dir)
	return specs.v1, specs.v2
}

// validatingTransport checks every exchange against the specs and reports
// violations through assert.Failf.
type validatingTransport struct {
	t      testing.TB
	next   http.RoundTripper
	v1, v2 *spec
	// record, if set, also gets every operation reached.
	record *opSet
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
	sp, host, prefix := vt.v1, "console.jumpcloud.com", ""
	switch {
	case strings.HasPrefix(req.URL.Path, "/api/v2/"):
		sp, prefix = vt.v2, "/v2"
	case strings.HasPrefix(req.URL.Path, "/insights/directory/v1/"):
		sp, host, prefix = specs.di, "api.jumpcloud.com", "/insights/directory/v1"
	}
	// Route as if the request went to the spec's server.
	probe := req.Clone(context.Background())
	probe.URL.Scheme, probe.URL.Host, probe.Host = "https", host, host
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := sp.router.FindRoute(probe)
	if err != nil {
		assert.Failf(vt.t, "contract violated", "%s %s: no such operation in the spec: %v", req.Method, req.URL.Path, err)
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
		assert.Failf(vt.t, "contract violated", "request %s %s violates the spec: %v", req.Method, req.URL.Path, err)
	}
	for _, msg := range undeclaredInputs(route, req) {
		assert.Failf(vt.t, "contract violated", "request %s %s: %s", req.Method, req.URL.Path, msg)
	}
	if vt.record != nil {
		vt.record.add(prefix, req.Method, route.Path)
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
			assert.Failf(vt.t, "contract violated", "response %d to %s %s violates the spec: %v\nbody: %.400s", resp.StatusCode, req.Method, req.URL.Path, err, body)
		}
	}
	return resp, nil
}

// undeclaredInputs lists what a request sends that its operation does not
// declare (kin-openapi ignores unknown query parameters and headers), and
// filters whose value holds a comma, which the v2 array form would split.
// v1's filter also documents filter[N], filter[or][N] and the
// x-eventually-consistent header (components.parameters.trait_filter_filter).
func undeclaredInputs(route *routers.Route, req *http.Request) []string {
	var params openapi3.Parameters
	if route.PathItem != nil {
		params = append(params, route.PathItem.Parameters...)
	}
	params = append(params, route.Operation.Parameters...)
	query, header := map[string]bool{}, map[string]bool{}
	for _, p := range params {
		switch p.Value.In {
		case "query":
			query[p.Value.Name] = true
		case "header":
			header[strings.ToLower(p.Value.Name)] = true
		}
	}
	if route.Operation.Security != nil {
		// Directory Insights declares x-org-id as a security scheme, not a
		// parameter (paths./events.post.security).
		for _, req := range *route.Operation.Security {
			if _, ok := req["x-org-id"]; ok {
				header["x-org-id"] = true
			}
		}
	}
	v1 := !strings.HasPrefix(req.URL.Path, "/api/v2/") && !strings.HasPrefix(req.URL.Path, "/insights/")
	if v1 && query["filter"] {
		header["x-eventually-consistent"] = true
	}
	var out []string
	for k, vs := range req.URL.Query() {
		name := k
		if v1 && query["filter"] && strings.HasPrefix(k, "filter[") {
			name = "filter"
		}
		if !query[name] {
			out = append(out, fmt.Sprintf("query parameter %s is not declared by the operation", k))
		}
		if name == "filter" {
			for _, v := range vs {
				if strings.Contains(v, ",") {
					out = append(out, fmt.Sprintf("filter %q holds a comma", v))
				}
			}
		}
	}
	for k := range req.Header {
		h := strings.ToLower(k)
		if strings.HasPrefix(h, "x-") && h != "x-api-key" && !header[h] {
			out = append(out, fmt.Sprintf("header %s is not declared by the operation", h))
		}
	}
	return out
}

// opSet is a set of spec operations reached, keyed like
// "GET /v2/usergroups/{group_id}/members" (v2 paths with their /v2 prefix).
type opSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (s *opSet) add(prefix, method, path string) {
	path = prefix + path
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[method+" "+path] = true
}

func (s *opSet) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.m))
}

func (vt *validatingTransport) checkErrorBody(sp *spec, req *http.Request, status int, body []byte) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		assert.Failf(vt.t, "contract violated", "error %d to %s %s is not JSON: %.200s", status, req.Method, req.URL.Path, body)
		return
	}
	schema := sp.doc.Components.Schemas["Error"]
	if schema == nil {
		schema = sp.doc.Components.Schemas["ErrorMessage"] // Directory Insights
	}
	if err := schema.Value.VisitJSON(v); err != nil {
		assert.Failf(vt.t, "contract violated", "error %d to %s %s is not an Error: %v", status, req.Method, req.URL.Path, err)
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
	send("GET", "/api/organizations/65a0c0de0000000000000001", "", map[string]string{"x-api-key": "k", "x-org-id": "65a0c0de0000000000000001"})
	send("GET", "/api/v2/usergroups?expand=all&filter=name:eq:a,b", "", map[string]string{"x-api-key": "k"})
	all := strings.Join(rec.errs, "\n")
	for _, want := range []string{
		"response 200 to GET /api/systemusers violates the spec", // totalCount type, state enum
		"request POST /api/v2/usergroups violates the spec",      // name is required / x-api-key missing
		"x-api-key header missing",
		"no such operation in the spec",
		"header x-org-id is not declared by the operation",
		"query parameter expand is not declared by the operation",
		`filter "name:eq:a,b" holds a comma`,
	} {
		assert.Contains(t, all, want)
	}
}
