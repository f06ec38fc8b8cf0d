package commands

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ha"
	"github.com/adjc/adjc/ha/etcdtest"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/schedule"
)

// TestApproveHA: with ha.etcd set, 'adjc approve' releases go to etcd,
// where whichever instance leads next counts them, and nothing is left in
// this host's state folder.
func TestApproveHA(t *testing.T) {
	srv := etcdtest.Start(t)
	state := t.TempDir()
	env := map[string]string{
		"ADJC_LDAP_URL": "ldaps://dc.example.com", "ADJC_BASE_DN": "DC=example,DC=com", "ADJC_BIND": "svc@example.com",
		"ADJC_ETCD_ENDPOINTS": srv.Endpoint, "ADJC_STATE_DIR": state,
	}
	f, _ := testFactory(env)
	if out, errOut, code := runCLI(t, f, "approve", "5"); code != 0 || !strings.Contains(out, "Released 5 removals") {
		t.Fatalf("approve 5: exit %d\n%s%s", code, out, errOut)
	}
	f, _ = testFactory(env)
	if _, errOut, code := runCLI(t, f, "approve", "2", "--sync"); code != 0 {
		t.Fatalf("approve 2 --sync: exit %d\n%s", code, errOut)
	}
	hc := ha.Config{Endpoints: []string{srv.Endpoint}}
	cl, err := ha.Dial(hc)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	store, err := ha.OpenWriterStore(t.Context(), cl, hc, "example.com", ha.NewWriterLock(cl, hc, "example.com", "test"))
	if err != nil {
		t.Fatal(err)
	}
	led := store.WithApprovals(nil)
	for dir, want := range map[reconcile.Direction]int{reconcile.ToJumpCloud: 5, reconcile.ToAD: 2} {
		if n, err := led.Approved(dir); err != nil || n != want {
			t.Errorf("Approved(%s) in etcd = %d, %v; want %d", dir, n, err, want)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(state, "*approved*")); len(files) != 0 {
		t.Errorf("approve with ha.etcd left %v in the state folder", files)
	}
}

// TestOneShotWriterLock: a one-shot writing command waits for the domain's
// writer and then gives up naming it: with ha.etcd set, the group's lock in
// etcd (the one the leader takes for each run, held here by another
// "host"); without it, the file lock as before.
func TestOneShotWriterLock(t *testing.T) {
	srv := etcdtest.Start(t)
	d := &config.Domain{Name: "example.com"}
	const wait = 500 * time.Millisecond

	t.Run("ha", func(t *testing.T) {
		cfg := &config.Config{StateDir: t.TempDir(), HA: config.Etcd{Endpoints: []string{srv.Endpoint}}}
		hc := haConfig(cfg.HA)
		cl, err := ha.Dial(hc)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		other := ha.NewWriterLock(cl, hc, d.Name, "otherhost:4242")
		if err := other.Lock(t.Context(), 0, nil); err != nil {
			t.Fatal(err)
		}
		// A scheduler on this host holds the file lock all along: in a
		// group that does not stop a one-shot command.
		fl, err := schedule.AcquireLock(cfg.StateDir, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		defer fl.Release()

		ios, _, _, errOut := output.Test()
		_, err = lockDomain(t.Context(), ios, cfg, d, wait)
		if !errors.Is(err, schedule.ErrLocked) || !strings.Contains(err.Error(), "otherhost:4242") || !strings.Contains(err.Error(), "nothing was applied") {
			t.Fatalf("lockDomain while another host writes = %v; want ErrLocked naming otherhost:4242", err)
		}
		if !strings.Contains(errOut.String(), "otherhost:4242") || !strings.Contains(errOut.String(), "waiting up to "+wait.String()) {
			t.Errorf("stderr while waiting = %q, want the holder and the wait", errOut.String())
		}
		// --lock-wait 0 tries once, in a group as without one.
		if _, err := lockDomain(t.Context(), ios, cfg, d, 0); !errors.Is(err, schedule.ErrLocked) {
			t.Fatalf("lockDomain(wait 0) while another host writes = %v; want ErrLocked at once", err)
		}
		other.Unlock()
		w, err := lockDomain(t.Context(), ios, cfg, d, wait)
		if err != nil {
			t.Fatalf("lockDomain once the other let go = %v", err)
		}
		// Its budget is the group's, written under the lock.
		if err := w.ledger().Record(reconcile.ToJumpCloud, time.Now(), 3); err != nil {
			t.Errorf("Record under the group's lock = %v", err)
		}
		if err := other.Lock(t.Context(), wait, nil); !errors.Is(err, schedule.ErrLocked) {
			t.Errorf("the other host's Lock while the one-shot holds it = %v, want ErrLocked", err)
		}
		w.release()
		if err := other.Lock(t.Context(), 5*time.Second, nil); err != nil {
			t.Errorf("the other host's Lock after release = %v", err)
		}
		store, err := ha.OpenWriterStore(t.Context(), cl, hc, d.Name, other)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := store.Spent(reconcile.ToJumpCloud, time.Now().Add(-time.Hour)); n != 3 {
			t.Errorf("group's Spent = %d, want the 3 the one-shot recorded", n)
		}
		other.Close()
	})

	t.Run("file", func(t *testing.T) {
		cfg := &config.Config{StateDir: t.TempDir()}
		fl, err := schedule.AcquireLock(cfg.StateDir, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		ios, _, _, errOut := output.Test()
		_, err = lockDomain(t.Context(), ios, cfg, d, wait)
		if !errors.Is(err, schedule.ErrLocked) || !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
			t.Fatalf("lockDomain under the file lock = %v; want ErrLocked naming this process", err)
		}
		if !strings.Contains(errOut.String(), "waiting up to") {
			t.Errorf("stderr while waiting = %q", errOut.String())
		}
		fl.Release()
		w, err := lockDomain(t.Context(), ios, cfg, d, wait)
		if err != nil {
			t.Fatalf("lockDomain after release = %v", err)
		}
		if _, ok := w.ledger().(*schedule.Store); !ok {
			t.Errorf("ledger without ha = %T, want the state folder's store", w.ledger())
		}
		w.release()
	})
}
