package ldapx

import (
	"context"
	"iter"
	"maps"
	"slices"

	"github.com/go-ldap/ldap/v3"
)

// scanMin is how many of one walk level's unresolved DNs must share a
// container before the walk pages through that container instead of
// resolving them resolveBatch at a time.
//
// Why: on scripts/bench's fixture (10,000 users in one OU, 1,000 groups in
// another, nested 5 deep) the walk's 440 OR-of-DN searches took 3.2 s where
// ldapsearch paging the same entries took 1.96 s (1.63×, issue 9's target
// is 1.3×). A CPU profile of the read showed only ~0.9 s of it in adjc
// (BER decoding, DN parsing, GC) and the rest waiting on the DC, whose cost
// is per search: a paged one-level search of the container returns the same
// users at ldapsearch's per-entry cost. Users live in a few OUs in most
// domains, so a large scope is mostly such containers.
const scanMin = 200

// scanFilter is what a container scan reads: what the walk can use.
const scanFilter = "(|(objectClass=user)(objectClass=group))"

// maxPausedScans is how many container scans the walk keeps paused (a
// paged search stopped at a page boundary, to be resumed at a later level)
// at once; when one more would pause, the oldest is abandoned and its
// container's DNs are resolved in batches from then on. A DC keeps a few
// paged searches per connection (AD's MaxResultSetsPerConn: 10), and the
// walk must stay well under that.
const maxPausedScans = 4

// containerScan is one container paged through a level at a time: pulled
// from [Conn.pages] and paused only at a page boundary, so that the
// connection is free for the walk's other searches in between.
type containerScan struct {
	base string
	next func() (*ldap.Entry, error, bool)
	stop func()
	done bool
}

// scanLimits are scanMin, maxPausedScans and the page size (0: the
// default); a test sets small ones on its connection to make a small OU
// take several pages and pauses.
type scanLimits struct {
	min, paused int
	page        uint32
}

// scanner holds a walk's container scans, by normalised container DN.
type scanner struct {
	c      *Conn
	attrs  []string
	limits scanLimits
	scans  map[string]*containerScan
	paused []*containerScan // oldest first
}

func newScanner(c *Conn, attrs []string) *scanner {
	s := &scanner{c: c, attrs: attrs, limits: scanLimits{min: scanMin, paused: maxPausedScans}, scans: map[string]*containerScan{}}
	if c.scanTune != nil {
		s.limits = *c.scanTune
	}
	return s
}

// close abandons the scans still paused.
func (s *scanner) close() {
	for _, sc := range s.paused {
		s.end(sc)
	}
	s.paused = nil
}

func (s *scanner) end(sc *containerScan) {
	if !sc.done {
		sc.done = true
		sc.stop()
	}
}

// scanContainers pages, one level, through each container holding at least
// scanMin of todo's DNs, and keeps every user and group it reads in pre
// (by normalised DN), wanted now or not: a group found there may be reached
// at the next level. Out-of-scope objects in pre are never added to the
// graph; the walk only takes what it reaches. At one level a container is
// read for twice as many entries as it has wanted DNs, rounded up to the
// end of the page the DC is sending (its entries are already paid for), so
// a big OU with few in-scope users costs at most about twice the entries
// the batches would have read; DNs not found by then are resolved in
// batches as before. The scan then pauses, and a later level that again
// wants scanMin or more of the container's DNs resumes it where it
// stopped: paging it from the start again would return the same first
// entries.
func (s *scanner) scanContainers(ctx context.Context, todo []string, pre map[string]*ldap.Entry) error {
	wanted := map[string]int{}
	parents := map[string]string{}
	for _, dn := range todo {
		if _, ok := pre[normDN(dn)]; ok {
			continue
		}
		p := ParentDN(dn)
		k := normDN(p)
		wanted[k]++
		parents[k] = p
	}
	for _, k := range slices.Sorted(maps.Keys(wanted)) {
		n := wanted[k]
		if n < s.limits.min {
			continue
		}
		sc := s.scans[k]
		switch {
		case sc == nil:
			sc = &containerScan{base: parents[k]}
			sc.next, sc.stop = iter.Pull2(s.c.pages(ctx, Query{Base: parents[k], Scope: ldap.ScopeSingleLevel, Filter: scanFilter, Attributes: s.attrs, PageSize: s.limits.page}))
			s.scans[k] = sc
		case sc.done:
			continue
		default:
			s.paused = slices.DeleteFunc(s.paused, func(p *containerScan) bool { return p == sc })
		}
		read, err := s.read(sc, 2*n, pre)
		if err != nil {
			return err
		}
		s.c.log.Debug("ldap container scan", "base", parents[k], "wanted", n, "read", read, "finished", sc.done)
		if !sc.done {
			if len(s.paused) > 0 && len(s.paused) >= s.limits.paused {
				s.end(s.paused[0])
				s.paused = s.paused[1:]
			}
			s.paused = append(s.paused, sc)
		}
	}
	return nil
}

// read pulls entries of sc into pre until at least want are read and a
// page has ended, or the container has no more.
func (s *scanner) read(sc *containerScan, want int, pre map[string]*ldap.Entry) (int, error) {
	read := 0
	for {
		e, err, ok := sc.next()
		switch {
		case !ok:
			sc.done = true
			return read, nil
		case err != nil:
			s.end(sc)
			return read, err
		case e == nil: // a page boundary
			if read >= want {
				return read, nil
			}
		default:
			pre[normDN(e.DN)] = e
			read++
		}
	}
}

// addEntry puts one entry the walk reached into g: a group (with all its
// members, ranged if need be), a user, or something else. It returns the
// group's members, the walk's next frontier.
func (c *Conn) addEntry(ctx context.Context, g *graph, k string, e *ldap.Entry, extra []string) ([]string, error) {
	switch {
	case isGroup(e):
		grp, err := c.completeGroup(ctx, e)
		if err != nil {
			return nil, err
		}
		g.groups[k] = grp
		return grp.Members, nil
	case isUser(e) && hasClass(e, "person"):
		u, err := userFromEntry(e, extra...)
		if err != nil {
			return nil, err
		}
		g.users[k] = u
	default:
		g.other[k] = e.DN
	}
	return nil, nil
}
