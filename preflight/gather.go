package preflight

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/secret"
)

// Input is what [Gather] needs.
type Input struct {
	Config *config.Config
	Domain *config.Domain
	Now    func() time.Time
	// HTTPClient talks to JumpCloud; nil means jcapi's default.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// SyncToolBase is where Entra Connect accounts are looked for: the
	// whole domain when empty. Tests narrow it to their own OU.
	SyncToolBase string
	// SambaConf is the smb.conf the password-capture check reads;
	// DefaultSambaConf when empty.
	SambaConf string

	skipScope bool // tests that do not look at the scope save its second
}

// Gather reads every fact the checks need. It only reads: no LDAP write,
// no JumpCloud POST/PUT/DELETE. Failures become facts, not errors; only a
// cancelled context stops it early (the facts are then incomplete).
func Gather(ctx context.Context, in Input) Facts {
	log := in.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := in.Domain
	f := Facts{Now: in.Now(), ConfigFile: in.Config.File, Settings: domainSettings(in.Config, d), Domain: *d, Capture: gatherCapture(in.SambaConf)}

	accts := d.Accounts()
	pws := make([]secret.Secret, len(accts))
	pwErrs := make([]error, len(accts))
	for i, a := range accts {
		pws[i], pwErrs[i] = gatherSecret(&f, a.Password)
	}
	apiKey, keyErr := gatherSecret(&f, in.Config.JumpCloud.APIKey)

	gatherLDAP(ctx, in, &f, accts, pws, pwErrs, log)
	if keyErr == nil {
		gatherJumpCloud(ctx, in, &f, apiKey, log)
	}
	return f
}

// domainSettings are the settings that concern d (and the global ones).
func domainSettings(c *config.Config, d *config.Domain) []config.Setting {
	prefix := "domains["
	mine := fmt.Sprintf("domains[%d].", d.Index)
	var out []config.Setting
	for _, s := range c.Settings() {
		if !strings.HasPrefix(s.Key, prefix) || strings.HasPrefix(s.Key, mine) {
			out = append(out, s)
		}
	}
	return out
}

func gatherSecret(f *Facts, ref config.SecretRef) (secret.Secret, error) {
	sf := SecretFact{Field: ref.Field, What: ref.What, Describe: ref.Describe(), File: ref.File}
	if ref.File != "" && ref.File != "-" {
		if st, err := os.Stat(ref.File); err == nil {
			sf.Mode = st.Mode()
		}
	}
	s, err := ref.Resolve()
	sf.Err = err
	f.Secrets = append(f.Secrets, sf)
	return s, err
}

// LDAPOptions are the ldapx options for binding to domain d as account
// bind: the one place a configured domain becomes ldapx.Options. Preflight,
// the commands (commands.Factory.Directory) and schedule's watch all dial
// with them, so they share the URL, TLS settings (CA file, StartTLS,
// allow_plaintext) and every timeout.
func LDAPOptions(d *config.Domain, bind string, password secret.Secret, log *slog.Logger) ldapx.Options {
	return ldapx.Options{
		URL:              d.LDAPURL,
		BindDN:           bind,
		Password:         password,
		CAFile:           d.CAFile,
		StartTLS:         d.StartTLS,
		AllowPlaintext:   d.AllowPlaintext,
		DialTimeout:      ldapx.DefaultDialTimeout,
		HandshakeTimeout: ldapx.DefaultHandshakeTimeout,
		OpTimeout:        ldapx.DefaultOpTimeout,
		Logger:           log,
	}
}

// gatherLDAP probes the DC's TLS, then binds as each account the mode
// uses (one, or import_bind and sync_bind) and reads what it can see; the
// first account also reads the directory (groups, scope, other tools).
func gatherLDAP(ctx context.Context, in Input, f *Facts, accts []config.DirectionAccount, pws []secret.Secret, pwErrs []error, log *slog.Logger) {
	d := in.Domain
	probe, err := ldapx.ProbeTLS(ctx, LDAPOptions(d, "", secret.Secret{}, log))
	if err != nil {
		f.ProbeErr = err
		return
	}
	f.Probe = &probe
	switch {
	case !probe.Encrypted && !d.AllowPlaintext:
		return // never offer the password in clear
	case probe.Encrypted && probe.VerifyErr != nil:
		return // an untrusted peer gets no password either
	}
	for i, a := range accts {
		af := AccountFacts{Field: a.Field, Bind: a.Bind, PasswordField: a.Password.Field, Directions: a.Directions}
		if pwErrs[i] == nil && ctx.Err() == nil {
			gatherAccount(ctx, in, f, &af, i == 0, pws[i], log)
		}
		if i == 0 {
			f.Bound, f.BindErr, f.Transport = af.Bound, af.BindErr, af.Transport
			f.Account, f.AccountErr, f.Readable, f.ReadErr, f.Rights = af.Account, af.AccountErr, af.Readable, af.ReadErr, af.Rights
		}
		if len(accts) > 1 {
			f.Accounts = append(f.Accounts, af)
		}
	}
}

// gatherAccount binds as af's account and reads the account itself, a
// sample of users and, for an account sync writes with, its rights. The
// first account also reads the directory facts.
func gatherAccount(ctx context.Context, in Input, f *Facts, af *AccountFacts, first bool, pw secret.Secret, log *slog.Logger) {
	d := in.Domain
	conn, err := ldapx.Dial(ctx, LDAPOptions(d, af.Bind, pw, log))
	if err != nil {
		af.BindErr = err
		return
	}
	defer conn.Close()
	af.Bound, af.Transport = true, conn.Transport()
	if first {
		gatherDirectory(ctx, in, f, conn)
	}
	if acct, err := conn.ServiceAccount(ctx, af.Bind); err != nil {
		af.AccountErr = err
	} else {
		af.Account = &acct
	}
	af.Readable, af.ReadErr = conn.SampleUsers(ctx, d.RootContainer, 50)
	if slices.Contains(af.Directions, config.DirectionImport) && f.Deletions == nil {
		df := &DeletionFacts{Account: af.Bind}
		df.Container, df.Visible, df.Err = conn.DeletedObjectsVisible(ctx)
		f.Deletions = df
	}
	if slices.Contains(af.Directions, config.DirectionSync) && af.Account != nil {
		af.Rights = gatherRights(ctx, conn, d.RootContainer, f.Group, af)
	}
}

// gatherDirectory reads what the bound account can see.
func gatherDirectory(ctx context.Context, in Input, f *Facts, conn *ldapx.Conn) {
	d := in.Domain
	f.DCTime, f.DCTimeErr = conn.CurrentTime(ctx)
	if p, err := conn.PasswordPolicy(ctx); err != nil {
		f.ADPolicyErr = err
	} else {
		f.ADPolicy = &p
	}
	if g, err := conn.FindGroup(ctx, d.RootContainer, d.JumpCloudGroup); err != nil {
		f.GroupErr = err
	} else {
		f.Group = &g
	}
	if g, err := conn.FindGroup(ctx, d.RootContainer, d.AdminsGroup); err != nil {
		f.AdminsErr = err
	} else {
		f.Admins = &g
	}
	if f.Group != nil && !in.skipScope {
		s, err := conn.ReadScope(ctx, ldapx.ScopeOptions{
			RootContainer: d.RootContainer, JumpCloudGroup: d.JumpCloudGroup, AdminsGroup: "-",
			UsernameAttribute: d.UsernameAttribute,
		})
		if err != nil {
			f.ScopeErr = err
		} else {
			sum := Summarize(s, d.RootContainer, d.UsernameAttribute)
			f.Scope = &sum
		}
	}
	f.SyncTools, f.SyncToolErr = conn.SyncToolAccounts(ctx, in.SyncToolBase)
}

func gatherRights(ctx context.Context, conn *ldapx.Conn, container string, group *ldapx.Group, af *AccountFacts) *Rights {
	r := &Rights{}
	var err error
	if r.Container, err = conn.Effective(ctx, container); err != nil {
		return nil
	}
	for _, u := range af.Readable {
		// AdminSDHolder owns a protected user's ACL; the account itself has
		// "self" rights. Neither says what sync may do to ordinary users.
		if !u.Privileged() && !strings.EqualFold(u.DN, af.Account.DN) {
			r.SampleUser = u.DN
			break
		}
	}
	if r.SampleUser != "" {
		r.User, r.UserErr = conn.Effective(ctx, r.SampleUser)
		r.ResetPassword, r.ResetErr = conn.GrantsControlAccess(ctx, r.SampleUser, ldapx.RightResetPassword, af.Account.SIDs())
	}
	if group != nil {
		r.Group, r.GroupErr = conn.Effective(ctx, group.DN)
	}
	return r
}

// JumpCloudClient returns the read-only client preflight uses: one retry,
// short backoff, so an unreachable API is reported in seconds.
func JumpCloudClient(c *config.Config, key secret.Secret, hc *http.Client, log *slog.Logger) (*jcapi.Client, error) {
	opts := []jcapi.Option{jcapi.WithRetry(1, 50*time.Millisecond, 200*time.Millisecond), jcapi.WithLogger(log)}
	if c.JumpCloud.OrgID != "" {
		opts = append(opts, jcapi.WithOrgID(c.JumpCloud.OrgID))
	}
	if hc != nil {
		opts = append(opts, jcapi.WithHTTPClient(hc))
	}
	return jcapi.New(c.JumpCloud.APIURL, key, opts...)
}

func gatherJumpCloud(ctx context.Context, in Input, f *Facts, key secret.Secret, log *slog.Logger) {
	j := &f.JumpCloud
	client, err := JumpCloudClient(in.Config, key, in.HTTPClient, log)
	if err != nil {
		j.Err = err
		return
	}
	var apiErr *jcapi.APIError
	orgs, err := jcapi.Collect(client.Organizations(ctx))
	if err != nil && !errors.As(err, &apiErr) {
		j.Err = err
		return
	}
	j.Reached = true
	j.Orgs = orgs
	org, err := client.CurrentOrganization(ctx)
	if err != nil {
		j.Err = err
		return
	}
	j.Org = &org
	compliance, policy, err := client.PasswordPolicy(ctx)
	if err != nil {
		j.PolicyErr = err
	} else {
		j.Compliance, j.Policy = compliance, &policy
	}
	j.Domains, j.DomainsErr = jcapi.Collect(client.ActiveDirectories(ctx, jcapi.ListOptions{}))
	if _, rules := in.Domain.MappedFields(); rules && in.Domain.JumpCloudDomainID != "" {
		j.Rules, j.RulesErr = jcapi.Collect(client.TranslationRules(ctx, in.Domain.JumpCloudDomainID))
	}
}
