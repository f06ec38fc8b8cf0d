package ha

import (
	"context"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// The pause flag of a group is its own key, <prefix>/<domain>/paused,
// holding when it was set. Unlike the state it is not fenced: an operator
// sets it from anywhere ('adjc schedule pause'), not the leader.

func pauseKey(prefix, domain string) string {
	k := keysFor(Config{Prefix: prefix}.withDefaults().Prefix, domain)
	return strings.TrimSuffix(k.state, "/state") + "/paused"
}

// Pause sets the pause flag of domain's group: its leader skips every run
// from its next one until [Resume], whichever host it runs on.
func Pause(ctx context.Context, c *clientv3.Client, prefix, domain string, at time.Time) error {
	tctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := c.Put(tctx, pauseKey(prefix, domain), at.UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("ha: pause: %w", err)
	}
	return nil
}

// Resume clears the pause flag; resuming a group that is not paused is not
// an error.
func Resume(ctx context.Context, c *clientv3.Client, prefix, domain string) error {
	tctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := c.Delete(tctx, pauseKey(prefix, domain)); err != nil {
		return fmt.Errorf("ha: resume: %w", err)
	}
	return nil
}

// PausedSince reports whether the group's pause flag is set, and since when.
func PausedSince(ctx context.Context, c *clientv3.Client, prefix, domain string) (bool, time.Time, error) {
	tctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := c.Get(tctx, pauseKey(prefix, domain))
	if err != nil {
		return false, time.Time{}, fmt.Errorf("ha: pause flag: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return false, time.Time{}, nil
	}
	at, _ := time.Parse(time.RFC3339, string(resp.Kvs[0].Value))
	return true, at, nil
}
