// Command jcemu serves the JumpCloud API emulator (package jcapi/jcemu) on a
// loopback address, for the lab and demos.
//
//	jcemu --api-key-file key --org-id 65a0c0de0000000000000001 \
//	      --domain DC=example,DC=com --state .lab/jcemu.json --addr-file .lab/jcemu.addr
//
// It seeds one organization, an API key read from a file (never a flag
// value: argv is visible in ps) and an AD domain object, then prints
// shell-style lines on stdout once it is listening:
//
//	JC_API_URL=http://127.0.0.1:41234/api
//	JC_ORG_ID=65a0c0de0000000000000001
//	JC_AD_ID=65a0c0de0000000000000001
//
// --addr-file gets the same URL, written atomically, for scripts to wait on.
// Seeding is idempotent, so with --state a restart keeps every object and id.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/jcapi/jcemu"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "jcemu: error: %v\n", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

type options struct {
	listen, addrFile, state            string
	orgID, orgName, apiKeyFile, domain string
	delegationState                    string
	policyFile                         string
	rate429, rate5xx                   float64
	latency, insightsLag               time.Duration
	seed                               uint64
	logLevel                           string
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("jcemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "loopback `address` to listen on (port 0 picks a free one)")
	fs.StringVar(&o.addrFile, "addr-file", "", "write the API base URL to this `file` once listening")
	fs.StringVar(&o.state, "state", "", "keep state in this JSON `file` across restarts")
	fs.StringVar(&o.orgID, "org-id", "", "seed an organization with this 24-hex `id` (default: next sequential id)")
	fs.StringVar(&o.orgName, "org-name", "Lab Org", "display `name` of the seeded organization")
	fs.StringVar(&o.apiKeyFile, "api-key-file", "", "read the seeded org's API key from this `file` (required; - for stdin)")
	fs.StringVar(&o.domain, "domain", "", "seed an Active Directory domain object for this `DN`, e.g. DC=example,DC=com")
	fs.StringVar(&o.delegationState, "delegation-state", "", "set the seeded domain object's delegationState to `state` (ENABLED, PENDING or DISABLED) on every start")
	fs.StringVar(&o.policyFile, "password-policy-file", "", "JSON `file` with the org's custom passwordPolicy (organizationsettings.passwordPolicy)")
	fs.Float64Var(&o.rate429, "rate-429", 0, "share of calls answered 429 (0..1)")
	fs.Float64Var(&o.rate5xx, "rate-5xx", 0, "share of calls answered 503 (0..1)")
	fs.DurationVar(&o.latency, "latency", 0, "added latency per call")
	fs.DurationVar(&o.insightsLag, "insights-lag", jcemu.DefaultInsightsLag, "how long a Directory Insights event takes to become visible")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed for faults and connect keys")
	fs.StringVar(&o.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if o.apiKeyFile == "" {
		return o, fmt.Errorf("%w: --api-key-file is required", errUsage)
	}
	switch o.delegationState {
	case "", "ENABLED", "PENDING", "DISABLED":
	default:
		return o, fmt.Errorf("%w: --delegation-state %q: want ENABLED, PENDING or DISABLED (active-directory.delegationState)", errUsage, o.delegationState)
	}
	if o.delegationState != "" && o.domain == "" {
		return o, fmt.Errorf("%w: --delegation-state needs --domain", errUsage)
	}
	if o.insightsLag < 0 {
		return o, fmt.Errorf("%w: --insights-lag %s: want 0 or more", errUsage, o.insightsLag)
	}
	if o.rate429 < 0 || o.rate429 > 1 || o.rate5xx < 0 || o.rate5xx > 1 {
		return o, fmt.Errorf("%w: --rate-429 and --rate-5xx must be between 0 and 1", errUsage)
	}
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return o, fmt.Errorf("%w: --listen %q: %v", errUsage, o.listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return o, fmt.Errorf("%w: --listen %q is not a loopback address", errUsage, o.listen)
	}
	return o, nil
}

func readKey(path string, stdin io.Reader) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, 4096))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("read API key: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", fmt.Errorf("read API key: %s is empty", path)
	}
	return key, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	key, err := readKey(o.apiKeyFile, os.Stdin)
	if err != nil {
		return err
	}
	opts := []jcemu.Option{jcemu.WithLogger(logger), jcemu.WithSeed(o.seed),
		jcemu.WithChaos(jcemu.Chaos{Rate429: o.rate429, Rate5xx: o.rate5xx, Latency: o.latency}), jcemu.WithInsightsLag(o.insightsLag)}
	if o.state != "" {
		opts = append(opts, jcemu.WithStateFile(o.state))
	}
	emu, err := jcemu.Open(opts...)
	if err != nil {
		return err
	}
	orgID, adID, err := seed(emu, o, key)
	if err != nil {
		return err
	}
	if o.state != "" {
		if err := emu.Save(o.state); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	base := "http://" + ln.Addr().String() + "/api"
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	fmt.Fprintf(stdout, "JC_API_URL=%s\nJC_ORG_ID=%s\n", base, orgID)
	if adID != "" {
		fmt.Fprintf(stdout, "JC_AD_ID=%s\n", adID)
	}
	if o.addrFile != "" {
		if err := writeFileAtomic(o.addrFile, []byte(base+"\n")); err != nil {
			srv.Close()
			return err
		}
	}
	logger.Info("jcemu listening", "url", base, "org", orgID)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := emu.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// seed creates (or, from a state file, finds) the org, key and domain object.
func seed(emu *jcemu.Server, o options, key string) (orgID, adID string, err error) {
	orgID = o.orgID
	switch {
	case orgID != "" && !emu.HasOrg(orgID):
		if err := emu.AddOrgWithID(orgID, o.orgName); err != nil {
			return "", "", fmt.Errorf("%w: --org-id: %v", errUsage, err)
		}
	case orgID == "":
		orgID = emu.AddOrg(o.orgName)
	}
	if err := emu.AddAPIKey(key, orgID); err != nil {
		return "", "", err
	}
	if o.policyFile != "" {
		b, err := os.ReadFile(o.policyFile)
		if err != nil {
			return "", "", fmt.Errorf("read password policy: %w", err)
		}
		var p jcapi.PasswordPolicy
		if err := json.Unmarshal(b, &p); err != nil {
			return "", "", fmt.Errorf("read password policy %s: %w", o.policyFile, err)
		}
		if err := emu.SetPasswordPolicy(orgID, "custom", p); err != nil {
			return "", "", err
		}
	}
	if o.domain != "" {
		for _, ad := range emu.ActiveDirectories(orgID) {
			if strings.EqualFold(ad.Domain, o.domain) {
				adID = ad.ID
			}
		}
		if adID == "" {
			ad, err := emu.AddActiveDirectory(orgID, o.domain)
			if err != nil {
				return "", "", err
			}
			adID = ad.ID
		}
		if o.delegationState != "" {
			if _, err := emu.UpdateActiveDirectory(orgID, adID, jcapi.ActiveDirectory{DelegationState: o.delegationState}); err != nil {
				return "", "", err
			}
		}
	}
	return orgID, adID, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jcemu-addr-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
