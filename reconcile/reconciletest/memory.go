// Package reconciletest provides test doubles for package reconcile, in the
// way net/http/httptest serves net/http.
package reconciletest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/adjc/adjc/reconcile"
)

// ErrNotFound is returned for an id the Memory target does not hold.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a username, email or group name is taken,
// which JumpCloud refuses with 409.
var ErrConflict = errors.New("conflict")

// Call describes one call made to a [Memory] target.
type Call struct {
	// Method is the [reconcile.Target] method name, e.g. "CreateUser".
	Method string
	// ID is the user or group id the call is about; for AddMember and
	// RemoveMember it is "groupID/userID". Empty for creates.
	ID string
	// Name is the username or group name, when the call carries one.
	Name string
}

// Memory is a [reconcile.Target] that applies changes to an in-memory
// [reconcile.Cloud] and enforces JumpCloud's rules that catch ordering bugs:
// usernames, emails and group names are unique case-insensitively, and ids
// must exist. It is safe for concurrent use.
type Memory struct {
	// Hook, when set, runs before every call; an error it returns fails the
	// call without changing anything. Tests use it to inject faults, block,
	// or cancel.
	Hook func(ctx context.Context, c Call) error

	mu     sync.Mutex
	users  []reconcile.CloudUser
	groups []reconcile.CloudGroup
	next   int
	calls  []Call
}

// NewMemory returns a Memory target holding a copy of c.
func NewMemory(c reconcile.Cloud) *Memory {
	m := &Memory{users: slices.Clone(c.Users), groups: slices.Clone(c.Groups)}
	for i := range m.groups {
		m.groups[i].Members = slices.Clone(m.groups[i].Members)
	}
	return m
}

// Cloud returns a copy of the current state, users and groups sorted by id.
func (m *Memory) Cloud() reconcile.Cloud {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := reconcile.Cloud{Users: slices.Clone(m.users), Groups: slices.Clone(m.groups)}
	for i := range c.Groups {
		c.Groups[i].Members = slices.Clone(c.Groups[i].Members)
		slices.Sort(c.Groups[i].Members)
	}
	slices.SortFunc(c.Users, func(a, b reconcile.CloudUser) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(c.Groups, func(a, b reconcile.CloudGroup) int { return strings.Compare(a.ID, b.ID) })
	return c
}

// Calls returns the calls that succeeded, in the order they took effect.
func (m *Memory) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// begin runs the hook outside the lock (so it may block), then takes it.
func (m *Memory) begin(ctx context.Context, c Call) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.Hook != nil {
		if err := m.Hook(ctx, c); err != nil {
			return err
		}
	}
	m.mu.Lock()
	return nil
}

func (m *Memory) end(c Call, err error) error {
	if err == nil {
		m.calls = append(m.calls, c)
	}
	m.mu.Unlock()
	return err
}

func (m *Memory) newID() string {
	m.next++
	return fmt.Sprintf("%024x", m.next) // JumpCloud ids are 24 hex digits
}

func (m *Memory) user(id string) (int, error) {
	for i := range m.users {
		if m.users[i].ID == id {
			return i, nil
		}
	}
	return -1, fmt.Errorf("user %s: %w", id, ErrNotFound)
}

func (m *Memory) group(id string) (int, error) {
	for i := range m.groups {
		if m.groups[i].ID == id {
			return i, nil
		}
	}
	return -1, fmt.Errorf("group %s: %w", id, ErrNotFound)
}

func (m *Memory) userTaken(self int, username, email string) error {
	for i := range m.users {
		u := &m.users[i]
		if i == self {
			continue
		}
		if username != "" && strings.EqualFold(u.Username, username) {
			return fmt.Errorf("username %s: %w", username, ErrConflict)
		}
		if email != "" && strings.EqualFold(u.Email, email) {
			return fmt.Errorf("email %s: %w", email, ErrConflict)
		}
	}
	return nil
}

// CreateUser implements [reconcile.Target].
func (m *Memory) CreateUser(ctx context.Context, u reconcile.UserSpec) (string, error) {
	c := Call{Method: "CreateUser", Name: u.Username}
	if err := m.begin(ctx, c); err != nil {
		return "", err
	}
	if err := m.userTaken(-1, u.Username, u.Email); err != nil {
		return "", m.end(c, err)
	}
	id := m.newID()
	mk := u.Markers
	mk.Bound = u.BindTo != ""
	m.users = append(m.users, reconcile.CloudUser{
		ID: id, Username: u.Username, Email: u.Email, Firstname: u.Firstname, Lastname: u.Lastname, Anchor: u.Anchor,
		Markers: mk, Attrs: setAttrs(nil, u.Attrs),
	})
	c.ID = id
	return id, m.end(c, nil)
}

// UpdateUser implements [reconcile.Target].
func (m *Memory) UpdateUser(ctx context.Context, id string, p reconcile.UserPatch) error {
	c := Call{Method: "UpdateUser", ID: id}
	if p.Username != nil {
		c.Name = *p.Username
	}
	if err := m.begin(ctx, c); err != nil {
		return err
	}
	i, err := m.user(id)
	if err != nil {
		return m.end(c, err)
	}
	var name, email string
	if p.Username != nil {
		name = *p.Username
	}
	if p.Email != nil {
		email = *p.Email
	}
	if err := m.userTaken(i, name, email); err != nil {
		return m.end(c, err)
	}
	u := &m.users[i]
	set(&u.Anchor, p.Anchor)
	set(&u.Username, p.Username)
	set(&u.Email, p.Email)
	set(&u.Firstname, p.Firstname)
	set(&u.Lastname, p.Lastname)
	u.Attrs = setAttrs(u.Attrs, p.Attrs)
	if p.Suspended != nil {
		u.Suspended = *p.Suspended
	}
	if p.Activate {
		u.Staged = false
	}
	set(&u.Markers.ExternalDN, p.ExternalDN)
	set(&u.Markers.ExternalSourceType, p.ExternalSourceType)
	set(&u.Markers.DelegatedAuthority, p.DelegatedAuthority)
	if p.ExternallyManaged != nil {
		u.Markers.ExternallyManaged = *p.ExternallyManaged
	}
	if p.Restricted != nil {
		// Like the JumpCloud adapter: the active_directory entries are
		// replaced, the other authorities' kept.
		keep := slices.DeleteFunc(slices.Clone(u.Markers.Restricted), func(r reconcile.RestrictedField) bool {
			return r.Type == reconcile.SourceActiveDirectory
		})
		u.Markers.Restricted = append(keep, *p.Restricted...)
	}
	if p.BindTo != nil {
		u.Markers.Bound = *p.BindTo != ""
	}
	return m.end(c, nil)
}

func set(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// DeleteUser implements [reconcile.Target]; like JumpCloud, it also removes
// the user from every group.
func (m *Memory) DeleteUser(ctx context.Context, id string) error {
	c := Call{Method: "DeleteUser", ID: id}
	if err := m.begin(ctx, c); err != nil {
		return err
	}
	i, err := m.user(id)
	if err != nil {
		return m.end(c, err)
	}
	m.users = slices.Delete(m.users, i, i+1)
	for g := range m.groups {
		m.groups[g].Members = slices.DeleteFunc(m.groups[g].Members, func(s string) bool { return s == id })
	}
	return m.end(c, nil)
}

// SetAdmin implements [reconcile.Target].
func (m *Memory) SetAdmin(ctx context.Context, id string, admin bool) error {
	c := Call{Method: "SetAdmin", ID: id}
	if err := m.begin(ctx, c); err != nil {
		return err
	}
	i, err := m.user(id)
	if err == nil {
		m.users[i].Admin = admin
	}
	return m.end(c, err)
}

func (m *Memory) groupTaken(self int, name string) error {
	for i := range m.groups {
		if i != self && strings.EqualFold(m.groups[i].Name, name) {
			return fmt.Errorf("group name %s: %w", name, ErrConflict)
		}
	}
	return nil
}

// CreateGroup implements [reconcile.Target].
func (m *Memory) CreateGroup(ctx context.Context, g reconcile.GroupSpec) (string, error) {
	c := Call{Method: "CreateGroup", Name: g.Name}
	if err := m.begin(ctx, c); err != nil {
		return "", err
	}
	if err := m.groupTaken(-1, g.Name); err != nil {
		return "", m.end(c, err)
	}
	id := m.newID()
	m.groups = append(m.groups, reconcile.CloudGroup{ID: id, Name: g.Name, Anchor: g.Anchor, Bound: g.BindTo != ""})
	c.ID = id
	return id, m.end(c, nil)
}

// UpdateGroup implements [reconcile.Target].
func (m *Memory) UpdateGroup(ctx context.Context, id string, p reconcile.GroupPatch) error {
	c := Call{Method: "UpdateGroup", ID: id}
	if p.Name != nil {
		c.Name = *p.Name
	}
	if err := m.begin(ctx, c); err != nil {
		return err
	}
	i, err := m.group(id)
	if err != nil {
		return m.end(c, err)
	}
	if p.Name != nil {
		if err := m.groupTaken(i, *p.Name); err != nil {
			return m.end(c, err)
		}
	}
	set(&m.groups[i].Name, p.Name)
	if p.BindTo != nil {
		m.groups[i].Bound = *p.BindTo != ""
	}
	set(&m.groups[i].Anchor, p.Anchor)
	return m.end(c, nil)
}

// DeleteGroup implements [reconcile.Target].
func (m *Memory) DeleteGroup(ctx context.Context, id string) error {
	c := Call{Method: "DeleteGroup", ID: id}
	if err := m.begin(ctx, c); err != nil {
		return err
	}
	i, err := m.group(id)
	if err == nil {
		m.groups = slices.Delete(m.groups, i, i+1)
	}
	return m.end(c, err)
}

// AddMember implements [reconcile.Target].
func (m *Memory) AddMember(ctx context.Context, groupID, userID string) error {
	c := Call{Method: "AddMember", ID: groupID + "/" + userID}
	if err := m.begin(ctx, c); err != nil {
		return err
	}
	g, err := m.group(groupID)
	if err != nil {
		return m.end(c, err)
	}
	if _, err := m.user(userID); err != nil {
		return m.end(c, err)
	}
	if !slices.Contains(m.groups[g].Members, userID) {
		m.groups[g].Members = append(m.groups[g].Members, userID)
	}
	return m.end(c, nil)
}

// RemoveMember implements [reconcile.Target].
func (m *Memory) RemoveMember(ctx context.Context, groupID, userID string) error {
	c := Call{Method: "RemoveMember", ID: groupID + "/" + userID}
	if err := m.begin(ctx, c); err != nil {
		return err
	}
	g, err := m.group(groupID)
	if err == nil {
		m.groups[g].Members = slices.DeleteFunc(m.groups[g].Members, func(s string) bool { return s == userID })
	}
	return m.end(c, err)
}

var _ reconcile.Target = (*Memory)(nil)

// setAttrs returns have with the opt-in fields of set written over it
// ("" removes one), as a new map: a state read earlier keeps its own.
func setAttrs(have, set map[string]string) map[string]string {
	if len(set) == 0 {
		return have
	}
	out := make(map[string]string, len(have)+len(set))
	for k, v := range have {
		out[k] = v
	}
	for k, v := range set {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}
