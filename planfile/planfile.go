// Package planfile owns the file format of a saved plan: what `adjc diff
// --out` and `adjc sync --out` write and `import --plan` / `sync --plan`
// read back. A saved plan is the exact list of changes an operator reviewed,
// with the domain, direction and policy it was made for and a digest over
// all of it, so that an edited, damaged, foreign or outdated file is refused
// before anything is read from or written to a directory.
package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/adjc/adjc/config"
	"github.com/adjc/adjc/reconcile"
)

// Kind marks a plan file, so a stray JSON file is not taken for a plan.
const Kind = "adjc-plan"

// MaxSize bounds what [Read] reads: a plan for 100 000 users is a few tens
// of MiB, and a larger file is not one adjc wrote.
const MaxSize = 256 << 20

// ErrInvalid is matched (errors.Is) by every refusal of [Read] and
// [File.CheckFor]: the file named is a bad argument, and nothing was read
// from or written to AD or JumpCloud.
var ErrInvalid = errors.New("invalid plan file")

// File is a saved plan. It holds names, emails and ids, never a secret.
type File struct {
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

// digest returns the Digest of f, computed with the Digest field empty.
func (f File) digest() (string, error) {
	f.Digest = ""
	b, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Write saves p, made for the domain with this name and base DN under pol,
// to path with mode 0600. The file is written whole to a new temporary file
// (never one found at a predictable name, which may be world-readable or a
// planted link), then renamed: a reader never sees half a plan.
func Write(path, domain, baseDN string, pol reconcile.Policy, p reconcile.Plan) error {
	f := File{Kind: Kind, Domain: domain, BaseDN: baseDN, Policy: pol, Plan: p}
	var err error
	if f.Digest, err = f.digest(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := config.WriteFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	return nil
}

// invalid wraps a refusal so that it matches [ErrInvalid].
func invalid(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// Read reads and checks a plan saved by [Write]. remake is the command that
// makes such a plan, named in every refusal ("adjc diff --out").
func Read(path, remake string) (File, error) {
	var f File
	fh, err := os.Open(path)
	if err != nil {
		return f, invalid("read plan: %v", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, MaxSize+1))
	if err != nil {
		return f, invalid("read plan: %v", err)
	}
	notPlan := fmt.Sprintf("it is not a plan saved by '%s'", remake)
	if len(b) > MaxSize {
		return f, invalid("read plan: %s is larger than %d MiB: %s", path, MaxSize>>20, notPlan)
	}
	if !utf8.Valid(b) {
		return f, invalid("read plan: %s is not UTF-8 text: %s", path, notPlan)
	}
	// The version is read first, leniently, so that a plan from an older
	// or newer adjc is refused for what it is rather than as "not a plan".
	var head struct {
		Kind string `json:"kind"`
		Plan struct {
			Version int `json:"version"`
		} `json:"plan"`
	}
	if err := json.Unmarshal(b, &head); err != nil || head.Kind != Kind {
		return f, invalid("read plan: %s is not a plan saved by '%s'", path, remake)
	}
	switch v := head.Plan.Version; {
	case v < reconcile.PlanVersion:
		return f, invalid("read plan: %s: plan format %d is older than this adjc (format %d); nothing was applied: make it again with '%s'", path, v, reconcile.PlanVersion, remake)
	case v > reconcile.PlanVersion:
		return f, invalid("read plan: %s: plan format %d is newer than this adjc (format %d): apply it with the adjc that made it, or make it again with '%s'", path, v, reconcile.PlanVersion, remake)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil || f.Kind != Kind {
		return f, invalid("read plan: %s is not a plan saved by '%s'", path, remake)
	}
	if dec.More() {
		return f, invalid("read plan: %s has data after the plan: %s", path, notPlan)
	}
	if want, err := f.digest(); err != nil || f.Digest != want {
		return f, invalid("read plan: %s was changed after it was saved (its digest does not match its content); nothing was applied: make it again with '%s' and review it", path, remake)
	}
	return f, nil
}

// CheckFor refuses a plan made for another domain or direction.
func (f File) CheckFor(path, domain, baseDN string, dir reconcile.Direction, remake string) error {
	if !strings.EqualFold(f.Domain, domain) || !strings.EqualFold(f.BaseDN, baseDN) {
		return invalid("plan %s is for domain %s (%s), not %s (%s): make a plan for this domain with '%s'",
			path, f.Domain, f.BaseDN, domain, baseDN, remake)
	}
	if f.Plan.Direction != dir {
		return invalid("plan %s is a %s plan, not %s: apply it with the command that made it", path, f.Plan.Direction, dir)
	}
	return nil
}
