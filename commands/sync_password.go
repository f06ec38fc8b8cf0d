package commands

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/pipeline"
	"github.com/adjc/adjc/reconcile"
	"github.com/adjc/adjc/secret"
	"github.com/spf13/cobra"
)

// SyncPasswordOptions is what `adjc sync password` needs.
type SyncPasswordOptions struct {
	IO        *output.Streams
	Config    func() (*config.Config, error)
	Printer   func() *output.Printer
	JumpCloud func(*config.Config) (*jcapi.Client, error)
	Directory func(context.Context, *config.Domain) (*ldapx.Conn, error)
	Now       func() time.Time

	Username string
}

func newSyncPasswordCmd(f *Factory, runF func(context.Context, *SyncPasswordOptions) error) *cobra.Command {
	opts := &SyncPasswordOptions{IO: f.IO, Config: f.Config, Printer: f.Printer, JumpCloud: f.JumpCloud, Directory: func(ctx context.Context, d *config.Domain) (*ldapx.Conn, error) {
		return f.DirectoryFor(ctx, d, config.DirectionSync)
	}, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "password USER",
		Short: "Set a user's password in Active Directory and JumpCloud",
		Long: `Password sets a new password for USER (a JumpCloud username bound to the AD
domain) in both directories. The password is read from a no-echo prompt on a
terminal (asked twice), otherwise from the first line of stdin; never from
the command line, and it is never logged, printed or stored.

Before anything is written it is checked against both policies — AD's
minPwdLength and complexity (three character classes, no account name or
display-name part) and the JumpCloud organization's policy — and every rule
it breaks is named. Then AD is written first (unicodePwd, only over TLS),
then JumpCloud. If JumpCloud refuses after AD accepted, adjc says which side
holds which password and how to finish.

EXIT STATUS
  0 when both sides hold the new password, 1 when nothing was written
  (refused by a policy, or a failure), 2 for a usage error or a mode that
  forbids it, 3 when AD holds the new password but JumpCloud does not,
  4 when AD or JumpCloud rejects the credentials, 130 when interrupted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Username = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSyncPassword(cmd.Context(), opts)
		},
	}
	return cmd
}

// readNewPassword reads the password: twice at a no-echo prompt, or one line
// of stdin.
func readNewPassword(s *output.Streams, user string) (secret.Secret, error) {
	if s.CanPrompt() {
		a, err := s.ReadSecret(fmt.Sprintf("New password for %s: ", user))
		if err != nil {
			return secret.Secret{}, err
		}
		b, err := s.ReadSecret("Again: ")
		if err != nil {
			return secret.Secret{}, err
		}
		if a != b {
			return secret.Secret{}, Usagef("the two passwords differ; nothing was written")
		}
		if a == "" {
			return secret.Secret{}, Usagef("empty password; nothing was written")
		}
		return secret.New(a), nil
	}
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return secret.Secret{}, fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return secret.Secret{}, Usagef("no password on stdin: pipe it in (one line), or run on a terminal to be asked")
	}
	return secret.New(line), nil
}

// PolicyError is a password refused by the checks before any write.
type PolicyError struct {
	User  string
	Rules []reconcile.Rule
}

func (e *PolicyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the password for %s breaks %s; nothing was written:", e.User, output.Plural(len(e.Rules), "rule", "rules"))
	for _, r := range e.Rules {
		fmt.Fprintf(&b, "\n  %s", r)
	}
	return b.String()
}

// passwordResult is what the command prints on success.
type passwordResult struct {
	User      string `json:"user"`
	Domain    string `json:"domain"`
	AD        string `json:"ad"`
	JumpCloud string `json:"jumpcloud"`
}

func (r passwordResult) Table() output.Table {
	t := output.Table{}
	t.AddStrings(fmt.Sprintf("Password for %s set in AD (%s) and in JumpCloud.", r.User, r.Domain))
	return t
}

func runSyncPassword(ctx context.Context, opts *SyncPasswordOptions) error {
	cfg, d, err := configDomain(opts.Config)
	if err != nil {
		return err
	}
	if err := forbidWrite(d, "set passwords (AD is the password authority)"); err != nil {
		return err
	}
	if d.JumpCloudDomainID == "" {
		return WithHint(Usagef("domain %s has no jumpcloud_domain_id", d.Name), "run 'adjc connect' first")
	}
	// Read the password before any network call, so a refused or absent
	// password costs nothing and a prompt is not interleaved with errors.
	pw, err := readNewPassword(opts.IO, opts.Username)
	if err != nil {
		return err
	}
	w, err := lockDomain(ctx, opts.IO, cfg, d, lockWait)
	if err != nil {
		return err
	}
	defer w.release()
	jc, err := opts.JumpCloud(cfg)
	if err != nil {
		return err
	}
	ju, err := jc.SystemUserByUsername(ctx, opts.Username)
	if errors.Is(err, jcapi.ErrNotFound) {
		return fmt.Errorf("no JumpCloud user %q; nothing was written", opts.Username)
	}
	if err != nil {
		return authHint(err)
	}
	bound := false
	for o, err := range jc.ActiveDirectoryUsers(ctx, d.JumpCloudDomainID, jcapi.ADUsersOptions{}) {
		if err != nil {
			return authHint(err)
		}
		if o.ID == ju.ID {
			bound = true
			break
		}
	}
	if !bound {
		return WithHint(fmt.Errorf("JumpCloud user %s is not bound to AD domain %s; nothing was written", opts.Username, d.Name),
			fmt.Sprintf("bind it with 'adjc connect user %s', then run 'adjc sync'", opts.Username))
	}
	conn, err := opts.Directory(ctx, d)
	if err != nil {
		return authHint(fmt.Errorf("domain %s: %w", d.Name, err))
	}
	defer conn.Close()
	if !conn.Encrypted() {
		return fmt.Errorf("domain %s: %w; nothing was written", d.Name, ldapx.ErrPlaintext)
	}
	attr := d.UsernameAttribute
	if attr == "" {
		attr = "sAMAccountName"
	}
	au, err := conn.FindUser(ctx, attr, opts.Username)
	if errors.Is(err, ldapx.ErrNoSuchObject) {
		return WithHint(fmt.Errorf("%s is not in AD %s yet; nothing was written", opts.Username, d.Name), "run 'adjc sync' to create it first")
	}
	if err != nil {
		return fmt.Errorf("domain %s: %w", d.Name, err)
	}
	if au.Privileged() {
		return fmt.Errorf("%s is a privileged AD account (adminCount=1): adjc never manages it; nothing was written", au.SAMAccountName)
	}
	// The never-touch set (built-in accounts by RID, critical objects,
	// adjc's own bind accounts, the operator's never_touch list) holds for
	// one user as for a plan: sync password must not reset them either.
	nt, err := adapter.ReadNeverTouch(ctx, conn, adapter.NeverTouchOptions{Scope: d.BaseDN, RootContainer: d.RootContainer,
		Binds: d.Binds(), JumpCloudGroup: d.JumpCloudGroup, AdminsGroup: d.AdminsGroup, Entries: d.NeverTouch})
	if err != nil {
		return fmt.Errorf("domain %s: %w", d.Name, err)
	}
	if why := reconcile.NeverTouchReason(adapter.ADUser(au, attr), nt); why != "" {
		return fmt.Errorf("adjc never touches %s (%s); nothing was written", au.SAMAccountName, why)
	}
	audit := func(side string, err error) error {
		o := reconcile.Outcome{Status: reconcile.StatusApplied, Change: reconcile.Change{Action: reconcile.Update, Kind: reconcile.KindPassword,
			Key: opts.Username, Reason: "password set by 'adjc sync password' in " + side}}
		if err != nil {
			o.Status, o.Reason = reconcile.StatusFailed, err.Error()
		}
		return pipeline.Record(cfg.AuditLog, d.Name, opts.Now, o)
	}
	adPol, err := conn.PasswordPolicy(ctx)
	if err != nil {
		return fmt.Errorf("domain %s: %w", d.Name, err)
	}
	compliance, jcPol, err := jc.PasswordPolicy(ctx)
	if err != nil {
		return authHint(err)
	}
	acct := reconcile.PasswordAccount{SAMAccountName: au.SAMAccountName, DisplayName: au.DisplayName, Username: ju.Username}
	rules := append(reconcile.CheckADPassword(pw, adapter.ADPasswordPolicy(adPol), acct), reconcile.CheckJumpCloudPassword(pw, adapter.JCPasswordPolicy(compliance, jcPol), acct)...)
	if len(rules) > 0 {
		return &PolicyError{User: opts.Username, Rules: rules}
	}

	if err := conn.SetPassword(ctx, au.DN, pw); err != nil {
		_ = audit("AD", err) // the refusal below is what the operator needs
		msg := err.Error()
		if errors.Is(err, ldapx.ErrPasswordInHistory) {
			msg = "it is one of the last passwords of this account (AD password history)"
		}
		return authHint(&refusedError{msg: fmt.Sprintf("AD refused the password for %s: %s; nothing was written, both sides keep the old password",
			opts.Username, msg), err: err})
	}
	if err := audit("AD", nil); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "adjc: warning: %v\n", err)
	}
	if err := jc.SetPassword(ctx, ju.ID, pw); err != nil {
		_ = audit("JumpCloud", err)
		why := err.Error()
		var api *jcapi.APIError
		if errors.As(err, &api) {
			var names []string
			for _, v := range api.FieldViolations() {
				names = append(names, v.Description)
			}
			if len(names) > 0 {
				why = "it breaks the JumpCloud rule(s) " + strings.Join(names, ", ")
			}
		}
		fmt.Fprintf(opts.IO.ErrOut, `adjc: error: JumpCloud refused the password for %[1]s after AD accepted it: %[2]s
  AD (%[3]s) now holds the NEW password for %[1]s.
  JumpCloud still holds the OLD password for %[1]s.
  To finish: run 'adjc sync password %[1]s' again, with the same password if the
  failure was temporary, or with one both policies accept (that also replaces
  the new AD password); or set the new password in JumpCloud yourself.
`, opts.Username, why, d.Name)
		return &SilentError{Err: &reconcile.PartialError{Failed: 1, Total: 2, Err: err}}
	}
	if err := audit("JumpCloud", nil); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "adjc: warning: %v\n", err)
	}
	return opts.Printer().Print(passwordResult{User: opts.Username, Domain: d.Name, AD: "set", JumpCloud: "set"})
}

// refusedError says in words what failed; errors.Is still sees the cause
// (an authentication failure exits 4).
type refusedError struct {
	msg string
	err error
}

func (e *refusedError) Error() string { return e.msg }
func (e *refusedError) Unwrap() error { return e.err }
