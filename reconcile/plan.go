package reconcile

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Action is what a [Change] does, printed as-is in plans: "+ user alice",
// "~ group eng", "- user bob", "> user carol" (adopt).
type Action rune

const (
	// Create makes a new object (or, for [KindMembership] and [KindAdmin],
	// adds the binding or grants the flag).
	Create Action = '+'
	// Update changes fields of an existing object; suspend, unsuspend and a
	// username rename are updates of the same JumpCloud id.
	Update Action = '~'
	// Delete removes an object (or a binding, or revokes the admin flag).
	Delete Action = '-'
	// Adopt takes over an existing JumpCloud-only user or group whose
	// username, email or name matches an AD object: it records the anchor and
	// updates fields, keeping the JumpCloud id and its bindings.
	Adopt Action = '>'
)

// String returns the action symbol, as tables show it.
func (a Action) String() string { return string(a) }

// actionNames is the one vocabulary for actions wherever they are written
// for programs: plan JSON, the audit log, metrics and logs.
var actionNames = map[Action]string{Create: "create", Update: "update", Delete: "delete", Adopt: "adopt"}

// Name returns the action's word: create, update, delete or adopt.
func (a Action) Name() string {
	if n, ok := actionNames[a]; ok {
		return n
	}
	return string(a)
}

// MarshalText encodes the action as its word, the same the audit log uses.
func (a Action) MarshalText() ([]byte, error) {
	if n, ok := actionNames[a]; ok {
		return []byte(n), nil
	}
	return nil, fmt.Errorf("reconcile: unknown action %q", rune(a))
}

// UnmarshalText decodes an action word.
func (a *Action) UnmarshalText(b []byte) error {
	for v, n := range actionNames {
		if n == string(b) {
			*a = v
			return nil
		}
	}
	return fmt.Errorf("reconcile: unknown action %q", b)
}

// Kind is the kind of object a [Change] or [Skip] is about.
type Kind string

const (
	// KindUser is a JumpCloud system user.
	KindUser Kind = "user"
	// KindGroup is a JumpCloud user group.
	KindGroup Kind = "group"
	// KindMembership is a user bound to a user group.
	KindMembership Kind = "membership"
	// KindAdmin is the `sudo` flag of a user.
	KindAdmin Kind = "admin"
	// KindPassword appears only in [Plan.Skipped]: password drift adjc
	// reports but cannot fix, since AD passwords are not readable.
	KindPassword Kind = "password"
	// KindRule appears only in [Plan.Skipped]: a translation rule of the
	// AD domain that adjc does not honour ([Mapping]), with why.
	KindRule Kind = "translation-rule"
)

// kindOrder fixes the order kinds appear in a plan: objects before the
// bindings and flags that refer to them.
func kindOrder(k Kind) int {
	switch k {
	case KindUser:
		return 0
	case KindGroup:
		return 1
	case KindMembership:
		return 2
	case KindAdmin:
		return 3
	case KindPassword:
		return 4
	case KindRule:
		return 5
	}
	return 6
}

// Direction says which directory a plan writes to. Both directions read
// the same two sides, a [Directory] and a [Cloud]; the direction says which
// is desired and which is actual, and [Diff] and [Fingerprint] take it as
// their first argument.
type Direction string

const (
	// ToJumpCloud is AD → JumpCloud (`import`, the AD Import agent's job):
	// the Directory is desired, the Cloud actual.
	ToJumpCloud Direction = "ad-to-jumpcloud"
	// ToAD is JumpCloud → AD (`sync`, the AD Sync agent's job): the Cloud
	// (what is bound to the AD domain object) is desired, the Directory
	// actual.
	ToAD Direction = "jumpcloud-to-ad"
)

// Diff plans one direction between the Active Directory side ad and the
// JumpCloud side jc under policy p: with [ToJumpCloud] (`import`) the
// changes that make JumpCloud match AD, with [ToAD] (`sync`) those that make
// AD hold the users and groups bound to the JumpCloud AD domain object. The
// plan's fingerprint is [Fingerprint] of the same direction and sides.
//
// Diff is pure: no I/O, clock, logging or randomness, and it never modifies
// its inputs, so a plan can be computed, shown and saved freely. Applying the
// plan and diffing again yields an empty plan (level-based, STYLE §3). It
// panics on a direction other than the two, a programming error.
func Diff(dir Direction, ad Directory, jc Cloud, p Policy) Plan {
	switch dir {
	case ToJumpCloud:
		return diffToJumpCloud(ad, jc, p)
	case ToAD:
		return diffToAD(ad, jc, p)
	}
	panic(fmt.Sprintf("reconcile: Diff: unknown direction %q", dir))
}

// Field names used in [FieldChange.Name]: the JumpCloud JSON names, so a
// plan reads like the API it drives.
const (
	FieldUsername  = "username"
	FieldEmail     = "email"
	FieldFirstname = "firstname"
	FieldLastname  = "lastname"
	FieldSuspended = "suspended"
	// FieldState is `state` STAGED → ACTIVATED: the activation of a user
	// left STAGED, under the welcome_email setting.
	FieldState = "state"
	// StateStaged and StateActivated are the values of [FieldState]
	// (v1 systemuserreturn.state).
	StateStaged    = "STAGED"
	StateActivated = "ACTIVATED"
	FieldAnchor    = "anchor"
	FieldAdmin     = "sudo"
	FieldName      = "name"
)

// Ref names an object a change is about, in both directories.
type Ref struct {
	// Anchor is the identity in the authoritative directory (the AD
	// objectGUID when importing); empty for JumpCloud-only objects.
	Anchor string `json:"anchor,omitempty"`
	// ID is the identity in the directory being written (the JumpCloud id
	// when importing). It is empty for an object created by the same plan:
	// [Apply] resolves it from Anchor once the create succeeds.
	ID string `json:"id,omitempty"`
	// Name is the username or group name, for messages.
	Name string `json:"name"`
}

// FieldChange is one field's before and after. Booleans are "true"/"false".
type FieldChange struct {
	Name string `json:"name"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// boolFields are the fields whose values are true or false: JSON gives
// them as booleans (null when there is no old value), so a program reading
// a plan does not compare the string "false".
var boolFields = map[string]bool{FieldSuspended: true, FieldAdmin: true, FieldExternallyManaged: true}

// fieldJSON is a FieldChange as JSON: values typed.
type fieldJSON struct {
	Name string          `json:"name"`
	Old  json.RawMessage `json:"old"`
	New  json.RawMessage `json:"new"`
}

// MarshalJSON writes a boolean field's values as JSON booleans (null for
// none) and every other value as a string.
func (f FieldChange) MarshalJSON() ([]byte, error) {
	val := func(s string) json.RawMessage {
		if boolFields[f.Name] && (s == "true" || s == "false") {
			return json.RawMessage(s)
		}
		if boolFields[f.Name] && s == "" {
			return json.RawMessage("null")
		}
		b, _ := json.Marshal(s)
		return b
	}
	return json.Marshal(fieldJSON{Name: f.Name, Old: val(f.Old), New: val(f.New)})
}

// UnmarshalJSON reads what MarshalJSON writes: a string, a boolean or null.
func (f *FieldChange) UnmarshalJSON(b []byte) error {
	var j fieldJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	val := func(raw json.RawMessage) (string, error) {
		switch t := strings.TrimSpace(string(raw)); {
		case t == "" || t == "null":
			return "", nil
		case t == "true" || t == "false":
			return t, nil
		}
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var err error
	f.Name = j.Name
	if f.Old, err = val(j.Old); err != nil {
		return fmt.Errorf("reconcile: field %s: old: %w", j.Name, err)
	}
	if f.New, err = val(j.New); err != nil {
		return fmt.Errorf("reconcile: field %s: new: %w", j.Name, err)
	}
	return nil
}

// Change is one step of a [Plan].
type Change struct {
	Action Action `json:"action"`
	Kind   Kind   `json:"kind"`
	// Key is the stable display and sort key: the lower-cased username, the
	// group name, or "group/username" for a membership.
	Key string `json:"key"`
	// Reason says why, in words, e.g. "disabled in AD".
	Reason string `json:"reason"`
	// User is the user changed, bound or flagged; nil for group changes.
	User *Ref `json:"user,omitempty"`
	// Group is the group changed or bound to; nil for user changes.
	Group *Ref `json:"group,omitempty"`
	// Fields are the field-level before and after, sorted by name. For a
	// Create they carry the initial values (Old empty), because Apply must
	// not re-derive anything; for a Delete they are empty.
	Fields []FieldChange `json:"fields,omitempty"`
}

// Field returns the change's field named name and whether it is present.
func (c Change) Field(name string) (FieldChange, bool) {
	for _, f := range c.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return FieldChange{}, false
}

// Skip is an object [Diff] leaves alone, and why.
type Skip struct {
	Kind   Kind   `json:"kind"`
	Key    string `json:"key"`
	Reason string `json:"reason"`
	// Recheck is set on a membership skip held back because a member list
	// was read empty while the other side still holds members adjc manages:
	// the id of the group whose list the reader must read again (the AD
	// objectGUID in [ToJumpCloud], the JumpCloud group id in [ToAD]). If it is
	// empty again, the reader sets MembersConfirmed and plans once more.
	Recheck string `json:"recheck,omitempty"`
}

// Rechecks returns the ids of the groups whose member lists the reader
// must read again before their removals are planned ([Skip.Recheck]).
func (p Plan) Rechecks() []string {
	var out []string
	for _, s := range p.Skipped {
		if s.Recheck != "" {
			out = append(out, s.Recheck)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// PlanVersion is the version of the JSON schema of [Plan]; it changes when a
// saved plan could be misread by a newer adjc. Version 2 writes actions as
// words (create, update, delete, adopt) where version 1 wrote symbols;
// version 3 carries fingerprints of the one encoding of both directions
// ([Fingerprint]), which a version 2 plan's cannot match.
const PlanVersion = 3

// Plan is the complete list of changes one run would make. It is a plain
// value: render it, save it as JSON, load it back and [Apply] it.
type Plan struct {
	// Version is [PlanVersion] when the plan was made.
	Version int `json:"version"`
	// Direction is the directory written to.
	Direction Direction `json:"direction"`
	// Fingerprint identifies the state the plan was computed from (see
	// [Fingerprint]); a saved plan is refused when it no longer matches.
	Fingerprint string `json:"fingerprint"`
	// Managed is how many target users adjc managed before the plan (users
	// with an anchor); the deletion threshold's percentage is of this.
	Managed int `json:"managed_users"`
	// Changes are sorted by kind, then key.
	Changes []Change `json:"changes"`
	// Skipped are objects left alone, sorted by kind, then key.
	Skipped []Skip `json:"skipped"`
}

// Empty reports whether the plan has no changes (skips do not count).
func (p Plan) Empty() bool { return len(p.Changes) == 0 }

func compareChanges(a, b Change) int {
	if c := cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Action, b.Action); c != 0 {
		return c
	}
	// Two changes with one key only happen when names collide; order them by
	// identity so the plan stays deterministic.
	if c := compareRef(a.User, b.User); c != 0 {
		return c
	}
	return compareRef(a.Group, b.Group)
}

func compareRef(a, b *Ref) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	if c := cmp.Compare(a.Anchor, b.Anchor); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

func compareSkips(a, b Skip) int {
	if c := cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	return cmp.Compare(a.Reason, b.Reason)
}

func sortPlan(p *Plan) {
	slices.SortFunc(p.Changes, compareChanges)
	slices.SortFunc(p.Skipped, compareSkips)
}
