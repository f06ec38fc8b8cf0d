// This file holds what every handler shares: JumpCloud-shaped errors, JSON
// bodies, paging and sorting.

package jcemu

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// apiError is an error body: components.schemas.Error or ErrorDetails.
type apiError struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Status  string           `json:"status"`
	Details []map[string]any `json:"details,omitempty"`
}

func newError(status int, msg string) *apiError {
	code := errorCodes[status]
	if code == "" {
		code = "UNKNOWN"
	}
	return &apiError{Code: status, Message: msg, Status: code}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeAPIError(w, newError(status, msg))
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Code, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(`{"code":500,"message":"encode response","status":"INTERNAL"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// decodeBody reads a JSON object body.
func decodeBody(r *http.Request) (map[string]any, *apiError) {
	var m map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, newError(400, "invalid JSON body: "+err.Error())
	}
	if m == nil {
		return nil, newError(400, "body must be a JSON object")
	}
	return normalizeNumbers(m).(map[string]any), nil
}

// normalizeNumbers turns json.Number into int64 or float64 so stored docs
// round-trip as the same JSON.
func normalizeNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalizeNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = normalizeNumbers(x)
		}
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n
		}
		f, _ := t.Float64()
		return f
	}
	return v
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// paging reads limit (default 10, at most max) and skip.
func paging(r *http.Request, max int) (limit, skip int, e *apiError) {
	limit, skip = 10, 0
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, newError(400, "limit must be a non-negative integer")
		}
		if n > max {
			return 0, 0, newError(400, fmt.Sprintf("limit must be at most %d", max))
		}
		if n > 0 {
			limit = n
		}
	}
	if v := q.Get("skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, newError(400, "skip must be a non-negative integer")
		}
		skip = n
	}
	return limit, skip, nil
}

func window[T any](items []T, skip, limit int) []T {
	if skip >= len(items) {
		return []T{}
	}
	return items[skip:min(len(items), skip+limit)]
}

// sortDocs sorts by the given keys ("-" prefix for descending), then by id.
func sortDocs(docs []doc, keys []string, idField string) {
	// Docs are kept in id order, so sort=_id (what clients send on every
	// page) costs nothing.
	if len(keys) == 1 && (keys[0] == "_id" || keys[0] == "id") {
		return
	}
	if len(keys) == 1 && (keys[0] == "-_id" || keys[0] == "-id") {
		slices.Reverse(docs)
		return
	}
	sort.SliceStable(docs, func(i, j int) bool {
		for _, k := range keys {
			desc := strings.HasPrefix(k, "-")
			k = strings.TrimPrefix(k, "-")
			if k == "_id" || k == "id" {
				k = idField
			}
			c := compareValues(lookup(docs[i], k), lookup(docs[j], k))
			if c != 0 {
				return (c < 0) != desc
			}
		}
		return docs[i][idField].(string) < docs[j][idField].(string)
	})
}
