package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ha"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
	"github.com/spf13/pflag"
)

// lockWait is how long a writing command waits by default for another
// writer of the same domain (a scheduler between runs never lets go: the
// wait then ends with the holder named).
const lockWait = 10 * time.Second

// addLockWait adds --lock-wait, the wait for another writer of the domain:
// a script that runs import beside a scheduler may rather fail at once
// (--lock-wait 0), or wait out a long run.
func addLockWait(fs *pflag.FlagSet, d *time.Duration) {
	fs.DurationVar(d, "lock-wait", lockWait, "how long to wait for another adjc writing to the same domain (a running 'adjc schedule' holds it)")
}

// writerState is what a command that writes to a domain holds while it
// runs: the domain's lock (one writer per domain, DESIGN "Safety rules")
// and the state store, whose ledger carries the destructive-change budget.
type writerState struct {
	store *schedule.Store
	lock  *schedule.Lock
	// With ha.etcd set: the group's ledger and how to let go of the
	// group's writer lock.
	shared pipeline.Ledger
	done   func()
}

// ledger returns the budget ledger, nil when there is no state folder.
func (w *writerState) ledger() pipeline.Ledger {
	switch {
	case w == nil:
		return nil
	case w.shared != nil:
		return w.shared
	case w.store == nil:
		return nil
	}
	return w.store
}

func (w *writerState) release() {
	if w != nil && w.lock != nil {
		w.lock.Release()
	}
	if w != nil && w.done != nil {
		w.done()
	}
}

// lockDomain takes d's lock, waiting up to wait for another writer (0:
// trying once) and saying so on stderr, then opens its state. Without a state folder
// there is no lock and no ledger: each run then has the whole budget, and
// a warning says so.
func lockDomain(ctx context.Context, io *output.Streams, cfg *config.Config, d *config.Domain, wait time.Duration) (*writerState, error) {
	if cfg.HA.Enabled() {
		return lockDomainHA(ctx, io, cfg, d, wait)
	}
	if cfg.StateDir == "" {
		io.WriteErrLine("adjc: warning: no state folder (state_dir): no lock keeps another adjc from writing to " + d.Name + " at the same time, and the removal budget counts this run only")
		return &writerState{}, nil
	}
	start := time.Now()
	waited := false
	for {
		lock, err := schedule.AcquireLock(cfg.StateDir, d.Name)
		if err == nil {
			store, err := schedule.OpenStore(cfg.StateDir, d.Name)
			if err != nil {
				lock.Release()
				return nil, err
			}
			return &writerState{store: store, lock: lock}, nil
		}
		if !errors.Is(err, schedule.ErrLocked) {
			return nil, err
		}
		if time.Since(start) >= wait {
			return nil, WithHint(fmt.Errorf("%w; waited %s, nothing was applied", err, wait),
				"stop the other adjc (a running 'adjc schedule' holds the lock for as long as it runs), or let it do the work")
		}
		if !waited && wait > 0 {
			io.WriteErrLine(fmt.Sprintf("adjc: %v: waiting up to %s", err, wait))
			waited = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// peekLedger returns d's budget ledger for reading only (diff takes no
// lock and writes nothing), or nil when there is no state yet.
func peekLedger(cfg *config.Config, d *config.Domain) pipeline.Ledger {
	if cfg.StateDir == "" {
		return nil
	}
	if _, err := os.Stat(cfg.StateDir); err != nil {
		return nil
	}
	store, err := schedule.OpenStore(cfg.StateDir, d.Name)
	if err != nil {
		return nil
	}
	return store
}

// budgetView returns the view of plan with what its removals would meet.
func budgetView(domain string, plan reconcile.Plan, a pipeline.ApplyArgs, now func() time.Time) (pipeline.View, error) {
	v := pipeline.NewView(domain, plan)
	b, err := pipeline.Preview(plan, a, now())
	if err != nil {
		return v, err
	}
	return v.WithBudget(b), nil
}

// lockDomainHA is lockDomain with ha.etcd set: the group's writer lock in
// etcd (the one the leader takes for each run), waiting up to wait and
// naming the holder as the file lock does; the removal budget is the
// group's, its writes fenced by the lock. The state folder's file lock is
// not taken: a scheduler of the group on this host holds it for as long
// as it runs, and the etcd lock is what keeps the group's writers apart.
func lockDomainHA(ctx context.Context, io *output.Streams, cfg *config.Config, d *config.Domain, wait time.Duration) (*writerState, error) {
	hc := haConfig(cfg.HA)
	cl, err := ha.Dial(hc)
	if err != nil {
		return nil, err
	}
	wl := ha.NewWriterLock(cl, hc, d.Name, "")
	if wait <= 0 {
		// --lock-wait 0 tries once; WriterLock.Lock reads 0 as "for as
		// long as ctx lasts" (the leader's per-run lock), below 0 as once.
		wait = -1
	}
	err = wl.Lock(ctx, wait, func(holder string) {
		io.WriteErrLine(fmt.Sprintf("adjc: domain %s: %v (%s, etcd lock %s): waiting up to %s", d.Name, schedule.ErrLocked, holder, wl.Key(), wait))
	})
	if err != nil {
		cl.Close()
		if errors.Is(err, schedule.ErrLocked) {
			return nil, WithHint(fmt.Errorf("domain %s: %w, nothing was applied", d.Name, err),
				"the group's leader holds the lock for each run; try again, or let the schedule do the work")
		}
		return nil, fmt.Errorf("%w (ha.etcd.endpoints %v)", err, hc.Endpoints)
	}
	done := func() { wl.Close(); cl.Close() }
	store, err := ha.OpenWriterStore(ctx, cl, hc, d.Name, wl)
	if err != nil {
		done()
		return nil, err
	}
	var local ha.Approvals
	if cfg.StateDir != "" {
		if fs, err := schedule.OpenStore(cfg.StateDir, d.Name); err == nil {
			local = fs
		}
	}
	return &writerState{shared: store.WithApprovals(local), done: done}, nil
}
