package jcemu

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"

	"github.com/adjc/adjc/jcapi"
)

// The translation-rule enums (jumpcloud.idm.AppliedOn, Direction,
// SourceType).
var (
	ruleAppliedOn  = []string{"CREATE", "UPDATE"}
	ruleDirections = []string{"UNSPECIFIED", "EXPORT", "IMPORT"}
	ruleSources    = []string{"PATH", "GOLANG_TEMPLATE", "CONSTANT", "EXPR"}
)

// ruleID is a rule id as the spec types it: format byte, the base64 of
// the object id.
func (s *Server) ruleID() string {
	raw, _ := hex.DecodeString(s.st.newID())
	return base64.StdEncoding.EncodeToString(raw)
}

// createRule checks an IdmTranslationRulesInsertRequest body and stores
// the rule (jumpcloud.idm.TranslationRule). The spec marks no field
// required; a rule without source or destination maps nothing, so the
// emulator refuses one (stricter), and any field the schema lacks.
func (s *Server) createRule(o *org, adID string, body doc) (doc, *apiError) {
	if o.ADs.Docs[adID] == nil {
		return nil, newError(404, "active directory not found")
	}
	for k := range body {
		if !slices.Contains([]string{"appliedOn", "destination", "direction", "source", "sourceType"}, k) {
			return nil, newError(400, fmt.Sprintf("unknown field %q in a translation rule", k))
		}
	}
	d := doc{"direction": "UNSPECIFIED", "sourceType": "PATH", "appliedOn": []any{"CREATE"},
		"default": false, "editable": true, "required": false}
	for _, k := range []string{"source", "destination"} {
		v, _ := body[k].(string)
		if v == "" {
			return nil, newError(400, k+" is required")
		}
		d[k] = v
	}
	for k, allowed := range map[string][]string{"direction": ruleDirections, "sourceType": ruleSources} {
		if v, ok := body[k]; ok {
			if sv, _ := v.(string); !slices.Contains(allowed, sv) {
				return nil, newError(400, fmt.Sprintf("invalid %s %v", k, v))
			}
			d[k] = v
		}
	}
	if v, ok := body["appliedOn"]; ok {
		list, ok := v.([]any)
		if !ok {
			return nil, newError(400, "appliedOn must be an array")
		}
		for _, x := range list {
			if sx, _ := x.(string); !slices.Contains(ruleAppliedOn, sx) {
				return nil, newError(400, fmt.Sprintf("invalid appliedOn %v", x))
			}
		}
		d["appliedOn"] = list
	}
	id := s.ruleID()
	d["id"] = id
	col := o.Rules[adID]
	if col == nil {
		col = newCollection()
		o.Rules[adID] = col
	}
	col.put(id, d)
	return d, nil
}

func (s *Server) listRules(c reqCtx, w http.ResponseWriter, r *http.Request) {
	adID := r.PathValue("id")
	if c.org.ADs.Docs[adID] == nil {
		writeError(w, 404, "active directory not found")
		return
	}
	limit, skip, e := paging(r, 100)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	var all []doc
	if col := c.org.Rules[adID]; col != nil {
		all = col.all()
	}
	writeJSON(w, 200, map[string]any{"rules": nonNil(window(all, skip, limit)), "totalCount": len(all)})
}

func (s *Server) postRule(c reqCtx, w http.ResponseWriter, r *http.Request) {
	body, e := decodeBody(r)
	if e == nil {
		var d doc
		if d, e = s.createRule(c.org, r.PathValue("id"), body); e == nil {
			writeJSON(w, 200, map[string]any{"translation_rule": d})
			return
		}
	}
	writeAPIError(w, e)
}

// AddTranslationRule adds a rule to AD domain object adID of an org, as
// the console does, and returns it with its id.
func (s *Server) AddTranslationRule(orgID, adID string, r jcapi.TranslationRule) (jcapi.TranslationRule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return jcapi.TranslationRule{}, err
	}
	body := doc{"source": r.Source, "destination": r.Destination}
	if r.Direction != "" {
		body["direction"] = r.Direction
	}
	if r.SourceType != "" {
		body["sourceType"] = r.SourceType
	}
	if len(r.AppliedOn) > 0 {
		on := make([]any, len(r.AppliedOn))
		for i, a := range r.AppliedOn {
			on[i] = a
		}
		body["appliedOn"] = on
	}
	d, e := s.createRule(o, adID, body)
	if e != nil {
		return jcapi.TranslationRule{}, fmt.Errorf("jcemu: add translation rule: %s", e.Message)
	}
	out := r
	out.ID = text(d["id"])
	out.Direction, out.SourceType = text(d["direction"]), text(d["sourceType"])
	if len(out.AppliedOn) == 0 {
		out.AppliedOn = []string{"CREATE"}
	}
	out.Editable = true
	return out, nil
}
