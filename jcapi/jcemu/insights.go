// This file is Directory Insights: POST /insights/directory/v1/events of
// directory-insights-v1-index.yaml, and the events every change made
// through the emulator records.

package jcemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/adjc/adjc/jcapi"
)

// DefaultInsightsLag is how long an event takes to become visible to
// POST /events. JumpCloud documents no figure (neither the Directory
// Insights spec nor its support article "Get Started: Directory Insights"
// gives one); events are written to a search index, so they are never
// visible at once. The emulator defaults to a few seconds so that a client
// that trusts "now" as the end of what it has seen is caught; a client
// must cover far more (adjc's overlap defaults to minutes).
const DefaultInsightsLag = 3 * time.Second

// insightsRetention is the "Data Retention" of the spec: "JumpCloud stores
// event logs for 90 days".
const insightsRetention = 90 * 24 * time.Hour

// WithInsightsLag sets the ingestion lag of Directory Insights events
// (default [DefaultInsightsLag]); 0 makes events visible at once.
func WithInsightsLag(d time.Duration) Option { return func(s *Server) { s.lag = &d } }

// SetInsightsLag changes the ingestion lag at run time.
func (s *Server) SetInsightsLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = &d
}

func (s *Server) insightsLag() time.Duration {
	if s.lag == nil {
		return DefaultInsightsLag
	}
	return *s.lag
}

// SetInsights turns Directory Insights on or off for an org (on by
// default). Off, POST /events answers 402, the spec's "Directory Insights
// is not enabled for your organization".
func (s *Server) SetInsights(orgID string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return err
	}
	o.NoInsights = !on
	return nil
}

// Events returns every event recorded for an org, visible yet or not,
// oldest first.
func (s *Server) Events(orgID string) []jcapi.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.Orgs[orgID]
	if o == nil {
		return nil
	}
	out := make([]jcapi.Event, len(o.Events))
	for i, e := range o.Events {
		out[i] = e.public()
	}
	return out
}

// event is a stored Directory Insights event: the fields of the spec's
// "Directory Attributes" table that the emulator fills.
type event struct {
	ID           string                  `json:"id"`
	EventType    string                  `json:"event_type"`
	Service      string                  `json:"service"`
	Organization string                  `json:"organization"`
	Timestamp    time.Time               `json:"timestamp"`
	Version      string                  `json:"@version"`
	Success      bool                    `json:"success"`
	AuthMethod   string                  `json:"auth_method"`
	InitiatedBy  map[string]string       `json:"initiated_by"`
	Resource     *jcapi.EventResource    `json:"resource,omitempty"`
	Association  *jcapi.EventAssociation `json:"association,omitempty"`
	Changes      []jcapi.EventChange     `json:"changes,omitempty"`
}

func (e event) public() jcapi.Event {
	ok := e.Success
	return jcapi.Event{ID: e.ID, EventType: e.EventType, Service: e.Service, Organization: e.Organization,
		Timestamp: e.Timestamp, Resource: e.Resource, Association: e.Association, Changes: e.Changes, Success: &ok}
}

// record appends an event to o's log, stamped now.
func (s *Server) record(o *org, typ string, res *jcapi.EventResource, assoc *jcapi.EventAssociation, changes []jcapi.EventChange) {
	now := s.now().UTC()
	o.EventSeq++
	o.Events = append(o.Events, event{
		// A uuid, as the spec's "Unique ID for the event" example is; the
		// counter keeps runs deterministic.
		ID:        fmt.Sprintf("%08x-0000-4000-8000-%012x", o.EventSeq>>48, o.EventSeq&0xffffffffffff),
		EventType: typ, Service: jcapi.ServiceDirectory, Organization: o.id(), Timestamp: now,
		Version: "1", Success: true, AuthMethod: "api-key",
		InitiatedBy: map[string]string{"type": "admin", "id": o.id()},
		Resource:    res, Association: assoc, Changes: changes,
	})
	if cut := now.Add(-insightsRetention); o.Events[0].Timestamp.Before(cut) {
		o.Events = slices.DeleteFunc(o.Events, func(e event) bool { return e.Timestamp.Before(cut) })
	}
}

func userResource(d doc) *jcapi.EventResource {
	return &jcapi.EventResource{Type: "user", ID: text(d["_id"]), Username: text(d["username"]), Email: text(d["email"])}
}

func groupResource(d doc) *jcapi.EventResource {
	return &jcapi.EventResource{Type: "user_group", ID: text(d["id"]), Name: text(d["name"])}
}

// recordAssociation logs an association_change: from is the group or AD
// instance, to the member or bound object.
func (s *Server) recordAssociation(o *org, op, fromType, fromID string, to edge) {
	s.record(o, jcapi.EventAssociationChange, nil, &jcapi.EventAssociation{Op: op, Connection: jcapi.EventConnection{
		From: jcapi.EventNode{Type: fromType, ObjectID: fromID},
		To:   jcapi.EventNode{Type: to.Type, ObjectID: to.ID},
	}}, nil)
}

// diffFields lists the fields of body whose value differs in before.
func diffFields(before doc, body doc) []jcapi.EventChange {
	var out []jcapi.EventChange
	for _, k := range sortedKeys(body) {
		if k == "password" || reflect.DeepEqual(before[k], body[k]) {
			continue
		}
		from, _ := json.Marshal(before[k])
		to, _ := json.Marshal(body[k])
		out = append(out, jcapi.EventChange{Field: k, From: from, To: to})
	}
	return out
}

func sortedKeys(m doc) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// eventQueryFields are the body fields the emulator accepts: those of
// components.schemas.EventQuery that adjc sends. The others (fields, q,
// search_term, skip, exact_match, exclude_provider_activity) are refused:
// stricter than the service, so a client cannot come to rely on them
// unnoticed.
var eventQueryFields = []string{"service", "start_time", "end_time", "limit", "search_after", "sort"}

// eventServices is the enum of EventServiceTimeQuery.service.
var eventServices = []string{"alerts", "all", "directory", "ldap", "mdm", "notifications", "object_storage",
	"password_manager", "password_vault", "radius", "reports", "saas_app_management", "software", "sso",
	"systems", "access_management", "asset_management", "workflows", "genai", "aigw", "ai_admin", "generic_di"}

// defaultEventLimit is the "Row Size Limit" default.
const defaultEventLimit = 1000

// diError writes the spec's components.schemas.ErrorMessage.
func diError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}

// postEvents serves POST /events: the events of the body's services
// between start_time and end_time that have been ingested (older than the
// lag), sorted by timestamp, paged with limit and search_after, with the
// response headers of "HTTP Response Header Metadata".
func (s *Server) postEvents(c reqCtx, w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		diError(w, 400, "Content-Type must be application/json (requestBodies.EventQuery)")
		return
	}
	body, e := decodeBody(r)
	if e != nil {
		diError(w, 400, e.Message)
		return
	}
	for _, k := range sortedKeys(body) {
		if !slices.Contains(eventQueryFields, k) {
			diError(w, 400, fmt.Sprintf("unknown or unsupported field %q in the event query", k))
			return
		}
	}
	svc, ok := body["service"].([]any)
	if !ok || len(svc) == 0 {
		diError(w, 400, "service is required: an array of service names")
		return
	}
	all := false
	for _, v := range svc {
		name, _ := v.(string)
		if !slices.Contains(eventServices, name) {
			diError(w, 400, fmt.Sprintf("invalid service %q; supported: %s", name, strings.Join(eventServices, ", ")))
			return
		}
		all = all || name == "all" || name == jcapi.ServiceDirectory
	}
	now := s.now().UTC()
	start, msg := eventTime(body, "start_time", true)
	if msg == "" && start.After(now) {
		msg = "start_time is in the future"
	}
	end, msg2 := eventTime(body, "end_time", false)
	switch {
	case msg != "":
		diError(w, 400, msg)
		return
	case msg2 != "":
		diError(w, 400, msg2)
		return
	case !end.IsZero() && end.Before(start):
		diError(w, 400, "end_time is before start_time")
		return
	}
	limit := defaultEventLimit
	if v, ok := body["limit"]; ok {
		n, isInt := v.(int64)
		if !isInt || n < 1 || n > jcapi.MaxEventLimit {
			// The service answers nonsense with the default; the emulator
			// refuses it, so a client never relies on that repair.
			diError(w, 400, fmt.Sprintf("limit must be an integer from 1 to %d", jcapi.MaxEventLimit))
			return
		}
		limit = int(n)
	}
	desc := false
	if v, ok := body["sort"]; ok {
		switch v {
		case "ASC":
		case "DESC":
			desc = true
		default:
			diError(w, 400, `sort must be "ASC" or "DESC"`)
			return
		}
	}
	var after *eventKey
	if v, ok := body["search_after"]; ok {
		k, ok := parseSearchAfter(v)
		if !ok {
			diError(w, 400, "search_after must be the X-Search_after of an earlier answer: [millis, id]")
			return
		}
		after = &k
	}
	if c.org.NoInsights {
		diError(w, http.StatusPaymentRequired, "Directory Insights is not enabled for your organization")
		return
	}

	visible := now.Add(-s.insightsLag())
	var match []event
	for _, ev := range c.org.Events {
		t := ev.Timestamp
		if !all || t.After(visible) || t.Before(start) || (!end.IsZero() && t.After(end)) {
			continue
		}
		match = append(match, ev)
	}
	cmp := func(a, b eventKey) int {
		if c := a.ms - b.ms; c != 0 {
			return int(c / abs(c))
		}
		return strings.Compare(a.id, b.id)
	}
	slices.SortStableFunc(match, func(a, b event) int {
		if desc {
			return cmp(keyOf(b), keyOf(a))
		}
		return cmp(keyOf(a), keyOf(b))
	})
	if after != nil {
		match = slices.DeleteFunc(match, func(ev event) bool {
			c := cmp(keyOf(ev), *after)
			return (!desc && c <= 0) || (desc && c >= 0)
		})
	}
	if len(match) > limit {
		match = match[:limit]
	}
	h := w.Header()
	h.Set("X-Result-Count", strconv.Itoa(len(match)))
	h.Set("X-Limit", strconv.Itoa(limit))
	h.Set("X-Sort", map[bool]string{false: "ASC", true: "DESC"}[desc])
	h.Set("X-Request-Id", fmt.Sprintf("00000000-0000-4000-8000-%012x", s.total))
	if len(match) > 0 {
		last := keyOf(match[len(match)-1])
		sa, _ := json.Marshal([]any{last.ms, last.id})
		h.Set("X-Search_after", string(sa))
	}
	out := make([]event, len(match))
	copy(out, match)
	writeJSON(w, 200, out)
}

// eventKey is what events are sorted and paged by: the timestamp in
// milliseconds and the id, the form of the spec's X-Search_after example
// ([1576181718000, "DZrPyW8BNsa9iKWoOm7h"]).
type eventKey struct {
	ms int64
	id string
}

func keyOf(e event) eventKey { return eventKey{e.Timestamp.UnixMilli(), e.ID} }

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func parseSearchAfter(v any) (eventKey, bool) {
	l, ok := v.([]any)
	if !ok || len(l) != 2 {
		return eventKey{}, false
	}
	ms, ok1 := l[0].(int64)
	id, ok2 := l[1].(string)
	return eventKey{ms, id}, ok1 && ok2
}

// eventTime reads an RFC 3339 time field ("You'll be informed about
// missing or invalid date formats").
func eventTime(body doc, field string, required bool) (time.Time, string) {
	v, ok := body[field]
	if !ok {
		if required {
			return time.Time{}, field + " is required (RFC 3339)"
		}
		return time.Time{}, ""
	}
	str, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, str)
	if err != nil {
		return time.Time{}, fmt.Sprintf("%s %q is not an RFC 3339 time", field, str)
	}
	return t.UTC(), ""
}

// stateChange is the "changes" entry of a suspend or activation, as the
// spec's generic example shows it ({"field": "state", "from": "ACTIVATED",
// "to": "SUSPENDED"}).
func stateChange(from any, to string) jcapi.EventChange {
	f, _ := json.Marshal(from)
	t, _ := json.Marshal(to)
	return jcapi.EventChange{Field: "state", From: f, To: t}
}
