package jcemu

import (
	"encoding/json"
	"strings"
	"unicode"

	"github.com/adjc/adjc/jcapi"
)

// presets approximates the fixed compliance modes. The spec names them
// (passwordCompliance: pci3, windows) but not their rules; these follow
// PCI DSS 3 (7 characters, letters and digits, 4 remembered) and the
// Windows default (8 characters, history of 24, complexity treated as all
// four classes here for simplicity).
var presets = map[string]jcapi.PasswordPolicy{
	"pci3":    {EnableMinLength: true, MinLength: 7, NeedsLowercase: true, NeedsNumeric: true, EnableMaxHistory: true, MaxHistory: 4, AllowUsernameSubstring: true},
	"windows": {EnableMinLength: true, MinLength: 8, NeedsLowercase: true, NeedsUppercase: true, NeedsNumeric: true, EnableMaxHistory: true, MaxHistory: 24},
}

// policy returns the org's effective password policy: passwordPolicy when
// passwordCompliance is custom (as the organization PUT describes), else
// the preset; none if neither is set.
func (o *org) policy() (jcapi.PasswordPolicy, bool) {
	settings, _ := o.Doc["settings"].(map[string]any)
	if settings == nil {
		return jcapi.PasswordPolicy{}, false
	}
	mode, _ := settings["passwordCompliance"].(string)
	if p, ok := presets[mode]; ok {
		return p, true
	}
	if mode != "custom" {
		return jcapi.PasswordPolicy{}, false
	}
	var p jcapi.PasswordPolicy
	b, _ := json.Marshal(settings["passwordPolicy"])
	_ = json.Unmarshal(b, &p)
	return p, true
}

// commonPasswords is a tiny stand-in for JumpCloud's common-password list.
var commonPasswords = map[string]bool{"password": true, "password1": true, "123456": true, "12345678": true, "qwerty": true, "letmein": true, "welcome1": true, "Password1": true, "Password1!": true}

// checkPassword returns the rules pw breaks for user (username and the
// user's stored password history). Descriptions follow the spec's
// fullValidationDetails examples ("specialCharacter", "passwordHistory").
func (o *org) checkPassword(userID, username, pw string) []string {
	p, ok := o.policy()
	if !ok {
		return nil
	}
	var bad []string
	if p.EnableMinLength && len([]rune(pw)) < p.MinLength {
		bad = append(bad, "minLength")
	}
	has := func(f func(rune) bool) bool { return strings.IndexFunc(pw, f) >= 0 }
	if p.NeedsLowercase && !has(unicode.IsLower) {
		bad = append(bad, "lowercase")
	}
	if p.NeedsUppercase && !has(unicode.IsUpper) {
		bad = append(bad, "uppercase")
	}
	if p.NeedsNumeric && !has(unicode.IsDigit) {
		bad = append(bad, "number")
	}
	if p.NeedsSymbolic && !has(func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) }) {
		bad = append(bad, "specialCharacter")
	}
	if !p.AllowUsernameSubstring && username != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(username)) {
		bad = append(bad, "usernameSubstring")
	}
	if p.DisallowCommonlyUsedPasswords && commonPasswords[pw] {
		bad = append(bad, "commonlyUsedPassword")
	}
	if p.DisallowSequentialOrRepetitiveChars && sequentialOrRepetitive(pw) {
		bad = append(bad, "sequentialOrRepetitiveChars")
	}
	if p.EnableMaxHistory && userID != "" {
		h := hashSecret(pw)
		hist := o.History[userID]
		for _, old := range hist[max(0, len(hist)-p.MaxHistory):] {
			if old == h {
				bad = append(bad, "passwordHistory")
				break
			}
		}
	}
	return bad
}

// rememberPassword records pw's hash for the history rule (at most 24 kept,
// the spec's maximum maxHistory).
func (o *org) rememberPassword(userID, pw string) {
	h := append(o.History[userID], hashSecret(pw))
	if len(h) > 24 {
		h = h[len(h)-24:]
	}
	o.History[userID] = h
}

// sequentialOrRepetitive finds three characters in a row that repeat (aaa)
// or step by one (abc, 321).
func sequentialOrRepetitive(pw string) bool {
	r := []rune(pw)
	for i := 2; i < len(r); i++ {
		d1, d2 := r[i-1]-r[i-2], r[i]-r[i-1]
		if d1 == d2 && (d1 == 0 || d1 == 1 || d1 == -1) {
			return true
		}
	}
	return false
}

// passwordError is the 400 for a rejected password: with
// fullValidationDetails=password, every violation in google.rpc.BadRequest
// details; without it, one message naming the first rule.
func passwordError(bad []string, full bool) *apiError {
	if !full {
		return newError(400, "password does not meet the password policy: "+bad[0])
	}
	e := newError(400, "Password validation fail")
	violations := make([]any, len(bad))
	for i, b := range bad {
		violations[i] = map[string]any{"field": "password", "description": b}
	}
	e.Details = []map[string]any{{
		"@type":               "type.googleapis.com/google.rpc.BadRequest",
		"fieldViolationsList": violations,
	}}
	return e
}
