// This file holds the JumpCloud checks: API, organization, domain object, password policies.

package preflight

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/pipeline"
)

func jumpCloudChecks(f Facts) []Check {
	const a = AreaJumpCloud
	j := f.JumpCloud
	var out []Check
	u, _ := url.Parse(apiURL(f))
	switch {
	case u == nil:
		out = append(out, check(a, "https", Fail, "the API URL is not a URL", "set jumpcloud.api_url or region"))
	case u.Scheme == "https":
		out = append(out, check(a, "https", Pass, "the API is reached over HTTPS ("+u.Host+")", ""))
	case loopback(u.Hostname()):
		out = append(out, check(a, "https", Warn, "plain HTTP to "+u.Host+" (loopback: an emulator or a local proxy)", "use https:// against JumpCloud itself"))
	default:
		out = append(out, check(a, "https", Fail, "plain HTTP to "+u.Host+": the API key would cross the network unencrypted", "use https://console.jumpcloud.com/api or set region"))
	}

	keyMissing := secretErr(f, "jumpcloud.")
	rest := []string{"api-key", "organization", "domain", "domain-active", "domain-use-case"}
	skipRest := func(reason string) []Check {
		var c []Check
		for _, n := range rest {
			c = append(c, check(a, n, Skip, reason, ""))
		}
		return c
	}
	switch {
	case keyMissing:
		out = append(out, check(a, "reachable", Skip, "no API key", ""))
		return append(out, skipRest("no API key")...)
	case !j.Reached:
		out = append(out, check(a, "reachable", Fail, "no answer from "+apiURL(f)+": "+errText(j.Err),
			"check the network path to the API (outbound HTTPS, port 443, seed 003) and any proxy"))
		return append(out, skipRest("the API did not answer")...)
	}
	out = append(out, check(a, "reachable", Pass, "the API answers", ""))

	if j.Org == nil {
		c := check(a, "api-key", Fail, "the API rejected the request: "+errText(j.Err), "")
		switch {
		case errors.Is(j.Err, jcapi.ErrUnauthorized) && f.Domain.Name != "" && len(j.Orgs) > 1:
			c.Reason = fmt.Sprintf("the key is a multi-tenant key (%d organizations) and no org_id was sent", len(j.Orgs))
			c.Fix = "set jumpcloud.org_id (ADJC_JC_ORG_ID) to the organization to sync"
		case errors.Is(j.Err, jcapi.ErrUnauthorized):
			c.Reason = "the API key was refused (401)"
			c.Fix = "create an API key for a dedicated JumpCloud administrator used only by this integration (seed 003), and set it"
		case errors.Is(j.Err, jcapi.ErrForbidden):
			c.Reason = "the API key may not read the organization (403)"
			c.Fix = "use the key of an administrator with access to the organization"
		}
		out = append(out, c)
		return append(out, skipRest("the API key did not work")[1:]...)
	}
	out = append(out, check(a, "api-key", Pass, "valid for "+orgName(*j.Org), ""))
	out = append(out, orgCheck(f))
	return append(out, domainChecks(f)...)
}

func apiURL(f Facts) string {
	for _, s := range f.Settings {
		if s.Key == "jumpcloud.api_url" {
			return s.Value
		}
	}
	return config.DefaultAPIURL
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func orgName(o jcapi.Organization) string {
	if o.DisplayName == "" {
		return "organization " + o.ID
	}
	return fmt.Sprintf("organization %q (%s)", o.DisplayName, o.ID)
}

func orgCheck(f Facts) Check {
	const a, n = AreaJumpCloud, "organization"
	j := f.JumpCloud
	configured := ""
	for _, s := range f.Settings {
		if s.Key == "jumpcloud.org_id" {
			configured = s.Value
		}
	}
	switch {
	case len(j.Orgs) > 1 && configured == "":
		return check(a, n, Warn, fmt.Sprintf("the key sees %d organizations and org_id is not set", len(j.Orgs)), "set jumpcloud.org_id so the right one is always used")
	case configured != "" && j.Org.ID != configured:
		return check(a, n, Fail, fmt.Sprintf("org_id %s is not the organization the key works in (%s)", configured, j.Org.ID), "correct jumpcloud.org_id")
	case len(j.Orgs) > 1:
		return check(a, n, Pass, fmt.Sprintf("org_id selects %s among %d", orgName(*j.Org), len(j.Orgs)), "")
	}
	return check(a, n, Pass, "single-organization key", "")
}

// SameDomain reports whether a JumpCloud AD domain name (written
// DC=example;DC=com in the spec's samples, or with commas) names dn.
func SameDomain(jc, dn string) bool {
	norm := func(s string) string {
		s = strings.ReplaceAll(strings.ToLower(s), ";", ",")
		var parts []string
		for _, p := range strings.Split(s, ",") {
			parts = append(parts, strings.TrimSpace(p))
		}
		return strings.Join(parts, ",")
	}
	return norm(jc) == norm(dn)
}

var useCases = map[config.Mode]string{
	config.ModeTwoWay:      "TWOWAYSYNC",
	config.ModeJCAuthority: "JCASAUTHORITY",
	config.ModeADAuthority: "ADASAUTHORITY",
}

func domainChecks(f Facts) []Check {
	const a = AreaJumpCloud
	j, d := f.JumpCloud, f.Domain
	if j.DomainsErr != nil {
		return []Check{
			check(a, "domain", Fail, "could not list AD domains: "+errText(j.DomainsErr), "give the API key's administrator access to Directories"),
			check(a, "domain-active", Skip, "the domain objects were not read", ""),
			check(a, "domain-use-case", Skip, "the domain objects were not read", ""),
		}
	}
	var found *jcapi.ActiveDirectory
	for i, ad := range j.Domains {
		if (d.JumpCloudDomainID != "" && ad.ID == d.JumpCloudDomainID) || (d.JumpCloudDomainID == "" && SameDomain(ad.Domain, d.BaseDN)) {
			found = &j.Domains[i]
			break
		}
	}
	var out []Check
	switch {
	case found == nil && d.JumpCloudDomainID != "":
		return []Check{
			check(a, "domain", Fail, "no AD domain object with id "+d.JumpCloudDomainID, "correct jumpcloud_domain_id, or run 'adjc connect'"),
			check(a, "domain-active", Skip, "no domain object", ""),
			check(a, "domain-use-case", Skip, "no domain object", ""),
		}
	case found == nil:
		return []Check{
			check(a, "domain", Warn, "no AD domain object for "+d.BaseDN+" in JumpCloud", "add the domain in JumpCloud (Directories → Active Directory) or run 'adjc connect'"),
			check(a, "domain-active", Skip, "no domain object", ""),
			check(a, "domain-use-case", Skip, "no domain object", ""),
		}
	case !SameDomain(found.Domain, d.BaseDN):
		out = append(out, check(a, "domain", Fail, fmt.Sprintf("domain object %s is for %s, not %s", found.ID, found.Domain, d.BaseDN),
			"the Root DN must match the domain in JumpCloud (seed 004): fix base_dn or jumpcloud_domain_id"))
	default:
		out = append(out, check(a, "domain", Pass, fmt.Sprintf("domain object %s matches %s", found.ID, d.BaseDN), ""))
	}
	// delegationState is the password delegation of the instance; no
	// document makes it the console's "Deactivate", so it is shown for
	// information and never obeyed: adjc pauses only on 'adjc schedule pause'.
	state := found.DelegationState
	if state == "" {
		state = "not reported"
	}
	// It does decide, under delegated_authority: follow, what import
	// does with managed users' delegatedAuthority.
	_, note := pipeline.Delegation(string(d.DelegatedAuthority), found.DelegationState, found.ID)
	out = append(out, check(a, "domain-delegation", Pass, "delegationState "+state+" (delegated_authority "+note.Setting+": import keeps delegatedAuthority "+note.EffectText()+"); adjc pauses only on 'adjc schedule pause'", ""))
	want := useCases[d.Mode]
	switch found.UseCase {
	case "", "UNSET":
		out = append(out, check(a, "domain-use-case", Warn, "the domain object has no use case set",
			"choose "+want+" for the domain in JumpCloud, to match mode "+string(d.Mode)))
	case want:
		out = append(out, check(a, "domain-use-case", Pass, "use case "+found.UseCase+" matches mode "+string(d.Mode), ""))
	default:
		out = append(out, check(a, "domain-use-case", Warn, fmt.Sprintf("use case %s does not match mode %s (%s)", found.UseCase, d.Mode, want),
			"make the mode and the JumpCloud use case agree"))
	}
	return out
}

// ---------------------------------------------------------------- passwords

// jcRules is the JumpCloud policy reduced to what AD can be compared with.
type jcRules struct {
	minLength int
	classes   []string // character classes each password needs
	windows   bool     // "windows" compliance: AD's own complexity rule
}

func jumpCloudRules(compliance string, p *jcapi.PasswordPolicy) jcRules {
	switch compliance {
	case "windows":
		// Windows complexity: at least 8 characters, three of four classes.
		return jcRules{minLength: 8, windows: true}
	case "pci3":
		return jcRules{minLength: 7, classes: []string{"letter", "digit"}}
	}
	r := jcRules{}
	if p == nil {
		return r
	}
	if p.EnableMinLength {
		r.minLength = p.MinLength
	}
	for _, c := range []struct {
		on   bool
		name string
	}{{p.NeedsLowercase, "lowercase"}, {p.NeedsUppercase, "uppercase"}, {p.NeedsNumeric, "digit"}, {p.NeedsSymbolic, "symbol"}} {
		if c.on {
			r.classes = append(r.classes, c.name)
		}
	}
	return r
}

func passwordChecks(f Facts) []Check {
	const a = AreaPasswords
	j := f.JumpCloud
	switch {
	case f.ADPolicy == nil:
		return []Check{check(a, "min-length", Skip, "the AD policy was not read", ""), check(a, "complexity", Skip, "the AD policy was not read", "")}
	case j.Org == nil || j.PolicyErr != nil:
		reason := "the JumpCloud policy was not read"
		if j.PolicyErr != nil {
			reason += ": " + errText(j.PolicyErr)
		}
		return []Check{check(a, "min-length", Skip, reason, ""), check(a, "complexity", Skip, reason, "")}
	}
	ad := f.ADPolicy
	jc := jumpCloudRules(j.Compliance, j.Policy)
	fix := "align the two policies (seed 003: \"as closely aligned as possible to avoid passwords being rejected\")"
	var out []Check
	switch {
	case ad.MinLength > jc.minLength:
		out = append(out, check(a, "min-length", Warn,
			fmt.Sprintf("JumpCloud accepts passwords of %d characters that AD rejects (AD minimum %d)", jc.minLength, ad.MinLength),
			fmt.Sprintf("set JumpCloud's minimum length to %d, or %s", ad.MinLength, fix)))
	case ad.MinLength < jc.minLength:
		out = append(out, check(a, "min-length", Warn,
			fmt.Sprintf("AD accepts passwords of %d characters that JumpCloud rejects (JumpCloud minimum %d)", ad.MinLength, jc.minLength),
			fmt.Sprintf("set AD's minPwdLength to %d, or %s", jc.minLength, fix)))
	default:
		out = append(out, check(a, "min-length", Pass, fmt.Sprintf("both require %d characters", ad.MinLength), ""))
	}

	classes := strings.Join(jc.classes, ", ")
	switch {
	case ad.Complex && jc.windows, !ad.Complex && !jc.windows && len(jc.classes) == 0:
		out = append(out, check(a, "complexity", Pass, "both sides apply the same complexity rule", ""))
	case ad.Complex && len(jc.classes) < 3:
		what := "no character classes"
		if classes != "" {
			what = "only " + classes
		}
		out = append(out, check(a, "complexity", Warn,
			"JumpCloud accepts passwords with "+what+" that AD rejects (AD wants 3 of 4 classes)",
			"require at least three character classes in JumpCloud, or use its Windows compliance; "+fix))
	case ad.Complex:
		out = append(out, check(a, "complexity", Warn,
			"AD accepts passwords with any 3 of 4 classes that JumpCloud rejects (it wants "+classes+")",
			fix))
	default:
		if jc.windows {
			classes = "3 of 4 classes"
		}
		out = append(out, check(a, "complexity", Warn,
			"AD has no complexity rule and accepts passwords that JumpCloud rejects (it wants "+classes+")",
			"enable \"Password must meet complexity requirements\" in AD, or "+fix))
	}
	return out
}

// ---------------------------------------------------------------- conflicts, clock
