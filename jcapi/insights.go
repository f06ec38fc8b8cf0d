package jcapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// This file is the Directory Insights client: POST /events of
// testdata/spec/directory-insights-v1-index.yaml (servers, paths./events.post,
// components.schemas.EventQuery and EventServiceTimeQuery, and the
// info.description sections "JSON POST Request Body", "Row Size Limit",
// "HTTP Response Header Metadata" and "Getting All the Pages of Data").

// Directory Insights event types adjc interprets, as the spec's
// info.description tables "Directory - Object Events" and "Directory - User
// and Admin Events" name them. The member and binding changes are
// association_change events; their body (association.op and
// association.connection.from/to with type and object_id) is not in the
// spec: it is the form JumpCloud's own PowerShell Directory Insights
// dashboard reads (Get-GroupAssociationChange, which also shows the type
// names upper-cased, e.g. USER_GROUP, so they are compared without case).
const (
	EventUserCreate        = "user_create"
	EventUserUpdate        = "user_update"
	EventUserDelete        = "user_delete"
	EventUserSuspended     = "user_suspended"
	EventUserUnsuspended   = "user_unsuspended"
	EventGroupCreate       = "group_create"
	EventGroupUpdate       = "group_update"
	EventGroupDelete       = "group_delete"
	EventAssociationChange = "association_change"
)

// ServiceDirectory is the Directory Insights service that logs changes made
// in the Admin Portal and through the API (spec EventServiceTimeQuery.service).
const ServiceDirectory = "directory"

// MaxEventLimit is the most rows one events request may ask for ("Row Size
// Limit": "The maximum number of rows you can request is 10,000").
const MaxEventLimit = 10000

// EventQuery is the body of POST /events (components.schemas.EventQuery).
// Service and Start are required (EventServiceTimeQuery.required).
type EventQuery struct {
	Service []string
	Start   time.Time
	// End is the query's end; zero sends none.
	End time.Time
	// Limit is the page size; 0 leaves the service's default (1000).
	Limit int
	// SearchAfter is the previous page's X-Search_after, sent back as is.
	SearchAfter json.RawMessage
	// Sort is ASC or DESC by timestamp; "" leaves the default.
	Sort string
}

func (q EventQuery) body() map[string]any {
	b := map[string]any{
		"service":    q.Service,
		"start_time": q.Start.UTC().Format(time.RFC3339Nano),
	}
	if !q.End.IsZero() {
		b["end_time"] = q.End.UTC().Format(time.RFC3339Nano)
	}
	if q.Limit > 0 {
		b["limit"] = q.Limit
	}
	if len(q.SearchAfter) > 0 {
		b["search_after"] = q.SearchAfter
	}
	if q.Sort != "" {
		b["sort"] = q.Sort
	}
	return b
}

// Event is one Directory Insights event, with the fields adjc reads (the
// spec's "Directory Attributes" table); the service sends more.
type Event struct {
	ID           string            `json:"id"`
	EventType    string            `json:"event_type"`
	Service      string            `json:"service,omitempty"`
	Organization string            `json:"organization,omitempty"`
	Timestamp    time.Time         `json:"timestamp"`
	Resource     *EventResource    `json:"resource,omitempty"`
	Association  *EventAssociation `json:"association,omitempty"`
	Changes      []EventChange     `json:"changes,omitempty"`
	Success      *bool             `json:"success,omitempty"`
}

// EventResource is the object an event is about: {"type": "user", "id":
// …, "username": …} for users, type "user_group" for groups.
type EventResource struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Username string `json:"username,omitempty"`
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
}

// EventAssociation is the graph edge an association_change added or
// removed (Op "add" or "remove").
type EventAssociation struct {
	Op         string          `json:"op"`
	Connection EventConnection `json:"connection"`
}

// EventConnection is the two ends of an association.
type EventConnection struct {
	From EventNode `json:"from"`
	To   EventNode `json:"to"`
}

// EventNode is one end of an association.
type EventNode struct {
	Type     string `json:"type"`
	ObjectID string `json:"object_id"`
	Name     string `json:"name,omitempty"`
}

// EventChange is one changed field ("changes": [{"field", "from", "to"}]).
type EventChange struct {
	Field string          `json:"field"`
	From  json.RawMessage `json:"from,omitempty"`
	To    json.RawMessage `json:"to,omitempty"`
}

// EventPage is one answer of POST /events with its response headers.
type EventPage struct {
	Events []Event
	// Limit and Count are X-Limit and X-Result-Count; Count == Limit means
	// more pages may follow.
	Limit, Count int
	// SearchAfter is X-Search_after, the token of the next page.
	SearchAfter json.RawMessage
}

// More reports whether another page may follow ("Once the X-Result-Count
// value is less than X-Limit, you have reached the last page").
func (p EventPage) More() bool { return p.Limit > 0 && p.Count >= p.Limit && len(p.SearchAfter) > 0 }

// WithInsightsURL sets the Directory Insights base URL (default: derived
// from the API URL, see [New]).
func WithInsightsURL(u string) Option {
	return func(c *Client) { c.di = strings.TrimRight(u, "/") }
}

// InsightsURL returns the Directory Insights base URL the client posts to.
func (c *Client) InsightsURL() string { return c.di }

// insightsURL derives the Directory Insights base from the v1 base: the
// spec's servers are https://api[.eu|.in].jumpcloud.com/insights/directory/v1
// beside https://console[.eu|.in].jumpcloud.com/api; any other host (a proxy,
// the emulator) serves it beside /api on the same origin.
func insightsURL(v1 string) string {
	u, err := url.Parse(v1)
	if err != nil {
		return v1
	}
	if rest, ok := strings.CutPrefix(u.Host, "console."); ok && strings.HasSuffix(rest, "jumpcloud.com") {
		u.Host = "api." + rest
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/api") + "/insights/directory/v1"
	return u.String()
}

// Events sends one POST /events query and returns its page.
func (c *Client) Events(ctx context.Context, q EventQuery) (EventPage, error) {
	if len(q.Service) == 0 || q.Start.IsZero() {
		return EventPage{}, fmt.Errorf("POST /events: service and start time are required")
	}
	if q.Limit < 0 || q.Limit > MaxEventLimit {
		return EventPage{}, fmt.Errorf("POST /events: limit %d: want 0 to %d", q.Limit, MaxEventLimit)
	}
	var page EventPage
	hdr, err := c.do(ctx, call{method: http.MethodPost, base: c.di, path: "/events", body: q.body(), out: &page.Events})
	if err != nil {
		return EventPage{}, err
	}
	page.Count, _ = strconv.Atoi(hdr.Get("X-Result-Count"))
	page.Limit, _ = strconv.Atoi(hdr.Get("X-Limit"))
	if sa := strings.TrimSpace(hdr.Get("X-Search_after")); sa != "" {
		if !json.Valid([]byte(sa)) {
			return EventPage{}, fmt.Errorf("POST /events: X-Search_after %.60q is not JSON", sa)
		}
		page.SearchAfter = json.RawMessage(sa)
	}
	return page, nil
}

// ErrTooManyEvents is returned by [Client.AllEvents] when more than max
// events match.
var ErrTooManyEvents = fmt.Errorf("jcapi: too many events")

// AllEvents reads every event of q, oldest first, following X-Search_after
// page by page; more than max events (max > 0) stops it with
// [ErrTooManyEvents]. It returns the search_after of the last page, which a
// caller may keep to ask again from there.
func (c *Client) AllEvents(ctx context.Context, q EventQuery, max int) ([]Event, json.RawMessage, error) {
	q.Sort = "ASC"
	var out []Event
	for {
		p, err := c.Events(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, p.Events...)
		if len(p.SearchAfter) > 0 {
			q.SearchAfter = p.SearchAfter
		}
		if max > 0 && len(out) > max {
			return nil, nil, fmt.Errorf("%w: more than %d since %s", ErrTooManyEvents, max, q.Start.UTC().Format(time.RFC3339))
		}
		if !p.More() {
			return out, q.SearchAfter, nil
		}
	}
}
