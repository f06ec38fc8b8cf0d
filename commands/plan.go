package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/adjc/adjc/adapter"
	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
	"github.com/adjc/adjc/output"
	"github.com/adjc/adjc/reconcile"
	"github.com/spf13/cobra"
)

// policyFlags are the flags diff and import share: the plan depends on them.
type policyFlags struct {
	onDisabled       string
	onRemoved        string
	maxDeletes       int
	maxDeletePercent int
	nestedAdmins     bool
}

func (p *policyFlags) add(cmd *cobra.Command) {
	def := reconcile.DefaultPolicy()
	fs := cmd.Flags()
	fs.StringVar(&p.onDisabled, "on-disabled", string(def.OnDisabled), "what a user disabled in AD becomes in JumpCloud: suspend or delete")
	fs.StringVar(&p.onRemoved, "on-removed", string(def.OnRemoved), "what a user removed from scope becomes in JumpCloud: delete or suspend")
	fs.IntVar(&p.maxDeletes, "max-deletes", def.MaxDeletes, "most users one run may delete or suspend (-1: no limit)")
	fs.IntVar(&p.maxDeletePercent, "max-delete-percent", def.MaxDeletePercent, "most users one run may delete or suspend, as a percentage of managed users (-1: no limit)")
	fs.BoolVar(&p.nestedAdmins, "nested-admins", false, "also make administrators of users in groups nested in JumpCloud Admins")
	mustComplete(cmd, "on-disabled", "suspend", "delete")
	mustComplete(cmd, "on-removed", "delete", "suspend")
}

// policy checks the flags (a bad value is a usage error, before any network
// call) and returns the policy.
func (p *policyFlags) policy() (reconcile.Policy, error) {
	pol := reconcile.Policy{
		OnDisabled:       reconcile.Disposition(p.onDisabled),
		OnRemoved:        reconcile.Disposition(p.onRemoved),
		MaxDeletes:       p.maxDeletes,
		MaxDeletePercent: p.maxDeletePercent,
		NestedAdmins:     p.nestedAdmins,
	}
	for flag, d := range map[string]reconcile.Disposition{"--on-disabled": pol.OnDisabled, "--on-removed": pol.OnRemoved} {
		if d != reconcile.DispositionSuspend && d != reconcile.DispositionDelete {
			return pol, Usagef("invalid %s %q: want suspend or delete", flag, d)
		}
	}
	if pol.MaxDeletes < reconcile.NoLimit || pol.MaxDeletePercent < reconcile.NoLimit || pol.MaxDeletePercent > 100 {
		return pol, Usagef("invalid deletion limit: --max-deletes must be -1 or more, --max-delete-percent -1 to 100")
	}
	if err := pol.Validate(); err != nil {
		return pol, &UsageError{Err: err}
	}
	return pol, nil
}

// State is both sides of an import, read at one moment, and the target that
// writes to JumpCloud.
type State struct {
	Domain    *config.Domain
	Directory reconcile.Directory
	Cloud     reconcile.Cloud
	// Target applies a plan; nil for diff.
	Target reconcile.Target
	// Close releases the connections.
	Close func()
	// Index, when set, lets `schedule` re-read only the users a watch
	// event names (adapter.ReadFresh) against this state.
	Index *adapter.Index
}

// ReadStateFunc reads [State] for a command. Commands get [readState];
// tests substitute fixed states to check rendering without a network.
type ReadStateFunc func(ctx context.Context, cfg *config.Config, d *config.Domain) (*State, error)

// readState reads AD through f.Directory and JumpCloud through f.JumpCloud.
func readState(f *Factory) ReadStateFunc {
	if f.state != nil {
		return f.state
	}
	return func(ctx context.Context, cfg *config.Config, d *config.Domain) (*State, error) {
		jc, err := f.JumpCloud(cfg)
		if err != nil {
			return nil, err
		}
		// JumpCloud is read while AD is: neither read needs the other, and
		// one after the other they were most of a no-op import (scripts/bench:
		// 4.3 s over 10,000 users, against issue 9's 2 s). A failure on
		// either side stops the other; AD's error wins unless it is only
		// that stop.
		readCtx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		var cloud reconcile.Cloud
		var cloudErr error
		cloudDone := make(chan struct{})
		go func() {
			defer close(cloudDone)
			if cloud, cloudErr = adapter.ReadCloud(readCtx, jc); cloudErr != nil {
				cancel(cloudErr)
			}
		}()
		conn, dir, idx, err := readDirectory(readCtx, f, d)
		if err != nil {
			cancel(err)
		}
		<-cloudDone
		if err != nil && (cloudErr == nil || !errors.Is(err, context.Canceled) || ctx.Err() != nil) {
			return nil, err
		}
		if cloudErr != nil {
			if conn != nil {
				conn.Close()
			}
			return nil, cloudErr
		}
		return &State{
			Domain: d, Directory: dir, Cloud: cloud,
			Target: adapter.NewJumpCloudTarget(jc, dir),
			Close:  func() { conn.Close() },
			Index:  idx,
		}, nil
	}
}

// readDirectory dials d and reads its import scope; on error the
// connection is closed (and nil).
func readDirectory(ctx context.Context, f *Factory, d *config.Domain) (*ldapx.Conn, reconcile.Directory, *adapter.Index, error) {
	conn, err := f.Directory(ctx, d)
	if err != nil {
		return nil, reconcile.Directory{}, nil, fmt.Errorf("domain %s: %w", d.Name, err)
	}
	dir, idx, err := adapter.ReadDirectoryIndex(ctx, conn, adapter.ReadOptions{
		RootContainer:     d.RootContainer,
		JumpCloudGroup:    d.JumpCloudGroup,
		AdminsGroup:       d.AdminsGroup,
		UsernameAttribute: d.UsernameAttribute,
	})
	if err != nil {
		conn.Close()
		err = fmt.Errorf("domain %s: %w", d.Name, err)
		if errors.Is(err, ldapx.ErrNoSuchObject) {
			// The DNs searched come from root_container and
			// jumpcloud_group, so one of them is wrong.
			err = WithHint(err, fmt.Sprintf("check root_container (%s) and jumpcloud_group (%q): the container and the group in it must exist; 'adjc preflight' checks both", d.RootContainer, d.JumpCloudGroup))
		}
		return nil, reconcile.Directory{}, nil, err
	}
	return conn, dir, idx, nil
}

// oneDomain returns the domain a command works on: the only one, or the one
// chosen with --domain.
func oneDomain(cfg *config.Config) (*config.Domain, error) {
	switch len(cfg.Domains) {
	case 0:
		return nil, cfg.NoDomainError()
	case 1:
		return &cfg.Domains[0], nil
	}
	names := make([]string, len(cfg.Domains))
	for i, d := range cfg.Domains {
		names[i] = d.Name
	}
	return nil, Usagef("%d domains are configured (%s): choose one with --domain", len(cfg.Domains), strings.Join(names, ", "))
}

// authHint adds what to do to an authentication failure.
func authHint(err error) error {
	switch {
	case errors.Is(err, jcapi.ErrUnauthorized):
		return WithHint(err, "check the JumpCloud API key (and org id for a multi-tenant key); run 'adjc config show'")
	case errors.Is(err, ldapx.ErrInvalidCredentials):
		return WithHint(err, "check the bind account and its password; run 'adjc config show'")
	}
	// ldapx knows what to do about the AD errors it names (an unreachable
	// DC, missing rights): say it rather than drop it, unless the command
	// already gave a hint that knows more (which settings to check).
	var given *hintError
	if h := ldapx.Hint(err); h != "" && !errors.As(err, &given) {
		return WithHint(err, h)
	}
	return err
}

// planView is a plan as diff and import print it.
type planView struct {
	Domain      string              `json:"domain"`
	Direction   reconcile.Direction `json:"direction"`
	Fingerprint string              `json:"fingerprint"`
	Managed     int                 `json:"managed_users"`
	Summary     planSummary         `json:"summary"`
	Changes     []reconcile.Change  `json:"changes"`
	Skipped     []reconcile.Skip    `json:"skipped"`
}

type planSummary struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Delete  int `json:"delete"`
	Adopt   int `json:"adopt"`
	Skipped int `json:"skipped"`
}

func newPlanView(domain string, p reconcile.Plan) planView {
	v := planView{
		Domain: domain, Direction: p.Direction, Fingerprint: p.Fingerprint, Managed: p.Managed,
		Changes: p.Changes, Skipped: p.Skipped,
	}
	if v.Changes == nil {
		v.Changes = []reconcile.Change{}
	}
	if v.Skipped == nil {
		v.Skipped = []reconcile.Skip{}
	}
	for _, c := range p.Changes {
		switch c.Action {
		case reconcile.Create:
			v.Summary.Create++
		case reconcile.Update:
			v.Summary.Update++
		case reconcile.Delete:
			v.Summary.Delete++
		case reconcile.Adopt:
			v.Summary.Adopt++
		}
	}
	v.Summary.Skipped = len(p.Skipped)
	return v
}

// Line is the one-line summary, printed by -o plain and under the table.
func (v planView) Line() string {
	if len(v.Changes) == 0 {
		return fmt.Sprintf("No changes: JumpCloud matches %s. %d skipped.", v.Domain, v.Summary.Skipped)
	}
	return fmt.Sprintf("Plan: %d to create, %d to update, %d to delete, %d to adopt. %d skipped.",
		v.Summary.Create, v.Summary.Update, v.Summary.Delete, v.Summary.Adopt, v.Summary.Skipped)
}

// Table is -o plain: the summary line alone, for scripts that only want to
// know whether and how much would change.
func (v planView) Table() output.Table {
	t := output.Table{}
	t.AddStrings(v.Line())
	return t
}

var actionStyle = map[reconcile.Action]output.Style{
	reconcile.Create: output.Added,
	reconcile.Update: output.Changed,
	reconcile.Delete: output.Removed,
	reconcile.Adopt:  output.Changed,
}

// Report is the table format: the changes, what cannot be synced and why,
// and the summary line.
func (v planView) Report(s *output.Streams) error {
	return writePlanReport(s, planReport{
		title:        fmt.Sprintf("Plan for %s (Active Directory → JumpCloud), %d managed users", v.Domain, v.Managed),
		changes:      v.Changes,
		fields:       fieldsText,
		skippedTitle: "Not synced (skipped users, privileged accounts, cycles, password drift):",
		skipped:      v.Skipped,
		line:         v.Line(),
	})
}

// planReport is what the table format shows of a plan in either direction.
type planReport struct {
	title, skippedTitle, line string
	changes                   []reconcile.Change
	skipped                   []reconcile.Skip
	fields                    func(reconcile.Change) string // how this direction names fields
}

// writePlanReport writes the title, the changes, what cannot be synced and
// why, and the summary line.
func writePlanReport(s *output.Streams, r planReport) error {
	fmt.Fprintf(s.Out, "%s\n", s.Style(output.Header, r.title))
	if len(r.changes) > 0 {
		t := output.Table{Headers: []string{"", "KIND", "OBJECT", "REASON", "FIELDS"}}
		for _, c := range r.changes {
			t.AddRow(output.S(actionStyle[c.Action], c.Action.String()), output.C(string(c.Kind)),
				output.C(c.Key), output.C(c.Reason), output.C(r.fields(c)))
		}
		if err := s.WriteTable(t); err != nil {
			return err
		}
	}
	if len(r.skipped) > 0 {
		fmt.Fprintf(s.Out, "\n%s\n", s.Style(output.Header, r.skippedTitle))
		t := output.Table{Headers: []string{"KIND", "OBJECT", "REASON"}}
		for _, k := range r.skipped {
			t.AddRow(output.S(output.Warn, string(k.Kind)), output.C(k.Key), output.C(k.Reason))
		}
		if err := s.WriteTable(t); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(s.Out, "\n%s\n", r.line)
	return err
}

// fieldsText renders a change's fields: "email=a@x" for a create,
// "suspended: false → true" for an update.
func fieldsText(c reconcile.Change) string {
	parts := make([]string, 0, len(c.Fields))
	for _, f := range c.Fields {
		if c.Action == reconcile.Create || f.Old == "" {
			parts = append(parts, f.Name+"="+quoteIfNeeded(f.New))
		} else {
			parts = append(parts, f.Name+": "+quoteIfNeeded(f.Old)+" → "+quoteIfNeeded(f.New))
		}
	}
	return strings.Join(parts, ", ")
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " ,\t\"") {
		return strconv.Quote(s)
	}
	return s
}

// savedPlan is the file `diff --out` writes and `import --plan` reads.
// It holds names, emails and ids, never a secret.
type savedPlan struct {
	// Kind marks the file, so a stray JSON file is not taken for a plan.
	Kind   string           `json:"kind"`
	Domain string           `json:"domain"`
	BaseDN string           `json:"base_dn"`
	Policy reconcile.Policy `json:"policy"`
	Plan   reconcile.Plan   `json:"plan"`
	// Digest is "sha256:" and the hex digest of the file's other fields.
	// The fingerprint inside the plan only proves the directories have not
	// moved; the digest proves the plan itself — its changes, domain and
	// policy — is the one that was reviewed, so an edited or damaged file is
	// refused instead of applied. It is a checksum, not a signature: anyone
	// who can write the file can recompute it (see SECURITY.md).
	Digest string `json:"digest"`
}

const savedPlanKind = "adjc-plan"

// digest returns the Digest of sp, computed with the Digest field empty.
func (sp savedPlan) digest() (string, error) {
	sp.Digest = ""
	b, err := json.Marshal(sp)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func writePlan(path string, d *config.Domain, pol reconcile.Policy, p reconcile.Plan) error {
	sp := savedPlan{Kind: savedPlanKind, Domain: d.Name, BaseDN: d.BaseDN, Policy: pol, Plan: p}
	var err error
	if sp.Digest, err = sp.digest(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return err
	}
	// Written whole to a new 0600 temporary file (never one found at a
	// predictable name, which may be world-readable or a planted link),
	// then renamed: a reader never sees half a plan.
	if err := config.WriteFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	return nil
}

// maxPlanFile bounds what readPlan reads: a plan for 100 000 users is a few
// tens of MiB, and a larger file is not one adjc wrote.
const maxPlanFile = 256 << 20

// readPlan reads and checks a plan saved by writePlan. Every way the file
// can be wrong is a usage error (exit 2): --plan named a bad argument, and
// nothing was read from or written to AD or JumpCloud.
func readPlan(path string) (savedPlan, error) {
	var sp savedPlan
	f, err := os.Open(path)
	if err != nil {
		return sp, Usagef("read plan: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPlanFile+1))
	if err != nil {
		return sp, Usagef("read plan: %v", err)
	}
	if len(b) > maxPlanFile {
		return sp, Usagef("read plan: %s is larger than %d MiB: it is not a plan saved by 'adjc diff --out'", path, maxPlanFile>>20)
	}
	if !utf8.Valid(b) {
		return sp, Usagef("read plan: %s is not UTF-8 text: it is not a plan saved by 'adjc diff --out'", path)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sp); err != nil || sp.Kind != savedPlanKind {
		return sp, Usagef("read plan: %s is not a plan saved by 'adjc diff --out'", path)
	}
	if dec.More() {
		return sp, Usagef("read plan: %s has data after the plan: it is not a plan saved by 'adjc diff --out'", path)
	}
	if sp.Plan.Version != reconcile.PlanVersion {
		return sp, Usagef("read plan: %s has plan version %d; this adjc reads version %d: make it again with 'adjc diff --out'", path, sp.Plan.Version, reconcile.PlanVersion)
	}
	if want, err := sp.digest(); err != nil || sp.Digest != want {
		return sp, Usagef("read plan: %s was changed after it was saved (its digest does not match its content); nothing was applied: make it again with 'adjc diff --out' and review it", path)
	}
	return sp, nil
}

// checkPlanFor refuses a saved plan made for another domain or direction.
func checkPlanFor(path string, sp savedPlan, d *config.Domain, dir reconcile.Direction, remake string) error {
	if !strings.EqualFold(sp.Domain, d.Name) || !strings.EqualFold(sp.BaseDN, d.BaseDN) {
		return Usagef("plan %s is for domain %s (%s), not %s (%s): make a plan for this domain with '%s'",
			path, sp.Domain, sp.BaseDN, d.Name, d.BaseDN, remake)
	}
	if sp.Plan.Direction != dir {
		return Usagef("plan %s is a %s plan, not %s: apply it with the command that made it", path, sp.Plan.Direction, dir)
	}
	return nil
}
