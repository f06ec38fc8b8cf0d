package jcemu

import (
	"bytes"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is the emulator. Create it with [New]; it is safe for concurrent use.
type Server struct {
	mu       sync.Mutex
	st       *state
	now      func() time.Time
	log      *slog.Logger
	rng      *rand.Rand
	mux      *http.ServeMux
	file     string // state file, "" for none
	idPrefix string // from WithIDPrefix
	chaos    Chaos
	fails    []*Fault
	calls    map[string]int
	total    int

	// Persistence is coalesced: a write marks the state dirty and a flusher
	// saves it at most every flushEvery. Saving after every call re-encoded
	// the whole state each time, which made importing a few thousand users
	// into the lab emulator quadratic (77 s for the lab fixture).
	dirty     bool
	flushOnce sync.Once
	stop      chan struct{}
	stopped   chan struct{}
}

// flushEvery bounds how much state a crash of a persisting emulator can lose.
const flushEvery = 200 * time.Millisecond

// Option configures a [Server].
type Option func(*Server)

// WithClock sets the clock used for created, password_date and updatedAt.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithLogger logs each call at debug level (method, path, status).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithSeed seeds the random source behind chaos faults and connect keys
// (default 1), so a run is reproducible.
func WithSeed(seed uint64) Option {
	return func(s *Server) { s.rng = rand.New(rand.NewPCG(seed, seed^0x6a636575)) }
}

// WithChaos sets random faults and latency from the start; see [Server.SetChaos].
func WithChaos(c Chaos) Option { return func(s *Server) { s.chaos = c } }

// WithIDPrefix makes the emulator's ids start with prefix (8 lower-case hex
// digits) instead of [DefaultIDPrefix]. Real JumpCloud ids are unique across
// organisations; two emulators issuing the same sequence are not, so tests
// that share one AD domain controller (where adjc records JumpCloud ids as
// anchors) give each emulator its own prefix, e.g. [RandomIDPrefix].
func WithIDPrefix(prefix string) Option { return func(s *Server) { s.idPrefix = prefix } }

// RandomIDPrefix returns a random prefix for [WithIDPrefix].
func RandomIDPrefix() string {
	b := make([]byte, 4)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// WithStateFile loads state from path when it exists and writes it back,
// atomically, within 200 ms of a change and on [Server.Close], so a lab
// emulator survives restarts.
func WithStateFile(path string) Option { return func(s *Server) { s.file = path } }

// New returns an empty emulator. Seed it with [Server.AddOrg],
// [Server.AddAPIKey] and friends. With [WithStateFile] it may fail to read
// the file; New then panics only if the file exists and is corrupt — use
// [Open] to get that as an error.
func New(opts ...Option) *Server {
	s, err := Open(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Open is [New] returning the error from reading the state file.
func Open(opts ...Option) (*Server, error) {
	s := &Server{
		st:    newState(),
		now:   time.Now,
		log:   slog.New(slog.DiscardHandler),
		calls: map[string]int{},
	}
	WithSeed(1)(s)
	for _, o := range opts {
		o(s)
	}
	if s.file != "" {
		if err := s.load(); err != nil {
			return nil, err
		}
	}
	if s.idPrefix != "" {
		if !idPrefixRE.MatchString(s.idPrefix) {
			return nil, fmt.Errorf("jcemu: id prefix %q: want 8 lower-case hex digits", s.idPrefix)
		}
		s.st.IDPrefix = s.idPrefix
	}
	s.routes()
	return s, nil
}

// Chaos is random trouble applied to every call.
type Chaos struct {
	Rate429 float64       // share of calls answered 429 before processing
	Rate5xx float64       // share of calls answered 503 before processing
	Latency time.Duration // added to every call
}

// SetChaos replaces the random faults and latency.
func (s *Server) SetChaos(c Chaos) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chaos = c
}

// Fault makes the next Times calls matching Method and Path fail.
type Fault struct {
	// Method matches the HTTP method; "" matches any.
	Method string
	// Path is a path.Match pattern on the URL path, e.g. "/api/systemusers"
	// or "/api/v2/usergroups/*/members"; "" matches any.
	Path string
	// Times is how many matching calls fail (default 1).
	Times int
	// Status answers the call with this status and an error body, without
	// processing it (429, 500, 503, …).
	Status int
	// RetryAfter, with Status, sends a Retry-After header in whole seconds.
	RetryAfter time.Duration
	// Drop processes the call, then closes the connection without an
	// answer: the client cannot tell whether it happened.
	Drop bool
	// Skew, on a list call, adds this to the request's skip before it is
	// served: -limit serves the previous page again, -1 a page shifted by
	// one (as when an object is created ahead of the reader between pages),
	// +n skips n objects (as when one is deleted).
	Skew int
	// After lets this many matching calls through untouched before the
	// fault applies, e.g. After: 1 to hit the second page of a list.
	After int
}

// FailNext schedules a fault. Faults are checked in the order scheduled.
func (s *Server) FailNext(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times < 1 {
		f.Times = 1
	}
	s.fails = append(s.fails, &f)
}

// Calls returns how many calls each route served, keyed like
// "GET /api/systemusers" (the route pattern, not the concrete path).
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// TotalCalls returns how many calls the server received, faults included.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// ResetCalls zeroes the call counters.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls, s.total = map[string]int{}, 0
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.total++
	chaos := s.chaos
	fault := s.takeFault(r)
	var roll429, roll5xx float64
	if chaos.Rate429 > 0 || chaos.Rate5xx > 0 {
		roll429, roll5xx = s.rng.Float64(), s.rng.Float64()
	}
	s.mu.Unlock()

	if chaos.Latency > 0 {
		t := time.NewTimer(chaos.Latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	switch {
	case fault != nil && fault.Status != 0:
		if fault.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(fault.RetryAfter.Round(time.Second)/time.Second)))
		}
		writeError(w, fault.Status, "injected fault")
		return
	case chaos.Rate429 > 0 && roll429 < chaos.Rate429:
		writeError(w, http.StatusTooManyRequests, "too many requests")
		return
	case chaos.Rate5xx > 0 && roll5xx < chaos.Rate5xx:
		writeError(w, http.StatusServiceUnavailable, "service unavailable")
		return
	}
	if fault != nil && fault.Skew != 0 {
		q := r.URL.Query()
		skip, _ := strconv.Atoi(q.Get("skip"))
		q.Set("skip", strconv.Itoa(max(0, skip+fault.Skew)))
		r.URL.RawQuery = q.Encode()
	}
	if fault != nil && fault.Drop {
		rec := &bufferedWriter{header: http.Header{}}
		s.mux.ServeHTTP(rec, r)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		// No hijacking (HTTP/2): abort the response instead.
		panic(http.ErrAbortHandler)
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) takeFault(r *http.Request) *Fault {
	for i, f := range s.fails {
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if f.Path != "" {
			if ok, _ := path.Match(f.Path, r.URL.Path); !ok {
				continue
			}
		}
		if f.After > 0 {
			f.After-- // this call passes this fault; a later one may still match
			continue
		}
		f.Times--
		if f.Times <= 0 {
			s.fails = append(s.fails[:i], s.fails[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

// bufferedWriter swallows a response that is about to be dropped.
type bufferedWriter struct {
	header http.Header
	buf    bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }
func (b *bufferedWriter) WriteHeader(int)             {}

// reqCtx is what a handler gets: the org resolved from the headers, and
// the route pattern that matched.
type reqCtx struct {
	org     *org
	key     *apiKey
	pattern string
}

type handlerFunc func(s *Server, c reqCtx, w http.ResponseWriter, r *http.Request)

// orgHeaderRule says how a route finds its org.
type orgHeaderRule int

const (
	orgScoped orgHeaderRule = iota // x-org-id picks the org (required for multi-tenant keys)
	orgNone                        // the route is not org-scoped (the org list)
	orgPath                        // the org is in the path
	orgByUser                      // the org is the key's org that holds the user in the path
)

// handle registers a route. Every call is authenticated, checked against
// the parameters and headers the spec declares for it, counted and runs
// under the server lock, so handlers see and change state atomically.
func (s *Server) handle(pattern string, rule orgHeaderRule, h handlerFunc) {
	if _, ok := declared[pattern]; !ok {
		panic("jcemu: route " + pattern + " has no entry in declared")
	}
	if (rule == orgScoped) != declaresOrg(pattern) {
		panic("jcemu: route " + pattern + ": org rule disagrees with its declared x-org-id")
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.calls[pattern]++
		if status, msg := undeclared(pattern, r); status != 0 {
			writeError(w, status, msg)
			return
		}
		rc, status, msg := s.authenticate(r, rule)
		if status != 0 {
			writeError(w, status, msg)
			return
		}
		rc.pattern = pattern
		rw := &statusWriter{ResponseWriter: w}
		h(s, rc, rw, r)
		s.log.Debug("jcemu call", "method", r.Method, "path", r.URL.Path, "status", rw.status)
		if s.file != "" && r.Method != http.MethodGet && rw.status < 300 {
			s.dirty = true
			s.flushOnce.Do(s.startFlusher)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

var (
	objectID   = regexp.MustCompile(`^[0-9a-f]{24}$`)
	idPrefixRE = regexp.MustCompile(`^[0-9a-f]{8}$`)
)

// authenticate applies x-api-key and the x-org-id rules of the v1 spec's
// "Multi-Tenant Portal Headers": 400 malformed id, 401 id missing for a
// multi-tenant admin, 404 unknown org. (403 for an id on a route that does
// not take one is [undeclared]'s.)
func (s *Server) authenticate(r *http.Request, rule orgHeaderRule) (reqCtx, int, string) {
	key := s.st.key(r.Header.Get("x-api-key"))
	if key == nil {
		return reqCtx{}, http.StatusUnauthorized, "Unauthorized"
	}
	rc := reqCtx{key: key}
	switch rule {
	case orgNone:
		return rc, 0, ""
	case orgPath:
		id := r.PathValue("id")
		if !key.allows(id) || s.st.Orgs[id] == nil {
			return rc, http.StatusNotFound, "organization not found"
		}
		rc.org = s.st.Orgs[id]
		return rc, 0, ""
	case orgByUser:
		// No x-org-id here: the user id, unique across orgs, names the org.
		for _, id := range key.Orgs {
			if o := s.st.Orgs[id]; o != nil && o.Users.Docs[r.PathValue("id")] != nil {
				rc.org = o
				return rc, 0, ""
			}
		}
		return rc, http.StatusNotFound, "user not found"
	}
	if hdr := r.Header.Get("x-org-id"); hdr != "" {
		if !objectID.MatchString(hdr) {
			return rc, http.StatusBadRequest, "malformed x-org-id"
		}
		if !key.allows(hdr) || s.st.Orgs[hdr] == nil {
			return rc, http.StatusNotFound, "organization not found"
		}
		rc.org = s.st.Orgs[hdr]
		return rc, 0, ""
	}
	if len(key.Orgs) != 1 {
		return rc, http.StatusUnauthorized, "x-org-id is required for multi-tenant administrators"
	}
	rc.org = s.st.Orgs[key.Orgs[0]]
	if rc.org == nil {
		return rc, http.StatusNotFound, "organization not found"
	}
	return rc, 0, ""
}

// errorCodes are the machine codes put in the error body's status field.
// The spec documents the field but not its values; google.rpc names match
// its own example (INVALID_ARGUMENT with fullValidationDetails).
var errorCodes = map[int]string{
	400: "INVALID_ARGUMENT",
	401: "UNAUTHENTICATED",
	403: "PERMISSION_DENIED",
	404: "NOT_FOUND",
	405: "METHOD_NOT_ALLOWED",
	409: "ALREADY_EXISTS",
	429: "RESOURCE_EXHAUSTED",
	500: "INTERNAL",
	502: "UNAVAILABLE",
	503: "UNAVAILABLE",
	504: "DEADLINE_EXCEEDED",
}

// apiError is an error body: components.schemas.Error or ErrorDetails.
type apiError struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Status  string           `json:"status"`
	Details []map[string]any `json:"details,omitempty"`
}

func newError(status int, msg string) *apiError {
	code := errorCodes[status]
	if code == "" {
		code = "UNKNOWN"
	}
	return &apiError{Code: status, Message: msg, Status: code}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeAPIError(w, newError(status, msg))
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Code, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(`{"code":500,"message":"encode response","status":"INTERNAL"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// decodeBody reads a JSON object body.
func decodeBody(r *http.Request) (map[string]any, *apiError) {
	var m map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, newError(400, "invalid JSON body: "+err.Error())
	}
	if m == nil {
		return nil, newError(400, "body must be a JSON object")
	}
	return normalizeNumbers(m).(map[string]any), nil
}

// normalizeNumbers turns json.Number into int64 or float64 so stored docs
// round-trip as the same JSON.
func normalizeNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalizeNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = normalizeNumbers(x)
		}
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n
		}
		f, _ := t.Float64()
		return f
	}
	return v
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// paging reads limit (default 10, at most max) and skip.
func paging(r *http.Request, max int) (limit, skip int, e *apiError) {
	limit, skip = 10, 0
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, newError(400, "limit must be a non-negative integer")
		}
		if n > max {
			return 0, 0, newError(400, fmt.Sprintf("limit must be at most %d", max))
		}
		if n > 0 {
			limit = n
		}
	}
	if v := q.Get("skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, newError(400, "skip must be a non-negative integer")
		}
		skip = n
	}
	return limit, skip, nil
}

func window[T any](items []T, skip, limit int) []T {
	if skip >= len(items) {
		return []T{}
	}
	return items[skip:min(len(items), skip+limit)]
}

// sortDocs sorts by the given keys ("-" prefix for descending), then by id.
func sortDocs(docs []doc, keys []string, idField string) {
	// Docs are kept in id order, so sort=_id (what clients send on every
	// page) costs nothing.
	if len(keys) == 1 && (keys[0] == "_id" || keys[0] == "id") {
		return
	}
	if len(keys) == 1 && (keys[0] == "-_id" || keys[0] == "-id") {
		slices.Reverse(docs)
		return
	}
	sort.SliceStable(docs, func(i, j int) bool {
		for _, k := range keys {
			desc := strings.HasPrefix(k, "-")
			k = strings.TrimPrefix(k, "-")
			if k == "_id" || k == "id" {
				k = idField
			}
			c := compareValues(lookup(docs[i], k), lookup(docs[j], k))
			if c != 0 {
				return (c < 0) != desc
			}
		}
		return docs[i][idField].(string) < docs[j][idField].(string)
	})
}

// startFlusher runs the goroutine that saves dirty state; called once, under s.mu.
func (s *Server) startFlusher() {
	// The goroutine keeps its own copies: Close clears s.stop under the lock.
	stop, stopped := make(chan struct{}), make(chan struct{})
	s.stop, s.stopped = stop, stopped
	go func() {
		defer close(stopped)
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.mu.Lock()
				s.flushLocked()
				s.mu.Unlock()
			}
		}
	}()
}

func (s *Server) flushLocked() {
	if !s.dirty {
		return
	}
	if err := s.saveLocked(); err != nil {
		s.log.Error("jcemu save state", "file", s.file, "err", err)
		return
	}
	s.dirty = false
}

// Close stops the background flusher and saves pending state to the state
// file, if there is one. Call it after the HTTP server has shut down.
func (s *Server) Close() error {
	s.mu.Lock()
	stop, stopped := s.stop, s.stopped
	s.stop = nil
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-stopped
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty {
		return nil
	}
	if err := s.saveLocked(); err != nil {
		return err
	}
	s.dirty = false
	return nil
}
