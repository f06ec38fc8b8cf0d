package jcemu

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/adjc/adjc/jcapi"
)

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	// v1 (v1-index.yaml)
	s.handle("GET /api/systemusers", orgScoped, (*Server).listUsers)
	s.handle("POST /api/systemusers", orgScoped, (*Server).postUser)
	s.handle("POST /api/search/systemusers", orgScoped, (*Server).searchUsers)
	s.handle("GET /api/systemusers/{id}", orgScoped, (*Server).getUser)
	s.handle("PUT /api/systemusers/{id}", orgScoped, (*Server).putUser)
	s.handle("DELETE /api/systemusers/{id}", orgScoped, (*Server).deleteUser)
	s.handle("POST /api/systemusers/{id}/password", orgScoped, (*Server).postPassword)
	s.handle("POST /api/systemusers/{id}/state/suspend", orgByUser, (*Server).suspendUser)
	s.handle("POST /api/systemusers/{id}/state/activate", orgByUser, (*Server).activateUser)
	s.handle("GET /api/organizations", orgNone, (*Server).listOrgs)
	s.handle("GET /api/organizations/{id}", orgPath, (*Server).getOrg)
	// v2 (v2-index.yaml)
	s.handle("GET /api/v2/usergroups", orgScoped, (*Server).listGroups)
	s.handle("POST /api/v2/usergroups", orgScoped, (*Server).postGroup)
	s.handle("GET /api/v2/usergroups/{id}", orgScoped, (*Server).getGroup)
	s.handle("PUT /api/v2/usergroups/{id}", orgScoped, (*Server).putGroup)
	s.handle("DELETE /api/v2/usergroups/{id}", orgScoped, (*Server).deleteGroup)
	s.handle("GET /api/v2/usergroups/{id}/members", orgScoped, (*Server).listMembers)
	s.handle("POST /api/v2/usergroups/{id}/members", orgScoped, (*Server).postMember)
	s.handle("GET /api/v2/usergroups/{id}/membership", orgScoped, (*Server).listMembership)
	s.handle("GET /api/v2/usergroups/{id}/associations", orgScoped, (*Server).listGroupAssociations)
	s.handle("POST /api/v2/usergroups/{id}/associations", orgScoped, (*Server).postGroupAssociation)
	s.handle("GET /api/v2/users/{id}/memberof", orgScoped, (*Server).listMemberOf)
	s.handle("GET /api/v2/activedirectories", orgScoped, (*Server).listADs)
	s.handle("POST /api/v2/activedirectories", orgScoped, (*Server).postAD)
	s.handle("GET /api/v2/activedirectories/{id}", orgScoped, (*Server).getAD)
	s.handle("PATCH /api/v2/activedirectories/{id}", orgScoped, (*Server).patchAD)
	s.handle("DELETE /api/v2/activedirectories/{id}", orgScoped, (*Server).deleteAD)
	s.handle("GET /api/v2/activedirectories/{id}/associations", orgScoped, (*Server).listADAssociations)
	s.handle("POST /api/v2/activedirectories/{id}/associations", orgScoped, (*Server).postADAssociation)
	s.handle("GET /api/v2/activedirectories/{id}/users", orgScoped, (*Server).listADUsers)
	s.handle("GET /api/v2/activedirectories/{id}/usergroups", orgScoped, (*Server).listADGroups)
	s.handle("GET /api/v2/activedirectories/{id}/agents", orgScoped, (*Server).listAgents)
	s.handle("POST /api/v2/activedirectories/{id}/agents", orgScoped, (*Server).postAgent)
	s.handle("GET /api/v2/activedirectories/{id}/agents/{agent}", orgScoped, (*Server).getAgent)
	s.handle("DELETE /api/v2/activedirectories/{id}/agents/{agent}", orgScoped, (*Server).deleteAgent)
	s.handle("POST /insights/directory/v1/events", orgScoped, (*Server).postEvents)
	s.handle("GET /api/v2/activedirectories/{id}/translation-rules", orgScoped, (*Server).listRules)
	s.handle("POST /api/v2/activedirectories/{id}/translation-rules", orgScoped, (*Server).postRule)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such route: "+r.Method+" "+r.URL.Path)
	})
}

func (s *Server) stamp() string { return s.now().UTC().Format(time.RFC3339) }

// v1 user fields a client may not set.
var userReadOnly = []string{"_id", "id", "created", "organization", "password_date", "password_expired", "password_expiration_date", "badLoginAttempts", "totp_enabled", "creationSource", "account_locked_date", "admin", "mfaEnrollment"}

var (
	restrictedFieldNames = []string{"addresses", "company", "costCenter", "department", "description", "displayname", "email", "employeeIdentifier", "employeeType", "firstname", "jobTitle", "lastname", "location", "middlename", "password", "phoneNumbers", "sudo", "username"}
	restrictedTypes      = []string{"active_directory", "federated_identity_provider", "scim"}
)

// validateUser checks the fields the spec constrains beyond types.
func (o *org) validateUser(id string, d doc, put bool) *apiError {
	if st, ok := d["state"]; ok {
		allowed := []string{"STAGED", "ACTIVATED", "SUSPENDED"}
		if put {
			allowed = allowed[1:] // systemuserput: ACTIVATED or SUSPENDED only
		}
		if s, _ := st.(string); !slices.Contains(allowed, s) {
			return newError(400, fmt.Sprintf("state must be one of %s", strings.Join(allowed, ", ")))
		}
	}
	if rf, ok := d["restrictedFields"]; ok && rf != nil {
		list, ok := rf.([]any)
		if !ok {
			return newError(400, "restrictedFields must be an array")
		}
		for _, x := range list {
			m, _ := x.(map[string]any)
			f, _ := m["field"].(string)
			t, _ := m["type"].(string)
			if !slices.Contains(restrictedFieldNames, f) || !slices.Contains(restrictedTypes, t) {
				return newError(400, fmt.Sprintf("invalid restrictedFields entry %v", x))
			}
		}
	}
	if e := validateRestrictedIDs(d); e != nil {
		return e
	}
	// systemuserput/systemuserputpost type delegatedAuthority as object
	// or null: null clears it, anything else is refused.
	if v, ok := d["delegatedAuthority"]; ok && v != nil {
		if _, isObject := v.(map[string]any); !isObject {
			return newError(400, "delegatedAuthority must be an object or null")
		}
	}
	if e := o.validateProfile(id, d); e != nil {
		return e
	}
	if da, ok := d["delegatedAuthority"].(map[string]any); ok {
		if da["name"] != "ActiveDirectory" {
			return newError(400, "delegatedAuthority.name must be ActiveDirectory")
		}
		if adID, _ := da["id"].(string); o.ADs.Docs[adID] == nil {
			return newError(400, "delegatedAuthority.id is not an Active Directory instance")
		}
	}
	if attrs, ok := d["attributes"].([]any); ok {
		for _, a := range attrs {
			m, _ := a.(map[string]any)
			if v, _ := m["value"].(string); len(v) > 1024 {
				return newError(400, "attribute value longer than 1024 characters")
			}
		}
	}
	for _, k := range []string{"username", "email"} {
		v, ok := d[k]
		if !ok {
			continue
		}
		sv, _ := v.(string)
		if sv == "" {
			return newError(400, k+" must not be empty")
		}
		// Usernames and emails are unique per org, case-insensitively.
		if other, ok := o.unique[uniqueKey(k, sv)]; ok && other != id {
			return newError(400, fmt.Sprintf("user with %s %q already exists", k, sv))
		}
	}
	return nil
}

// syncState keeps state, suspended and activated consistent after a write.
func syncState(d, body doc) {
	_, hasState := body["state"]
	if susp, ok := body["suspended"].(bool); ok && !hasState {
		if susp {
			d["state"] = "SUSPENDED"
		} else if d["state"] == "SUSPENDED" {
			d["state"] = "ACTIVATED"
		}
	}
	d["suspended"] = d["state"] == "SUSPENDED"
	if d["state"] == "ACTIVATED" {
		d["activated"] = true
	}
}

// createUser makes a user from a systemuserputpost body.
func (s *Server) createUser(o *org, body doc, full bool) (doc, *apiError) {
	for _, k := range []string{"username", "email"} {
		if v, _ := body[k].(string); v == "" {
			return nil, newError(400, k+" is required")
		}
	}
	if e := o.validateUser("", body, false); e != nil {
		return nil, e
	}
	pw, hasPW := body["password"].(string)
	if hasPW {
		if bad := o.checkPassword("", text(body["username"]), pw); len(bad) > 0 {
			return nil, passwordError(bad, full)
		}
	}
	id := s.st.newID()
	d := doc{
		"_id": id, "organization": o.id(), "created": s.stamp(),
		"account_locked": false, "activated": false, "sudo": false, "passwordless_sudo": false,
		"password_expired": false, "password_never_expires": false, "externally_managed": false,
		"ldap_binding_user": false, "samba_service_user": false, "enable_managed_uid": false,
		"totp_enabled": false, "allow_public_key": true, "attributes": []any{}, "addresses": []any{},
		"phoneNumbers": []any{}, "restrictedFields": []any{}, "password_date": nil,
		"badLoginAttempts": int64(0),
	}
	// A new user's state is the org's newSystemUserStateDefaults.manualEntry
	// (ACTIVATED unless set), unless the body says otherwise.
	d["state"] = "ACTIVATED"
	if settings, ok := o.Doc["settings"].(map[string]any); ok {
		if defs, ok := settings["newSystemUserStateDefaults"].(map[string]any); ok {
			if st, ok := defs["manualEntry"].(string); ok && st != "" {
				d["state"] = st
			}
		}
	}
	for k, v := range body {
		if k == "password" || slices.Contains(userReadOnly, k) {
			continue
		}
		d[k] = v
	}
	applyExternallyManaged(d, body, nil)
	syncState(d, body)
	if hasPW {
		d["password_date"] = s.stamp()
		o.rememberPassword(id, pw)
	}
	o.Users.put(id, d)
	o.index(d, true)
	s.record(o, jcapi.EventUserCreate, userResource(d), nil, nil)
	return d, nil
}

// updateUser applies a systemuserput body: only the fields sent change.
func (s *Server) updateUser(o *org, id string, body doc, full bool) (doc, *apiError) {
	d := o.Users.Docs[id]
	if d == nil {
		return nil, newError(404, "user not found")
	}
	if e := o.validateUser(id, body, true); e != nil {
		return nil, e
	}
	pw, hasPW := body["password"].(string)
	if hasPW {
		username := text(d["username"])
		if u, ok := body["username"].(string); ok {
			username = u
		}
		if bad := o.checkPassword(id, username, pw); len(bad) > 0 {
			return nil, passwordError(bad, full)
		}
	}
	changes := diffFields(d, body)
	o.index(d, false)
	managed := d["externally_managed"]
	for k, v := range body {
		if k == "password" || slices.Contains(userReadOnly, k) {
			continue
		}
		d[k] = v
	}
	applyExternallyManaged(d, body, managed)
	o.index(d, true)
	syncState(d, body)
	if hasPW {
		d["password_date"] = s.stamp()
		o.rememberPassword(id, pw)
	}
	switch {
	case len(changes) > 0:
		s.record(o, jcapi.EventUserUpdate, userResource(d), nil, changes)
	case hasPW:
		s.record(o, "user_password_change", userResource(d), nil, nil)
	}
	return d, nil
}

func (s *Server) listUsers(c reqCtx, w http.ResponseWriter, r *http.Request) {
	limit, skip, e := paging(r, 100)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	f, e := parseV1Filter(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	var hits []doc
	for _, d := range c.org.Users.all() {
		if f.match(d) {
			hits = append(hits, d)
		}
	}
	if keys := sortKeys(r, " "); len(keys) > 0 {
		sortDocs(hits, keys, "_id")
	}
	writeJSON(w, 200, map[string]any{"totalCount": len(hits), "results": nonNil(window(hits, skip, limit))})
}

func nonNil(d []doc) []doc {
	if d == nil {
		return []doc{}
	}
	return d
}

func (s *Server) searchUsers(c reqCtx, w http.ResponseWriter, r *http.Request) {
	// The search endpoint pages up to 1000 (observed: the PowerShell module's
	// Get-JCUser uses limit=1000 there); lists stop at 100.
	limit, skip, e := paging(r, 1000)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	body := doc{}
	if r.ContentLength != 0 {
		if body, e = decodeBody(r); e != nil {
			writeAPIError(w, e)
			return
		}
	}
	f, e := parseV1Filter(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	var hits []doc
	for _, d := range c.org.Users.all() {
		if f.match(d) && searchMatch(body, d) {
			hits = append(hits, d)
		}
	}
	writeJSON(w, 200, map[string]any{"totalCount": len(hits), "results": nonNil(window(hits, skip, limit))})
}

func (s *Server) getUser(c reqCtx, w http.ResponseWriter, r *http.Request) {
	d := c.org.Users.Docs[r.PathValue("id")]
	if d == nil {
		writeError(w, 404, "user not found")
		return
	}
	writeJSON(w, 200, d)
}

func (s *Server) postUser(c reqCtx, w http.ResponseWriter, r *http.Request) {
	body, e := decodeBody(r)
	if e == nil {
		var d doc
		if d, e = s.createUser(c.org, body, r.URL.Query().Get("fullValidationDetails") == "password"); e == nil {
			writeJSON(w, 200, d)
			return
		}
	}
	writeAPIError(w, e)
}

func (s *Server) putUser(c reqCtx, w http.ResponseWriter, r *http.Request) {
	body, e := decodeBody(r)
	if e == nil {
		var d doc
		if d, e = s.updateUser(c.org, r.PathValue("id"), body, r.URL.Query().Get("fullValidationDetails") == "password"); e == nil {
			writeJSON(w, 200, d)
			return
		}
	}
	writeAPIError(w, e)
}

func (s *Server) deleteUser(c reqCtx, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d := c.org.Users.Docs[id]
	if d == nil {
		writeError(w, 404, "user not found")
		return
	}
	c.org.index(d, false)
	c.org.Users.del(id)
	c.org.forget(id)
	s.record(c.org, jcapi.EventUserDelete, userResource(d), nil, nil)
	writeJSON(w, 200, d)
}

func (s *Server) postPassword(c reqCtx, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d := c.org.Users.Docs[id]
	if d == nil {
		writeError(w, 404, "user not found")
		return
	}
	body, e := decodeBody(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	pw, ok := body["password"].(string)
	if !ok || pw == "" {
		writeError(w, 400, "password is required")
		return
	}
	if _, e := s.updateUser(c.org, id, doc{"password": pw}, false); e != nil {
		writeAPIError(w, e)
		return
	}
	w.WriteHeader(200) // the spec's 200 has no body
}

func (s *Server) suspendUser(c reqCtx, w http.ResponseWriter, r *http.Request) {
	d := c.org.Users.Docs[r.PathValue("id")]
	if d == nil {
		writeError(w, 404, "user not found")
		return
	}
	// The spec says this body must be empty.
	if b, _ := io.ReadAll(r.Body); len(strings.TrimSpace(string(b))) > 0 {
		writeError(w, 400, "request body must be empty")
		return
	}
	if d["state"] != "SUSPENDED" {
		s.record(c.org, jcapi.EventUserSuspended, userResource(d), nil, []jcapi.EventChange{stateChange(d["state"], "SUSPENDED")})
	}
	d["state"], d["suspended"] = "SUSPENDED", true
	w.WriteHeader(200)
}

// Email is a message JumpCloud would have sent. The emulator sends none; it
// keeps them in an outbox ([Server.Outbox], and the state file's "outbox").
type Email struct {
	UserID string `json:"userId"`
	To     string `json:"to"`
	// Kind is "welcome" (the user has a password) or "activation" (the
	// user has none and must set one).
	Kind string `json:"kind"`
	At   string `json:"at"`
}

// activateUser follows paths./systemusers/{id}/state/activate.post: the
// body's email flag decides the mail. No body, {} and {"email": true} send
// the default mail; {"email": "<address>"} sends it there; {"email": false}
// sends none. A user with a password gets a Welcome email at the primary
// address; one without gets an Activation email at the alternate address,
// else the primary. The spec documents the call for STAGED users; the
// emulator mails on every activation it is not told to keep quiet about.
func (s *Server) activateUser(c reqCtx, w http.ResponseWriter, r *http.Request) {
	d := c.org.Users.Docs[r.PathValue("id")]
	if d == nil {
		writeError(w, 404, "user not found")
		return
	}
	send, to := true, ""
	if raw, _ := io.ReadAll(r.Body); len(strings.TrimSpace(string(raw))) > 0 {
		r.Body = io.NopCloser(strings.NewReader(string(raw)))
		body, e := decodeBody(r)
		if e != nil {
			writeAPIError(w, e)
			return
		}
		for k := range body {
			if k != "email" {
				writeError(w, 400, fmt.Sprintf("unknown field %q: the body takes only email", k))
				return
			}
		}
		switch v := body["email"].(type) {
		case nil:
			if _, ok := body["email"]; ok {
				writeError(w, 400, "email must be true, false or an address")
				return
			}
		case bool:
			send = v
		case string:
			if !strings.Contains(v, "@") {
				writeError(w, 400, "email must be true, false or an address")
				return
			}
			to = v
		default:
			writeError(w, 400, "email must be true, false or an address")
			return
		}
	}
	if d["state"] != "ACTIVATED" {
		typ := jcapi.EventUserUnsuspended
		if d["state"] != "SUSPENDED" {
			typ = "user_activated"
		}
		s.record(c.org, typ, userResource(d), nil, []jcapi.EventChange{stateChange(d["state"], "ACTIVATED")})
	}
	d["state"], d["suspended"], d["activated"] = "ACTIVATED", false, true
	if send {
		kind := "activation"
		if d["password_date"] != nil {
			kind = "welcome"
		}
		if to == "" {
			to = text(d["email"])
			if alt := text(d["alternateEmail"]); kind == "activation" && alt != "" {
				to = alt
			}
		}
		c.org.Outbox = append(c.org.Outbox, Email{UserID: text(d["_id"]), To: to, Kind: kind, At: s.stamp()})
	}
	// The spec's 200 is a JSON string; its value is not documented.
	writeJSON(w, 200, "ACTIVATED")
}

func (s *Server) listOrgs(c reqCtx, w http.ResponseWriter, r *http.Request) {
	limit, skip, e := paging(r, 100)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	var out []doc
	for _, id := range c.key.Orgs {
		if o := s.st.Orgs[id]; o != nil {
			out = append(out, doc{"_id": id, "displayName": o.Doc["displayName"], "logoUrl": nil})
		}
	}
	writeJSON(w, 200, map[string]any{"totalCount": len(out), "results": nonNil(window(out, skip, limit))})
}

func (s *Server) getOrg(c reqCtx, w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, c.org.Doc)
}
