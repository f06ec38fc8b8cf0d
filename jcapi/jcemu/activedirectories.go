// This file holds the v2 AD domain objects: the objects themselves, their
// associations, bound users and groups, and agent records.

package jcemu

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// adFields reads an active-directory body. The spec's PATCH sample uses
// snake_case (use_case, delegation_state) while the schema is camelCase;
// both are accepted.
func adFields(body doc) (doc, *apiError) {
	out := doc{}
	for _, k := range [][2]string{{"domain", "domain"}, {"useCase", "useCase"}, {"use_case", "useCase"}, {"delegationState", "delegationState"}, {"delegation_state", "delegationState"}, {"groupsEnabled", "groupsEnabled"}, {"groups_enabled", "groupsEnabled"}} {
		if v, ok := body[k[0]]; ok {
			out[k[1]] = v
		}
	}
	if v, ok := out["useCase"]; ok && !slices.Contains(useCases, text(v)) {
		return nil, newError(400, "invalid useCase")
	}
	if v, ok := out["delegationState"]; ok && !slices.Contains(delegationStates, text(v)) {
		return nil, newError(400, "invalid delegationState")
	}
	if v, ok := out["groupsEnabled"]; ok {
		if _, isBool := v.(bool); !isBool {
			return nil, newError(400, "groupsEnabled must be a boolean")
		}
	}
	return out, nil
}

func (s *Server) createAD(o *org, body doc) (doc, *apiError) {
	f, e := adFields(body)
	if e != nil {
		return nil, e
	}
	domain, _ := f["domain"].(string)
	if domain == "" {
		return nil, newError(400, "domain is required")
	}
	for _, d := range o.ADs.Docs {
		if strings.EqualFold(text(d["domain"]), domain) {
			return nil, newError(409, "active directory domain already exists")
		}
	}
	id := s.st.newID()
	// The spec gives no default for delegationState (the password
	// delegation state of the instance); its request samples send ENABLED,
	// so that is where a new object starts. Code must not read anything
	// into it: tests put domain objects in every state the spec allows
	// (ENABLED, PENDING, DISABLED) with [Server.UpdateActiveDirectory] or
	// jcemu --delegation-state.
	d := doc{"id": id, "domain": domain, "useCase": "UNSET", "delegationState": "ENABLED", "groupsEnabled": false,
		"permission": "PERMISSION_OWNER", "organizationId": o.id(), "updatedAt": s.stamp()}
	for k, v := range f {
		d[k] = v
	}
	o.ADs.put(id, d)
	return d, nil
}

func (s *Server) listADs(c reqCtx, w http.ResponseWriter, r *http.Request) {
	if out, ok := filterSort(c, w, r, c.org.ADs.all(), nil); ok {
		writeV2List(w, r, out)
	}
}

func (s *Server) postAD(c reqCtx, w http.ResponseWriter, r *http.Request) {
	body, e := decodeBody(r)
	if e == nil {
		var d doc
		if d, e = s.createAD(c.org, body); e == nil {
			writeJSON(w, 201, d)
			return
		}
	}
	writeAPIError(w, e)
}

func (s *Server) getAD(c reqCtx, w http.ResponseWriter, r *http.Request) {
	if d := c.org.ADs.Docs[r.PathValue("id")]; d != nil {
		writeJSON(w, 200, d)
		return
	}
	writeError(w, 404, "active directory not found")
}

func (s *Server) patchAD(c reqCtx, w http.ResponseWriter, r *http.Request) {
	d := c.org.ADs.Docs[r.PathValue("id")]
	if d == nil {
		writeError(w, 404, "active directory not found")
		return
	}
	body, e := decodeBody(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	f, e := adFields(body)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	for k, v := range f {
		d[k] = v
	}
	d["updatedAt"] = s.stamp()
	writeJSON(w, 200, d)
}

func (s *Server) deleteAD(c reqCtx, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d := c.org.ADs.Docs[id]
	if d == nil {
		writeError(w, 404, "active directory not found")
		return
	}
	c.org.ADs.del(id)
	delete(c.org.Bindings, id)
	delete(c.org.Agents, id)
	delete(c.org.Rules, id)
	writeJSON(w, 200, d)
}

func (s *Server) listADAssociations(c reqCtx, w http.ResponseWriter, r *http.Request) {
	adID := r.PathValue("id")
	if c.org.ADs.Docs[adID] == nil {
		writeError(w, 404, "active directory not found")
		return
	}
	targets, e := targetsParam(r, "user", "user_group")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	var out []map[string]any
	for _, b := range c.org.Bindings[adID] {
		if slices.Contains(targets, b.Type) {
			out = append(out, conn(b.Type, b.ID))
		}
	}
	writeV2List(w, r, out)
}

func (s *Server) postADAssociation(c reqCtx, w http.ResponseWriter, r *http.Request) {
	op, typ, id, e := graphOp(r, "user", "user_group")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.applyBinding(c.org, w, op, r.PathValue("id"), edge{typ, id})
}

// boundUsers returns the users bound to an AD instance directly or through
// a bound group, in id order, each with every path that reaches it.
func (o *org) boundUsers(adID string) []doc {
	paths := map[string][]any{}
	for _, b := range o.Bindings[adID] {
		switch b.Type {
		case "user":
			paths[b.ID] = append(paths[b.ID], []any{conn("user", b.ID)})
		case "user_group":
			for _, u := range o.Members[b.ID] {
				paths[u] = append(paths[u], []any{conn("user_group", b.ID), conn("user", u)})
			}
		}
	}
	var out []doc
	for _, id := range o.Users.IDs {
		if p, ok := paths[id]; ok {
			out = append(out, doc{"id": id, "type": "user", "paths": p})
		}
	}
	return out
}

func (s *Server) listADUsers(c reqCtx, w http.ResponseWriter, r *http.Request) {
	adID := r.PathValue("id")
	if c.org.ADs.Docs[adID] == nil {
		writeError(w, 404, "active directory not found")
		return
	}
	users := c.org.boundUsers(adID)
	if r.URL.Query().Get("syncStatus") == "true" {
		for _, u := range users {
			id := u["id"].(string)
			if st := c.org.Sync[id]; st != nil {
				u["syncStatus"] = st
			}
			// externalId: the user's AD identity as last synced; the
			// emulator reports external_dn when one is set.
			if dn := text(c.org.Users.Docs[id]["external_dn"]); dn != "" {
				u["externalId"] = dn
			}
		}
	}
	if out, ok := filterSort(c, w, r, users, nil); ok {
		writeV2List(w, r, out)
	}
}

func (s *Server) listADGroups(c reqCtx, w http.ResponseWriter, r *http.Request) {
	adID := r.PathValue("id")
	if c.org.ADs.Docs[adID] == nil {
		writeError(w, 404, "active directory not found")
		return
	}
	var out []doc
	for _, b := range c.org.Bindings[adID] {
		if b.Type == "user_group" {
			out = append(out, pathObject("user_group", b.ID, []map[string]any{conn("user_group", b.ID)}))
		}
	}
	if out, ok := filterSort(c, w, r, out, nil); ok {
		writeV2List(w, r, out)
	}
}

// agentView drops what an agent list item does not show (the connect key).
func agentView(d doc) doc {
	out := doc{}
	for k, v := range d {
		if k != "connectKey" {
			out[k] = v
		}
	}
	return out
}

func (s *Server) listAgents(c reqCtx, w http.ResponseWriter, r *http.Request) {
	adID := r.PathValue("id")
	if c.org.ADs.Docs[adID] == nil {
		writeError(w, 404, "active directory not found")
		return
	}
	var out []doc
	if col := c.org.Agents[adID]; col != nil {
		for _, d := range col.all() {
			out = append(out, agentView(d))
		}
	}
	writeV2List(w, r, out)
}

func (s *Server) postAgent(c reqCtx, w http.ResponseWriter, r *http.Request) {
	adID := r.PathValue("id")
	if c.org.ADs.Docs[adID] == nil {
		writeError(w, 404, "active directory not found")
		return
	}
	body, e := decodeBody(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	typ, _ := body["agentType"].(string)
	if typ != "SYNC" && typ != "IMPORT" {
		writeError(w, 400, "agentType must be SYNC or IMPORT")
		return
	}
	id := s.st.newID()
	key := fmt.Sprintf("jcc_%016x%016x", s.rng.Uint64(), s.rng.Uint64())
	d := doc{"id": id, "agentType": typ, "state": "unsealed"}
	if c.org.Agents[adID] == nil {
		c.org.Agents[adID] = newCollection()
	}
	c.org.Agents[adID].put(id, d)
	s.st.ConnectKeys[hashSecret(key)] = &agentKey{Org: c.org.id(), AD: adID, Agent: id}
	// The connect key is shown once, in this response, and stored hashed.
	resp := agentView(d)
	resp["connectKey"] = key
	writeJSON(w, 201, resp)
}

func (s *Server) getAgent(c reqCtx, w http.ResponseWriter, r *http.Request) {
	if col := c.org.Agents[r.PathValue("id")]; col != nil {
		if d := col.Docs[r.PathValue("agent")]; d != nil {
			writeJSON(w, 200, agentView(d))
			return
		}
	}
	writeError(w, 404, "agent not found")
}

func (s *Server) deleteAgent(c reqCtx, w http.ResponseWriter, r *http.Request) {
	col := c.org.Agents[r.PathValue("id")]
	if col == nil || col.Docs[r.PathValue("agent")] == nil {
		writeError(w, 404, "agent not found")
		return
	}
	col.del(r.PathValue("agent"))
	w.WriteHeader(204)
}
