package ha

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/adjc/adjc/schedule"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// WriterLock is a domain's one-writer lock in etcd (a concurrency.Mutex
// under <prefix>/<domain>/writer): the leader takes it for each run, and a
// one-shot writing command ('adjc import', 'sync', 'sync password' with
// ha.etcd set) takes it on whatever host it runs, so no two writers of a
// group ever apply at once. It lives on a lease of the lease TTL: a holder
// that dies lets go within the TTL, as the file lock lets go with the
// process.
type WriterLock struct {
	c    *clientv3.Client
	ttl  int
	keys keys
	id   string

	// lease, when set, is the leader's election lease: the lock lives
	// and dies with the leadership ([Elector.WriterLock]).
	lease func() (clientv3.LeaseID, bool)

	mu   sync.Mutex
	sess *concurrency.Session
	m    *concurrency.Mutex
}

// WriterLock returns the domain's writer lock on this instance's election
// lease: taken for each run while leading, it is let go by etcd the moment
// the leadership's lease expires, not a keepalive period later.
func (e *Elector) WriterLock() *WriterLock {
	w := NewWriterLock(e.c, e.cfg, e.domain, e.id)
	w.lease = func() (clientv3.LeaseID, bool) {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.lease, e.leader && e.now().Before(e.until)
	}
	return w
}

// NewWriterLock returns the writer lock of domain; instance names the
// holder in the message of those who wait ([DefaultInstance] when empty).
func NewWriterLock(c *clientv3.Client, cfg Config, domain, instance string) *WriterLock {
	cfg = cfg.withDefaults()
	if instance == "" {
		instance = DefaultInstance()
	}
	return &WriterLock{c: c, ttl: int(cfg.LeaseTTL / time.Second), keys: keysFor(cfg.Prefix, domain), id: instance}
}

// Key returns the lock's key prefix in etcd, for messages.
func (w *WriterLock) Key() string { return w.keys.writer }

// Lock takes the lock, waiting for the holder up to wait (as long as ctx
// allows when wait is 0; not at all when it is below 0). waiting, when set, is called once with the
// holder's name if the lock is held. When the wait ends first, the error
// wraps [schedule.ErrLocked] and names the holder.
func (w *WriterLock) Lock(ctx context.Context, wait time.Duration, waiting func(holder string)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m != nil {
		return errors.New("ha: writer lock already held by this process")
	}
	if w.sess != nil {
		select {
		case <-w.sess.Done(): // the lease expired (etcd was away): a new one
			w.sess = nil
		default:
		}
	}
	if w.lease != nil {
		id, ok := w.lease()
		if !ok {
			return errNotLeader
		}
		if w.sess != nil && w.sess.Lease() != id {
			w.sess.Orphan() // the election's lease: never revoked here
			w.sess = nil
		}
		if w.sess == nil {
			s, err := concurrency.NewSession(w.c, concurrency.WithLease(id))
			if err != nil {
				return fmt.Errorf("ha: writer lock %s: %w", w.keys.writer, err)
			}
			w.sess = s
		}
	}
	if w.sess == nil {
		sctx, cancel := context.WithTimeout(ctx, opTimeout)
		grant, err := w.c.Grant(sctx, int64(w.ttl))
		cancel()
		if err != nil {
			return fmt.Errorf("ha: writer lock %s: %w", w.keys.writer, err)
		}
		s, err := concurrency.NewSession(w.c, concurrency.WithLease(grant.ID))
		if err != nil {
			return fmt.Errorf("ha: writer lock %s: %w", w.keys.writer, err)
		}
		w.sess = s
	}
	m := concurrency.NewMutex(w.sess, w.keys.writer)
	tctx, cancel := context.WithTimeout(ctx, opTimeout)
	err := m.TryLock(tctx)
	cancel()
	if errors.Is(err, concurrency.ErrLocked) {
		holder := w.holder(ctx)
		if wait < 0 {
			// Try once: TryLock has already taken its key out of the queue.
			return fmt.Errorf("%w (%s, etcd lock %s)", schedule.ErrLocked, holder, w.keys.writer)
		}
		if waiting != nil {
			waiting(holder)
		}
		lctx, cancel := ctx, context.CancelFunc(func() {})
		if wait > 0 {
			lctx, cancel = context.WithTimeout(ctx, wait)
		}
		err = m.Lock(lctx)
		cancel()
		if err != nil && ctx.Err() == nil && lctx.Err() != nil {
			return fmt.Errorf("%w (%s, etcd lock %s); waited %s", schedule.ErrLocked, w.holder(ctx), w.keys.writer, wait)
		}
	}
	if err != nil {
		return fmt.Errorf("ha: writer lock %s: %w", w.keys.writer, err)
	}
	w.m = m
	pctx, pcancel := context.WithTimeout(ctx, opTimeout)
	_, _ = w.c.Put(pctx, w.keys.holder, w.id, clientv3.WithLease(w.sess.Lease()))
	pcancel()
	return nil
}

// holder names who holds the lock, as it said when it took it.
func (w *WriterLock) holder(ctx context.Context) string {
	tctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := w.c.Get(tctx, w.keys.holder)
	if err != nil || len(resp.Kvs) == 0 {
		return "held by another adjc"
	}
	return "held by " + strings.TrimSpace(string(resp.Kvs[0].Value))
}

// Unlock lets go; another writer may take the lock at once.
func (w *WriterLock) Unlock() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	_, _ = w.c.Txn(ctx).If(clientv3.Compare(clientv3.Value(w.keys.holder), "=", w.id)).
		Then(clientv3.OpDelete(w.keys.holder)).Commit()
	_ = w.m.Unlock(ctx)
	w.m = nil
}

// Close lets go and ends the lock's lease.
func (w *WriterLock) Close() {
	w.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sess != nil {
		if w.lease != nil {
			w.sess.Orphan()
		} else {
			_ = w.sess.Close()
		}
		w.sess = nil
	}
}

// guard is [Store]'s proof for a one-shot writer: it holds the lock.
func (w *WriterLock) guard() ([]clientv3.Cmp, func(string), bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		return nil, func(string) {}, false
	}
	return []clientv3.Cmp{w.m.IsOwner()}, func(string) {}, true
}

// OpenWriterStore reads the domain's shared state for a one-shot command
// that holds w: its writes (the removal budget's ledger) are fenced by the
// lock instead of the election.
func OpenWriterStore(ctx context.Context, c *clientv3.Client, cfg Config, domain string, w *WriterLock) (*Store, error) {
	cfg = cfg.withDefaults()
	s := &Store{c: c, domain: domain, keys: keysFor(cfg.Prefix, domain), guard: w.guard, log: slog.New(slog.DiscardHandler)}
	s.key = s.keys.state
	return openStore(ctx, s)
}
