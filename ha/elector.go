package ha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/adjc/adjc/schedule"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// opTimeout bounds one fencing transaction or state read: a partitioned
// client must not wait on etcd longer than it may stay leader.
const opTimeout = 2 * time.Second

// ElectorOptions configure an [Elector].
type ElectorOptions struct {
	Config Config
	// Domain is the domain whose leader is elected.
	Domain string
	// Instance names this process in the group, in logs, status and audit
	// lines; [DefaultInstance] when empty. It must be unique in the group.
	Instance string
	// Logger receives elections and losses; nil discards.
	Logger *slog.Logger
	// Now is time.Now when nil.
	Now func() time.Time
	// OnChange, when set, is called with true when this instance becomes
	// leader and false when it stops being leader.
	OnChange func(leader bool)
}

// DefaultInstance is host:pid, unique on a host and readable in status.
func DefaultInstance() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return host + ":" + strconv.Itoa(os.Getpid())
}

// memberValue is what an instance writes under members/ and as its
// campaign value.
type memberValue struct {
	Instance string    `json:"instance"`
	PID      int       `json:"pid"`
	Joined   time.Time `json:"joined"`
	// LeaderSince is set in the election value once the instance won.
	LeaderSince time.Time `json:"leader_since,omitzero"`
}

// Elector campaigns for one domain's leadership until its context ends.
// Create it with [NewElector] and call [Elector.Run] once.
type Elector struct {
	c      *clientv3.Client
	cfg    Config
	domain string
	id     string
	keys   keys
	log    *slog.Logger
	now    func() time.Time
	notify func(bool)
	margin time.Duration

	mu     sync.Mutex
	leader bool
	key    string // the election key while leader
	rev    int64  // its create revision: the fencing token
	lease  clientv3.LeaseID
	until  time.Time // leadership counts as lost after this instant
	lost   chan struct{}
	since  time.Time
	// answered is when etcd last answered this instance (a lease grant or
	// keepalive), leader or not: [Elector.Ready].
	answered time.Time
}

// NewElector returns an elector using client c.
func NewElector(c *clientv3.Client, opts ElectorOptions) (*Elector, error) {
	cfg := opts.Config.withDefaults()
	if cfg.LeaseTTL < MinLeaseTTL || cfg.LeaseTTL%time.Second != 0 {
		return nil, fmt.Errorf("ha.etcd.lease_ttl: %s; use whole seconds, at least %s", cfg.LeaseTTL, MinLeaseTTL)
	}
	e := &Elector{
		c: c, cfg: cfg, domain: opts.Domain, id: opts.Instance,
		keys: keysFor(cfg.Prefix, opts.Domain), log: opts.Logger, now: opts.Now, notify: opts.OnChange,
		// The leader gives up a fifth of the TTL (at least 1 s) before the
		// lease could expire on etcd's side: room for the keepalive's round
		// trip and for clock rate differences between hosts.
		margin: max(cfg.LeaseTTL/5, time.Second),
		lost:   make(chan struct{}),
	}
	if e.id == "" {
		e.id = DefaultInstance()
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.log = e.log.With("domain", opts.Domain, "instance", e.id)
	close(e.lost)        // not leader yet: "lost" already
	e.answered = e.now() // a grace of one TTL to reach etcd the first time
	return e, nil
}

// Ready reports whether this instance could take over now: etcd answered
// it (a lease grant or keepalive) within the lease TTL. A follower that
// cannot reach etcd cannot win an election; /healthz says so.
func (e *Elector) Ready() (bool, string) {
	e.mu.Lock()
	ago := e.now().Sub(e.answered)
	e.mu.Unlock()
	if ago > e.cfg.LeaseTTL {
		return false, fmt.Sprintf("etcd has not answered for %s (lease TTL %s)", ago.Round(time.Second), e.cfg.LeaseTTL)
	}
	return true, ""
}

func (e *Elector) heard(at time.Time) {
	e.mu.Lock()
	if at.After(e.answered) {
		e.answered = at
	}
	e.mu.Unlock()
}

// Instance returns this instance's name in the group.
func (e *Elector) Instance() string { return e.id }

// Domain returns the domain this elector campaigns for.
func (e *Elector) Domain() string { return e.domain }

// Leader reports, without asking etcd, whether this instance believes it
// is leader: it won and etcd answered a keepalive recently enough. Use
// [Elector.IsLeader] before writing.
func (e *Elector) Leader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader && e.now().Before(e.until)
}

// Term returns the create revision of the election key this instance won
// with while it leads (a new value for every election won), else 0.
func (e *Elector) Term() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.leader || !e.now().Before(e.until) {
		return 0
	}
	return e.rev
}

// IsLeader returns nil when this instance is leader and has just proven it:
// its election key still exists with the create revision and lease it won
// with (one etcd transaction, at most 2 s). Otherwise the error wraps
// [schedule.ErrNotLeader]. It implements gocron v2's Elector.
func (e *Elector) IsLeader(ctx context.Context) error {
	e.mu.Lock()
	leader, key, rev, lease, until := e.leader, e.key, e.rev, e.lease, e.until
	e.mu.Unlock()
	if !leader {
		return fmt.Errorf("ha: %w (instance %s)", schedule.ErrNotLeader, e.id)
	}
	left := until.Sub(e.now())
	if left <= 0 {
		e.step(rev, "no keepalive answered within the lease TTL minus margin")
		return fmt.Errorf("ha: %w: etcd not reached within the lease TTL", schedule.ErrNotLeader)
	}
	tctx, cancel := context.WithTimeout(ctx, min(opTimeout, left))
	defer cancel()
	resp, err := e.c.Txn(tctx).If(fence(key, rev, lease)...).Commit()
	if err != nil {
		return fmt.Errorf("ha: %w: cannot prove leadership: %v", schedule.ErrNotLeader, err)
	}
	if !resp.Succeeded {
		e.step(rev, "election key gone or replaced")
		return fmt.Errorf("ha: %w: election key gone or replaced", schedule.ErrNotLeader)
	}
	return nil
}

// Lead returns a context derived from ctx that is cancelled as soon as this
// instance stops being leader (at once when it is not leader now), so a run
// in progress stops writing.
func (e *Elector) Lead(ctx context.Context) (context.Context, context.CancelFunc) {
	e.mu.Lock()
	lost := e.lost
	e.mu.Unlock()
	lctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-lost:
			cancel(fmt.Errorf("ha: %w", schedule.ErrNotLeader))
		case <-lctx.Done():
		}
	}()
	return lctx, func() { cancel(context.Canceled) }
}

// fenceToken returns what a guarded write compares, or ok=false when this
// instance is not leader.
func (e *Elector) fenceToken() (key string, rev int64, lease clientv3.LeaseID, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.leader || !e.now().Before(e.until) {
		return "", 0, 0, false
	}
	return e.key, e.rev, e.lease, true
}

// guard is [Store]'s proof for the leader: the election key as won.
func (e *Elector) guard() ([]clientv3.Cmp, func(string), bool) {
	key, rev, lease, ok := e.fenceToken()
	return fence(key, rev, lease), func(why string) { e.step(rev, why) }, ok
}

func fence(key string, rev int64, lease clientv3.LeaseID) []clientv3.Cmp {
	return []clientv3.Cmp{
		clientv3.Compare(clientv3.CreateRevision(key), "=", rev),
		clientv3.Compare(clientv3.LeaseValue(key), "=", lease),
	}
}

// Run campaigns until ctx is done, again after every loss (a lost etcd, an
// expired lease). On the way out a leader resigns and revokes its lease, so
// another instance takes over at once. It returns nil when ctx ends.
func (e *Elector) Run(ctx context.Context) error {
	for delay := time.Duration(0); ; {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		err := e.term(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if e.c.Ctx().Err() != nil {
			// The client was closed: campaigning again would only spin.
			return fmt.Errorf("ha: etcd client closed: %w", err)
		}
		e.log.Warn("leader election interrupted: campaigning again", "error", err)
		delay = min(max(2*delay, 500*time.Millisecond), 5*time.Second)
	}
}

// term is one session: grant a lease, keep it alive, campaign, lead until
// the lease is lost or ctx ends.
func (e *Elector) term(ctx context.Context) error {
	ttl := int64(e.cfg.LeaseTTL / time.Second)
	start := e.now()
	gctx, cancel := context.WithTimeout(ctx, e.cfg.LeaseTTL)
	grant, err := e.c.Grant(gctx, ttl)
	cancel()
	if err != nil {
		return fmt.Errorf("grant lease: %w", err)
	}
	lease := grant.ID
	e.heard(e.now())
	// Ending a term without a revoke (etcd unreachable) leaves the old
	// key to expire; revoke it when etcd is back so no one waits on it.
	// On a graceful stop the revoke is done before Run returns.
	defer func() {
		revoke := func(limit time.Duration) {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
			defer cancel()
			_, _ = e.c.Revoke(rctx, lease)
		}
		if ctx.Err() != nil {
			revoke(opTimeout)
			return
		}
		go revoke(e.cfg.LeaseTTL)
	}()

	sctx, stop := context.WithCancel(ctx)
	defer stop()
	alive, err := e.c.KeepAlive(sctx, lease)
	if err != nil {
		return fmt.Errorf("keep lease alive: %w", err)
	}
	var (
		aliveMu   sync.Mutex
		lastAlive = start // the grant was sent at start at the latest
	)
	kaDone := make(chan struct{})
	go func() {
		defer close(kaDone)
		for range alive {
			t := e.now()
			aliveMu.Lock()
			lastAlive = t
			aliveMu.Unlock()
			e.heard(t)
			e.extend(lease, t)
		}
	}()
	sess, err := concurrency.NewSession(e.c, concurrency.WithLease(lease), concurrency.WithContext(sctx))
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	val, _ := json.Marshal(memberValue{Instance: e.id, PID: os.Getpid(), Joined: start})
	pctx, pcancel := context.WithTimeout(sctx, opTimeout)
	_, err = e.c.Put(pctx, e.keys.members+keyName(e.id), string(val), clientv3.WithLease(lease))
	pcancel()
	if err != nil {
		return fmt.Errorf("register member: %w", err)
	}

	// Campaign until won, or until the session ends (etcd gone for longer
	// than the TTL: the client closes the keepalive channel).
	cctx, ccancel := context.WithCancel(sctx)
	defer ccancel()
	go func() {
		select {
		case <-kaDone:
		case <-sess.Done():
		case <-cctx.Done():
		}
		ccancel()
	}()
	el := concurrency.NewElection(sess, e.keys.election)
	if err := el.Campaign(cctx, string(val)); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	key, rev := el.Key(), el.Rev()
	// Campaign may return nil although the key vanished meanwhile (its
	// lease revoked while it waited): prove it before leading.
	tctx, tcancel := context.WithTimeout(sctx, opTimeout)
	resp, err := e.c.Txn(tctx).If(fence(key, rev, lease)...).Commit()
	tcancel()
	if err != nil || !resp.Succeeded {
		return fmt.Errorf("won, but the election key is gone: %v", err)
	}
	aliveMu.Lock()
	from := lastAlive
	aliveMu.Unlock()
	lost := e.become(key, rev, lease, from)
	won := e.now()
	leaderVal, _ := json.Marshal(memberValue{Instance: e.id, PID: os.Getpid(), Joined: start, LeaderSince: won})
	pctx, pcancel = context.WithTimeout(sctx, opTimeout)
	_ = el.Proclaim(pctx, string(leaderVal))
	pcancel()

	// Lead until the lease is lost, the keepalive deadline passes or ctx ends.
	for {
		e.mu.Lock()
		wait := e.until.Sub(e.now())
		e.mu.Unlock()
		select {
		case <-ctx.Done():
			// Graceful stop: resign so another instance takes over now.
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
			e.step(rev, "stopping")
			_ = el.Resign(rctx)
			_, _ = e.c.Revoke(rctx, lease)
			rcancel()
			return nil
		case <-lost:
			return errors.New("leadership lost")
		case <-sess.Done():
			e.step(rev, "etcd session ended")
			return errors.New("etcd session ended")
		case <-kaDone:
			e.step(rev, "lease keepalive ended")
			return errors.New("lease keepalive ended")
		case <-time.After(max(wait, 0)):
			if !e.Leader() {
				e.step(rev, "no keepalive answered within the lease TTL minus margin")
				return errors.New("etcd not reached within the lease TTL")
			}
		}
	}
}

// become records that this instance won with key/rev on lease, alive at
// from, and returns the channel closed when leadership is lost.
func (e *Elector) become(key string, rev int64, lease clientv3.LeaseID, from time.Time) <-chan struct{} {
	e.mu.Lock()
	e.leader, e.key, e.rev, e.lease = true, key, rev, lease
	e.until = from.Add(e.cfg.LeaseTTL - e.margin)
	e.since = e.now()
	e.lost = make(chan struct{})
	lost := e.lost
	e.mu.Unlock()
	e.log.Info("became leader", "revision", rev)
	if e.notify != nil {
		e.notify(true)
	}
	return lost
}

// extend moves the leadership deadline after a keepalive etcd answered.
func (e *Elector) extend(lease clientv3.LeaseID, at time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leader && e.lease == lease && e.now().Before(e.until) {
		e.until = at.Add(e.cfg.LeaseTTL - e.margin)
	}
}

// step ends the leadership won at rev, once, saying why.
func (e *Elector) step(rev int64, why string) {
	e.mu.Lock()
	if !e.leader || e.rev != rev {
		e.mu.Unlock()
		return
	}
	e.leader = false
	held := e.now().Sub(e.since)
	close(e.lost)
	e.mu.Unlock()
	e.log.Warn("leadership ended", "reason", why, "held", held.Round(time.Millisecond))
	if e.notify != nil {
		e.notify(false)
	}
}
