package commands

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/ha"
	"github.com/adjc/adjc/ha/etcdtest"
)

// TestScheduleStatus reads a group of two electors from a real etcd.
func TestScheduleStatus(t *testing.T) {
	srv := etcdtest.Start(t)
	env := map[string]string{
		"ADJC_LDAP_URL": "ldaps://dc.example.com", "ADJC_BASE_DN": "DC=example,DC=com", "ADJC_BIND": "svc@example.com",
		"ADJC_ETCD_ENDPOINTS": srv.Endpoint, "ADJC_ETCD_LEASE_TTL": "5s",
	}
	hc := ha.Config{Endpoints: []string{srv.Endpoint}, LeaseTTL: 5 * time.Second}
	var first *ha.Elector
	for _, name := range []string{"a", "b"} {
		cl, err := ha.Dial(hc)
		if err != nil {
			t.Fatal(err)
		}
		el, err := ha.NewElector(cl, ha.ElectorOptions{Config: hc, Domain: "example.com", Instance: name})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- el.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done; cl.Close() })
		if first == nil {
			first = el
			for !el.Leader() {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}

	var st ha.Status
	for range 200 {
		f, _ := testFactory(env)
		out, errOut, code := runCLI(t, f, "schedule", "status", "-o", "json")
		if code != 0 {
			t.Fatalf("schedule status: exit %d\n%s", code, errOut)
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("schedule status -o json: %v\n%s", err, out)
		}
		if len(st.Members) == 2 && !st.LeaderSince.IsZero() {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if st.Domain != "example.com" || st.Leader != "a" || len(st.Members) != 2 || !st.Members[0].Leader || st.Members[1].Leader {
		t.Errorf("status = %+v, want leader a of members a, b", st)
	}
	f, _ := testFactory(env)
	out, _, code := runCLI(t, f, "schedule", "status")
	if code != 0 || !strings.Contains(out, "leader\ta\tsince ") || !strings.Contains(out, "member\tb\tfollower\tlease ") {
		t.Errorf("schedule status = exit %d\n%s\nwant leader a and follower b", code, out)
	}

	// pause and resume act on the group's flag in etcd, not a local file.
	f, _ = testFactory(env)
	if out, errOut, code := runCLI(t, f, "schedule", "pause"); code != 0 || !strings.Contains(out, "HA group") {
		t.Fatalf("schedule pause = exit %d %q %q, want the group paused", code, out, errOut)
	}
	cl, err := ha.Dial(hc)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if paused, at, err := ha.PausedSince(t.Context(), cl, "", "example.com"); err != nil || !paused || !at.Equal(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("after schedule pause: PausedSince = %v %v %v, want paused at the factory's Now", paused, at, err)
	}
	f, _ = testFactory(env)
	if _, errOut, code := runCLI(t, f, "schedule", "resume"); code != 0 {
		t.Fatalf("schedule resume = exit %d %q", code, errOut)
	}
	if paused, _, err := ha.PausedSince(t.Context(), cl, "", "example.com"); err != nil || paused {
		t.Errorf("after schedule resume: PausedSince = %v %v, want not paused", paused, err)
	}

	delete(env, "ADJC_ETCD_ENDPOINTS")
	f, _ = testFactory(env)
	if _, errOut, code := runCLI(t, f, "schedule", "status"); code != 2 || !strings.Contains(errOut, "ha.etcd.endpoints") {
		t.Errorf("schedule status without ha = exit %d %q, want 2 naming ha.etcd.endpoints", code, errOut)
	}
}
