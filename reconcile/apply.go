package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// Target carries out the steps of a [Plan] in the directory being written.
// The jcapi adapter implements it for JumpCloud; reconciletest.Memory is an
// in-memory one for tests. Methods may be called concurrently (up to
// [ApplyOptions.Concurrency] at once) and must honour ctx.
//
// An error that makes further calls pointless — bad credentials, a
// deactivated organisation — should be marked terminal (see [ErrTerminal])
// so that Apply stops at once instead of failing every remaining change.
type Target interface {
	// CreateUser creates a user and returns its new id.
	CreateUser(ctx context.Context, u UserSpec) (id string, err error)
	// UpdateUser sets the non-nil fields of u on user id (rename, suspend,
	// unsuspend, adopt).
	UpdateUser(ctx context.Context, id string, u UserPatch) error
	// DeleteUser deletes user id.
	DeleteUser(ctx context.Context, id string) error
	// SetAdmin sets or clears the admin flag (JumpCloud `sudo`) of user id.
	SetAdmin(ctx context.Context, id string, admin bool) error
	// CreateGroup creates a group and returns its new id.
	CreateGroup(ctx context.Context, g GroupSpec) (id string, err error)
	// UpdateGroup sets the non-nil fields of g on group id (rename, adopt).
	UpdateGroup(ctx context.Context, id string, g GroupPatch) error
	// DeleteGroup deletes group id.
	DeleteGroup(ctx context.Context, id string) error
	// AddMember binds user userID to group groupID.
	AddMember(ctx context.Context, groupID, userID string) error
	// RemoveMember unbinds user userID from group groupID.
	RemoveMember(ctx context.Context, groupID, userID string) error
}

// UserSpec is a user to create. Anchor is the source object's identity (the
// AD objectGUID), which the target stores so later runs can match on it.
type UserSpec struct {
	Anchor    string
	Username  string
	Email     string
	Firstname string
	Lastname  string
	// Markers make the user AD-managed; Markers.Bound is not used: BindTo
	// says which AD domain object to associate the user with ("" for none).
	Markers Markers
	BindTo  string
	// Attrs are the opt-in fields ([Field.OptIn]) to set, by field name.
	Attrs map[string]string
}

// UserPatch lists the fields of a user to change; nil means unchanged.
type UserPatch struct {
	Anchor    *string
	Username  *string
	Email     *string
	Firstname *string
	Lastname  *string
	Suspended *bool
	// Activate activates a user left STAGED ([FieldState]), under the
	// target's welcome email setting.
	Activate bool
	// Marker fields, as in [Markers]; Restricted replaces the
	// active_directory entries only.
	ExternalDN         *string
	ExternalSourceType *string
	ExternallyManaged  *bool
	DelegatedAuthority *string
	Restricted         *[]RestrictedField
	// BindTo associates the user with this AD domain object; nil leaves
	// the associations as they are.
	BindTo *string
	// Attrs are the opt-in fields ([Field.OptIn]) to change, by field
	// name; "" clears one. Absent fields are left as they are.
	Attrs map[string]string
}

// GroupSpec is a group to create.
type GroupSpec struct {
	Anchor string
	Name   string
	// SAMAccountName is set when an AD group's sAMAccountName must differ
	// from Name ([GroupSAMAccountName]); "" means Name.
	SAMAccountName string
	// BindTo is the AD domain object to associate the group with; "" for none.
	BindTo string
}

// GroupPatch lists the fields of a group to change; nil means unchanged.
type GroupPatch struct {
	Anchor *string
	Name   *string
	// BindTo associates the group with this AD domain object; nil leaves
	// the associations as they are.
	BindTo *string
}

// ErrTerminal marks an error after which Apply stops: wrap it
// (fmt.Errorf("%w: %w", reconcile.ErrTerminal, err)) or give the error type a
// Terminal() bool method, which lets jcapi and ldapx mark their
// authentication errors without importing this package.
var ErrTerminal = errors.New("terminal error")

// IsTerminal reports whether err, or an error it wraps, is terminal.
func IsTerminal(err error) bool {
	if errors.Is(err, ErrTerminal) {
		return true
	}
	var t interface{ Terminal() bool }
	return errors.As(err, &t) && t.Terminal()
}

// Status is how one change of a plan ended.
type Status string

const (
	// StatusApplied means the target accepted the change.
	StatusApplied Status = "applied"
	// StatusFailed means the target returned an error.
	StatusFailed Status = "failed"
	// StatusSkipped means the change was not attempted: something it
	// depends on failed, or the run stopped.
	StatusSkipped Status = "skipped"
)

// Outcome is the result of one change.
type Outcome struct {
	Change Change `json:"change"`
	Status Status `json:"status"`
	// ID is the id the target gave an object this change created.
	ID string `json:"id,omitempty"`
	// Reason is the error text of a failure or why the change was skipped.
	Reason string `json:"reason,omitempty"`
	// Err is the error of a failure.
	Err error `json:"-"`
}

// Result holds one [Outcome] per change, in plan order.
type Result struct {
	Outcomes []Outcome `json:"outcomes"`
}

// Count returns how many outcomes have status s.
func (r Result) Count(s Status) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Status == s {
			n++
		}
	}
	return n
}

// ApplyOptions tune [Apply].
type ApplyOptions struct {
	// Concurrency bounds the target calls in flight; less than 1 means 1.
	Concurrency int
	// OnOutcome, when set, is called once per change as it ends, one call at
	// a time (never concurrently), for the audit log and progress bar.
	OnOutcome func(Outcome)
}

// PartialError is returned by [Apply] when the run finished but some changes
// failed. It wraps every failure (errors.Join), so errors.Is and errors.As
// see each of them.
type PartialError struct {
	Failed int
	Total  int
	Err    error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("reconcile: %d of %d changes failed: %v", e.Failed, e.Total, e.Err)
}

func (e *PartialError) Unwrap() error { return e.Err }

// Apply carries out exactly the changes of plan through t and re-derives
// nothing. It runs them in an order that keeps references valid — user
// updates (which may free a username), user creates, group updates and
// creates, admin flags, memberships, then group and user deletes — with up
// to opts.Concurrency calls at once within each step.
//
// A failed change does not stop the run; a change that depends on it (a
// membership of a user that could not be created) is skipped with the
// reason. Apply returns a [*PartialError] when some changes failed. It stops
// at once when ctx is cancelled or a call returns a terminal error (see
// [IsTerminal]), marks the changes not attempted as skipped, and returns an
// error wrapping the cause.
func Apply(ctx context.Context, plan Plan, t Target, opts ApplyOptions) (Result, error) {
	if plan.Version != PlanVersion {
		return Result{}, fmt.Errorf("reconcile: plan has schema version %d, this adjc reads version %d", plan.Version, PlanVersion)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	a := &applier{
		t:         t,
		plan:      plan,
		opts:      opts,
		cancel:    cancel,
		outcomes:  make([]Outcome, len(plan.Changes)),
		userIDs:   make(map[string]string),
		groupIDs:  make(map[string]string),
		userFail:  make(map[string]string),
		groupFail: make(map[string]string),
	}
	var phases [phaseCount][]int
	for i, c := range plan.Changes {
		ph := phaseOf(c)
		phases[ph] = append(phases[ph], i)
	}
	for _, idx := range phases {
		a.runPhase(ctx, idx)
	}
	res := Result{Outcomes: a.outcomes}
	if cause := context.Cause(ctx); cause != nil && (a.stopped || len(a.errs) > 0) {
		return res, fmt.Errorf("reconcile: apply stopped with %d of %d changes applied: %w",
			res.Count(StatusApplied), len(plan.Changes), cause)
	}
	if len(a.errs) > 0 {
		return res, &PartialError{Failed: len(a.errs), Total: len(plan.Changes), Err: errors.Join(a.errs...)}
	}
	return res, nil
}

const (
	phaseUserUpdate = iota
	phaseUserCreate
	phaseGroupUpdate
	phaseGroupCreate
	phaseAdmin
	phaseMembership
	phaseGroupDelete
	phaseUserDelete
	phaseCount
)

func phaseOf(c Change) int {
	switch c.Kind {
	case KindUser:
		switch c.Action {
		case Create:
			return phaseUserCreate
		case Delete:
			return phaseUserDelete
		}
		return phaseUserUpdate
	case KindGroup:
		switch c.Action {
		case Create:
			return phaseGroupCreate
		case Delete:
			return phaseGroupDelete
		}
		return phaseGroupUpdate
	case KindAdmin:
		return phaseAdmin
	}
	return phaseMembership
}

type applier struct {
	t      Target
	plan   Plan
	opts   ApplyOptions
	cancel context.CancelCauseFunc

	mu        sync.Mutex
	stopped   bool
	outcomes  []Outcome
	errs      []error
	userIDs   map[string]string // anchor → id of a user created in this run
	groupIDs  map[string]string
	userFail  map[string]string // anchor → why its create did not happen
	groupFail map[string]string
}

func (a *applier) runPhase(ctx context.Context, idx []int) {
	n := max(a.opts.Concurrency, 1)
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, i := range idx {
		if ctx.Err() != nil {
			a.notAttempted(ctx, i)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			a.notAttempted(ctx, i)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			a.run(ctx, i)
		}()
	}
	wg.Wait()
}

func (a *applier) notAttempted(ctx context.Context, i int) {
	a.mu.Lock()
	a.stopped = true
	a.mu.Unlock()
	a.record(i, Outcome{Status: StatusSkipped, Reason: "not attempted: run stopped: " + context.Cause(ctx).Error()})
}

// record stores the outcome of change i and reports it; the lock also
// serialises OnOutcome.
func (a *applier) record(i int, o Outcome) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.plan.Changes[i]
	o.Change = c
	if o.Err != nil {
		o.Status, o.Reason = StatusFailed, o.Err.Error()
		a.errs = append(a.errs, fmt.Errorf("%c %s %s: %w", c.Action, c.Kind, c.Key, o.Err))
		if IsTerminal(o.Err) {
			a.stopped = true
			a.cancel(o.Err)
		}
	}
	if c.Kind == KindUser && c.Action == Create && c.User != nil {
		if o.Status == StatusApplied {
			a.userIDs[c.User.Anchor] = o.ID
		} else {
			a.userFail[c.User.Anchor] = o.Reason
		}
	}
	if c.Kind == KindGroup && c.Action == Create && c.Group != nil {
		if o.Status == StatusApplied {
			a.groupIDs[c.Group.Anchor] = o.ID
		} else {
			a.groupFail[c.Group.Anchor] = o.Reason
		}
	}
	a.outcomes[i] = o
	if a.opts.OnOutcome != nil {
		a.opts.OnOutcome(o)
	}
}

// resolve returns the id of the object ref names: its own, or the one a
// create in this run returned.
func (a *applier) resolve(kind Kind, ref *Ref) (string, string) {
	if ref == nil {
		return "", fmt.Sprintf("the plan names no %s", kind)
	}
	if ref.ID != "" {
		return ref.ID, ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ids, fails := a.userIDs, a.userFail
	if kind == KindGroup {
		ids, fails = a.groupIDs, a.groupFail
	}
	if id, ok := ids[ref.Anchor]; ok {
		return id, ""
	}
	if why, ok := fails[ref.Anchor]; ok {
		return "", fmt.Sprintf("%s %s was not created: %s", kind, ref.Name, why)
	}
	return "", fmt.Sprintf("%s %s has no id and the plan does not create it", kind, ref.Name)
}

func (a *applier) run(ctx context.Context, i int) {
	c := a.plan.Changes[i]
	var userID, groupID, why string
	if c.User != nil && !(c.Kind == KindUser && c.Action == Create) {
		if userID, why = a.resolve(KindUser, c.User); why != "" {
			a.record(i, Outcome{Status: StatusSkipped, Reason: why})
			return
		}
	}
	if c.Group != nil && !(c.Kind == KindGroup && c.Action == Create) {
		if groupID, why = a.resolve(KindGroup, c.Group); why != "" {
			a.record(i, Outcome{Status: StatusSkipped, Reason: why})
			return
		}
	}
	if ctx.Err() != nil {
		a.notAttempted(ctx, i)
		return
	}
	id, err := a.call(ctx, c, userID, groupID)
	if err != nil && context.Cause(ctx) != nil && !IsTerminal(err) {
		// The call was cut short by the stop, not refused by the target.
		err = fmt.Errorf("%w (run stopped: %v)", err, context.Cause(ctx))
	}
	a.record(i, Outcome{Status: StatusApplied, ID: id, Err: err})
}

func (a *applier) call(ctx context.Context, c Change, userID, groupID string) (string, error) {
	switch c.Kind {
	case KindUser:
		switch c.Action {
		case Create:
			return a.t.CreateUser(ctx, userSpec(c))
		case Update, Adopt:
			p, err := userPatch(c)
			if err != nil {
				return "", err
			}
			return "", a.t.UpdateUser(ctx, userID, p)
		case Delete:
			return "", a.t.DeleteUser(ctx, userID)
		}
	case KindGroup:
		switch c.Action {
		case Create:
			g := GroupSpec{}
			for _, f := range c.Fields {
				switch f.Name {
				case FieldAnchor:
					g.Anchor = f.New
				case FieldName:
					g.Name = f.New
				case FieldBound:
					g.BindTo = f.New
				case FieldSAMAccountName:
					g.SAMAccountName = f.New
				}
			}
			return a.t.CreateGroup(ctx, g)
		case Update, Adopt:
			var g GroupPatch
			for _, f := range c.Fields {
				switch f.Name {
				case FieldAnchor:
					g.Anchor = &f.New
				case FieldName:
					g.Name = &f.New
				case FieldBound:
					g.BindTo = &f.New
				}
			}
			return "", a.t.UpdateGroup(ctx, groupID, g)
		case Delete:
			return "", a.t.DeleteGroup(ctx, groupID)
		}
	case KindAdmin:
		f, ok := c.Field(FieldAdmin)
		if !ok {
			return "", errors.New("plan change has no sudo field")
		}
		v, err := strconv.ParseBool(f.New)
		if err != nil {
			return "", fmt.Errorf("plan field sudo: %w", err)
		}
		return "", a.t.SetAdmin(ctx, userID, v)
	case KindMembership:
		switch c.Action {
		case Create:
			return "", a.t.AddMember(ctx, groupID, userID)
		case Delete:
			return "", a.t.RemoveMember(ctx, groupID, userID)
		}
	}
	return "", fmt.Errorf("plan change %c %s is not something apply can do", c.Action, c.Kind)
}

func userSpec(c Change) UserSpec {
	var u UserSpec
	for _, f := range c.Fields {
		switch f.Name {
		case FieldAnchor:
			u.Anchor = f.New
		case FieldUsername:
			u.Username = f.New
		case FieldEmail:
			u.Email = f.New
		case FieldFirstname:
			u.Firstname = f.New
		case FieldLastname:
			u.Lastname = f.New
		case FieldExternalDN:
			u.Markers.ExternalDN = f.New
		case FieldExternalSourceType:
			u.Markers.ExternalSourceType = f.New
		case FieldExternallyManaged:
			u.Markers.ExternallyManaged = f.New == "true"
		case FieldDelegatedAuthority:
			u.Markers.DelegatedAuthority = f.New
		case FieldRestrictedFields:
			u.Markers.Restricted = ParseRestricted(f.New)
		case FieldBound:
			u.BindTo = f.New
		default:
			if optIn(f.Name) {
				if u.Attrs == nil {
					u.Attrs = map[string]string{}
				}
				u.Attrs[f.Name] = f.New
			}
		}
	}
	return u
}

// optIn reports whether name is an opt-in user field of the table.
func optIn(name string) bool {
	f, ok := FieldByName(KindUser, name)
	return ok && f.OptIn
}

func userPatch(c Change) (UserPatch, error) {
	var p UserPatch
	for _, f := range c.Fields {
		v := f.New
		switch f.Name {
		case FieldAnchor:
			p.Anchor = &v
		case FieldUsername:
			p.Username = &v
		case FieldEmail:
			p.Email = &v
		case FieldFirstname:
			p.Firstname = &v
		case FieldLastname:
			p.Lastname = &v
		case FieldSuspended:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return p, fmt.Errorf("plan field suspended: %w", err)
			}
			p.Suspended = &b
		case FieldState:
			if v != StateActivated {
				return p, fmt.Errorf("plan field state: %q is not %s", v, StateActivated)
			}
			p.Activate = true
		case FieldExternalDN:
			p.ExternalDN = &v
		case FieldExternalSourceType:
			p.ExternalSourceType = &v
		case FieldExternallyManaged:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return p, fmt.Errorf("plan field externally_managed: %w", err)
			}
			p.ExternallyManaged = &b
		case FieldDelegatedAuthority:
			p.DelegatedAuthority = &v
		case FieldRestrictedFields:
			r := ParseRestricted(v)
			p.Restricted = &r
		case FieldBound:
			p.BindTo = &v
		default:
			if !optIn(f.Name) {
				return p, fmt.Errorf("plan field %q is not a user field", f.Name)
			}
			if p.Attrs == nil {
				p.Attrs = map[string]string{}
			}
			p.Attrs[f.Name] = v
		}
	}
	return p, nil
}
