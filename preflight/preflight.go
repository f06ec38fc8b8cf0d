// Package preflight turns every prerequisite and consideration of
// JumpCloud's AD Integration (seeds 003 and 004: LDAPS, a dedicated service
// account that is neither privileged nor named JumpCloud, delegated rights,
// aligned password policies, no Entra Connect beside it…) into a [Check]
// with a status, a one-line reason and a fix.
//
// It works in two steps. [Gather] reads facts — through ldapx and jcapi,
// read-only: it never writes to AD or JumpCloud — into a [Facts] value;
// [Evaluate] is a pure function from Facts to checks, tested case by case
// without a network. A fact that could not be learned carries its error, and
// the checks that needed it are SKIPped, saying why.
package preflight

import (
	"io/fs"
	"time"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
)

// Status is a check's outcome.
type Status string

// The outcomes, from best to worst; SKIP means a check could not run
// because something it needs failed first.
const (
	Pass Status = "PASS"
	Skip Status = "SKIP"
	Warn Status = "WARN"
	Fail Status = "FAIL"
)

// Area groups checks in the report.
type Area string

// The areas, in report order.
const (
	AreaConfig    Area = "config"
	AreaLDAP      Area = "ldap"
	AreaAccount   Area = "account"
	AreaDirectory Area = "directory"
	AreaJumpCloud Area = "jumpcloud"
	AreaPasswords Area = "passwords"
	AreaConflicts Area = "conflicts"
	AreaClock     Area = "clock"
)

// Check is one verdict. Its JSON shape is part of `adjc preflight -o json`.
type Check struct {
	Area   Area   `json:"area"`
	Name   string `json:"name"`
	Status Status `json:"status"`
	Reason string `json:"reason"`
	Fix    string `json:"fix,omitempty"`
	// Details are supporting lines: the users counted, the groups found,
	// every setting and its source. The table shows them with -v.
	Details []string `json:"details,omitempty"`
}

// Report is every check for one domain, in a fixed order.
type Report struct {
	Domain string  `json:"domain"`
	Mode   string  `json:"mode"`
	Checks []Check `json:"checks"`
}

// Count returns how many checks have status s.
func (r Report) Count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// OK reports whether installation may proceed: nothing FAILed, and with
// strict nothing WARNed either.
func (r Report) OK(strict bool) bool {
	return r.Count(Fail) == 0 && (!strict || r.Count(Warn) == 0)
}

// Facts are what [Gather] learned. An error field set means the fact is
// unknown; a nil pointer beside a nil error means it was not looked for
// (because something earlier failed).
type Facts struct {
	Now time.Time

	// Configuration.
	ConfigFile string
	Settings   []config.Setting
	Domain     config.Domain
	Secrets    []SecretFact

	// LDAP connection.
	Probe    *ldapx.TLSInfo
	ProbeErr error
	// Bound is true once the service account bound; BindErr says why not.
	Bound   bool
	BindErr error
	// Transport is how the bind crossed the network: LDAPS, StartTLS or
	// plaintext (allow_plaintext).
	Transport ldapx.Transport

	// What the bound account read.
	DCTime      time.Time
	DCTimeErr   error
	Account     *ldapx.ServiceAccount
	AccountErr  error
	ADPolicy    *ldapx.PasswordPolicy
	ADPolicyErr error
	Group       *ldapx.Group // the JumpCloud group in the Root User container
	GroupErr    error
	Admins      *ldapx.Group
	AdminsErr   error
	Readable    []ldapx.User // a sample of users in the Root User container
	ReadErr     error
	Rights      *Rights
	Scope       *ScopeFacts
	ScopeErr    error
	SyncTools   []string // sAMAccountNames of Entra Connect / Cloud Sync accounts
	SyncToolErr error
	// Deletions is whether the import account is shown deletions; nil
	// when it was not asked (no import, or not bound).
	Deletions *DeletionFacts

	JumpCloud JumpCloudFacts

	// Capture is what this host shows about password capture.
	Capture CaptureFacts

	// Accounts are the facts learned as each account when the domain binds
	// as one per direction (import_bind, sync_bind); nil when one account
	// serves every direction, whose facts are then the fields above (which
	// also hold the first account's in the per-direction case).
	Accounts []AccountFacts
}

// DeletionFacts say whether DirSync shows the import account deletions:
// whether it may list the Deleted Objects container.
type DeletionFacts struct {
	Account   string // the import account
	Container string // CN=Deleted Objects,<domain>
	Visible   bool
	Err       error
}

// AccountFacts are what one bind account showed: whether it bound, who it
// is, what it reads and, for the account sync writes with, its rights.
type AccountFacts struct {
	Field string // domains[0].import_bind, domains[0].sync_bind or domains[0].bind
	Bind  string
	// PasswordField is the setting of its password, as in [SecretFact].
	PasswordField string
	Directions    []config.Direction

	Bound      bool
	BindErr    error
	Transport  ldapx.Transport
	Account    *ldapx.ServiceAccount
	AccountErr error
	Readable   []ldapx.User
	ReadErr    error
	Rights     *Rights
}

// SecretFact is how one secret is configured; never its value.
type SecretFact struct {
	Field    string // jumpcloud.api_key_file
	What     string // JumpCloud API key
	Describe string // set (file /etc/adjc/key), set (env …), not set
	File     string
	// Mode is the file's permission bits, when File is a readable path.
	Mode fs.FileMode
	// Err is why the secret could not be read (missing file, others can
	// read it, empty, not set).
	Err error
}

// Rights are the service account's rights in the Root User container,
// as AD computes them for it.
type Rights struct {
	Container ldapx.Effective // on the Root User container
	// SampleUser is a non-privileged user in the container the user rights
	// were read on ("" when there is none).
	SampleUser    string
	User          ldapx.Effective
	UserErr       error
	ResetPassword bool
	ResetErr      error
	// Group is the effective rights on the JumpCloud group: sync writes
	// member on groups in the container.
	Group    ldapx.Effective
	GroupErr error
}

// ScopeFacts summarise the import scope (see [Summarize]).
type ScopeFacts struct {
	Users      int
	Groups     int
	Privileged []string // adminCount=1: never imported
	NoUsername []string
	NoEmail    []string // neither mail nor userPrincipalName
	Outside    []string // DNs not under the Root User container
	// LargeGroups are groups (the JumpCloud group included) with more than
	// 1000 direct members: "name (n members)".
	LargeGroups []string
	Cycles      [][]string
}

// JumpCloudFacts are what the API said.
type JumpCloudFacts struct {
	// Reached is false when no HTTP answer came back at all.
	Reached bool
	// Err is the first failure talking to the API, if any.
	Err error
	// Orgs are the organizations the key sees (nil when unknown).
	Orgs []jcapi.Organization
	// Org is the organization the client works in.
	Org        *jcapi.Organization
	Compliance string
	Policy     *jcapi.PasswordPolicy
	PolicyErr  error
	// Domains are the org's AD domain objects.
	Domains    []jcapi.ActiveDirectory
	DomainsErr error
	// Rules are the translation rules of the domain object, read only
	// when field_mapping names translation-rules.
	Rules    []jcapi.TranslationRule
	RulesErr error
}
