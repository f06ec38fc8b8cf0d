package reconcile

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/adjc/adjc/secret"
)

// Rule is one password rule a password failed: which side's policy, the
// rule's name and what it asks for, in words. It never holds the password.
type Rule struct {
	// Side is "AD" or "JumpCloud".
	Side string `json:"side"`
	// Name is a stable identifier: for AD minPwdLength, complexity.classes,
	// complexity.account_name, complexity.display_name; for JumpCloud the
	// rule names its API reports in fullValidationDetails (minLength,
	// lowercase, uppercase, number, specialCharacter, usernameSubstring,
	// commonlyUsedPassword, sequentialOrRepetitiveChars).
	Name string `json:"name"`
	// Message says what the rule asks for.
	Message string `json:"message"`
}

func (r Rule) String() string { return r.Side + " " + r.Name + ": " + r.Message }

// Sides of a [Rule].
const (
	SideAD        = "AD"
	SideJumpCloud = "JumpCloud"
)

// PasswordAccount is the account a password is for: AD's complexity rule
// rejects passwords containing its sAMAccountName or displayName tokens, and
// JumpCloud's usernameSubstring rule its username.
type PasswordAccount struct {
	SAMAccountName string
	DisplayName    string
	Username       string // JumpCloud username
}

// ADPasswordPolicy is the part of an AD domain's password policy a password
// can be checked against before it is written: minPwdLength and the
// DOMAIN_PASSWORD_COMPLEX bit of pwdProperties. The adapter fills it from
// what ldapx reads off the domain object.
type ADPasswordPolicy struct {
	MinLength int
	Complex   bool
}

// JCPasswordPolicy is a JumpCloud organization's password policy as far as
// it can be checked on the client: Compliance is the org's
// passwordCompliance (custom, pci3, windows, or "" for none) and the rest
// are the custom policy's switches, named as in the v1 organization
// settings (passwordPolicy).
type JCPasswordPolicy struct {
	Compliance                          string
	EnableMinLength                     bool
	MinLength                           int
	NeedsLowercase                      bool
	NeedsUppercase                      bool
	NeedsNumeric                        bool
	NeedsSymbolic                       bool
	AllowUsernameSubstring              bool
	DisallowCommonlyUsedPasswords       bool
	DisallowSequentialOrRepetitiveChars bool
}

// CheckADPassword returns every rule of the AD domain policy that pw breaks,
// as AD defines them, so that nothing is written that AD would refuse:
//
//   - minPwdLength: at least MinLength characters (UTF-16 code units, as AD
//     counts them).
//   - complexity (pwdProperties bit DOMAIN_PASSWORD_COMPLEX): characters
//     from three of the categories uppercase, lowercase, digits, symbols,
//     and letters that are neither upper nor lower case (Unicode scripts
//     without case); not containing the sAMAccountName when it is 3 or more
//     characters long; not containing any token of 3 or more characters of
//     the displayName, split at , . - _ # space and tab; all case-insensitive.
//
// History (pwdHistoryLength) cannot be known beforehand: AD keeps only
// hashes the service account cannot read, so a reuse is refused by AD at
// write time, before JumpCloud is written (the adapter reports it in words).
func CheckADPassword(pw secret.Secret, p ADPasswordPolicy, acct PasswordAccount) []Rule {
	v := pw.Reveal()
	var bad []Rule
	if n := utf16Len(v); n < p.MinLength {
		bad = append(bad, Rule{SideAD, "minPwdLength", fmt.Sprintf("at least %d characters (the domain's minPwdLength)", p.MinLength)})
	}
	if !p.Complex {
		return bad
	}
	if n := charClasses(v); n < 3 {
		bad = append(bad, Rule{SideAD, "complexity.classes", "characters from three of: uppercase, lowercase, digits, symbols, other letters"})
	}
	low := strings.ToLower(v)
	if sam := strings.ToLower(acct.SAMAccountName); len([]rune(sam)) >= 3 && strings.Contains(low, sam) {
		bad = append(bad, Rule{SideAD, "complexity.account_name", "must not contain the account name (sAMAccountName)"})
	}
	for _, tok := range displayNameTokens(acct.DisplayName) {
		if strings.Contains(low, strings.ToLower(tok)) {
			bad = append(bad, Rule{SideAD, "complexity.display_name", "must not contain a part of the display name of 3 or more characters"})
			break
		}
	}
	return bad
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// charClasses counts AD's complexity categories present in s.
func charClasses(s string) int {
	var upper, lower, digit, symbol, other bool
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case unicode.IsLetter(r):
			other = true // a letter of a script without case
		default:
			symbol = true
		}
	}
	n := 0
	for _, b := range []bool{upper, lower, digit, symbol, other} {
		if b {
			n++
		}
	}
	return n
}

// displayNameTokens splits a displayName at the delimiters AD uses for its
// complexity check and keeps tokens of 3 or more characters.
func displayNameTokens(name string) []string {
	parts := strings.FieldsFunc(name, func(r rune) bool { return strings.ContainsRune(",.-_# \t", r) })
	var out []string
	for _, p := range parts {
		if len([]rune(p)) >= 3 {
			out = append(out, p)
		}
	}
	return out
}

// jcPresets approximates JumpCloud's fixed compliance modes, whose rules the
// API does not publish; they match the emulator (PCI DSS 3: 7 characters,
// letters and digits; Windows: 8 characters and all four classes).
var jcPresets = map[string]JCPasswordPolicy{
	"pci3":    {Compliance: "pci3", EnableMinLength: true, MinLength: 7, NeedsLowercase: true, NeedsNumeric: true, AllowUsernameSubstring: true},
	"windows": {Compliance: "windows", EnableMinLength: true, MinLength: 8, NeedsLowercase: true, NeedsUppercase: true, NeedsNumeric: true},
}

// jcCommon is the short list of passwords refused by
// disallowCommonlyUsedPasswords that adjc can check before writing;
// JumpCloud's own list is longer and still has the last word.
var jcCommon = map[string]bool{"password": true, "password1": true, "123456": true, "12345678": true, "qwerty": true, "letmein": true, "welcome1": true, "password1!": true}

// CheckJumpCloudPassword returns every rule of the JumpCloud organization's
// password policy that pw breaks. p.Compliance decides which rules apply:
// custom applies p's switches, pci3 and windows apply JumpCloud's fixed
// modes, and "" means no policy. History (maxHistory) is enforced by
// JumpCloud at write time; adjc cannot read it.
func CheckJumpCloudPassword(pw secret.Secret, p JCPasswordPolicy, acct PasswordAccount) []Rule {
	switch preset, ok := jcPresets[p.Compliance]; {
	case p.Compliance == "custom":
	case ok:
		p = preset
	default:
		return nil
	}
	v := pw.Reveal()
	has := func(f func(rune) bool) bool { return strings.IndexFunc(v, f) >= 0 }
	var bad []Rule
	jc := func(name, msg string) { bad = append(bad, Rule{SideJumpCloud, name, msg}) }
	if p.EnableMinLength && len([]rune(v)) < p.MinLength {
		jc("minLength", fmt.Sprintf("at least %d characters", p.MinLength))
	}
	if p.NeedsLowercase && !has(unicode.IsLower) {
		jc("lowercase", "a lowercase letter")
	}
	if p.NeedsUppercase && !has(unicode.IsUpper) {
		jc("uppercase", "an uppercase letter")
	}
	if p.NeedsNumeric && !has(unicode.IsDigit) {
		jc("number", "a digit")
	}
	if p.NeedsSymbolic && !has(func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) }) {
		jc("specialCharacter", "a symbol")
	}
	if !p.AllowUsernameSubstring && acct.Username != "" && strings.Contains(strings.ToLower(v), strings.ToLower(acct.Username)) {
		jc("usernameSubstring", "must not contain the username")
	}
	if p.DisallowCommonlyUsedPasswords && jcCommon[strings.ToLower(v)] {
		jc("commonlyUsedPassword", "must not be a commonly used password")
	}
	if p.DisallowSequentialOrRepetitiveChars && sequentialOrRepeated(v) {
		jc("sequentialOrRepetitiveChars", "no three characters in a row that repeat (aaa) or run in sequence (abc, 321)")
	}
	return bad
}

func sequentialOrRepeated(s string) bool {
	r := []rune(s)
	for i := 2; i < len(r); i++ {
		d1, d2 := r[i-1]-r[i-2], r[i]-r[i-1]
		if d1 == d2 && d1 >= -1 && d1 <= 1 {
			return true
		}
	}
	return false
}

// PasswordSkew is how far apart AD's pwdLastSet and JumpCloud's
// password_date may be and still count as the same change. The two stamps
// come from different clocks (the DC's and JumpCloud's), and a captured
// change reaches JumpCloud a moment after the DC took it (`sync password`
// writes AD, then JumpCloud); 5 minutes is Kerberos's default maximum clock
// skew, which an AD domain's clocks already keep within. A change made on
// the other side within this window of the first is not reported.
const PasswordSkew = 5 * time.Minute

// PasswordDrift says, in words with the fix, why the password of managed
// user u (AD) and cu (its JumpCloud user) may differ; "" when the stamps
// agree within [PasswordSkew], or when AD has no pwdLastSet (never set, or
// "must change at next logon") or the account is disabled. adjc cannot read
// a password from either side, so drift is reported, never planned:
//
//   - JumpCloud's password_date is later: changed in JumpCloud (or set there
//     by hand) and not in AD.
//   - AD's pwdLastSet is later, or JumpCloud has no password_date at all: a
//     change in AD that the capture service did not deliver (not running,
//     gave up, or the user changed it before capture was set up).
func PasswordDrift(u *ADUser, cu *CloudUser) string {
	if u.PwdLastSet.IsZero() || u.Disabled {
		return ""
	}
	ad := u.PwdLastSet.UTC().Format(time.RFC3339)
	switch {
	case cu.PasswordDate.IsZero():
		return fmt.Sprintf("password drift: set in AD (pwdLastSet %s) but JumpCloud has no password (no password_date); "+
			"run the password capture service ('adjc password-sync' or 'adjc schedule --password-sync') and have the user change it, "+
			"or set it on both sides with 'adjc sync password %s' (two-way domains)", ad, cu.Username)
	case u.PwdLastSet.After(cu.PasswordDate.Add(PasswordSkew)):
		return fmt.Sprintf("password drift: changed in AD (pwdLastSet %s) after JumpCloud (password_date %s) and not delivered; "+
			"run the password capture service ('adjc password-sync' or 'adjc schedule --password-sync') and have the user change it, "+
			"or set it on both sides with 'adjc sync password %s' (two-way domains)", ad, cu.PasswordDate.UTC().Format(time.RFC3339), cu.Username)
	case cu.PasswordDate.After(u.PwdLastSet.Add(PasswordSkew)):
		// AD Import never carries passwords back, and adjc cannot read
		// them: say so rather than let the two silently differ (issue 5).
		return fmt.Sprintf("password drift: changed in JumpCloud (password_date %s) after AD (pwdLastSet %s); adjc cannot read passwords: set it again in AD or push it to AD from JumpCloud",
			cu.PasswordDate.UTC().Format(time.RFC3339), ad)
	}
	return ""
}
