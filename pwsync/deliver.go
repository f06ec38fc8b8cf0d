package pwsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
)

// Result is how one change ended; it is the `result` label of
// adjc_password_sync_total.
type Result string

// Results of a change.
const (
	Delivered   Result = "delivered"    // JumpCloud holds the new password
	Refused     Result = "refused"      // JumpCloud's policy refuses it (checked by adjc or by JumpCloud)
	Failed      Result = "failed"       // a permanent error (bad credentials, a 4xx other than a refusal)
	GaveUp      Result = "gave_up"      // transient failures for all of RetryFor: given up, nothing kept
	Dropped     Result = "dropped"      // the queue was full or adjc was stopping
	Superseded  Result = "superseded"   // a newer change of the same account came first
	Stale       Result = "stale"        // JumpCloud's password is newer than the AD change
	OutOfScope  Result = "out_of_scope" // not a (nested) member of the JumpCloud group
	Privileged  Result = "privileged"   // adminCount=1
	NeverTouch  Result = "never_touch"  // a well-known account, adjc's bind account or the never-touch list
	NotImported Result = "not_imported" // in scope but no JumpCloud user carries its anchor yet
	NotFound    Result = "not_found"    // no such user in AD (deleted since)
)

// Results lists every [Result], for metrics that start at zero.
var Results = []Result{Delivered, Refused, Failed, GaveUp, Dropped, Superseded, Stale, OutOfScope, Privileged, NeverTouch, NotImported, NotFound}

// Outcome is what became of one change. It never holds the password.
type Outcome struct {
	ID      ID
	Account string // sAMAccountName as AD has it (or as the capture said)
	GUID    string // objectGUID, when it was resolved
	UserID  string // JumpCloud system user id, when it was resolved
	Result  Result
	// Reason says why, in words, for every result but Delivered.
	Reason string
	// Captured is when the capture point handed the change over; Done when
	// the outcome was decided.
	Captured, Done time.Time
	Attempts       int
}

// Ignored reports whether the change was deliberately not delivered
// (scope, safety rules), as opposed to refused or failed.
func (o Outcome) Ignored() bool {
	switch o.Result {
	case OutOfScope, Privileged, NeverTouch, NotImported, NotFound, Superseded, Stale:
		return true
	}
	return false
}

// Options configure a [Deliverer].
type Options struct {
	// Directory returns a bound connection to the domain; the Deliverer
	// keeps it and dials again after an error.
	Directory func(context.Context) (*ldapx.Conn, error)
	// JumpCloud is the API client (it has its own retries for 429 and 5xx).
	JumpCloud *jcapi.Client
	// ScopeGroupDN is the JumpCloud group's DN: only its nested members are
	// delivered.
	ScopeGroupDN string
	// NeverTouch is the domain's never-touch set (adapter.ReadNeverTouch:
	// adjc's own bind accounts, its groups, the operator's list): the same
	// rules a plan obeys, with the well-known RIDs, critical objects and
	// adminCount=1 that every account's own facts give.
	NeverTouch reconcile.NeverTouch
	// RetryFor bounds how long a change is retried after transient
	// failures (JumpCloud or AD unreachable); default 5 minutes.
	RetryFor time.Duration
	// QueueSize bounds the changes waiting in memory; default 1000.
	QueueSize int
	// PolicyMaxAge is how long JumpCloud's password policy is reused;
	// default 1 minute.
	PolicyMaxAge time.Duration
	// OnOutcome is called once per change, from the delivering goroutine.
	OnOutcome func(Outcome)
	Logger    *slog.Logger
	Now       func() time.Time
	// Sleep waits between retries; tests shorten it. Default: a timer that
	// stops with ctx.
	Sleep func(context.Context, time.Duration) error
}

// Deliverer takes captured changes and sets them in JumpCloud, one at a
// time in arrival order (so an older password never lands after a newer
// one), from a bounded in-memory queue.
type Deliverer struct {
	opts    Options
	queue   chan *pending
	closing chan struct{}
	once    sync.Once

	mu      sync.Mutex
	latest  map[string]uint64 // account key → sequence of its newest change
	seq     uint64
	closed  bool
	conn    *ldapx.Conn
	anchors map[string]jcapi.SystemUser // objectGUID → JumpCloud user
	// policy is read by the delivering goroutine and by filter requests
	// (Serve's goroutines): pmu guards it.
	pmu    sync.Mutex
	policy struct {
		p          reconcile.JCPasswordPolicy
		at         time.Time
		refreshing bool
	}
	domainSID string
}

type pending struct {
	req      Request
	seq      uint64
	key      string
	captured time.Time
}

// New returns a Deliverer; call [Deliverer.Run] to start delivering.
func New(opts Options) *Deliverer {
	if opts.RetryFor <= 0 {
		opts.RetryFor = 5 * time.Minute
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 1000
	}
	if opts.PolicyMaxAge <= 0 {
		opts.PolicyMaxAge = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.OnOutcome == nil {
		opts.OnOutcome = func(Outcome) {}
	}
	return &Deliverer{opts: opts, queue: make(chan *pending, opts.QueueSize), closing: make(chan struct{}), latest: map[string]uint64{}}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Enqueue hands a change over; the Deliverer owns req.Password from now on
// and clears it when done. It never blocks: with the queue full (or the
// Deliverer stopped) the change is dropped, reported, and false returned.
func (d *Deliverer) Enqueue(req Request) bool {
	now := d.opts.Now()
	key := req.ID.String()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		d.drop(req, now, "adjc is stopping")
		return false
	}
	d.seq++
	p := &pending{req: req, seq: d.seq, key: key, captured: now}
	select {
	case d.queue <- p:
		d.latest[key] = p.seq
		d.mu.Unlock()
		return true
	default:
		d.mu.Unlock()
		d.drop(req, now, fmt.Sprintf("the queue of %d changes is full", cap(d.queue)))
		return false
	}
}

func (d *Deliverer) drop(req Request, at time.Time, why string) {
	clear(req.Password)
	d.opts.OnOutcome(Outcome{ID: req.ID, Account: req.Account, Result: Dropped, Reason: why, Captured: at, Done: d.opts.Now()})
}

// Close stops taking changes: later ones are dropped, and [Deliverer.Run]
// returns once the queued ones are done.
func (d *Deliverer) Close() {
	d.once.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		close(d.closing)
	})
}

// Run delivers queued changes until ctx ends, or until [Deliverer.Close]
// was called and the queue is empty. When ctx ends, the delivery attempt in
// flight is finished (not retried); changes still queued are dropped and
// reported (the cleartext is never kept beyond the process).
func (d *Deliverer) Run(ctx context.Context) error {
	defer func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		for {
			select {
			case p := <-d.queue:
				d.drop(p.req, p.captured, "adjc stopped before delivering it")
			default:
				if d.conn != nil {
					d.conn.Close()
				}
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-d.closing:
			if len(d.queue) == 0 {
				return nil
			}
			d.process(ctx, <-d.queue)
		case p := <-d.queue:
			d.process(ctx, p)
		}
	}
}

func (d *Deliverer) process(ctx context.Context, p *pending) {
	o := d.deliver(ctx, p)
	clear(p.req.Password)
	o.Captured, o.Done = p.captured, d.opts.Now()
	d.opts.OnOutcome(o)
}

// superseded reports whether a newer change of the same account is queued.
func (d *Deliverer) superseded(p *pending) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	newer := d.latest[p.key] != p.seq
	if !newer {
		delete(d.latest, p.key)
	}
	return newer
}

// transient reports errors worth retrying: the network, a DC or JumpCloud
// that is down or busy. Refusals, bad credentials and missing objects are
// final.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var api *jcapi.APIError
	if errors.As(err, &api) {
		return api.Status == 429 || api.Status >= 500
	}
	var le *ldapx.Error
	if errors.As(err, &le) {
		return errors.Is(err, ldapx.ErrUnavailable)
	}
	return true // dial and transport errors
}

func (d *Deliverer) deliver(ctx context.Context, p *pending) Outcome {
	o := Outcome{ID: p.req.ID, Account: p.req.Account}
	deadline := d.opts.Now().Add(d.opts.RetryFor)
	backoff := 500 * time.Millisecond
	for {
		o.Attempts++
		if d.superseded(p) {
			o.Result, o.Reason = Superseded, "a newer password change of the same account arrived"
			return o
		}
		// A stop (ctx ending) lets the attempt in flight finish, so a
		// password JumpCloud is being sent is not cut off half-way;
		// no retry follows it.
		err := d.attempt(context.WithoutCancel(ctx), p, &o)
		if err == nil {
			return o
		}
		if !transient(err) || ctx.Err() != nil {
			o.Result, o.Reason = Failed, err.Error()
			return o
		}
		if !d.opts.Now().Add(backoff).Before(deadline) {
			o.Result, o.Reason = GaveUp, fmt.Sprintf("gave up after %d attempts in %s (retry_for): %v", o.Attempts, d.opts.RetryFor, err)
			return o
		}
		d.opts.Logger.Warn("password change not delivered yet; retrying", "account", o.Account, "attempt", o.Attempts, "retry_in", backoff, "err", err)
		d.resetConn()
		// Let Enqueue see this change as pending again while we wait, so a
		// newer one supersedes it.
		d.mu.Lock()
		if _, ok := d.latest[p.key]; !ok {
			d.latest[p.key] = p.seq
		}
		d.mu.Unlock()
		if d.opts.Sleep(ctx, backoff) != nil {
			o.Result, o.Reason = Failed, "adjc stopped while retrying: "+err.Error()
			return o
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// attempt makes one delivery attempt. A nil error means o.Result is final;
// an error is final or transient as [transient] says.
func (d *Deliverer) attempt(ctx context.Context, p *pending, o *Outcome) error {
	conn, err := d.directory(ctx)
	if err != nil {
		return err
	}
	u, err := d.lookup(ctx, conn, p.req.ID)
	if errors.Is(err, ldapx.ErrNoSuchObject) {
		o.Result, o.Reason = NotFound, "no such user in AD"
		return nil
	}
	if err != nil {
		return err
	}
	o.GUID, o.Account = u.GUID, u.SAMAccountName
	if why := d.neverTouch(u); why != "" {
		o.Result, o.Reason = NeverTouch, why
		return nil
	}
	if u.Privileged() {
		o.Result, o.Reason = Privileged, "adminCount=1: adjc never manages privileged accounts"
		return nil
	}
	in, err := conn.InChain(ctx, u.DN, d.opts.ScopeGroupDN)
	if err != nil {
		return err
	}
	if !in {
		o.Result, o.Reason = OutOfScope, "not a member of the import scope group"
		return nil
	}
	ju, ok, err := d.anchored(ctx, u.GUID, false)
	if err != nil {
		return err
	}
	if !ok {
		o.Result, o.Reason = NotImported, "no JumpCloud user carries this objectGUID yet (run 'adjc import')"
		return nil
	}
	o.UserID = ju.ID
	if jd, err := time.Parse(time.RFC3339, ju.PasswordDate); err == nil && !u.PwdLastSet.IsZero() && jd.After(u.PwdLastSet.Add(time.Second)) {
		// samba-tool replays changes made before adjc started; one older
		// than JumpCloud's own password would undo a newer change there.
		o.Result, o.Reason = Stale, "JumpCloud's password is newer than this AD change"
		return nil
	}
	pw := secret.New(string(p.req.Password))
	pol, err := d.jcPolicy(ctx)
	if err != nil {
		return err
	}
	acct := reconcile.PasswordAccount{SAMAccountName: u.SAMAccountName, DisplayName: u.DisplayName, Username: ju.Username}
	if rules := reconcile.CheckJumpCloudPassword(pw, pol, acct); len(rules) > 0 {
		o.Result, o.Reason = Refused, "breaks JumpCloud's password policy: "+ruleNames(rules)
		return nil
	}
	err = d.opts.JumpCloud.SetPassword(ctx, ju.ID, pw)
	if errors.Is(err, jcapi.ErrNotFound) {
		// The user went away since the anchors were read: read them again.
		if ju, ok, err = d.anchored(ctx, u.GUID, true); err != nil {
			return err
		} else if !ok {
			o.Result, o.Reason = NotImported, "no JumpCloud user carries this objectGUID any more"
			return nil
		}
		o.UserID = ju.ID
		err = d.opts.JumpCloud.SetPassword(ctx, ju.ID, pw)
	}
	var api *jcapi.APIError
	if errors.As(err, &api) && api.Status == 400 {
		var names []string
		for _, v := range api.FieldViolations() {
			names = append(names, v.Description)
		}
		o.Result, o.Reason = Refused, "JumpCloud refused it: "+api.Message
		if len(names) > 0 {
			o.Result, o.Reason = Refused, "JumpCloud refused it: breaks "+strings.Join(names, ", ")
		}
		return nil
	}
	if err != nil {
		return err
	}
	o.Result, o.Reason = Delivered, ""
	return nil
}

func ruleNames(rules []reconcile.Rule) string {
	names := make([]string, len(rules))
	for i, r := range rules {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}
