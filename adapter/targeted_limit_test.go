package adapter_test

import (
	"fmt"
	"testing"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/reconcile"
)

// TestTargetedLimit: a small org keeps the floor; a large one re-reads
// changed users one by one while that costs fewer JumpCloud calls than a
// full read (pages of 100 users and groups, a member list per group).
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
	}
	for _, tt := range tests {
		if got := adapter.TargetedLimit(tt.snap); got != tt.want {
			t.Errorf("%s: TargetedLimit() = %d, want %d", tt.name, got, tt.want)
		}
	}
}
