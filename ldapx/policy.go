package ldapx

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/adjc/adjc/config"
)

// Check tells, before any write, whether AD would refuse password for the
// account samAccountName under this policy, with the same errors a refused
// write returns (ErrPasswordTooShort, ErrPasswordNotComplex). History cannot
// be checked from outside AD. The complexity rule is AD's: at least three of
// upper case, lower case, digits, and other characters (any other letter
// counts as a fifth category), and not containing the sAMAccountName when
// it is three characters or longer.
func (p PasswordPolicy) Check(password config.Secret, samAccountName string) error {
	pw := password.Reveal()
	if n := utf8.RuneCountInString(pw); n < p.MinLength {
		return &Error{Op: "check password", Attribute: "unicodePwd", Kind: ErrPasswordTooShort,
			Reason: "it must be at least " + strconv.Itoa(p.MinLength) + " characters"}
	}
	if !p.Complex {
		return nil
	}
	var upper, lower, digit, other, letter bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsLetter(r):
			letter = true
		default:
			other = true
		}
	}
	n := 0
	for _, b := range []bool{upper, lower, digit, other, letter} {
		if b {
			n++
		}
	}
	if n < 3 || (len(samAccountName) >= 3 && strings.Contains(strings.ToLower(pw), strings.ToLower(samAccountName))) {
		return &Error{Op: "check password", Attribute: "unicodePwd", Kind: ErrPasswordNotComplex,
			Reason: "it needs three of: upper case, lower case, digits, symbols, and must not contain the account name"}
	}
	return nil
}
