package schedule

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// unreachableLeader is a follower that cannot reach its coordinator.
type unreachableLeader struct {
	fakeLeader
}

func (*unreachableLeader) Ready() (bool, string) { return false, "etcd has not answered for 12s" }

// TestFollowerNotReady: a follower that cannot reach etcd could not take
// over, so /healthz fails on it.
func TestFollowerNotReady(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := &unreachableLeader{}
		l.set(false)
		h := start(t, Options{Interval: time.Minute, Leader: l}, nil)
		if ok, msg := h.s.Health(time.Minute); ok || !strings.Contains(msg, "not ready to take over") || !strings.Contains(msg, "etcd") {
			t.Errorf("Health of a follower without etcd = %v %q, want unhealthy, naming etcd", ok, msg)
		}
		h.stop()
	})
}

// TestTakeoverTrigger: the first run of a term says so (Takeover), so that
// it may continue from the shared state; a watch run carries the cookie of
// the last event of its burst.
func TestTakeoverTrigger(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := &fakeLeader{}
		l.set(true)
		events := make(chan Event)
		h := start(t, Options{Interval: time.Hour, Events: events, Leader: l}, nil)
		synctest.Wait()
		events <- Event{Users: []string{"a"}, Cookie: []byte("c1")}
		events <- Event{Users: []string{"b"}, Cookie: []byte("c2")}
		synctest.Wait()
		h.advance(time.Second)
		if len(h.triggers) != 2 {
			t.Fatalf("triggers = %+v, want the start run and one watch run", h.triggers)
		}
		if tr := h.triggers[0]; !tr.Takeover {
			t.Errorf("first run of the term = %+v, want Takeover", tr)
		}
		if tr := h.triggers[1]; tr.Takeover || string(tr.Cookie) != "c2" {
			t.Errorf("watch run = %+v, want no Takeover and the burst's last cookie c2", tr)
		}
		h.stop()
	})
}
