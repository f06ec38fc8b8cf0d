package jcemu

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/adjc/adjc/jcapi"
)

// writeV2List pages a v2 list: a bare JSON array, with the total in the
// x-total-count response header (which the spec models only as a request
// parameter; JumpCloud sends it and its PowerShell module relies on it).
func writeV2List[T any](w http.ResponseWriter, r *http.Request, items []T) {
	limit, skip, e := paging(r, 100)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	w.Header().Set("x-total-count", strconv.Itoa(len(items)))
	page := window(items, skip, limit)
	if page == nil {
		page = []T{}
	}
	writeJSON(w, 200, page)
}

// filterSort applies v2 filter and sort to docs.
func filterSort(c reqCtx, w http.ResponseWriter, r *http.Request, docs []doc, allowed map[string]bool) ([]doc, bool) {
	if e := checkV2Sort(c.pattern, r); e != nil {
		writeAPIError(w, e)
		return nil, false
	}
	terms, e := parseV2Filter(r, allowed)
	if e != nil {
		writeAPIError(w, e)
		return nil, false
	}
	var out []doc
	for _, d := range docs {
		if matchAll(terms, d) {
			out = append(out, d)
		}
	}
	if keys := sortKeys(r, ","); len(keys) > 0 {
		sortDocs(out, keys, "id")
	}
	return out, true
}

var groupMethods = []string{"NOTSET", "STATIC", "DYNAMIC_REVIEW_REQUIRED", "DYNAMIC_AUTOMATED"}

func (o *org) validateGroup(id string, body doc) *apiError {
	name, _ := body["name"].(string)
	if strings.TrimSpace(name) == "" {
		return newError(400, "name is required")
	}
	if m, ok := body["membershipMethod"]; ok {
		if s, _ := m.(string); !slices.Contains(groupMethods, s) {
			return newError(400, "invalid membershipMethod")
		}
	}
	for _, g := range o.Groups.Docs {
		if g["id"] != id && strings.EqualFold(text(g["name"]), name) {
			// The spec declares no error for a duplicate name; JumpCloud
			// answers 409 (hence the client's ErrConflict).
			return newError(409, fmt.Sprintf("user group %q already exists", name))
		}
	}
	return nil
}

// groupDoc builds a stored group from a UserGroupPost/Put body.
func groupDoc(id string, body doc) doc {
	d := doc{"id": id, "type": "user_group", "membershipMethod": "STATIC"}
	for k, v := range body {
		if k == "id" || k == "type" {
			continue
		}
		d[k] = v
	}
	return d
}

func (s *Server) createGroup(o *org, body doc) (doc, *apiError) {
	if e := o.validateGroup("", body); e != nil {
		return nil, e
	}
	id := s.st.newID()
	d := groupDoc(id, body)
	o.Groups.put(id, d)
	s.record(o, jcapi.EventGroupCreate, groupResource(d), nil, nil)
	return d, nil
}

func (s *Server) listGroups(c reqCtx, w http.ResponseWriter, r *http.Request) {
	if out, ok := filterSort(c, w, r, c.org.Groups.all(), nil); ok {
		writeV2List(w, r, out)
	}
}

func (s *Server) postGroup(c reqCtx, w http.ResponseWriter, r *http.Request) {
	body, e := decodeBody(r)
	if e == nil {
		var d doc
		if d, e = s.createGroup(c.org, body); e == nil {
			writeJSON(w, 201, d)
			return
		}
	}
	writeAPIError(w, e)
}

func (s *Server) getGroup(c reqCtx, w http.ResponseWriter, r *http.Request) {
	if d := c.org.Groups.Docs[r.PathValue("id")]; d != nil {
		writeJSON(w, 200, d)
		return
	}
	writeError(w, 404, "user group not found")
}

func (s *Server) putGroup(c reqCtx, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if c.org.Groups.Docs[id] == nil {
		writeError(w, 404, "user group not found")
		return
	}
	body, e := decodeBody(r)
	if e == nil {
		if e = c.org.validateGroup(id, body); e == nil {
			d := groupDoc(id, body)
			if changes := diffFields(c.org.Groups.Docs[id], d); len(changes) > 0 {
				s.record(c.org, jcapi.EventGroupUpdate, groupResource(d), nil, changes)
			}
			c.org.Groups.put(id, d)
			writeJSON(w, 200, d)
			return
		}
	}
	writeAPIError(w, e)
}

func (s *Server) deleteGroup(c reqCtx, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if c.org.Groups.Docs[id] == nil {
		writeError(w, 404, "user group not found")
		return
	}
	d := c.org.Groups.Docs[id]
	c.org.Groups.del(id)
	c.org.forget(id)
	s.record(c.org, jcapi.EventGroupDelete, groupResource(d), nil, nil)
	w.WriteHeader(204)
}

// conn is a GraphConnection with only "to" set, as JumpCloud returns them.
func conn(typ, id string) map[string]any {
	return map[string]any{"to": map[string]any{"id": id, "type": typ}}
}

func (s *Server) listMembers(c reqCtx, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if c.org.Groups.Docs[id] == nil {
		writeError(w, 404, "user group not found")
		return
	}
	var out []map[string]any
	for _, u := range c.org.Members[id] {
		out = append(out, conn("user", u))
	}
	writeV2List(w, r, out)
}

// graphOp reads and checks a GraphOperation body against allowed types.
func graphOp(r *http.Request, types ...string) (op, typ, id string, e *apiError) {
	body, e := decodeBody(r)
	if e != nil {
		return "", "", "", e
	}
	op, _ = body["op"].(string)
	typ, _ = body["type"].(string)
	id, _ = body["id"].(string)
	if op != "add" && op != "remove" && op != "update" {
		return "", "", "", newError(400, "op must be add, remove or update")
	}
	if !slices.Contains(types, typ) {
		return "", "", "", newError(400, fmt.Sprintf("type must be one of %s", strings.Join(types, ", ")))
	}
	if id == "" {
		return "", "", "", newError(400, "id is required")
	}
	return op, typ, id, nil
}

func (o *org) exists(typ, id string) bool {
	switch typ {
	case "user":
		return o.Users.Docs[id] != nil
	case "user_group":
		return o.Groups.Docs[id] != nil
	case "active_directory":
		return o.ADs.Docs[id] != nil
	}
	return false
}

func (s *Server) postMember(c reqCtx, w http.ResponseWriter, r *http.Request) {
	gid := r.PathValue("id")
	if c.org.Groups.Docs[gid] == nil {
		writeError(w, 404, "user group not found")
		return
	}
	op, _, uid, e := graphOp(r, "user")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	if !c.org.exists("user", uid) {
		writeError(w, 404, "user not found")
		return
	}
	// Duplicate adds and removes of a missing edge answer 409 and 404, as
	// JumpCloud's graph does; the spec declares only the 204.
	switch op {
	case "add":
		if !c.org.addMember(gid, uid) {
			writeError(w, 409, "user is already a member")
			return
		}
	case "remove":
		if !c.org.removeMember(gid, uid) {
			writeError(w, 404, "user is not a member")
			return
		}
	}
	s.recordAssociation(c.org, op, "user_group", gid, edge{"user", uid})
	w.WriteHeader(204)
}

// pathObject is a GraphObjectWithPaths.
func pathObject(typ, id string, paths ...[]map[string]any) map[string]any {
	p := make([]any, len(paths))
	for i, x := range paths {
		p[i] = x
	}
	return map[string]any{"id": id, "type": typ, "paths": p}
}

func (s *Server) listMembership(c reqCtx, w http.ResponseWriter, r *http.Request) {
	gid := r.PathValue("id")
	if c.org.Groups.Docs[gid] == nil {
		writeError(w, 404, "user group not found")
		return
	}
	// User groups hold users only, so transitive membership is the direct
	// members, each reached by one path.
	var out []doc
	for _, u := range c.org.Members[gid] {
		out = append(out, pathObject("user", u, []map[string]any{conn("user", u)}))
	}
	if out, ok := filterSort(c, w, r, out, map[string]bool{"id": true, "object_id": true, "type": true}); ok {
		writeV2List(w, r, out)
	}
}

func (s *Server) listMemberOf(c reqCtx, w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("id")
	if c.org.Users.Docs[uid] == nil {
		writeError(w, 404, "user not found")
		return
	}
	var out []doc
	for _, gid := range c.org.Groups.IDs {
		if _, found := slices.BinarySearch(c.org.Members[gid], uid); found {
			out = append(out, pathObject("user_group", gid, []map[string]any{conn("user_group", gid)}))
		}
	}
	if out, ok := filterSort(c, w, r, out, nil); ok {
		writeV2List(w, r, out)
	}
}

// targetsParam reads the required targets parameter (array, comma-separated).
func targetsParam(r *http.Request, allowed ...string) ([]string, *apiError) {
	var out []string
	for _, v := range r.URL.Query()["targets"] {
		for _, t := range strings.Split(v, ",") {
			if !slices.Contains(allowed, t) {
				return nil, newError(400, fmt.Sprintf("invalid target %q", t))
			}
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, newError(400, "targets is required")
	}
	return out, nil
}

func (s *Server) listGroupAssociations(c reqCtx, w http.ResponseWriter, r *http.Request) {
	gid := r.PathValue("id")
	if c.org.Groups.Docs[gid] == nil {
		writeError(w, 404, "user group not found")
		return
	}
	targets, e := targetsParam(r, "active_directory", "application", "command", "g_suite", "ldap_server", "office_365", "policy", "radius_server", "system", "system_group", "password_manager_item")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	var out []map[string]any
	if slices.Contains(targets, "active_directory") {
		for _, ad := range c.org.ADs.IDs {
			if slices.Contains(c.org.Bindings[ad], edge{"user_group", gid}) {
				out = append(out, conn("active_directory", ad))
			}
		}
	}
	writeV2List(w, r, out)
}

func (s *Server) postGroupAssociation(c reqCtx, w http.ResponseWriter, r *http.Request) {
	gid := r.PathValue("id")
	if c.org.Groups.Docs[gid] == nil {
		writeError(w, 404, "user group not found")
		return
	}
	op, _, adID, e := graphOp(r, "active_directory")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.applyBinding(c.org, w, op, adID, edge{"user_group", gid})
}

// applyBinding adds or removes an AD binding and writes the answer.
func (s *Server) applyBinding(o *org, w http.ResponseWriter, op, adID string, e edge) {
	if o.ADs.Docs[adID] == nil {
		writeError(w, 404, "active directory not found")
		return
	}
	if !o.exists(e.Type, e.ID) {
		writeError(w, 404, e.Type+" not found")
		return
	}
	switch op {
	case "add":
		if !o.bind(adID, e) {
			writeError(w, 409, "association already exists")
			return
		}
	case "remove":
		if !o.unbind(adID, e) {
			writeError(w, 404, "association not found")
			return
		}
	}
	s.recordAssociation(o, op, "active_directory", adID, e)
	w.WriteHeader(204)
}

var (
	useCases         = []string{"UNSET", "TWOWAYSYNC", "JCASAUTHORITY", "ADASAUTHORITY"}
	delegationStates = []string{"ENABLED", "PENDING", "DISABLED"}
)
