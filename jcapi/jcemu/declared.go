package jcemu

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// declared lists, per route, the query parameters ("name") and request
// headers ("h:name") that the route's operation in the official spec
// declares (paths.<path>.<method>.parameters, after $ref). The emulator
// refuses anything else, so a client that sends a parameter the spec does
// not know fails here before it fails, or is silently ignored, on the real
// service. TestDeclaredMatchesSpec checks every entry against the vendored
// spec (jcapi/testdata/spec). Parameters the spec declares but adjc never
// sends may be left out: the emulator is allowed to be stricter.
var declared = map[string][]string{
	// v1 (v1-index.yaml)
	"GET /api/systemusers":                      {"limit", "skip", "sort", "fields", "filter", "search", "h:x-org-id"},
	"POST /api/systemusers":                     {"fullValidationDetails", "h:x-org-id"},
	"POST /api/search/systemusers":              {"fields", "filter", "limit", "skip", "h:x-org-id", "h:x-eventually-consistent"},
	"GET /api/systemusers/{id}":                 {"fields", "filter", "h:x-org-id"},
	"PUT /api/systemusers/{id}":                 {"fullValidationDetails", "h:x-org-id"},
	"DELETE /api/systemusers/{id}":              {"cascade_manager", "h:x-org-id"},
	"POST /api/systemusers/{id}/password":       {"h:x-org-id"},
	"POST /api/systemusers/{id}/state/suspend":  {},
	"POST /api/systemusers/{id}/state/activate": {},
	"GET /api/organizations":                    {"fields", "filter", "limit", "search", "skip", "sort", "sortIgnoreCase"},
	"GET /api/organizations/{id}":               {"fields", "filter"},
	// v2 (v2-index.yaml)
	"GET /api/v2/usergroups":                               {"fields", "filter", "limit", "skip", "sort", "h:x-org-id"},
	"POST /api/v2/usergroups":                              {"h:x-org-id"},
	"GET /api/v2/usergroups/{id}":                          {"h:x-org-id"},
	"PUT /api/v2/usergroups/{id}":                          {"h:x-org-id"},
	"DELETE /api/v2/usergroups/{id}":                       {"h:x-org-id"},
	"GET /api/v2/usergroups/{id}/members":                  {"limit", "skip", "h:x-org-id"},
	"POST /api/v2/usergroups/{id}/members":                 {"h:x-org-id"},
	"GET /api/v2/usergroups/{id}/membership":               {"filter", "limit", "skip", "sort", "h:x-org-id"},
	"GET /api/v2/usergroups/{id}/associations":             {"targets", "limit", "skip", "h:x-org-id"},
	"POST /api/v2/usergroups/{id}/associations":            {"h:x-org-id"},
	"GET /api/v2/users/{id}/memberof":                      {"filter", "limit", "skip", "sort", "h:x-org-id"},
	"GET /api/v2/activedirectories":                        {"fields", "filter", "limit", "skip", "sort", "h:x-org-id"},
	"POST /api/v2/activedirectories":                       {"h:x-org-id"},
	"GET /api/v2/activedirectories/{id}":                   {"h:x-org-id"},
	"PATCH /api/v2/activedirectories/{id}":                 {"h:x-org-id"},
	"DELETE /api/v2/activedirectories/{id}":                {"h:x-org-id"},
	"GET /api/v2/activedirectories/{id}/associations":      {"targets", "limit", "skip", "h:x-org-id"},
	"POST /api/v2/activedirectories/{id}/associations":     {"h:x-org-id"},
	"GET /api/v2/activedirectories/{id}/users":             {"filter", "limit", "skip", "syncStatus", "h:x-org-id"},
	"GET /api/v2/activedirectories/{id}/usergroups":        {"filter", "limit", "skip", "h:x-org-id"},
	"GET /api/v2/activedirectories/{id}/agents":            {"limit", "skip", "sort", "h:x-org-id"},
	"POST /api/v2/activedirectories/{id}/agents":           {"h:x-org-id"},
	"GET /api/v2/activedirectories/{id}/agents/{agent}":    {"h:x-org-id"},
	"DELETE /api/v2/activedirectories/{id}/agents/{agent}": {"h:x-org-id"},
	// Directory Insights (directory-insights-v1-index.yaml): /events
	// declares no parameters; x-org-id is one of its security schemes.
	"POST /insights/directory/v1/events": {"h:x-org-id"},

	"GET /api/v2/activedirectories/{id}/translation-rules":  {"limit", "skip", "h:x-org-id"},
	"POST /api/v2/activedirectories/{id}/translation-rules": {"h:x-org-id"},
}

// Declared returns the emulator's table of declared parameters: route
// pattern (e.g. "GET /api/v2/usergroups/{id}/members") to query parameter
// names and "h:"-prefixed header names. Tests compare it with the spec.
func Declared() map[string][]string {
	out := make(map[string][]string, len(declared))
	for k, v := range declared {
		out[k] = slices.Clone(v)
	}
	return out
}

// declaresOrg reports whether the route's operation declares x-org-id.
func declaresOrg(pattern string) bool {
	return slices.Contains(declared[pattern], "h:x-org-id")
}

// undeclared checks a request's query parameters and x- headers against
// the route's declared list. It returns the status and message to refuse
// it with, or 0. x-org-id on a route that does not declare it is a 403, the
// status v1 info.description ("Multi-Tenant Portal Headers") documents for
// "ID included on unsupported route"; anything else is a 400 naming what
// the spec does not know.
func undeclared(pattern string, r *http.Request) (int, string) {
	names := declared[pattern]
	// v1's filter documents more forms than its parameter list shows
	// (components.parameters.trait_filter_filter): filter[N], filter[and][N]
	// and filter[or][N], and the x-eventually-consistent header its
	// multi-term operators need.
	v1Filter := !strings.Contains(pattern, " /api/v2/") && slices.Contains(names, "filter")
	if v1Filter {
		names = append(slices.Clone(names), "h:x-eventually-consistent")
	}
	var bad []string
	for k := range r.URL.Query() {
		name := k
		if v1Filter && strings.HasPrefix(k, "filter[") {
			name = "filter"
		}
		if !slices.Contains(names, name) {
			bad = append(bad, "query parameter "+k)
		}
	}
	for k := range r.Header {
		h := strings.ToLower(k)
		if !strings.HasPrefix(h, "x-") || h == "x-api-key" {
			continue // x-api-key is the security scheme, not a parameter
		}
		if slices.Contains(names, "h:"+h) {
			continue
		}
		if h == "x-org-id" {
			return http.StatusForbidden, "x-org-id is not supported on this route (the spec declares no x-org-id for it)"
		}
		bad = append(bad, "header "+h)
	}
	if len(bad) == 0 {
		return 0, ""
	}
	sort.Strings(bad)
	return http.StatusBadRequest, fmt.Sprintf("the spec declares no %s for %s", strings.Join(bad, ", "), pattern)
}

// v2SortFields are the fields a v2 list may be sorted by: fields of the
// objects it returns (trait_sort_sort: "fields used to sort the
// collection"). "_id" is a v1 field name and is refused.
var v2SortFields = map[string][]string{
	"GET /api/v2/usergroups":                    {"id", "name", "description", "email", "type", "membershipMethod"},
	"GET /api/v2/usergroups/{id}/membership":    {"id", "type"},
	"GET /api/v2/users/{id}/memberof":           {"id", "type"},
	"GET /api/v2/activedirectories":             {"id", "domain", "useCase", "delegationState", "groupsEnabled", "updatedAt"},
	"GET /api/v2/activedirectories/{id}/agents": {"id", "agentType", "state", "version", "hostname", "contactAt"},
}

// checkV2Sort refuses a v2 sort key that is not a field of the listed objects.
func checkV2Sort(pattern string, r *http.Request) *apiError {
	for _, k := range sortKeys(r, ",") {
		if !slices.Contains(v2SortFields[pattern], strings.TrimPrefix(k, "-")) {
			return newError(400, fmt.Sprintf("sort field %q is not a field of the objects %s returns", k, pattern))
		}
	}
	return nil
}
