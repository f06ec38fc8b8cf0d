package jcemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/adjc/adjc/jcapi"
)

// ErrNoOrg is returned when a seeding call names an unknown org.
var ErrNoOrg = errors.New("jcemu: no such organization")

// AddOrg creates an organization and returns its id. Its password policy is
// unset (no rules) until [Server.SetPasswordPolicy].
func (s *Server) AddOrg(displayName string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addOrgLocked("", displayName)
}

// AddOrgWithID creates an organization with a chosen 24-hex id (the lab
// uses it to keep a stable id across restarts); it returns an error if the
// id is malformed or taken.
func (s *Server) AddOrgWithID(id, displayName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !objectID.MatchString(id) {
		return fmt.Errorf("jcemu: org id %q is not 24 lowercase hex digits", id)
	}
	if s.st.Orgs[id] != nil {
		return fmt.Errorf("jcemu: org %s already exists", id)
	}
	s.addOrgLocked(id, displayName)
	return nil
}

func (s *Server) addOrgLocked(id, displayName string) string {
	if id == "" {
		id = s.st.newID()
	}
	o := &org{Doc: doc{"_id": id, "displayName": displayName, "created": s.stamp(),
		"settings": map[string]any{"name": displayName, "passwordCompliance": "custom", "passwordPolicy": map[string]any{}}}}
	o.init()
	s.st.Orgs[id] = o
	return id
}

// HasOrg reports whether the org exists (for a state file reloaded at start).
func (s *Server) HasOrg(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Orgs[id] != nil
}

// AddAPIKey lets key act on the given orgs. A key with several orgs is a
// multi-tenant admin's and must send x-org-id. Only a hash is stored.
// Adding a known key again replaces its orgs.
func (s *Server) AddAPIKey(key string, orgIDs ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == "" {
		return errors.New("jcemu: empty API key")
	}
	for _, id := range orgIDs {
		if s.st.Orgs[id] == nil {
			return fmt.Errorf("%w: %s", ErrNoOrg, id)
		}
	}
	if k := s.st.key(key); k != nil {
		k.Orgs = slices.Clone(orgIDs)
		return nil
	}
	s.st.Keys = append(s.st.Keys, &apiKey{Hash: hashSecret(key), Orgs: slices.Clone(orgIDs)})
	return nil
}

func (s *Server) org(id string) (*org, error) {
	o := s.st.Orgs[id]
	if o == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoOrg, id)
	}
	return o, nil
}

// SetPasswordPolicy sets the org's passwordCompliance (custom, pci3 or
// windows) and its custom passwordPolicy.
func (s *Server) SetPasswordPolicy(orgID, compliance string, p jcapi.PasswordPolicy) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return err
	}
	settings := o.Doc["settings"].(map[string]any)
	settings["passwordCompliance"] = compliance
	settings["passwordPolicy"] = toDoc(p)
	return nil
}

// SetNewUserState sets newSystemUserStateDefaults.manualEntry (ACTIVATED or STAGED).
func (s *Server) SetNewUserState(orgID, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return err
	}
	o.Doc["settings"].(map[string]any)["newSystemUserStateDefaults"] = map[string]any{"manualEntry": state}
	return nil
}

func toDoc(v any) doc {
	b, _ := json.Marshal(v)
	var d doc
	_ = json.Unmarshal(b, &d)
	if d == nil {
		d = doc{}
	}
	return normalizeNumbers(d).(doc)
}

func fromDoc[T any](d doc) T {
	var v T
	b, _ := json.Marshal(d)
	_ = json.Unmarshal(b, &v)
	return v
}

func apiErr(e *apiError) error {
	if e == nil {
		return nil
	}
	return fmt.Errorf("jcemu: %d %s: %s", e.Code, e.Status, e.Message)
}

// AddUser creates a user as POST /systemusers would, with the same checks
// (password policy included if u carries none, since jcapi.SystemUser has no
// password). It returns the stored user.
func (s *Server) AddUser(orgID string, u jcapi.SystemUser) (jcapi.SystemUser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return jcapi.SystemUser{}, err
	}
	d, e := s.createUser(o, toDoc(u), false)
	if e != nil {
		return jcapi.SystemUser{}, apiErr(e)
	}
	return fromDoc[jcapi.SystemUser](d), nil
}

// SetUserPassword sets a password as PUT /systemusers/{id} would, policy
// and history included.
func (s *Server) SetUserPassword(orgID, userID, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return err
	}
	_, e := s.updateUser(o, userID, doc{"password": password}, true)
	return apiErr(e)
}

// AddUserGroup creates a group as POST /usergroups would.
func (s *Server) AddUserGroup(orgID string, g jcapi.UserGroup) (jcapi.UserGroup, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return jcapi.UserGroup{}, err
	}
	g.ID, g.Type = "", ""
	d, e := s.createGroup(o, toDoc(g))
	if e != nil {
		return jcapi.UserGroup{}, apiErr(e)
	}
	return fromDoc[jcapi.UserGroup](d), nil
}

// AddMember puts a user in a group.
func (s *Server) AddMember(orgID, groupID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return err
	}
	if !o.exists("user_group", groupID) || !o.exists("user", userID) {
		return fmt.Errorf("jcemu: add member: group %s or user %s not found", groupID, userID)
	}
	if o.addMember(groupID, userID) {
		s.recordAssociation(o, "add", "user_group", groupID, edge{"user", userID})
	}
	return nil
}

// AddActiveDirectory creates an AD instance for domain (a DN, e.g.
// "DC=example,DC=com") as POST /activedirectories would.
func (s *Server) AddActiveDirectory(orgID, domain string) (jcapi.ActiveDirectory, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return jcapi.ActiveDirectory{}, err
	}
	d, e := s.createAD(o, doc{"domain": domain})
	if e != nil {
		return jcapi.ActiveDirectory{}, apiErr(e)
	}
	return fromDoc[jcapi.ActiveDirectory](d), nil
}

// UpdateActiveDirectory sets the fields of an AD instance that are set in
// ad (domain, useCase, delegationState, groupsEnabled), checked against the
// spec's enums as PATCH /activedirectories/{id} checks them. Tests use it to
// put a domain object in each state the spec allows.
func (s *Server) UpdateActiveDirectory(orgID, adID string, ad jcapi.ActiveDirectory) (jcapi.ActiveDirectory, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return jcapi.ActiveDirectory{}, err
	}
	d := o.ADs.Docs[adID]
	if d == nil {
		return jcapi.ActiveDirectory{}, fmt.Errorf("jcemu: active directory %s not found", adID)
	}
	f, e := adFields(toDoc(jcapi.ActiveDirectory{Domain: ad.Domain, UseCase: ad.UseCase, DelegationState: ad.DelegationState, GroupsEnabled: ad.GroupsEnabled}))
	if e != nil {
		return jcapi.ActiveDirectory{}, apiErr(e)
	}
	for k, v := range f {
		d[k] = v
	}
	d["updatedAt"] = s.stamp()
	return fromDoc[jcapi.ActiveDirectory](d), nil
}

// Bind binds a user (targetType "user") or group ("user_group") to an AD instance.
func (s *Server) Bind(orgID, adID, targetType, targetID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return err
	}
	if !o.exists("active_directory", adID) || !o.exists(targetType, targetID) {
		return fmt.Errorf("jcemu: bind: active directory %s or %s %s not found", adID, targetType, targetID)
	}
	if o.bind(adID, edge{targetType, targetID}) {
		s.recordAssociation(o, "add", "active_directory", adID, edge{targetType, targetID})
	}
	return nil
}

// SetSyncStatus records what GET /activedirectories/{id}/users?syncStatus=true
// reports for a user.
func (s *Server) SetSyncStatus(orgID, userID string, st jcapi.SyncStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return err
	}
	o.Sync[userID] = toDoc(st)
	return nil
}

// Registration is what a redeemed connect key identifies.
type Registration struct {
	OrgID, ActiveDirectoryID, AgentID string
}

// RedeemConnectKey uses an agent's one-time connect key: the agent turns
// active and the key stops working. It stands in for the agent's private
// registration call, which the public spec does not describe.
func (s *Server) RedeemConnectKey(key, hostname string) (Registration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ak := s.st.ConnectKeys[hashSecret(key)]
	if ak == nil || ak.Used {
		return Registration{}, errors.New("jcemu: connect key is unknown or already used")
	}
	o := s.st.Orgs[ak.Org]
	col := o.Agents[ak.AD]
	if o == nil || col == nil || col.Docs[ak.Agent] == nil {
		return Registration{}, errors.New("jcemu: connect key's agent was deleted")
	}
	ak.Used = true
	d := col.Docs[ak.Agent]
	d["state"], d["hostname"], d["contactAt"] = "active", hostname, s.stamp()
	return Registration{OrgID: ak.Org, ActiveDirectoryID: ak.AD, AgentID: ak.Agent}, nil
}

// Users returns the org's users in id order.
func (s *Server) Users(orgID string) []jcapi.SystemUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.Orgs[orgID]
	if o == nil {
		return nil
	}
	out := make([]jcapi.SystemUser, 0, len(o.Users.IDs))
	for _, d := range o.Users.all() {
		out = append(out, fromDoc[jcapi.SystemUser](d))
	}
	return out
}

// UserGroups returns the org's groups in id order.
func (s *Server) UserGroups(orgID string) []jcapi.UserGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.Orgs[orgID]
	if o == nil {
		return nil
	}
	var out []jcapi.UserGroup
	for _, d := range o.Groups.all() {
		out = append(out, fromDoc[jcapi.UserGroup](d))
	}
	return out
}

// Members returns a group's member user ids, sorted.
func (s *Server) Members(orgID, groupID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.st.Orgs[orgID]; o != nil {
		return slices.Clone(o.Members[groupID])
	}
	return nil
}

// Bindings returns what is bound to an AD instance, sorted by id.
func (s *Server) Bindings(orgID, adID string) []jcapi.GraphObject {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.Orgs[orgID]
	if o == nil {
		return nil
	}
	var out []jcapi.GraphObject
	for _, b := range o.Bindings[adID] {
		out = append(out, jcapi.GraphObject{ID: b.ID, Type: b.Type})
	}
	return out
}

// ActiveDirectories returns the org's AD instances in id order.
func (s *Server) ActiveDirectories(orgID string) []jcapi.ActiveDirectory {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.Orgs[orgID]
	if o == nil {
		return nil
	}
	var out []jcapi.ActiveDirectory
	for _, d := range o.ADs.all() {
		out = append(out, fromDoc[jcapi.ActiveDirectory](d))
	}
	return out
}

// Agents returns an AD instance's agents in id order (without connect keys).
func (s *Server) Agents(orgID, adID string) []jcapi.Agent {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.Orgs[orgID]
	if o == nil || o.Agents[adID] == nil {
		return nil
	}
	var out []jcapi.Agent
	for _, d := range o.Agents[adID].all() {
		out = append(out, fromDoc[jcapi.Agent](d))
	}
	return out
}

// Outbox returns the emails the org's users would have been sent, oldest
// first (see [Email]).
func (s *Server) Outbox(orgID string) []Email {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.Orgs[orgID]
	if o == nil {
		return nil
	}
	return slices.Clone(o.Outbox)
}

// PasswordMatches reports whether password is the user's current password,
// as JumpCloud's own login would check it: tests verify what was set
// without the emulator ever returning a password (it keeps only hashes).
func (s *Server) PasswordMatches(orgID, userID, password string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return false, err
	}
	if !o.exists("user", userID) {
		return false, fmt.Errorf("jcemu: no user %s", userID)
	}
	h := o.History[userID]
	return len(h) > 0 && h[len(h)-1] == hashSecret(password), nil
}
