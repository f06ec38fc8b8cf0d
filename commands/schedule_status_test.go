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

	delete(env, "ADJC_ETCD_ENDPOINTS")
	f, _ = testFactory(env)
	if _, errOut, code := runCLI(t, f, "schedule", "status"); code != 2 || !strings.Contains(errOut, "ha.etcd.endpoints") {
		t.Errorf("schedule status without ha = exit %d %q, want 2 naming ha.etcd.endpoints", code, errOut)
	}
}
