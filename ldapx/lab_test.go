package ldapx_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/ldapx/ldaptest"
)

// labOptions are the Options to reach the lab DC as account a.
func labOptions(l *ldaptest.Lab, a ldaptest.Account) ldapx.Options {
	return ldapx.Options{
		URL:      l.URL,
		BindDN:   a.Bind,
		Password: a.Password,
		CAFile:   l.CAFile,
		// Generous: see ldaptest.Lab.dial.
		DialTimeout:      30 * time.Second,
		HandshakeTimeout: 30 * time.Second,
		OpTimeout:        time.Minute,
		Logger:           slog.New(slog.DiscardHandler),
	}
}

// dialLab binds to the lab as a; the connection closes when the test ends.
func dialLab(t testing.TB, l *ldaptest.Lab, a ldaptest.Account, wrap ...func(ldap.Client) ldap.Client) *ldapx.Conn {
	t.Helper()
	o := labOptions(l, a)
	if len(wrap) > 0 {
		o.Wrap = wrap[0]
	}
	c, err := ldapx.Dial(t.Context(), o)
	if err != nil {
		t.Fatalf("Dial(%s as %s) = %v", l.URL, a.Bind, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
