package adapter_test

import (
	"fmt"
	"testing"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/reconcile"
)

// TestTargetedLimit: a small org keeps the floor; a large one re-reads
// changed users one by one while that costs fewer JumpCloud calls than a
// full read: the one the last full read took when it was counted, else
// pages of 100 users and groups and a member list per group.
func TestTargetedLimit(t *testing.T) {
	cloud := func(users, groups int) *adapter.Snapshot {
		var c reconcile.Cloud
		for i := range users {
			c.Users = append(c.Users, reconcile.CloudUser{ID: fmt.Sprint(i)})
		}
		for i := range groups {
			c.Groups = append(c.Groups, reconcile.CloudGroup{ID: fmt.Sprint(i)})
		}
		return &adapter.Snapshot{Cloud: c}
	}
	tests := []struct {
		name string
		snap *adapter.Snapshot
		want int
	}{
		{"no snapshot", nil, adapter.MaxTargeted},
		{"small org", cloud(500, 50), adapter.MaxTargeted},
		// 100 user pages + 10 group pages + 1,000 member lists = 1,110
		// calls, twice (read, and read again after applying).
		{"bench fixture", cloud(10_000, 1_000), 740},
		// The last full read counted 1,749 calls (member lists of more
		// than one page, the domain object's associations): that is what
		// a full run costs, twice.
		{"counted", &adapter.Snapshot{Cloud: cloud(10_000, 1_000).Cloud, ReadCalls: 1749}, 1166},
		{"counted, small", &adapter.Snapshot{ReadCalls: 30}, adapter.MaxTargeted},
	}
	for _, tt := range tests {
		if got := adapter.TargetedLimit(tt.snap); got != tt.want {
			t.Errorf("%s: TargetedLimit() = %d, want %d", tt.name, got, tt.want)
		}
	}
}
