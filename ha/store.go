package ha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	c   *clientv3.Client
	e   *Elector
	key string
	log *slog.Logger

	mu     sync.Mutex
	cached schedule.State
}

// OpenStore reads the domain's shared state, or starts an empty one.
func OpenStore(ctx context.Context, c *clientv3.Client, e *Elector) (*Store, error) {
	s := &Store{c: c, e: e, key: e.keys.state, log: e.log}
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
		return schedule.NewState(s.e.domain), 0, nil
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
		key, rev, lease, ok := s.e.fenceToken()
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
			If(append(fence(key, rev, lease), clientv3.Compare(clientv3.ModRevision(s.key), "=", modRev))...).
			Then(clientv3.OpPut(s.key, string(b))).
			Else(clientv3.OpGet(key, clientv3.WithKeysOnly())).
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
		// Which comparison failed? The Else branch read the election key.
		if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) == 0 || kvs[0].CreateRevision != rev {
			s.e.step(rev, "election key gone or replaced")
			return fmt.Errorf("ha: write state: %w", schedule.ErrNotLeader)
		}
		// Only the state moved (this instance wrote it from elsewhere, e.g.
		// the watcher): read again and retry.
	}
	return errors.New("ha: write state: it kept changing under this write")
}

// Approvals are the removals an operator released with 'adjc approve'
// ([pipeline.Ledger]'s Approved and ClearApproved); the file store on this
// host keeps them.
type Approvals interface {
	Approved(dir reconcile.Direction) (int, error)
	ClearApproved(dir reconcile.Direction) error
}

// WithApprovals makes s a full pipeline.Ledger: removals in etcd, shared by
// the group; releases from a, this host's file store.
func (s *Store) WithApprovals(a Approvals) *Ledger { return &Ledger{Store: s, a: a} }

// Ledger is a [Store] that also answers for releases (pipeline.Ledger).
type Ledger struct {
	*Store
	a Approvals
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

// Approved returns the releases this host's store holds.
func (l *Ledger) Approved(dir reconcile.Direction) (int, error) { return l.a.Approved(dir) }

// ClearApproved marks them as used.
func (l *Ledger) ClearApproved(dir reconcile.Direction) error { return l.a.ClearApproved(dir) }
