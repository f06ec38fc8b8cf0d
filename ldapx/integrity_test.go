package ldapx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// scriptedDC is an ldap.Client that answers paged searches with fixed
// pages and base-object reads of member ranges with fixed chunks, in
// front of nothing: the paging-integrity checks are ldapx's own logic, so
// a DC that misbehaves on purpose is the clearest way to show them.
// Methods it does not override panic through the nil embedded Client.
type scriptedDC struct {
	ldap.Client
	pages  [][]*ldap.Entry                // page i is answered to the i-th request
	ranges map[string]map[string][]string // requested attr → answered attr → values
	asked  int
}

func (d *scriptedDC) SearchAsync(_ context.Context, req *ldap.SearchRequest, _ int) ldap.Response {
	i := d.asked
	d.asked++
	r := &scriptedResponse{}
	if i < len(d.pages) {
		r.entries = d.pages[i]
	}
	cookie := ""
	if i+1 < len(d.pages) {
		cookie = fmt.Sprintf("page-%d", i+2)
	}
	p := ldap.NewControlPaging(0)
	p.SetCookie([]byte(cookie))
	r.controls = []ldap.Control{p}
	return r
}

// Search answers the page-size-0 abandon request and member range reads.
func (d *scriptedDC) Search(req *ldap.SearchRequest) (*ldap.SearchResult, error) {
	if req.Scope != ldap.ScopeBaseObject || len(req.Attributes) != 1 {
		return &ldap.SearchResult{}, nil // abandoning a paged search
	}
	answer, ok := d.ranges[req.Attributes[0]]
	if !ok {
		return nil, fmt.Errorf("scriptedDC: unexpected request for %s", req.Attributes[0])
	}
	e := ldap.NewEntry(req.BaseDN, answer)
	return &ldap.SearchResult{Entries: []*ldap.Entry{e}}, nil
}

type scriptedResponse struct {
	entries  []*ldap.Entry
	controls []ldap.Control
	i        int
	cur      *ldap.Entry
}

func (r *scriptedResponse) Entry() *ldap.Entry       { return r.cur }
func (r *scriptedResponse) Referral() string         { return "" }
func (r *scriptedResponse) Controls() []ldap.Control { return r.controls }
func (r *scriptedResponse) Err() error               { return nil }
func (r *scriptedResponse) Next() bool {
	if r.i > len(r.entries) {
		return false
	}
	// Entries first, then one step with no entry that carries the
	// controls, as go-ldap ends a search with the SearchResultDone.
	r.cur = nil
	if r.i < len(r.entries) {
		r.cur = r.entries[r.i]
	}
	r.i++
	return true
}

func user(cn string, guid byte) *ldap.Entry {
	e := ldap.NewEntry("CN="+cn+",CN=Users,DC=adjc,DC=lab", map[string][]string{"cn": {cn}})
	if guid != 0 {
		e.Attributes = append(e.Attributes, &ldap.EntryAttribute{Name: "objectGUID", ByteValues: [][]byte{{guid, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}})
	}
	return e
}

func scriptedConn(d *scriptedDC) *Conn {
	return newConn(d, TransportLDAPS, Options{URL: "ldaps://dc.adjc.lab"})
}

// TestPagingIntegrity: a paged search whose later page repeats an entry
// already read (a replayed page, or an object renamed between pages and
// seen again under its new DN) fails with ErrInconsistentRead, and
// SearchAll returns no entries at all.
func TestPagingIntegrity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pages [][]*ldap.Entry
		want  string // "" = the read is whole
	}{
		{"whole", [][]*ldap.Entry{{user("a", 1), user("b", 2)}, {user("c", 3)}}, ""},
		{"page repeated", [][]*ldap.Entry{{user("a", 1), user("b", 2)}, {user("a", 1), user("b", 2)}, {user("c", 3)}},
			"page 2 returned CN=a,CN=Users,DC=adjc,DC=lab, already returned on page 1"},
		{"renamed between pages", [][]*ldap.Entry{{user("a", 1), user("b", 2)}, {user("a-renamed", 1)}}, "page 2 returned CN=a-renamed"},
		{"same DN without GUIDs", [][]*ldap.Entry{{user("a", 0)}, {user("A", 0)}}, "already returned on page 1"},
		{"repeat inside one page", [][]*ldap.Entry{{user("a", 1), user("a", 1)}}, "page 1 returned CN=a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := scriptedConn(&scriptedDC{pages: tt.pages})
			got, err := c.SearchAll(t.Context(), Query{Base: "DC=adjc,DC=lab", Scope: ldap.ScopeWholeSubtree, Filter: "(objectClass=user)", PageSize: 2})
			if tt.want == "" {
				if err != nil || len(got) != 3 {
					t.Fatalf("SearchAll() = %d entries, %v; want 3", len(got), err)
				}
				return
			}
			if !errors.Is(err, ErrInconsistentRead) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SearchAll() = %v, want ErrInconsistentRead saying %q", err, tt.want)
			}
			if got != nil {
				t.Errorf("SearchAll() returned %d entries with the error, want none", len(got))
			}
		})
	}
}

// TestMemberRangeIntegrity: ranged member reads that overlap, shift, come
// short or repeat a value fail with ErrInconsistentRead.
func TestMemberRangeIntegrity(t *testing.T) {
	t.Parallel()
	m := func(names ...string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = "CN=" + n + ",CN=Users,DC=adjc,DC=lab"
		}
		return out
	}
	tests := []struct {
		name   string
		ranges map[string]map[string][]string
		want   string // "" = whole
	}{
		{"whole", map[string]map[string][]string{
			"member;range=0-1": {"member;range=0-1": m("a", "b")},
			"member;range=2-3": {"member;range=2-*": m("c")},
		}, ""},
		{"overlapping range", map[string]map[string][]string{
			"member;range=0-1": {"member;range=0-1": m("a", "b")},
			"member;range=2-3": {"member;range=1-2": m("b", "c")},
		}, "returned range member;range=1-2 for a request from 2"},
		{"repeated value", map[string]map[string][]string{
			"member;range=0-1": {"member;range=0-1": m("a", "b")},
			"member;range=2-3": {"member;range=2-*": m("A")},
		}, "repeated member CN=A"},
		{"short range", map[string]map[string][]string{
			"member;range=0-1": {"member;range=0-1": m("a")},
		}, "range member;range=0-1 held 1 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := scriptedConn(&scriptedDC{ranges: tt.ranges})
			got, err := c.Members(t.Context(), "CN=G,CN=Users,DC=adjc,DC=lab", 2)
			if tt.want == "" {
				if err != nil || len(got) != 3 {
					t.Fatalf("Members() = %v, %v; want 3 members", got, err)
				}
				return
			}
			if !errors.Is(err, ErrInconsistentRead) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Members() = %v, want ErrInconsistentRead saying %q", err, tt.want)
			}
		})
	}
}
