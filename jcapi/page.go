package jcapi

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// PageSize is the page size used for every list: the spec's maximum
// (trait_limit_limit: "Limited to 100").
const PageSize = 100

// ListOptions narrows a list. The zero value lists everything.
type ListOptions struct {
	// Filter terms, all of which must match. v1 lists take
	// "field:$op:value" ($eq $ne $in $nin $lt $lte $gt $gte $sw), v2 lists
	// "field:op:value" (eq ne gt ge lt le in search). Values are
	// case-sensitive and must not hold a comma (see [ErrCommaInFilter]).
	Filter []string
	// PageSize overrides [PageSize] (1..100); tests use it to force many pages.
	PageSize int
}

// ErrCommaInFilter is returned, before any request is sent, for a filter
// whose value holds a comma. v2 types filter as an array with style form,
// explode false (components.parameters.trait_filter_filter), so the server
// splits it at every comma and a value such as DC=x,DC=y or "Sales, EMEA"
// would become two broken filters. Look such objects up another way: see
// [Client.SystemUserByUsername], [Client.UserGroupByName] and
// [Client.ActiveDirectoryByDomain].
var ErrCommaInFilter = errors.New("jcapi: filter value holds a comma, which the API reads as a separator")

func (o ListOptions) limit() int {
	if o.PageSize < 1 || o.PageSize > PageSize {
		return PageSize
	}
	return o.PageSize
}

// check refuses filters the API would misread.
func (o ListOptions) check() error {
	for _, f := range o.Filter {
		if strings.Contains(f, ",") {
			return fmt.Errorf("%w: %q", ErrCommaInFilter, f)
		}
	}
	return nil
}

// v1Query builds limit/skip/sort/filter for a v1 list. v1 types filter as a
// string; one filter is sent as filter=…, several are ANDed as
// filter[0]=…&filter[1]=…, the form trait_filter_filter documents. v1 sort
// is space-separated field names; _id is the v1 object id field.
func (o ListOptions) v1Query(skip, limit int) url.Values {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(limit))
	q.Set("skip", strconv.Itoa(skip))
	q.Set("sort", "_id")
	switch len(o.Filter) {
	case 0:
	case 1:
		q.Set("filter", o.Filter[0])
	default:
		for i, f := range o.Filter {
			q.Set(fmt.Sprintf("filter[%d]", i), f)
		}
	}
	return q
}

// v2SortField is the field v2 lists are sorted by when the operation takes
// sort: every v2 object jcapi lists (UserGroup, active-directory,
// GraphObjectWithPaths, active-directory-agent-list) names its id "id";
// "_id" is a v1 field name and not one of theirs.
const v2SortField = "id"

// v2Query builds limit/skip/filter for a v2 list, plus sort=id when the
// operation takes sort. Each filter goes in its own filter= key, as
// JumpCloud's generated SDKs send an array of filters, never joined with
// commas (a comma inside a term is refused by [ListOptions.check]).
func (o ListOptions) v2Query(skip, limit int, sort bool) url.Values {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(limit))
	q.Set("skip", strconv.Itoa(skip))
	if sort {
		// A stable order, so a list written to while it is paged neither
		// repeats nor skips (JumpCloud's API best-practices article).
		q.Set("sort", v2SortField)
	}
	for _, f := range o.Filter {
		q.Add("filter", f)
	}
	return q
}

// fetchFunc reads one page; total is -1 when the server did not say.
type fetchFunc[T any] func(ctx context.Context, skip, limit int) (items []T, total int, err error)

// ErrInconsistentPage matches a [PageError]: a paged read whose pages do not
// add up to one consistent listing.
var ErrInconsistentPage = errors.New("jcapi: inconsistent paged read")

// PageError is a paged read that cannot be trusted: a page repeated or
// overlapped ids already read (the list shifted under skip-based paging, or
// the server served a page twice), the reported total changed between pages,
// or the ids read do not add up to the total. Acting on such a listing could
// create a duplicate of an object that was only missed, or delete one that
// was only skipped, so the read fails and the caller should retry later. It
// matches [ErrInconsistentPage].
type PageError struct {
	What   string // e.g. "system users"
	Path   string // e.g. /systemusers or /v2/usergroups/{id}/members, ids filled in
	Page   int    // 1-based page that showed the problem
	Reason string
}

func (e *PageError) Error() string {
	return fmt.Sprintf("jcapi: list %s (%s): page %d: %s; nothing read from this listing can be trusted, try again later", e.What, e.Path, e.Page, e.Reason)
}

// Is makes errors.Is(err, ErrInconsistentPage) true.
func (e *PageError) Is(target error) bool { return target == ErrInconsistentPage }

// identified is a listed object with an id, which paging checks for repeats.
type identified interface{ pageID() string }

// paginate yields every item of a list, page by page, checking that the
// pages form one listing: no id is read twice, the total stays the same,
// and the ids read add up to it. It stops after a short page or once skip
// reaches the reported total, and yields at most one error, after which it
// stops. Items are yielded as pages arrive, so a consumer that must not act
// on a partial or inconsistent listing collects it first ([Collect]).
func paginate[T identified](ctx context.Context, what, path string, limit int, fetch fetchFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		fail := func(page int, format string, args ...any) {
			yield(zero, &PageError{What: what, Path: path, Page: page, Reason: fmt.Sprintf(format, args...)})
		}
		seen := map[string]int{} // id → page it was read on
		skip, first := 0, -2
		for page := 1; ; page++ {
			items, total, err := fetch(ctx, skip, limit)
			if err != nil {
				yield(zero, fmt.Errorf("jcapi: list %s: page %d: %w", what, page, err))
				return
			}
			if len(items) > limit {
				yield(zero, fmt.Errorf("jcapi: list %s: page %d: %d items, more than the limit %d: the response does not follow the API", what, page, len(items), limit))
				return
			}
			if first == -2 {
				first = total
			} else if total != first {
				fail(page, "the total changed from %d to %d between pages", first, total)
				return
			}
			for _, it := range items {
				id := it.pageID()
				if id == "" {
					fail(page, "an item has no id")
					return
				}
				if p, ok := seen[id]; ok {
					fail(page, "id %s was already read on page %d (a repeated or shifted page)", id, p)
					return
				}
				seen[id] = page
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			skip += len(items)
			if total >= 0 && skip > total {
				fail(page, "%d ids read but the server reported %d", skip, total)
				return
			}
			if len(items) < limit && total >= 0 && skip < total {
				// A short page ends a list, so a server that says there
				// is more and stops would make a silently partial read.
				fail(page, "the server reported %d items but the list ended after %d", total, skip)
				return
			}
			if len(items) < limit || (total >= 0 && skip >= total) {
				return
			}
		}
	}
}

// totalHeader reads v2's x-total-count response header. The spec models
// x-total-count only as a request parameter (trait_listCount_x-total-count),
// but JumpCloud returns it on responses and its PowerShell module relies on
// that (Get-JCResults.ps1).
func totalHeader(h interface{ Get(string) string }) int {
	n, err := strconv.Atoi(h.Get("x-total-count"))
	if err != nil {
		return -1
	}
	return n
}

// Collect drains an iterator into a slice, stopping at the first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// v2List is the fetch for a v2 list that returns a bare array.
func v2List[T identified](c *Client, path string, opts ListOptions, sort bool, extra url.Values) fetchFunc[T] {
	return func(ctx context.Context, skip, limit int) ([]T, int, error) {
		if err := opts.check(); err != nil {
			return nil, 0, err
		}
		q := opts.v2Query(skip, limit, sort)
		for k, v := range extra {
			q[k] = v
		}
		var items []T
		h, err := c.do(ctx, call{method: "GET", base: c.v2, path: path, query: q, out: &items})
		if err != nil {
			return nil, 0, err
		}
		if items == nil { // null or an empty body; an empty list is []
			return nil, 0, fmt.Errorf("GET %s: response is not a list", path)
		}
		return items, totalHeader(h), nil
	}
}

// v1Page is the body of a v1 list: {"totalCount": n, "results": [...]}.
// Pointers tell a missing or null field from a zero one: a body without
// results is not an empty list.
type v1Page[T any] struct {
	TotalCount *int `json:"totalCount"`
	Results    *[]T `json:"results"`
}

// items returns the page's results and total, or an error when the body was
// not shaped like a v1 list.
func (p *v1Page[T]) items(method, path string, err error) ([]T, int, error) {
	if err != nil {
		return nil, 0, err
	}
	if p.Results == nil || *p.Results == nil || p.TotalCount == nil {
		return nil, 0, fmt.Errorf("%s %s: response is not a list (no results or totalCount)", method, path)
	}
	return *p.Results, *p.TotalCount, nil
}
