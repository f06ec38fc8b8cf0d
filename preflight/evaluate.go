package preflight

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/ldapx"
)

// Thresholds the checks use.
const (
	// CertWarnDays: a certificate closer than this to expiry is a WARN.
	CertWarnDays = 30
	// MaxSkew is Kerberos' default tolerance between clocks.
	MaxSkew = 5 * time.Minute
	// VendorMemberLimit is the page size the vendor's agent stops at
	// (MaxPageSize, 1000): it never sees members past it.
	VendorMemberLimit = 1000
)

// Evaluate turns facts into checks, in report order. It is pure: no I/O,
// no clock (f.Now is the time), no randomness.
func Evaluate(f Facts) Report {
	r := Report{Domain: f.Domain.Name, Mode: string(f.Domain.Mode)}
	for _, fn := range []func(Facts) []Check{
		configChecks, ldapChecks, accountChecks, directoryChecks, deletionChecks,
		jumpCloudChecks, mappingChecks, passwordChecks, captureChecks, conflictChecks, clockChecks,
	} {
		r.Checks = append(r.Checks, fn(f)...)
	}
	return r
}

// Invalid is the report for a configuration that did not load: one FAIL
// listing every problem, and nothing else (no network call is made with a
// configuration that is wrong).
func Invalid(err error) Report {
	c := Check{Area: AreaConfig, Name: "valid", Status: Fail, Reason: "the configuration is invalid",
		Fix: "correct the settings below; 'adjc help config-file' describes them"}
	var ve *config.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			lines := strings.Split(p.String(), "\n")
			for i := range lines {
				lines[i] = strings.TrimSpace(lines[i])
			}
			c.Details = append(c.Details, strings.Join(lines, "; "))
		}
	} else {
		c.Reason = errText(err)
	}
	return Report{Checks: []Check{c}}
}

func check(a Area, name string, st Status, reason, fix string, details ...string) Check {
	return Check{Area: a, Name: name, Status: st, Reason: reason, Fix: fix, Details: details}
}

// errText renders an error for a reason. ldapx and jcapi errors never hold
// a password or key, and config errors name files, not contents.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// hint is an error's own fix, when ldapx gave one, else def.
func hint(err error, def string) string {
	if h := ldapx.Hint(err); h != "" {
		return h
	}
	return def
}

// ---------------------------------------------------------------- config

func configChecks(f Facts) []Check {
	reason := "loaded from " + f.ConfigFile
	if f.ConfigFile == "" {
		reason = "no config file: flags, environment and defaults only"
	}
	var details []string
	for _, s := range f.Settings {
		if !s.Secret {
			v := s.Value
			if v == "" {
				v = `""`
			}
			details = append(details, fmt.Sprintf("%s = %s (%s)", s.Key, v, s.Source))
		}
	}
	out := []Check{check(AreaConfig, "valid", Pass, reason, "", details...)}
	for _, s := range f.Secrets {
		name := secretCheckName(s.Field)
		switch {
		case s.File != "" && s.File != "-" && s.Mode != 0 && s.Mode.Perm()&0o077 != 0:
			out = append(out, check(AreaConfig, name, Fail,
				fmt.Sprintf("%s, but mode %04o lets others read it", s.Describe, s.Mode.Perm()),
				"chmod 600 "+s.File))
		case s.Err != nil:
			out = append(out, check(AreaConfig, name, Fail, s.Describe+": "+errText(s.Err),
				"set "+s.Field+" to a file readable only by you (mode 0600), or the environment variable"))
		case s.File != "" && s.File != "-":
			out = append(out, check(AreaConfig, name, Pass, fmt.Sprintf("%s, mode %04o", s.Describe, s.Mode.Perm()), ""))
		default:
			out = append(out, check(AreaConfig, name, Pass, s.Describe, ""))
		}
	}
	return out
}

// secretCheckName names a secret's check after its setting, so the name
// stays the same whatever the account: bind-password, api-key.
func secretCheckName(field string) string {
	field = field[strings.LastIndexByte(field, '.')+1:]
	return strings.ReplaceAll(strings.TrimSuffix(field, "_file"), "_", "-")
}

// ---------------------------------------------------------------- ldap

// plural is "1 group" or "2 groups".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func nonASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func conflictChecks(f Facts) []Check {
	const a, n = AreaConflicts, "entra-connect"
	switch {
	case f.SyncToolErr != nil:
		return []Check{check(a, n, Warn, "could not look for Entra Connect accounts: "+errText(f.SyncToolErr), "")}
	case !f.Bound:
		return []Check{check(a, n, Skip, "not bound to AD", "")}
	case len(f.SyncTools) > 0:
		return []Check{check(a, n, Warn,
			"Microsoft Entra Connect or Cloud Sync accounts exist: "+strings.Join(f.SyncTools, ", "),
			"do not bind JumpCloud to an Entra ID tenant that Entra Connect also syncs: passwords would have two authorities in conflict (seed 002)",
			f.SyncTools...)}
	}
	return []Check{check(a, n, Pass, "no Entra Connect or Cloud Sync accounts in the domain", "")}
}

func clockChecks(f Facts) []Check {
	const a, n = AreaClock, "skew"
	switch {
	case f.DCTimeErr != nil:
		return []Check{check(a, n, Warn, "could not read the DC's time: "+errText(f.DCTimeErr), "")}
	case f.DCTime.IsZero():
		return []Check{check(a, n, Skip, "not bound to AD", "")}
	}
	skew := f.Now.Sub(f.DCTime).Round(time.Second)
	abs := skew.Abs()
	side := "ahead of"
	if skew < 0 {
		side = "behind"
	}
	if abs > MaxSkew {
		return []Check{check(a, n, Warn, fmt.Sprintf("this host's clock is %s %s the DC's", abs, side),
			"synchronise both clocks with NTP (Kerberos and certificate checks tolerate 5 minutes)")}
	}
	if abs < 2*time.Second {
		return []Check{check(a, n, Pass, "this host's clock agrees with the DC's", "")}
	}
	return []Check{check(a, n, Pass, fmt.Sprintf("this host's clock is %s %s the DC's (tolerated: %s)", abs, side, MaxSkew), "")}
}
