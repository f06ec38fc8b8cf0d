package jcemu

import (
	"fmt"
	"strings"
)

// validateProfile checks the profile fields a field mapping writes
// (systemuserputpost): the string lengths the spec gives,
// employeeIdentifier "unique per user" (compared ignoring case: stricter),
// phoneNumbers as the spec's list of {number, type}, and manager as the
// id of another user of the organisation (the spec: "Relation with
// another systemuser"; the service's check is unknown, so the strict one).
func (o *org) validateProfile(id string, d doc) *apiError {
	for k, max := range map[string]int{"department": 1024, "jobTitle": 1024, "employeeIdentifier": 256, "manager": 1024} {
		v, ok := d[k]
		if !ok || v == nil {
			continue
		}
		s, isText := v.(string)
		if !isText {
			return newError(400, k+" must be a string")
		}
		if len(s) > max {
			return newError(400, fmt.Sprintf("%s longer than %d characters", k, max))
		}
	}
	if e, _ := d["employeeIdentifier"].(string); e != "" {
		for other, u := range o.Users.Docs {
			if other != id && strings.EqualFold(text(u["employeeIdentifier"]), e) {
				return newError(400, fmt.Sprintf("employeeIdentifier %q is already used by user %s", e, other))
			}
		}
	}
	if m, _ := d["manager"].(string); m != "" {
		if m == id {
			return newError(400, "manager must be another user")
		}
		if o.Users.Docs[m] == nil {
			return newError(400, fmt.Sprintf("manager %q is not a user of this organization", m))
		}
	}
	if pn, ok := d["phoneNumbers"]; ok && pn != nil {
		list, ok := pn.([]any)
		if !ok {
			return newError(400, "phoneNumbers must be an array")
		}
		for _, x := range list {
			p, ok := x.(map[string]any)
			if !ok {
				return newError(400, fmt.Sprintf("invalid phoneNumbers entry %v", x))
			}
			for k, v := range p {
				s, isText := v.(string)
				if (k != "number" && k != "type") || !isText || len(s) > 1024 {
					return newError(400, fmt.Sprintf("invalid phoneNumbers entry %v", x))
				}
			}
		}
	}
	return nil
}
