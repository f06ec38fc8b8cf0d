package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/schedule"
)

// BenchmarkScheduleSyncDeltaTicks measures what sync (JumpCloud → AD)
// ticks cost, in real time and JumpCloud calls, on the org of
// [BenchmarkScheduleDeltaTicks] (scripts/bench: the 10,000 users imported
// from the fixture, bound to the domain object) with the domain in two-way
// mode: `adjc schedule --sync` with delta ticks from Directory Insights
// events, on a fake clock, every figure from the same process:
//
//   - syncfull: a full sync run asked for with full-now, nothing changed
//     (the baseline: what every sync tick cost before sync deltas);
//   - syncnoop: a delta tick where nothing changed (one events call);
//   - syncone: a delta tick after one JumpCloud user's lastname changed
//     through the API (the user adjc created in AD for it at start), which
//     writes it to AD.
//
// The user is a JumpCloud-only one bound to the domain object, made for the
// benchmark and removed from both sides at the end; the imported users are
// AD's in two-way mode and sync leaves them. Events become visible after
// the emulator's ingestion lag, which the benchmark waits out in real time.
func BenchmarkScheduleSyncDeltaTicks(b *testing.B) {
	cfgFile := os.Getenv(envBenchConfig)
	if cfgFile == "" {
		b.Fatalf("%s is not set: it names the config of a domain already imported into its JumpCloud org (scripts/bench sets it)", envBenchConfig)
	}
	l := ldaptest.Get(b)
	y, err := os.ReadFile(cfgFile)
	if err != nil {
		b.Fatal(err)
	}
	// Two-way, with an account that may create users in the Root User
	// container (the import account only reads).
	text := strings.Replace(string(y), "mode: ad-authority", "mode: two-way", 1)
	text = strings.Replace(text, "    bind:", fmt.Sprintf("    sync_bind: %s\n    sync_bind_password_file: %s\n    bind:", l.Admin.Bind, l.Admin.PasswordFile), 1)
	if !strings.Contains(text, "mode: two-way") || !strings.Contains(text, "sync_bind:") {
		b.Fatalf("%s: no ad-authority domain with a bind to turn two-way", cfgFile)
	}
	twoWay := filepath.Join(b.TempDir(), "adjc.yaml")
	if err := os.WriteFile(twoWay, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg := loadBenchConfig(b, twoWay)
	d := &cfg.Domains[0]
	ctx := context.Background()
	ios, _, _, _ := output.Test()
	jc, err := NewFactory(ios, func(string) (string, bool) { return "", false }).JumpCloud(cfg)
	if err != nil {
		b.Fatal(err)
	}
	admin, err := ldapx.Dial(ctx, ldapx.Options{URL: l.URL, BindDN: l.Admin.Bind, Password: l.Admin.Password, CAFile: l.CAFile, DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()

	sfx := make([]byte, 3)
	rand.Read(sfx)
	name := "bsd" + hex.EncodeToString(sfx)
	u, err := jc.CreateSystemUser(ctx, jcapi.SystemUser{Username: name, Email: name + "@example.com", Firstname: "Sync", Lastname: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := jc.DeleteSystemUser(ctx, u.ID); err != nil {
			b.Errorf("delete jumpcloud user %s: %v", name, err)
		}
	}()
	if err := jc.BindUser(ctx, d.JumpCloudDomainID, u.ID); err != nil {
		b.Fatal(err)
	}
	sn := func() (string, string) {
		es, err := admin.SearchAll(ctx, ldapx.Query{Base: d.RootContainer, Scope: ldap.ScopeWholeSubtree,
			Filter: ldapx.EqualityFilter("sAMAccountName", name), Attributes: []string{"sn"}})
		if err != nil || len(es) != 1 {
			return "", ""
		}
		return es[0].DN, es[0].GetAttributeValue("sn")
	}
	defer func() {
		if dn, _ := sn(); dn != "" {
			if err := admin.Delete(ctx, dn); err != nil {
				b.Errorf("delete %s: %v", dn, err)
			}
		}
	}()

	report := func(name string, rec schedule.Record, took time.Duration) { reportTick(b, name, rec, took) }
	for b.Loop() {
		r := startTickRig(b, twoWay, "--sync", "--full-interval", "1h")
		if dn, _ := sn(); dn == "" {
			b.Fatalf("the start run did not create %s in AD (applied %d, error %v)", name, r.start.Summary.Applied, r.start.Err)
		}
		r.requestFull()
		rec, took := r.tick()
		if rec.Summary.Kind() != "full" {
			b.Fatalf("full-now tick ran %s", rec.Summary.Kind())
		}
		report("syncfull", rec, took)
		// Events of the start run's own writes are past the cursor by now;
		// the events endpoint is asked once.
		time.Sleep(jcemu.DefaultInsightsLag + time.Second)
		rec, took = r.tick()
		if rec.Summary.Kind() != "delta" || rec.Summary.Applied != 0 {
			b.Fatalf("no-op sync tick ran %s, applied %d: %s", rec.Summary.Kind(), rec.Summary.Applied, rec.Summary.FullReason)
		}
		report("syncnoop", rec, took)

		last := fmt.Sprintf("Changed%d", time.Now().UnixNano()%1e6)
		if _, err := jc.UpdateSystemUser(ctx, u.ID, jcapi.SystemUserUpdate{Lastname: &last}); err != nil {
			b.Fatal(err)
		}
		time.Sleep(jcemu.DefaultInsightsLag + time.Second) // until the event is visible
		rec, took = r.tick()
		if rec.Summary.Kind() != "delta" || rec.Summary.Applied != 1 {
			b.Fatalf("sync tick after one change ran %s, applied %d: %s", rec.Summary.Kind(), rec.Summary.Applied, rec.Summary.FullReason)
		}
		if _, got := sn(); got != last {
			b.Fatalf("sn of %s in AD = %q after the delta tick, want %q", name, got, last)
		}
		report("syncone", rec, took)
		r.stop()
	}
}
