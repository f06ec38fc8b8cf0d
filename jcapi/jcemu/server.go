package jcemu

import (
	"bytes"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
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
	lag      *time.Duration // Directory Insights ingestion lag; nil: DefaultInsightsLag

	// Persistence is coalesced: a write marks the state dirty and a flusher
	// saves it at most every flushEvery. Saving after every call re-encoded
	// the whole state each time, which made importing a few thousand users
	// into the lab emulator quadratic (77 s for the lab fixture).
	dirty     bool
	flushOnce sync.Once
	stop      chan struct{}
	stopped   chan struct{}
}

// flushEvery bounds how much state a crash of a persisting emulator can
// lose while the state is small.
const flushEvery = 200 * time.Millisecond

// flushShare keeps saving from holding the lock most of the time once the
// state is large: after a save that took d, the next waits at least
// flushShare×d. A 10,000-user org encodes to over 100 MB; at a fixed
// 200 ms the emulator spent most of a bench import re-encoding it under the
// lock (38–42 min for the first import on a loaded machine).
const flushShare = 20

// nextFlush is how long the flusher waits after a save that took took.
func nextFlush(took time.Duration) time.Duration {
	return max(flushEvery, flushShare*took)
}

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
	case fault != nil && fault.Empty:
		w.Header().Set("x-total-count", "0")
		writeJSON(w, http.StatusOK, []any{})
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

// startFlusher runs the goroutine that saves dirty state; called once, under s.mu.
func (s *Server) startFlusher() {
	// The goroutine keeps its own copies: Close clears s.stop under the lock.
	stop, stopped := make(chan struct{}), make(chan struct{})
	s.stop, s.stopped = stop, stopped
	go func() {
		defer close(stopped)
		t := time.NewTimer(flushEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.mu.Lock()
				start := time.Now()
				s.flushLocked()
				s.mu.Unlock()
				t.Reset(nextFlush(time.Since(start)))
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
