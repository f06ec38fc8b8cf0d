package jcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/adjc/adjc/secret"
)

// Client talks to one JumpCloud API base URL with one API key. It is safe
// for concurrent use.
type Client struct {
	v1, v2  string // base URLs, no trailing slash
	di      string // Directory Insights base URL ([WithInsightsURL])
	key     secret.Secret
	orgID   string
	hc      *http.Client
	log     *slog.Logger
	limiter *limiter
	sem     chan struct{}

	maxRetries int
	backoff    time.Duration
	backoffCap time.Duration
	sleep      func(context.Context, time.Duration) error
	jitter     func(time.Duration) time.Duration
	onRetry    func(Retry)
}

// Retry describes one retry the client is about to wait for: what failed,
// which retry this is and how long it waits. [WithRetryNotify] hands it to
// the caller, which decides whether and how to tell anyone (jcapi prints
// nothing).
type Retry struct {
	Method, Path string
	// Attempt is the retry about to be made (1-based); Max is how many
	// retries the client makes before it gives up.
	Attempt, Max int
	Delay        time.Duration
	// Err is the failure of the attempt before.
	Err error
}

// WithRetryNotify calls f before each wait for a retry, on the goroutine
// making the call (calls may run concurrently, so f must be safe for that).
func WithRetryNotify(f func(Retry)) Option { return func(c *Client) { c.onRetry = f } }

// BaseURL returns the v1 base URL the client talks to.
func (c *Client) BaseURL() string { return c.v1 }

// Option configures a [Client].
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: a client with a 60 s timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithLogger sets the logger; requests are logged at debug level (method,
// path, status, duration — never headers or bodies).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithOrgID sends x-org-id on every request; multi-tenant admins must set it.
func WithOrgID(id string) Option { return func(c *Client) { c.orgID = id } }

// WithRateLimit caps requests per second with a token bucket of size burst
// (default 20 rps, burst 20). rps <= 0 turns the limit off.
func WithRateLimit(rps float64, burst int) Option {
	return func(c *Client) { c.limiter = newLimiter(rps, burst) }
}

// WithConcurrency bounds the requests in flight at once (default 4).
func WithConcurrency(n int) Option {
	return func(c *Client) {
		if n < 1 {
			n = 1
		}
		c.sem = make(chan struct{}, n)
	}
}

// WithRetry sets how often a retryable failure is retried (max, default 5)
// and the exponential backoff: base delay (default 500 ms), doubled per
// attempt, capped at cap (default 30 s), with full jitter. Tests pass
// millisecond values to keep retries fast.
func WithRetry(max int, base, cap time.Duration) Option {
	return func(c *Client) { c.maxRetries, c.backoff, c.backoffCap = max, base, cap }
}

// WithSleep replaces the function that waits between retries; it must return
// ctx.Err() when ctx ends first. Tests use it to record or skip backoff.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// New returns a client for the v1 base URL baseURL (config resolves a region to one; v2 is
// baseURL+"/v2"; Directory Insights is api.<region>/insights/directory/v1 for a
// console.<region> URL, else /insights/directory/v1 beside /api) authenticated
// by apiKey.
func New(baseURL string, apiKey secret.Secret, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("jcapi: base URL %q is not an absolute URL", baseURL)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("jcapi: base URL %q: scheme must be http or https", baseURL)
	}
	if apiKey.IsZero() {
		return nil, errors.New("jcapi: empty API key")
	}
	base := strings.TrimRight(baseURL, "/")
	c := &Client{
		v1:         base,
		v2:         base + "/v2",
		di:         insightsURL(base),
		key:        apiKey,
		hc:         &http.Client{Timeout: 60 * time.Second},
		log:        slog.New(slog.DiscardHandler),
		limiter:    newLimiter(20, 20),
		sem:        make(chan struct{}, 4),
		maxRetries: 5,
		backoff:    500 * time.Millisecond,
		backoffCap: 30 * time.Second,
		sleep:      sleepCtx,
		jitter:     func(d time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(d) + 1)) },
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// OrgID returns the org id sent in x-org-id, if any.
func (c *Client) OrgID() string { return c.orgID }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// call describes one logical API call, which may take several attempts.
type call struct {
	method string
	base   string // c.v1 or c.v2
	path   string // e.g. /systemusers/{id}, ids filled in
	query  url.Values
	body   any
	out    any
	// noOrgHeader leaves x-org-id out on the paths whose operation does
	// not declare trait_multiTenantRequestHeaders_x-org-id; the v1
	// "Multi-Tenant Portal Headers" section says such a route answers 403.
	noOrgHeader bool
	// retryOK decides whether an answer to a retried attempt counts as
	// success: a graph add that returns 409 on retry already happened.
	retryOK func(status int) bool
	// beforeRetry runs before every retry of a call whose earlier attempt
	// may have been processed (transport error or 5xx). If it reports
	// done, the call ends with its error. Creates use it to look up the
	// object the lost attempt may have made.
	beforeRetry func(ctx context.Context, lastErr error) (done bool, err error)
}

// do runs a call with retries and decodes a 2xx body into out. It returns the
// response header of the final attempt.
func (c *Client) do(ctx context.Context, cl call) (http.Header, error) {
	var body []byte
	if cl.body != nil {
		var err error
		if body, err = json.Marshal(cl.body); err != nil {
			return nil, fmt.Errorf("%s %s: encode body: %w", cl.method, cl.path, err)
		}
	}
	u := cl.base + cl.path
	if len(cl.query) > 0 {
		u += "?" + encodeQuery(cl.query)
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			delay := c.delay(attempt, lastErr)
			c.log.Debug("jcapi retry", "method", cl.method, "path", cl.path, "attempt", attempt, "delay", delay, "err", lastErr)
			if c.onRetry != nil {
				c.onRetry(Retry{Method: cl.method, Path: cl.path, Attempt: attempt, Max: c.maxRetries, Delay: delay, Err: lastErr})
			}
			if err := c.sleep(ctx, delay); err != nil {
				return nil, fmt.Errorf("%s %s: %w (last error: %w)", cl.method, cl.path, err, lastErr)
			}
			if cl.beforeRetry != nil && maybeProcessed(lastErr) {
				if done, err := cl.beforeRetry(ctx, lastErr); done {
					return nil, err
				}
			}
		}
		hdr, status, err := c.attempt(ctx, cl, u, body)
		if err == nil {
			return hdr, nil
		}
		if attempt > 0 && cl.retryOK != nil && status != 0 && cl.retryOK(status) {
			return hdr, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, ctx.Err())
		}
		lastErr = err
		if !retryable(err) || attempt >= c.maxRetries {
			var te *transportError
			if errors.As(err, &te) {
				return nil, &UnreachableError{URL: c.v1, Attempts: attempt + 1, Err: err}
			}
			return nil, err
		}
	}
}

// attempt sends one request. status is 0 when no response arrived.
func (c *Client) attempt(ctx context.Context, cl call, u string, body []byte) (http.Header, int, error) {
	if err := c.limiter.wait(ctx); err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("%s %s: %w", cl.method, cl.path, ctx.Err())
	}
	defer func() { <-c.sem }()

	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, rd)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("x-api-key", c.key.Reveal())
	if c.orgID != "" && !cl.noOrgHeader {
		req.Header.Set("x-org-id", c.orgID)
	}
	start := time.Now()
	callsFrom(ctx).add()
	resp, err := c.hc.Do(req)
	if err != nil {
		// url.Error carries the URL, never headers, so the key cannot leak here.
		return nil, 0, &transportError{method: cl.method, path: cl.path, err: err}
	}
	defer resp.Body.Close()
	// Read one byte past the cap so an oversized body is an error rather
	// than a truncated document that may still decode.
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	c.log.Debug("jcapi request", "method", cl.method, "path", cl.path, "status", resp.StatusCode, "duration", time.Since(start))
	if t := traceFrom(ctx); t != nil && t.Response != nil {
		t.Response(cl.method, cl.path, resp.StatusCode)
	}
	if err != nil {
		return nil, resp.StatusCode, &transportError{method: cl.method, path: cl.path, err: err}
	}
	if len(data) > maxBody {
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			// The status says enough; the body is not worth keeping.
			return resp.Header, resp.StatusCode, newAPIError(cl.method, cl.path, resp, nil)
		}
		return nil, resp.StatusCode, fmt.Errorf("%s %s: response body larger than %d MiB: refusing to read it", cl.method, cl.path, maxBody>>20)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, resp.StatusCode, newAPIError(cl.method, cl.path, resp, data)
	}
	if cl.out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, cl.out); err != nil {
			return nil, resp.StatusCode, fmt.Errorf("%s %s: decode response: %w", cl.method, cl.path, err)
		}
	}
	return resp.Header, resp.StatusCode, nil
}

// maxBody caps a response body. A page of 100 users is a few hundred KiB;
// anything near the cap is a broken or hostile server.
const maxBody = 64 << 20

// transportError is a request that got no (complete) response.
type transportError struct {
	method, path string
	err          error
}

func (e *transportError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.method, e.path, e.err)
}
func (e *transportError) Unwrap() error { return e.err }

func newAPIError(method, path string, resp *http.Response, data []byte) error {
	e := &APIError{Method: method, Path: path, Status: resp.StatusCode}
	var body struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
		Error   string          `json:"error"`
		Status  json.RawMessage `json:"status"`
		Details []ErrorDetail   `json:"details"`
	}
	if json.Unmarshal(data, &body) == nil {
		e.Message = body.Message
		if e.Message == "" {
			e.Message = body.Error
		}
		// status is a string in the spec; tolerate a number.
		var s string
		if json.Unmarshal(body.Status, &s) == nil {
			e.Code = s
		}
		e.Details = body.Details
	}
	if e.Message == "" {
		e.Message = strings.ToLower(http.StatusText(resp.StatusCode))
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
	return e
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// retryable: transport errors, 429 and 5xx. Never other 4xx.
func retryable(err error) bool {
	var te *transportError
	if errors.As(err, &te) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusTooManyRequests || ae.Status >= 500
	}
	return false
}

// maybeProcessed reports whether the failed attempt may have changed state
// on the server: a lost response or a server error, but not a 429.
func maybeProcessed(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500
	}
	return true
}

// delay is the wait before retry number attempt (1-based): full jitter over
// an exponential backoff capped at backoffCap, or Retry-After if longer.
func (c *Client) delay(attempt int, lastErr error) time.Duration {
	d := c.backoff
	for i := 1; i < attempt && d < c.backoffCap; i++ {
		d *= 2
	}
	d = min(d, c.backoffCap)
	d = c.jitter(d)
	var ae *APIError
	if errors.As(lastErr, &ae) && ae.RetryAfter > d {
		// Honour the server, but never wait more than 10 minutes on its word.
		d = min(ae.RetryAfter, 10*time.Minute)
	}
	return d
}

// encodeQuery encodes like url.Values.Encode but leaves '$', ':' and ','
// readable, as JumpCloud's filter examples are written
// (filter=username:$eq:jdoe); both forms decode the same.
func encodeQuery(q url.Values) string {
	s := q.Encode()
	r := strings.NewReplacer("%24", "$", "%3A", ":", "%2C", ",")
	return r.Replace(s)
}
