// This file holds how change events become runs: a burst of events is one
// targeted run.

package schedule

import (
	"context"
	"slices"
	"time"

	"github.com/jonboulle/clockwork"
)

// watch turns change events into targeted runs: the first event of a burst
// starts the debounce timer, later ones join the batch, and when it fires
// the batch runs (waiting for a run in progress).
func (s *Scheduler) watch(ctx, runCtx context.Context) {
	var (
		batch   *Trigger
		users   = map[string]bool{}
		groups  = map[string]bool{}
		members = map[string]map[string]bool{}
		deleted = map[string]bool{}
		timer   clockwork.Timer
		timerC  <-chan time.Time
		events  = s.opts.Events
		stopped = func() {
			if timer != nil {
				timer.Stop()
			}
		}
	)
	defer stopped()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				s.log.Warn("change notifications stopped: polling every interval", "interval", s.opts.Interval)
				events = nil
				if batch == nil {
					return
				}
				continue
			}
			at := ev.At
			if at.IsZero() {
				at = s.clock.Now()
			}
			if batch == nil {
				batch = &Trigger{Kind: TriggerWatch, Since: at}
				// The burst started when the change was seen, before the
				// watcher asked DirSync what it was: the wait for more
				// changes counts from then, not from now.
				wait := s.opts.Debounce - s.clock.Since(at)
				timer = s.clock.NewTimer(max(wait, 0))
				timerC = timer.Chan()
			}
			if at.Before(batch.Since) {
				batch.Since = at
			}
			batch.Full = batch.Full || ev.Full
			if ev.Cookie != nil {
				batch.Cookie = ev.Cookie // events come in DirSync order
			}
			for _, g := range ev.Users {
				users[g] = true
			}
			for _, g := range ev.Groups {
				groups[g] = true
			}
			for _, g := range ev.Deleted {
				deleted[g] = true
			}
			for g, dns := range ev.Members {
				if members[g] == nil {
					members[g] = map[string]bool{}
				}
				for _, dn := range dns {
					members[g][dn] = true
				}
			}
		case <-timerC:
			t := *batch
			t.Users = sortedKeys(users)
			t.Groups = sortedKeys(groups)
			t.Deleted = sortedKeys(deleted)
			for g, dns := range members {
				if t.Members == nil {
					t.Members = map[string][]string{}
				}
				t.Members[g] = sortedKeys(dns)
			}
			batch, timer, timerC = nil, nil, nil
			clear(users)
			clear(groups)
			clear(members)
			clear(deleted)
			s.fire(runCtx, t)
			if events == nil {
				return
			}
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
