package ldapx

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchGraph builds a membership graph shaped like scripts/bench's fixture
// (scripts/lab.d/scale.py): users users and groups groups under one root,
// nested up to 5 deep, each user directly in 1 to 3 groups with
// heavy-tailed sizes, three groups of 1,600 direct members, and one
// two-group cycle. It is the graph the walk hands to [graph.scope].
func benchGraph(users, groups int) (*graph, Group) {
	rnd := rand.New(rand.NewPCG(1, 2))
	g := newGraph()
	const base = "OU=Scale,DC=adjc,DC=lab"
	udn := make([]string, users)
	for i := range users {
		udn[i] = fmt.Sprintf("CN=s%06d,OU=Users,%s", i+1, base)
		g.users[normDN(udn[i])] = User{GUID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), DN: udn[i]}
	}
	gdn := make([]string, groups)
	parent := make([]int, groups)
	depth := make([]int, groups)
	top := max(3, groups/50)
	members := make([][]string, groups)
	for i := range groups {
		gdn[i] = fmt.Sprintf("CN=Team %04d,OU=Groups,%s", i+1, base)
		parent[i], depth[i] = -1, 1
		if i >= top {
			for {
				p := rnd.IntN(i)
				if depth[p] < 5 {
					parent[i], depth[i] = p, depth[p]+1
					break
				}
			}
			members[parent[i]] = append(members[parent[i]], gdn[i])
		}
	}
	// The last group and its parent contain each other.
	if p := parent[groups-1]; p >= 0 {
		members[groups-1] = append(members[groups-1], gdn[p])
	}
	for u := range users {
		for range 1 + rnd.IntN(3) {
			// Heavy tail: low group numbers are picked far more often.
			k := int(float64(groups) * rnd.Float64() * rnd.Float64() * rnd.Float64())
			members[k] = append(members[k], udn[u])
		}
	}
	for k := range min(3, groups) {
		for _, u := range rnd.Perm(users)[:min(users, 1600)] {
			members[k] = append(members[k], udn[u])
		}
	}
	root := Group{GUID: "root", DN: "CN=JumpCloud," + base}
	for i := range groups {
		if parent[i] < 0 {
			root.Members = append(root.Members, gdn[i])
		}
		g.groups[normDN(gdn[i])] = Group{GUID: fmt.Sprintf("g-%05d", i), DN: gdn[i], Members: members[i]}
	}
	g.groups[normDN(root.DN)] = root
	return g, root
}

// BenchmarkFlatten is the in-memory half of the walk strategy: strongly
// connected components, cycle report and each group's flattened user set,
// with no LDAP at all.
//
//	go test ./ldapx -run '^$' -bench Flatten -benchmem
func BenchmarkFlatten(b *testing.B) {
	for _, size := range []struct{ users, groups int }{{10_000, 1_000}, {100_000, 5_000}} {
		b.Run(fmt.Sprintf("users=%d/groups=%d", size.users, size.groups), func(b *testing.B) {
			g, root := benchGraph(size.users, size.groups)
			b.ReportAllocs()
			var s *Scope
			for b.Loop() {
				s = g.scope(root)
			}
			if len(s.Groups) != size.groups || len(s.Cycles) != 1 {
				b.Fatalf("scope() = %d groups, %d cycles; want %d, 1", len(s.Groups), len(s.Cycles), size.groups)
			}
		})
	}
}
