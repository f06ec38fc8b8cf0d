package ldapx

import (
	"maps"
	"slices"
)

// scope turns the membership graph under root into a [Scope]: it finds the
// strongly connected components of the group graph (Tarjan's algorithm), so
// every nesting cycle is reported once and every group in a cycle gets the
// same flattened set, and it unions user sets bottom-up over the components,
// which Tarjan emits callees-first.
func (g *graph) scope(root Group) *Scope {
	rootKey := normDN(root.DN)
	// Edges between groups, and each group's direct users, by key.
	subgroups := map[string][]string{}
	directUsers := map[string][]string{}
	for k, grp := range g.groups {
		for _, m := range grp.Members {
			mk := normDN(m)
			if _, ok := g.groups[mk]; ok {
				subgroups[k] = append(subgroups[k], mk)
			} else if u, ok := g.users[mk]; ok {
				directUsers[k] = append(directUsers[k], u.GUID)
			}
		}
	}

	t := tarjan{edges: subgroups, index: map[string]int{}, low: map[string]int{}, onStack: map[string]bool{}}
	for _, k := range slices.Sorted(maps.Keys(g.groups)) {
		if _, seen := t.index[k]; !seen {
			t.visit(k)
		}
	}

	s := &Scope{Users: map[string]User{}, Groups: map[string]ScopedGroup{}, Admins: map[string]bool{}}
	flat := map[string]map[string]bool{} // group key → set of user GUIDs
	for _, comp := range t.components {
		set := map[string]bool{}
		inComp := map[string]bool{}
		for _, k := range comp {
			inComp[k] = true
		}
		for _, k := range comp {
			for _, guid := range directUsers[k] {
				set[guid] = true
			}
			for _, sub := range subgroups[k] {
				if !inComp[sub] {
					for guid := range flat[sub] {
						set[guid] = true
					}
				}
			}
		}
		for _, k := range comp {
			flat[k] = set
		}
		if len(comp) > 1 || slices.Contains(subgroups[comp[0]], comp[0]) {
			var dns []string
			for _, k := range comp {
				dns = append(dns, g.groups[k].DN)
			}
			slices.Sort(dns)
			s.Cycles = append(s.Cycles, dns)
		}
	}
	slices.SortFunc(s.Cycles, func(a, b []string) int { return slices.Compare(a, b) })

	scoped := func(k string) ScopedGroup {
		grp := g.groups[k]
		sg := ScopedGroup{Group: grp}
		if g.flat != nil && k != rootKey {
			sg.Users = slices.Clone(g.flat[k])
			slices.Sort(sg.Users)
		} else {
			sg.Users = slices.Sorted(maps.Keys(flat[k]))
		}
		for _, sub := range subgroups[k] {
			sg.Subgroups = append(sg.Subgroups, g.groups[sub].GUID)
		}
		slices.Sort(sg.Subgroups)
		sg.Subgroups = slices.Compact(sg.Subgroups)
		return sg
	}
	for k, grp := range g.groups {
		if k == rootKey {
			continue
		}
		s.Groups[grp.GUID] = scoped(k)
	}
	s.Root = scoped(rootKey)
	for _, u := range g.users {
		s.Users[u.GUID] = u
	}
	if g.flat != nil {
		// In-chain: the scope is every user the DC put under root.
		s.Root.Users = slices.Sorted(maps.Keys(s.Users))
	}
	s.Other = slices.Sorted(maps.Values(g.other))
	return s
}

type tarjan struct {
	edges      map[string][]string
	index, low map[string]int
	onStack    map[string]bool
	stack      []string
	next       int
	components [][]string
}

func (t *tarjan) visit(v string) {
	t.index[v] = t.next
	t.low[v] = t.next
	t.next++
	t.stack = append(t.stack, v)
	t.onStack[v] = true
	for _, w := range t.edges[v] {
		if _, seen := t.index[w]; !seen {
			t.visit(w)
			t.low[v] = min(t.low[v], t.low[w])
		} else if t.onStack[w] {
			t.low[v] = min(t.low[v], t.index[w])
		}
	}
	if t.low[v] == t.index[v] {
		var comp []string
		for {
			w := t.stack[len(t.stack)-1]
			t.stack = t.stack[:len(t.stack)-1]
			t.onStack[w] = false
			comp = append(comp, w)
			if w == v {
				break
			}
		}
		t.components = append(t.components, comp)
	}
}
