package pipeline

import (
	"strconv"
	"strings"

	"github.com/adjc/adjc/reconcile"
)

// UsersCreated counts the users plan p creates in JumpCloud: each is a
// person JumpCloud may mail.
func UsersCreated(p reconcile.Plan) int {
	if p.Direction != reconcile.ToJumpCloud {
		return 0
	}
	n := 0
	for _, c := range p.Changes {
		if c.Kind == reconcile.KindUser && c.Action == reconcile.Create {
			n++
		}
	}
	return n
}

// WelcomeEmailLine says what JumpCloud mails for n users created under the
// welcome_email setting send: "1,600 users will be created; no activation
// email is sent". It is "" when n is 0. The plan summary and the
// confirmation question both say it, so the choice is never implicit
// (issue 15.2).
func WelcomeEmailLine(n int, send bool) string {
	return emailLine(n, "will be created", send)
}

// emailLine says that n users are created or activated (what) and whether
// JumpCloud mails each of them; "" when n is 0.
func emailLine(n int, what string, send bool) string {
	if n == 0 {
		return ""
	}
	s := thousands(n) + " users " + what + "; "
	if n == 1 {
		s = "1 user " + what + "; "
	}
	if send {
		return s + "an activation email is sent to each (welcome_email: true)"
	}
	return s + "no activation email is sent (welcome_email: false)"
}

// WithWelcomeEmail returns v stating the welcome_email setting its creates
// are applied under.
func (v View) WithWelcomeEmail(send bool) View {
	v.WelcomeEmail = &send
	return v
}

// emailLine is [WelcomeEmailLine] for v, "" when v creates no user or the
// setting was not given.
func (v View) emailLine() string {
	if v.WelcomeEmail == nil || v.Direction != reconcile.ToJumpCloud {
		return ""
	}
	n := 0
	for _, c := range v.Changes {
		if c.Kind == reconcile.KindUser && c.Action == reconcile.Create {
			n++
		}
	}
	line := WelcomeEmailLine(n, *v.WelcomeEmail)
	if a := ActivationLine(reconcile.Plan{Direction: v.Direction, Changes: v.Changes}, *v.WelcomeEmail); a != "" {
		if line != "" {
			line += ". "
		}
		line += a
	}
	return line
}

// thousands writes n with a comma between each group of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ActivationLine says what JumpCloud mails when plan p activates users an
// earlier run left STAGED (their activation is the one they missed, under
// the same welcome_email setting); "" when it activates none.
func ActivationLine(p reconcile.Plan, send bool) string {
	if p.Direction != reconcile.ToJumpCloud {
		return ""
	}
	n := 0
	for _, c := range p.Changes {
		if _, ok := c.Field(reconcile.FieldState); ok && c.Kind == reconcile.KindUser {
			n++
		}
	}
	return emailLine(n, "left STAGED will be activated", send)
}

// EmailNotice is what the question before an import says about email:
// the creates' line and the activations' line, joined.
func EmailNotice(p reconcile.Plan, send bool) string {
	var parts []string
	for _, l := range []string{WelcomeEmailLine(UsersCreated(p), send), ActivationLine(p, send)} {
		if l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, ". ")
}
