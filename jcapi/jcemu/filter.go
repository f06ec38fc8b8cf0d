package jcemu

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// lookup reads a dotted field path ("attributes.sudo.enabled") from a doc.
func lookup(d doc, field string) any {
	var cur any = d
	for _, part := range strings.Split(field, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// text renders a scalar the way it is written in a filter.
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// compareValues orders two values: numerically when one is a number and
// the other a number or numeric text, otherwise as text. nil sorts first.
func compareValues(a, b any) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		}
		return 1
	}
	fa, na := number(a)
	fb, nb := number(b)
	if na || nb {
		if !na {
			fa, na = parseNumber(a)
		}
		if !nb {
			fb, nb = parseNumber(b)
		}
		if na && nb {
			switch {
			case fa < fb:
				return -1
			case fa > fb:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(text(a), text(b))
}

func number(v any) (float64, bool) {
	switch t := v.(type) {
	case int64:
		return float64(t), true
	case float64:
		return t, true
	}
	return 0, false
}

func parseNumber(v any) (float64, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// term is one parsed filter: field, operator, value.
type term struct {
	field, op, value string
}

// match applies a term; ops are spelled without "$" here.
func (t term) match(d doc) bool {
	v := lookup(d, t.field)
	switch t.op {
	case "eq":
		return v != nil && text(v) == t.value || v == nil && t.value == "null"
	case "ne":
		return !(v != nil && text(v) == t.value)
	case "in", "nin":
		in := false
		for _, x := range splitPipes(t.value) {
			if v != nil && text(v) == x {
				in = true
			}
		}
		return in == (t.op == "in")
	case "lt":
		return v != nil && compareValues(v, t.value) < 0
	case "lte", "le":
		return v != nil && compareValues(v, t.value) <= 0
	case "gt":
		return v != nil && compareValues(v, t.value) > 0
	case "gte", "ge":
		return v != nil && compareValues(v, t.value) >= 0
	case "sw":
		return v != nil && strings.HasPrefix(text(v), t.value)
	case "ew":
		return v != nil && strings.HasSuffix(text(v), t.value)
	case "co":
		return v != nil && strings.Contains(text(v), t.value)
	case "nco":
		return v == nil || !strings.Contains(text(v), t.value)
	case "search":
		return v != nil && strings.Contains(strings.ToLower(text(v)), strings.ToLower(t.value))
	case "between":
		lo, hi, _ := strings.Cut(t.value, "|")
		return v != nil && compareValues(v, lo) >= 0 && compareValues(v, hi) <= 0
	}
	return false
}

// splitPipes splits an $in list on "|", honouring "\|" as a literal pipe.
func splitPipes(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '|' {
			cur.WriteByte('|')
			i++
			continue
		}
		if s[i] == '|' {
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(s[i])
	}
	return append(out, cur.String())
}

var (
	v1Ops = map[string]bool{"$eq": true, "$ne": true, "$in": true, "$nin": true, "$lt": true, "$lte": true, "$gt": true, "$gte": true, "$sw": true, "$ew": true, "$co": true, "$nco": true}
	// multi-term operators need x-eventually-consistent: true (v1 trait_filter_filter).
	v1Eventual = map[string]bool{"$ew": true, "$co": true, "$nco": true}
	v2Ops      = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true, "between": true, "search": true, "in": true}
)

// v1Filter is a parsed v1 filter: all of and, and at least one of or.
type v1Filter struct {
	and, or []term
}

func (f v1Filter) match(d doc) bool {
	for _, t := range f.and {
		if !t.match(d) {
			return false
		}
	}
	if len(f.or) == 0 {
		return true
	}
	for _, t := range f.or {
		if t.match(d) {
			return true
		}
	}
	return false
}

var v1FilterKey = regexp.MustCompile(`^filter(?:\[(and|or)\])?(?:\[\d+\])?$`)

// parseV1Filter reads filter=…, filter[N]=…, filter[and][N]=… and
// filter[or][N]=… (v1 components.parameters.trait_filter_filter).
func parseV1Filter(r *http.Request) (v1Filter, *apiError) {
	var f v1Filter
	eventual := strings.EqualFold(r.Header.Get("x-eventually-consistent"), "true")
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m := v1FilterKey.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		for _, raw := range q[k] {
			if raw == "" {
				continue
			}
			// v1 types filter as a string, but how the service treats a
			// comma in it is not documented: refuse it rather than guess.
			if strings.Contains(raw, ",") {
				return f, newError(400, fmt.Sprintf("filter %q holds a comma, whose meaning the spec does not document", raw))
			}
			parts := strings.SplitN(raw, ":", 3)
			if len(parts) != 3 || !v1Ops[parts[1]] {
				return f, newError(400, fmt.Sprintf("invalid filter %q: want field:$op:value", raw))
			}
			if v1Eventual[parts[1]] && !eventual {
				return f, newError(400, fmt.Sprintf("filter operator %s needs the header x-eventually-consistent: true", parts[1]))
			}
			t := term{field: parts[0], op: strings.TrimPrefix(parts[1], "$"), value: parts[2]}
			if m[1] == "or" {
				f.or = append(f.or, t)
			} else {
				f.and = append(f.and, t)
			}
		}
	}
	return f, nil
}

// parseV2Filter reads v2 filters. The spec types filter as an array with
// style form, explode false (components.parameters.trait_filter_filter), so
// the service splits every filter= value at each comma, as done here: a
// value holding a comma (DC=x,DC=y) breaks into a piece that is no
// field:op:value and is refused, as it would fail or mislead on the real
// service. Several filters joined with commas in one key are refused too
// (stricter than the spec's array): JumpCloud's SDKs send one filter= key
// per filter, and they are ANDed.
func parseV2Filter(r *http.Request, allowed map[string]bool) ([]term, *apiError) {
	var terms []term
	for _, raw := range r.URL.Query()["filter"] {
		parts := strings.Split(raw, ",")
		for _, p := range parts {
			f := strings.SplitN(p, ":", 3)
			if len(f) != 3 || !v2Ops[f[1]] {
				if len(parts) > 1 {
					return nil, newError(400, fmt.Sprintf("invalid filter %q: filter is split at every comma and %q is not field:op:value", raw, p))
				}
				return nil, newError(400, fmt.Sprintf("invalid filter %q: want field:op:value", p))
			}
			if allowed != nil && !allowed[f[0]] {
				return nil, newError(400, fmt.Sprintf("filter field %q is not supported", f[0]))
			}
			terms = append(terms, term{field: f[0], op: f[1], value: f[2]})
		}
		if len(parts) > 1 {
			return nil, newError(400, fmt.Sprintf("filter %q holds a comma: send each filter in its own filter= key, and look values with commas up another way", raw))
		}
	}
	return terms, nil
}

func matchAll(ts []term, d doc) bool {
	for _, t := range ts {
		if !t.match(d) {
			return false
		}
	}
	return true
}

// sortKeys reads sort: v1 separates keys with spaces, v2 with commas.
func sortKeys(r *http.Request, sep string) []string {
	var keys []string
	for _, v := range r.URL.Query()["sort"] {
		for _, k := range strings.Split(v, sep) {
			if k = strings.TrimSpace(k); k != "" {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// searchMatch applies a POST /search body: filter {and:[…]} / {or:[…]} of
// {field: value} or {field: {$eq|$ne|$in: …}}, and searchFilter
// {searchTerm, fields}, a case-insensitive substring match on any field.
func searchMatch(body map[string]any, d doc) bool {
	if f, ok := body["filter"].(map[string]any); ok {
		if and, ok := f["and"].([]any); ok {
			for _, c := range and {
				if !condMatch(c, d) {
					return false
				}
			}
		}
		if or, ok := f["or"].([]any); ok && len(or) > 0 {
			any := false
			for _, c := range or {
				if condMatch(c, d) {
					any = true
				}
			}
			if !any {
				return false
			}
		}
		for k, v := range f {
			if k != "and" && k != "or" && !condMatch(map[string]any{k: v}, d) {
				return false
			}
		}
	}
	if sf, ok := body["searchFilter"].(map[string]any); ok {
		var terms []string
		switch t := sf["searchTerm"].(type) {
		case string:
			terms = []string{t}
		case []any:
			for _, x := range t {
				terms = append(terms, text(x))
			}
		}
		var fields []string
		if fs, ok := sf["fields"].([]any); ok {
			for _, x := range fs {
				fields = append(fields, text(x))
			}
		}
		if len(fields) == 0 {
			fields = []string{"username", "email", "firstname", "lastname"}
		}
		for _, term := range terms {
			hit := false
			for _, f := range fields {
				if strings.Contains(strings.ToLower(text(lookup(d, f))), strings.ToLower(term)) {
					hit = true
				}
			}
			if !hit {
				return false
			}
		}
	}
	return true
}

func condMatch(c any, d doc) bool {
	m, ok := c.(map[string]any)
	if !ok {
		return false
	}
	for field, want := range m {
		got := lookup(d, field)
		if ops, ok := want.(map[string]any); ok {
			for op, v := range ops {
				switch op {
				case "$eq":
					if text(got) != text(v) {
						return false
					}
				case "$ne":
					if text(got) == text(v) {
						return false
					}
				case "$in":
					list, _ := v.([]any)
					in := false
					for _, x := range list {
						if text(got) == text(x) {
							in = true
						}
					}
					if !in {
						return false
					}
				default:
					return false
				}
			}
			continue
		}
		if got == nil || text(got) != text(want) {
			return false
		}
	}
	return true
}
