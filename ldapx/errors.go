package ldapx

import (
	"errors"
	"regexp"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// kind is a sentinel error that can belong to a broader one, so that
// errors.Is(err, ErrPasswordPolicy) holds for ErrPasswordTooShort.
type kind struct {
	msg    string
	parent error
}

func (k *kind) Error() string { return k.msg }
func (k *kind) Unwrap() error { return k.parent }

// Kinds of failure. An operation returns an [*Error] whose Kind is one of
// these; test with errors.Is.
var (
	// ErrInvalidCredentials: the bind DN or password was rejected (LDAP 49).
	// Commands exit 4 for it. The [Error.Reason] says which AD sub-code
	// (wrong password, account disabled, locked out, password expired…).
	ErrInvalidCredentials error = &kind{msg: "invalid credentials"}
	// ErrPlaintext: a password would have crossed an unencrypted connection,
	// so adjc did not send it.
	ErrPlaintext error = &kind{msg: "refusing to send a password over an unencrypted connection"}
	// ErrStrongAuthRequired: the DC refuses simple binds without TLS (LDAP 8).
	ErrStrongAuthRequired error = &kind{msg: "the domain controller requires an encrypted connection"}
	// ErrInsufficientRights: the bound account may not do this (LDAP 50).
	ErrInsufficientRights error = &kind{msg: "the service account lacks the rights for this change"}
	// ErrNoSuchObject: the DN does not exist (LDAP 32).
	ErrNoSuchObject error = &kind{msg: "no such object"}
	// ErrAlreadyExists: the object, or the attribute value, already exists (LDAP 68, 20).
	ErrAlreadyExists error = &kind{msg: "already exists"}
	// ErrNoSuchValue: a value to remove is not there (LDAP 16).
	ErrNoSuchValue error = &kind{msg: "no such attribute value"}
	// ErrConstraint: the directory refused a value (LDAP 19, 21, 64, 65, 67, 69).
	ErrConstraint error = &kind{msg: "the directory refused the value (constraint violation)"}
	// ErrPasswordPolicy: the password breaks the domain policy. Windows does
	// not say which rule; Samba does, and then the error is one of the three
	// below, which all match ErrPasswordPolicy too.
	ErrPasswordPolicy error = &kind{msg: "the password does not meet the domain password policy", parent: ErrConstraint}
	// ErrPasswordTooShort: shorter than the domain's minPwdLength.
	ErrPasswordTooShort error = &kind{msg: "the password is too short", parent: ErrPasswordPolicy}
	// ErrPasswordNotComplex: fails the complexity rule (pwdProperties bit 1).
	ErrPasswordNotComplex error = &kind{msg: "the password is not complex enough", parent: ErrPasswordPolicy}
	// ErrPasswordInHistory: one of the last pwdHistoryLength passwords.
	ErrPasswordInHistory error = &kind{msg: "the password was used recently (password history)", parent: ErrPasswordPolicy}
	// ErrUnwilling: the DC will not perform the operation (LDAP 53).
	ErrUnwilling error = &kind{msg: "the domain controller is unwilling to perform the operation"}
	// ErrUnavailable: the DC could not be reached, timed out, or is busy
	// (LDAP 51, 52, network errors). It is worth retrying later.
	ErrUnavailable error = &kind{msg: "the domain controller is unavailable"}
	// ErrTimeout: the DC did not answer one network wait (connect, TLS
	// handshake, StartTLS, bind, a search page) within its timeout. It is
	// an ErrUnavailable too; the [Error.Reason] names the wait, the URL and
	// the timeout in the operator's terms.
	ErrTimeout error = &kind{msg: "the domain controller did not answer in time", parent: ErrUnavailable}
	// ErrNoStartTLS: the DC answered the StartTLS request (RFC 4511 §4.14)
	// with an error, so the connection stays unencrypted and adjc binds
	// nowhere: it never falls back to plaintext.
	ErrNoStartTLS error = &kind{msg: "the domain controller does not offer StartTLS"}
	// ErrInconsistentRead: a paged search returned an entry (same
	// objectGUID or DN) it had already returned, or a ranged member read
	// answered a range that repeats, overlaps or skips values. The read
	// fails whole — nothing partial is planned — and the next run reads
	// again; it is an ErrUnavailable, worth retrying.
	ErrInconsistentRead error = &kind{msg: "the domain controller's answer to a paged read repeated or skipped entries", parent: ErrUnavailable}
	// ErrUnsupportedControl: the DC refused or ignored a control adjc relies
	// on — paged results, change notifications or DirSync — (LDAP 12,
	// unavailableCriticalExtension). The [Error.Reason] names the control.
	ErrUnsupportedControl error = &kind{msg: "the domain controller does not support a control adjc needs"}
	// ErrInvalidDN: the DN is malformed (LDAP 34) or names another partition (LDAP 10).
	ErrInvalidDN error = &kind{msg: "invalid or foreign DN"}
)

// Error is an LDAP failure in plain words. Its Error string never contains a
// password; the server's own text is kept in Server for debugging.
type Error struct {
	Op        string // bind, search, add, modify, delete, rename, dial
	DN        string // the object the operation was about, if any
	Attribute string // the attribute at fault, if known (unicodePwd, member…)
	Kind      error  // one of the Err… sentinels, or nil when unknown
	Reason    string // extra words from the server, e.g. "it must be at least 7 characters"
	Hint      string // what the operator can do about it
	Code      uint16 // LDAP result code (ldap.LDAPResultCodeMap)
	Server    string // the DC's diagnostic message, verbatim
	Err       error  // the underlying go-ldap or network error
}

func (e *Error) Error() string {
	var s strings.Builder
	s.WriteString("ldapx: ")
	s.WriteString(e.Op)
	if e.DN != "" {
		s.WriteString(" ")
		s.WriteString(e.DN)
	}
	if e.Attribute != "" {
		s.WriteString(": ")
		s.WriteString(e.Attribute)
	}
	s.WriteString(": ")
	if e.Kind == ErrTimeout && e.Reason != "" {
		// The reason is the whole sentence ("the domain controller at …
		// accepted the connection but did not answer the TLS handshake in
		// 10 s"); the kind's generic words would only repeat it.
		s.WriteString(e.Reason)
		return s.String()
	}
	switch {
	case e.Kind != nil:
		s.WriteString(e.Kind.Error())
	case e.Err != nil:
		s.WriteString(e.Err.Error())
	default:
		s.WriteString("failed")
	}
	if e.Reason != "" {
		s.WriteString(" (")
		s.WriteString(e.Reason)
		s.WriteString(")")
	}
	return s.String()
}

// Unwrap lets errors.Is match both the Kind and the go-ldap error.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Hint returns the hint of the first [*Error] in err's chain, or "".
func Hint(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}

// adDataCode finds the sub-code in AD's bind diagnostics, e.g.
// "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 52e, v3839".
var adDataCode = regexp.MustCompile(`data ([0-9a-fA-F]+),`)

// bindReasons are the AcceptSecurityContext sub-codes AD puts in a result 49.
var bindReasons = map[string]string{
	"525": "no such user",
	"52e": "wrong user name or password",
	"530": "logon not permitted at this time",
	"531": "logon not permitted from this workstation",
	"532": "the password has expired",
	"533": "the account is disabled",
	"701": "the account has expired",
	"773": "the user must reset the password",
	"775": "the account is locked out",
}

// wrapError turns an error from go-ldap into an [*Error]. attr names the
// attribute the operation was about, when there is one.
func wrapError(op, dn, attr string, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Op: op, DN: dn, Attribute: attr, Err: err}
	var le *ldap.Error
	if isTimeout(err) {
		// go-ldap answers a request that outlived Conn.SetTimeout with
		// ErrorNetwork "ldap: connection timed out"; [Conn.wrap] adds
		// the URL and the timeout to the reason.
		e.Kind = ErrTimeout
		e.Hint = "the domain controller is overloaded, or something between here and it holds the connection open without passing answers; retry later"
		return e
	}
	if !errors.As(err, &le) {
		e.Kind = ErrUnavailable
		e.Hint = "check that the domain controller is reachable, then retry"
		return e
	}
	e.Code = le.ResultCode
	if le.Err != nil {
		e.Server = le.Err.Error()
	}
	diag := strings.ToLower(e.Server)
	switch le.ResultCode {
	case ldap.LDAPResultInvalidCredentials:
		e.Kind = ErrInvalidCredentials
		if m := adDataCode.FindStringSubmatch(e.Server); m != nil {
			e.Reason = bindReasons[strings.ToLower(m[1])]
		}
		e.Hint = "check the bind DN (a DN or user@realm) and its password"
	case ldap.LDAPResultStrongAuthRequired, ldap.LDAPResultConfidentialityRequired:
		e.Kind = ErrStrongAuthRequired
		e.Hint = "use an ldaps:// URL or enable StartTLS"
	case ldap.LDAPResultInsufficientAccessRights:
		e.Kind = ErrInsufficientRights
		e.Hint = rightsHint(op, attr)
	case ldap.LDAPResultNoSuchObject:
		e.Kind = ErrNoSuchObject
		if le.MatchedDN != "" {
			e.Reason = "the closest existing parent is " + le.MatchedDN
		}
		e.Hint = "check the DN; the object may have been moved, renamed or deleted"
	case ldap.LDAPResultEntryAlreadyExists, ldap.LDAPResultAttributeOrValueExists:
		e.Kind = ErrAlreadyExists
	case ldap.LDAPResultNoSuchAttribute:
		e.Kind = ErrNoSuchValue
	case ldap.LDAPResultConstraintViolation, ldap.LDAPResultUnwillingToPerform:
		if reason, kind := passwordKind(diag); kind != nil {
			e.Kind, e.Reason = kind, reason
			if e.Attribute == "" {
				e.Attribute = "unicodePwd"
			}
			e.Hint = "choose a password that meets the domain policy (minPwdLength, complexity, history); 'adjc preflight' shows it"
			break
		}
		if le.ResultCode == ldap.LDAPResultUnwillingToPerform && attr == "member" &&
			(strings.Contains(diag, "already deleted") || strings.Contains(diag, "00000561")) {
			// Removing a member that is not there: Samba says "Attribute
			// member already deleted", Windows ERROR_MEMBER_NOT_IN_GROUP (0x561).
			e.Kind = ErrNoSuchValue
			break
		}
		if le.ResultCode == ldap.LDAPResultUnwillingToPerform {
			e.Kind = ErrUnwilling
			if attr == "unicodePwd" {
				e.Hint = "passwords can only be set over LDAPS or StartTLS"
			}
			break
		}
		e.Kind = ErrConstraint
	case ldap.LDAPResultInvalidAttributeSyntax, ldap.LDAPResultNamingViolation,
		ldap.LDAPResultObjectClassViolation, ldap.LDAPResultObjectClassModsProhibited,
		ldap.LDAPResultNotAllowedOnRDN, ldap.LDAPResultUndefinedAttributeType:
		e.Kind = ErrConstraint
	case ldap.LDAPResultInvalidDNSyntax, ldap.LDAPResultReferral:
		e.Kind = ErrInvalidDN
		e.Hint = "check that the DN is inside the domain the service account binds to"
	case ldap.LDAPResultUnavailableCriticalExtension:
		e.Kind = ErrUnsupportedControl
	case ldap.LDAPResultBusy, ldap.LDAPResultUnavailable, ldap.LDAPResultTimeLimitExceeded,
		ldap.ErrorNetwork, ldap.LDAPResultServerDown, ldap.LDAPResultTimeout, ldap.LDAPResultConnectError:
		e.Kind = ErrUnavailable
		e.Hint = "the domain controller is down, busy or unreachable; retry later"
	}
	return e
}

// passwordKind recognises AD's password-policy refusals. Windows answers
// 0000052D with no detail; Samba adds check_password_restrictions text that
// says which rule failed, e.g. "the password is too short. It should be
// equal or longer than 7 characters!".
func passwordKind(diag string) (reason string, kind error) {
	if !strings.Contains(diag, "0000052d") && !strings.Contains(diag, "check_password_restrictions") {
		return "", nil
	}
	switch {
	case strings.Contains(diag, "too short"):
		reason := ""
		if i := strings.Index(diag, "equal or longer than "); i >= 0 {
			reason = "it must be at least " + strings.TrimRight(strings.TrimSpace(diag[i+len("equal or longer than "):]), "!.")
		}
		return reason, ErrPasswordTooShort
	case strings.Contains(diag, "complexity"):
		return "it needs three of: upper case, lower case, digits, symbols, and must not contain the account name", ErrPasswordNotComplex
	case strings.Contains(diag, "history") || strings.Contains(diag, "already used"):
		return "", ErrPasswordInHistory
	case strings.Contains(diag, "too young"):
		return "the password was changed too recently (minPwdAge)", ErrPasswordPolicy
	}
	return "", ErrPasswordPolicy
}

func rightsHint(op, attr string) string {
	switch {
	case attr == "unicodePwd":
		return `delegate "Reset password" on the user container to the service account`
	case attr == "member":
		return `delegate "Modify the membership of a group" (write member) to the service account`
	case op == "add":
		return `delegate "Create, delete, and manage user accounts" on the container to the service account`
	}
	return `delegate "Write all properties" on the container to the service account`
}
