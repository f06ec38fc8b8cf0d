package ha

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Status is a domain's group as etcd sees it, for `adjc schedule status`.
type Status struct {
	Domain string `json:"domain"`
	// Leader is the leading instance; "" when there is none.
	Leader string `json:"leader"`
	// LeaderSince is when the leader won; zero when unknown.
	LeaderSince time.Time `json:"leader_since,omitzero"`
	// Members are the instances alive in the group, by name.
	Members []Member `json:"members"`
}

// Member is one instance of a group.
type Member struct {
	Instance string    `json:"instance"`
	PID      int       `json:"pid"`
	Joined   time.Time `json:"joined"`
	Leader   bool      `json:"leader"`
	// LeaseGranted is the lease's TTL; LeaseLeft how much of it is left
	// before etcd drops the member (renewed every TTL/3 while it lives).
	LeaseGranted time.Duration `json:"lease_granted_ns"`
	LeaseLeft    time.Duration `json:"lease_left_ns"`
}

// ReadStatus reads the group of domain under prefix (the default prefix
// when empty).
func ReadStatus(ctx context.Context, c *clientv3.Client, prefix, domain string) (Status, error) {
	k := keysFor(Config{Prefix: prefix}.withDefaults().Prefix, domain)
	st := Status{Domain: domain, Members: []Member{}}
	tctx, cancel := context.WithTimeout(ctx, 2*opTimeout)
	defer cancel()

	resp, err := c.Get(tctx, k.election+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return st, fmt.Errorf("ha: read leader: %w", err)
	}
	if len(resp.Kvs) > 0 {
		var v memberValue
		if err := json.Unmarshal(resp.Kvs[0].Value, &v); err == nil {
			st.Leader, st.LeaderSince = v.Instance, v.LeaderSince
		}
	}
	resp, err = c.Get(tctx, k.members, clientv3.WithPrefix())
	if err != nil {
		return st, fmt.Errorf("ha: read members: %w", err)
	}
	for _, kv := range resp.Kvs {
		var v memberValue
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			continue // not ours
		}
		m := Member{Instance: v.Instance, PID: v.PID, Joined: v.Joined, Leader: v.Instance == st.Leader && st.Leader != ""}
		ttl, err := c.TimeToLive(tctx, clientv3.LeaseID(kv.Lease))
		if err == nil && ttl.TTL > 0 {
			m.LeaseGranted = time.Duration(ttl.GrantedTTL) * time.Second
			m.LeaseLeft = time.Duration(ttl.TTL) * time.Second
		}
		st.Members = append(st.Members, m)
	}
	slices.SortFunc(st.Members, func(a, b Member) int { return cmp.Compare(a.Instance, b.Instance) })
	return st, nil
}
