package ha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Store keeps one domain's schedule.State in etcd, shared by the group. It
// satisfies schedule.StateStore, as the file store does. Reads may come from
// any instance; writes only from the leader, each fenced in etcd.
type Store struct {
	c      *clientv3.Client
	domain string
	keys   keys
	key    string
	log    *slog.Logger
	// guard returns what a write compares to prove this instance may
	// write (the leader's election key, or a one-shot command's writer
	// lock), a function to call when that proof failed, and ok=false when
	// it holds nothing to prove.
	guard func() (cmps []clientv3.Cmp, lost func(why string), ok bool)

	mu     sync.Mutex
	cached schedule.State
}

// OpenStore reads the domain's shared state, or starts an empty one.
func OpenStore(ctx context.Context, c *clientv3.Client, e *Elector) (*Store, error) {
	return openStore(ctx, &Store{c: c, domain: e.domain, keys: e.keys, key: e.keys.state, log: e.log, guard: e.guard})
}

func openStore(ctx context.Context, s *Store) (*Store, error) {
	st, _, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	s.cached = st
	return s, nil
}

// Key returns the etcd key holding the state.
func (s *Store) Key() string { return s.key }

func (s *Store) read(ctx context.Context) (schedule.State, int64, error) {
	tctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := s.c.Get(tctx, s.key)
	if err != nil {
		return schedule.State{}, 0, fmt.Errorf("ha: read state %s: %w", s.key, err)
	}
	if len(resp.Kvs) == 0 {
		return schedule.NewState(s.domain), 0, nil
	}
	var st schedule.State
	if err := json.Unmarshal(resp.Kvs[0].Value, &st); err != nil {
		return schedule.State{}, 0, fmt.Errorf("ha: read state %s: %w", s.key, err)
	}
	if err := st.Check(); err != nil {
		return schedule.State{}, 0, fmt.Errorf("ha: state %s: %w", s.key, err)
	}
	return st, resp.Kvs[0].ModRevision, nil
}

// State returns the state as etcd has it now (what the last leader wrote),
// or the last state read when etcd does not answer within 2 s.
func (s *Store) State() schedule.State {
	st, _, err := s.read(context.Background())
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.log.Warn("shared state not read: using the last one read", "error", err)
		return s.cached.Clone()
	}
	s.cached = st
	return st.Clone()
}

// Update reads the state, changes it with f and writes it back in one
// transaction that succeeds only while this instance is leader (the
// election key has the revision and lease it won with) and nobody wrote the
// state since it was read. A deposed leader's write fails with an error
// wrapping schedule.ErrNotLeader and changes nothing.
func (s *Store) Update(f func(*schedule.State)) error {
	ctx := context.Background()
	for range 3 {
		guard, lost, ok := s.guard()
		if !ok {
			return fmt.Errorf("ha: write state: %w", schedule.ErrNotLeader)
		}
		st, modRev, err := s.read(ctx)
		if err != nil {
			return err
		}
		f(&st)
		b, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("ha: encode state: %w", err)
		}
		tctx, cancel := context.WithTimeout(ctx, opTimeout)
		resp, err := s.c.Txn(tctx).
			If(append(guard, clientv3.Compare(clientv3.ModRevision(s.key), "=", modRev))...).
			Then(clientv3.OpPut(s.key, string(b))).
			Else(clientv3.OpGet(s.key, clientv3.WithKeysOnly())).
			Commit()
		cancel()
		if err != nil {
			return fmt.Errorf("ha: write state: %w", err)
		}
		if resp.Succeeded {
			s.mu.Lock()
			s.cached = st
			s.mu.Unlock()
			return nil
		}
		// Which comparison failed? The Else branch read the state key: if
		// it did not move, the proof of leadership (or lock) did.
		var now int64
		if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
			now = kvs[0].ModRevision
		}
		if now == modRev {
			lost("election key gone or replaced")
			return fmt.Errorf("ha: write state: %w", schedule.ErrNotLeader)
		}
		// Only the state moved (this instance wrote it from elsewhere, e.g.
		// the watcher): read again and retry.
	}
	return errors.New("ha: write state: it kept changing under this write")
}

// Approvals are the removals an operator released with 'adjc approve'
// before ha.etcd was set, kept in this host's state folder
// ([pipeline.Ledger]'s Approved and ClearApproved).
type Approvals interface {
	Approved(dir reconcile.Direction) (int, error)
	ClearApproved(dir reconcile.Direction) error
}

// WithApprovals makes s a full pipeline.Ledger: removals and releases in
// etcd, shared by the group (releases left in this host's state folder, a,
// count too). a may be nil.
func (s *Store) WithApprovals(a Approvals) *Ledger {
	return &Ledger{Store: s, a: a, counted: map[reconcile.Direction][]string{}}
}

// Ledger is a [Store] that also answers for releases (pipeline.Ledger).
type Ledger struct {
	*Store
	a Approvals

	mu      sync.Mutex
	counted map[reconcile.Direction][]string // the release keys Approved counted
}

// Spent returns the removals the group recorded for dir since the given
// time (pipeline.Ledger).
func (s *Store) Spent(dir reconcile.Direction, since time.Time) (int, error) {
	st, _, err := s.read(context.Background())
	if err != nil {
		return 0, err
	}
	return st.RemovalsSince(dir, since), nil
}

// Record adds n removals applied to dir, fenced like every write
// (pipeline.Ledger).
func (s *Store) Record(dir reconcile.Direction, at time.Time, n int) error {
	return s.Update(func(st *schedule.State) { st.AddRemovals(dir, at, n) })
}

// Approve releases n removals in direction dir beyond the budget of domain,
// for whichever instance of the group runs next ('adjc approve' with
// ha.etcd set): a key of its own, <prefix>/<domain>/approved/<dir>/<time>,
// written without leadership, as the pause flag is. It returns the key.
func Approve(ctx context.Context, c *clientv3.Client, prefix, domain string, dir reconcile.Direction, n int, now time.Time) (string, error) {
	if n < 1 {
		return "", fmt.Errorf("ha: approve: count %d, want 1 or more", n)
	}
	key := keysFor(Config{Prefix: prefix}.withDefaults().Prefix, domain).approved + string(dir) + "/" + strconv.FormatInt(now.UnixNano(), 10)
	tctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := c.Put(tctx, key, strconv.Itoa(n)); err != nil {
		return "", fmt.Errorf("ha: approve: %w", err)
	}
	return key, nil
}

// Approved returns the releases the group holds for dir, and this host's
// (pipeline.Ledger).
func (l *Ledger) Approved(dir reconcile.Direction) (int, error) {
	tctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	resp, err := l.c.Get(tctx, l.keys.approved+string(dir)+"/", clientv3.WithPrefix())
	if err != nil {
		return 0, fmt.Errorf("ha: read approvals: %w", err)
	}
	total := 0
	var keys []string
	for _, kv := range resp.Kvs {
		n, err := strconv.Atoi(string(kv.Value))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("ha: approval %s does not hold a count", kv.Key)
		}
		total += n
		keys = append(keys, string(kv.Key))
	}
	l.mu.Lock()
	l.counted[dir] = keys
	l.mu.Unlock()
	if l.a != nil {
		n, err := l.a.Approved(dir)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// ClearApproved deletes the releases [Ledger.Approved] counted (not one
// made since), fenced like every write (pipeline.Ledger).
func (l *Ledger) ClearApproved(dir reconcile.Direction) error {
	l.mu.Lock()
	keys := l.counted[dir]
	delete(l.counted, dir)
	l.mu.Unlock()
	if len(keys) > 0 {
		ops := make([]clientv3.Op, 0, len(keys))
		for _, k := range keys {
			ops = append(ops, clientv3.OpDelete(k))
		}
		cmps, lost, ok := l.guard()
		if !ok {
			return errNotLeader
		}
		tctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		resp, err := l.c.Txn(tctx).If(cmps...).Then(ops...).Commit()
		cancel()
		if err != nil {
			return fmt.Errorf("ha: clear approvals: %w", err)
		}
		if !resp.Succeeded {
			lost("election key gone or replaced")
			return errNotLeader
		}
	}
	if l.a != nil {
		return l.a.ClearApproved(dir)
	}
	return nil
}
