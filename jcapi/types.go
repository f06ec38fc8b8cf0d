package jcapi

import "encoding/json"

// Bool returns a pointer to b, for the *bool fields that must be sendable as false.
func Bool(b bool) *bool { return &b }

// String returns a pointer to s, for [SystemUserUpdate] fields.
func String(s string) *string { return &s }

// User states (systemuserreturn.state). PUT accepts only ACTIVATED and SUSPENDED.
const (
	StateStaged    = "STAGED"
	StateActivated = "ACTIVATED"
	StateSuspended = "SUSPENDED"
)

// SystemUser is a v1 system user (components.schemas.systemuserreturn). It is
// also the body of [Client.CreateSystemUser] (systemuserputpost), which drops
// the read-only fields. Booleans are *bool so that false is sent, not omitted.
type SystemUser struct {
	ID                 string `json:"_id,omitempty"`
	Username           string `json:"username,omitempty"`
	Email              string `json:"email,omitempty"`
	Firstname          string `json:"firstname,omitempty"`
	Middlename         string `json:"middlename,omitempty"`
	Lastname           string `json:"lastname,omitempty"`
	Displayname        string `json:"displayname,omitempty"`
	EmployeeIdentifier string `json:"employeeIdentifier,omitempty"`
	JobTitle           string `json:"jobTitle,omitempty"`
	Department         string `json:"department,omitempty"`
	Company            string `json:"company,omitempty"`
	Description        string `json:"description,omitempty"`
	AlternateEmail     string `json:"alternateEmail,omitempty"`
	// Manager is the id of another system user (systemuserreturn.manager:
	// "Relation with another systemuser to identify the last as a
	// manager").
	Manager      string        `json:"manager,omitempty"`
	PhoneNumbers []PhoneNumber `json:"phoneNumbers,omitempty"`

	// State is STAGED, ACTIVATED or SUSPENDED; Suspended mirrors it.
	State         string `json:"state,omitempty"`
	Suspended     *bool  `json:"suspended,omitempty"`
	Activated     *bool  `json:"activated,omitempty"`
	AccountLocked *bool  `json:"account_locked,omitempty"`

	Sudo             *bool `json:"sudo,omitempty"`
	PasswordlessSudo *bool `json:"passwordless_sudo,omitempty"`

	// PasswordDate is when the password was last set (RFC 3339); null or
	// absent when none was. It is how a password change becomes visible.
	PasswordDate           string `json:"password_date,omitempty"`
	PasswordExpirationDate string `json:"password_expiration_date,omitempty"`
	PasswordExpired        *bool  `json:"password_expired,omitempty"`
	PasswordNeverExpires   *bool  `json:"password_never_expires,omitempty"`

	// ExternallyManaged is deprecated in the spec; setting it fills
	// RestrictedFields. JumpCloud's ADI decommission guide clears it.
	ExternallyManaged  *bool               `json:"externally_managed,omitempty"`
	ExternalDN         string              `json:"external_dn,omitempty"`
	ExternalSourceType string              `json:"external_source_type,omitempty"`
	RestrictedFields   []RestrictedField   `json:"restrictedFields,omitempty"`
	DelegatedAuthority *DelegatedAuthority `json:"delegatedAuthority,omitempty"`
	Attributes         []Attribute         `json:"attributes,omitempty"`

	// Read-only fields, dropped from create bodies.
	Created        string `json:"created,omitempty"`
	Organization   string `json:"organization,omitempty"`
	CreationSource string `json:"creationSource,omitempty"`
}

// PhoneNumber is one entry of a user's phoneNumbers
// (systemuserputpost.phoneNumbers: number and type, free strings of up to
// 1024 characters; the console's types are work, mobile, home, …).
type PhoneNumber struct {
	Number string `json:"number"`
	Type   string `json:"type"`
}

// PhoneWork is the phoneNumbers type AD's telephoneNumber maps to.
const PhoneWork = "work"

// Attribute is a custom user attribute (components.schemas.attribute); the
// spec caps Value at 1024 characters.
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// RestrictedField marks a user field as owned by an external authority
// (components.schemas.restrictedField). An entry with Type
// "active_directory" and Field "password" is, we infer, what the console shows
// as "Password Authority = Active Directory".
type RestrictedField struct {
	Field string `json:"field"`
	Type  string `json:"type"`
	ID    string `json:"id,omitempty"`
}

// Restricted-field authorities (restrictedField.type).
const (
	AuthorityActiveDirectory = "active_directory"
	AuthorityFederatedIdP    = "federated_identity_provider"
	AuthoritySCIM            = "scim"
)

// DelegatedAuthority says where the auth service validates a user's password:
// {name: "ActiveDirectory", id: <AD instance id>}.
type DelegatedAuthority struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// DelegatedAuthorityActiveDirectory is the only name the spec allows (const).
const DelegatedAuthorityActiveDirectory = "ActiveDirectory"

// SystemUserUpdate is a partial update (PUT /systemusers/{id},
// components.schemas.systemuserput): JumpCloud changes only the fields sent,
// so every field is a pointer and nil means "leave as is".
type SystemUserUpdate struct {
	Username           *string             `json:"username,omitempty"`
	Email              *string             `json:"email,omitempty"`
	Firstname          *string             `json:"firstname,omitempty"`
	Middlename         *string             `json:"middlename,omitempty"`
	Lastname           *string             `json:"lastname,omitempty"`
	Displayname        *string             `json:"displayname,omitempty"`
	State              *string             `json:"state,omitempty"`
	Suspended          *bool               `json:"suspended,omitempty"`
	Sudo               *bool               `json:"sudo,omitempty"`
	PasswordlessSudo   *bool               `json:"passwordless_sudo,omitempty"`
	ExternallyManaged  *bool               `json:"externally_managed,omitempty"`
	ExternalDN         *string             `json:"external_dn,omitempty"`
	ExternalSourceType *string             `json:"external_source_type,omitempty"`
	Attributes         *[]Attribute        `json:"attributes,omitempty"`
	RestrictedFields   *[]RestrictedField  `json:"restrictedFields,omitempty"`
	DelegatedAuthority *DelegatedAuthority `json:"delegatedAuthority,omitempty"`
	// The opt-in fields of a field mapping (systemuserput): "" clears
	// one. PhoneNumbers replaces the whole list.
	Department         *string        `json:"department,omitempty"`
	JobTitle           *string        `json:"jobTitle,omitempty"`
	EmployeeIdentifier *string        `json:"employeeIdentifier,omitempty"`
	Manager            *string        `json:"manager,omitempty"`
	PhoneNumbers       *[]PhoneNumber `json:"phoneNumbers,omitempty"`
	// ClearDelegatedAuthority sends delegatedAuthority: null.
	ClearDelegatedAuthority bool `json:"-"`
}

// MarshalJSON sends delegatedAuthority: null when ClearDelegatedAuthority is set.
func (u SystemUserUpdate) MarshalJSON() ([]byte, error) {
	type plain SystemUserUpdate
	b, err := json.Marshal(plain(u))
	if err != nil || !u.ClearDelegatedAuthority || u.DelegatedAuthority != nil {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["delegatedAuthority"] = json.RawMessage("null")
	return json.Marshal(m)
}

// UserGroup is a v2 user group (components.schemas.UserGroup). Create and
// replace bodies are UserGroupPost/UserGroupPut: the same fields without id
// and type.
type UserGroup struct {
	ID               string           `json:"id,omitempty"`
	Name             string           `json:"name"`
	Description      string           `json:"description,omitempty"`
	Email            string           `json:"email,omitempty"`
	Type             string           `json:"type,omitempty"` // always "user_group"
	MembershipMethod string           `json:"membershipMethod,omitempty"`
	Attributes       *GroupAttributes `json:"attributes,omitempty"`
	// Other holds the fields adjc does not model (memberQuery,
	// memberQueryExemptions, memberSuggestionsNotify, …) exactly as the
	// API sent them and sends them back: PUT /usergroups/{id} replaces the
	// whole group, so a read-modify-write that dropped them would turn a
	// dynamic group static or lose its exemptions.
	Other map[string]json.RawMessage `json:"-"`
}

// userGroupFields are the JSON names [UserGroup] models.
var userGroupFields = []string{"id", "name", "description", "email", "type", "membershipMethod", "attributes"}

// MarshalJSON writes the modelled fields, then those in Other.
func (g UserGroup) MarshalJSON() ([]byte, error) {
	type plain UserGroup
	return marshalWithOther(plain(g), g.Other)
}

// UnmarshalJSON reads the modelled fields and keeps the rest in Other.
func (g *UserGroup) UnmarshalJSON(b []byte) error {
	type plain UserGroup
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	other, err := otherFields(b, userGroupFields)
	if err != nil {
		return err
	}
	*g = UserGroup(p)
	g.Other = other
	return nil
}

// GroupAttributes is the subset of GroupAttributes-UserGroup adjc uses.
type GroupAttributes struct {
	Sudo         *GroupSudo  `json:"sudo,omitempty"`
	LDAPGroups   []LDAPGroup `json:"ldapGroups,omitempty"`
	SambaEnabled *bool       `json:"sambaEnabled,omitempty"`
	// Other holds the attributes adjc does not model (posixGroups — the
	// group's GID on Linux —, radius reply attributes, …) as the API sent
	// them, for the same reason as [UserGroup.Other].
	Other map[string]json.RawMessage `json:"-"`
}

// MarshalJSON writes the modelled attributes, then those in Other.
func (a GroupAttributes) MarshalJSON() ([]byte, error) {
	type plain GroupAttributes
	return marshalWithOther(plain(a), a.Other)
}

// UnmarshalJSON reads the modelled attributes and keeps the rest in Other.
func (a *GroupAttributes) UnmarshalJSON(b []byte) error {
	type plain GroupAttributes
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	other, err := otherFields(b, []string{"sudo", "ldapGroups", "sambaEnabled"})
	if err != nil {
		return err
	}
	*a = GroupAttributes(p)
	a.Other = other
	return nil
}

// marshalWithOther marshals v (a struct without JSON methods) and adds the
// fields of other that v does not write.
func marshalWithOther(v any, other map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(other) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, raw := range other {
		if _, ok := m[k]; !ok {
			m[k] = raw
		}
	}
	return json.Marshal(m)
}

// otherFields returns the fields of the JSON object b not named in known;
// nil when there are none (or b is not an object, e.g. null).
func otherFields(b []byte, known []string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, err
	}
	for _, k := range known {
		delete(m, k)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// GroupSudo grants sudo to every member (GraphAttribute-Sudo; both fields are required).
type GroupSudo struct {
	Enabled         bool `json:"enabled"`
	WithoutPassword bool `json:"withoutPassword"`
}

// LDAPGroup names an LDAP group provisioned from a user group.
type LDAPGroup struct {
	Name string `json:"name"`
}

// Graph object types (components.schemas.GraphType) used by adjc.
const (
	TypeUser            = "user"
	TypeUserGroup       = "user_group"
	TypeActiveDirectory = "active_directory"
)

// Graph operations (components.schemas.GraphOperation.op).
const (
	OpAdd    = "add"
	OpRemove = "remove"
	OpUpdate = "update"
)

// GraphObject is one end of a graph edge (components.schemas.GraphObject).
type GraphObject struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// GraphConnection is an edge (components.schemas.GraphConnection).
type GraphConnection struct {
	From       *GraphObject   `json:"from,omitempty"`
	To         GraphObject    `json:"to"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// GraphObjectWithPaths is an object reached through the graph, with every
// path that reaches it (components.schemas.GraphObjectWithPaths). A path of
// length one is a direct edge; a longer one goes through groups.
type GraphObjectWithPaths struct {
	ID                 string              `json:"id"`
	Type               string              `json:"type"`
	Paths              [][]GraphConnection `json:"paths"`
	CompiledAttributes map[string]any      `json:"compiledAttributes,omitempty"`
	ExternalID         string              `json:"externalId,omitempty"`
	SyncStatus         *SyncStatus         `json:"syncStatus,omitempty"`
}

// Direct reports whether one of the paths is a single, direct edge.
func (o GraphObjectWithPaths) Direct() bool {
	for _, p := range o.Paths {
		if len(p) == 1 {
			return true
		}
	}
	return false
}

// SyncStatus is an AD-bound user's last sync result, returned when
// syncStatus=true (components.schemas.SyncStatus).
type SyncStatus struct {
	SyncedAt string           `json:"syncedAt,omitempty"`
	Code     int              `json:"code,omitempty"`
	Message  string           `json:"message,omitempty"`
	Details  []map[string]any `json:"details,omitempty"`
}

// GraphOperation is the body of graph POSTs (members, associations):
// {op, type, id, attributes}.
type GraphOperation struct {
	Op         string         `json:"op"`
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// ActiveDirectory is a v2 AD instance (components.schemas.active-directory).
// Domain is DN-like; the spec's samples write it as DC=example;DC=com.
type ActiveDirectory struct {
	ID                 string `json:"id,omitempty"`
	Domain             string `json:"domain,omitempty"`
	UseCase            string `json:"useCase,omitempty"`         // UNSET TWOWAYSYNC JCASAUTHORITY ADASAUTHORITY
	DelegationState    string `json:"delegationState,omitempty"` // ENABLED PENDING DISABLED
	GroupsEnabled      *bool  `json:"groupsEnabled,omitempty"`
	PrimaryAgent       string `json:"primaryAgent,omitempty"`
	PrimaryImportAgent string `json:"primaryImportAgent,omitempty"`
	UpdatedAt          string `json:"updatedAt,omitempty"`
	Permission         string `json:"permission,omitempty"`
	OrganizationID     string `json:"organizationId,omitempty"`
}

// Agent types (components.schemas.active-directory-agent.agentType).
const (
	AgentSync   = "SYNC"
	AgentImport = "IMPORT"
)

// Agent is an AD agent registration (active-directory-agent-get/-list).
// ConnectKey is returned once, by [Client.CreateAgent].
type Agent struct {
	ID                string `json:"id"`
	AgentType         string `json:"agentType,omitempty"`
	ConnectKey        string `json:"connectKey,omitempty"`
	State             string `json:"state,omitempty"` // unsealed active inactive
	Version           string `json:"version,omitempty"`
	Hostname          string `json:"hostname,omitempty"`
	HostType          string `json:"hostType,omitempty"`
	ContactAt         string `json:"contactAt,omitempty"`
	PasswordUpdatedAt string `json:"passwordUpdatedAt,omitempty"`
	SourceIP          string `json:"source_ip,omitempty"`
}

// Organization is a v1 organization (components.schemas.organization), cut to
// what adjc reads.
type Organization struct {
	ID          string                `json:"_id"`
	DisplayName string                `json:"displayName,omitempty"`
	Created     string                `json:"created,omitempty"`
	Settings    *OrganizationSettings `json:"settings,omitempty"`
}

// OrganizationSettings is the part of components.schemas.organizationsettings
// about users and passwords.
type OrganizationSettings struct {
	Name string `json:"name,omitempty"`
	// PasswordCompliance is custom, pci3 or windows; PasswordPolicy applies
	// only when it is custom.
	PasswordCompliance         string                      `json:"passwordCompliance,omitempty"`
	PasswordPolicy             *PasswordPolicy             `json:"passwordPolicy,omitempty"`
	NewSystemUserStateDefaults *NewSystemUserStateDefaults `json:"newSystemUserStateDefaults,omitempty"`
}

// NewSystemUserStateDefaults is the state given to created users (ACTIVATED or STAGED).
type NewSystemUserStateDefaults struct {
	ApplicationImport string `json:"applicationImport,omitempty"`
	CSVImport         string `json:"csvImport,omitempty"`
	ManualEntry       string `json:"manualEntry,omitempty"`
}

// PasswordPolicy is the org's password policy
// (organizationsettings.passwordPolicy). Each rule counts only when its
// enable* switch is on, except the needs* rules, which stand alone.
type PasswordPolicy struct {
	EnableMinLength                     bool `json:"enableMinLength,omitempty"`
	MinLength                           int  `json:"minLength,omitempty"`
	NeedsLowercase                      bool `json:"needsLowercase,omitempty"`
	NeedsUppercase                      bool `json:"needsUppercase,omitempty"`
	NeedsNumeric                        bool `json:"needsNumeric,omitempty"`
	NeedsSymbolic                       bool `json:"needsSymbolic,omitempty"`
	EnableMaxHistory                    bool `json:"enableMaxHistory,omitempty"`
	MaxHistory                          int  `json:"maxHistory,omitempty"`
	AllowUsernameSubstring              bool `json:"allowUsernameSubstring,omitempty"`
	DisallowCommonlyUsedPasswords       bool `json:"disallowCommonlyUsedPasswords,omitempty"`
	DisallowSequentialOrRepetitiveChars bool `json:"disallowSequentialOrRepetitiveChars,omitempty"`
	EnablePasswordExpirationInDays      bool `json:"enablePasswordExpirationInDays,omitempty"`
	PasswordExpirationInDays            int  `json:"passwordExpirationInDays,omitempty"`
	EnableMinChangePeriodInDays         bool `json:"enableMinChangePeriodInDays,omitempty"`
	MinChangePeriodInDays               int  `json:"minChangePeriodInDays,omitempty"`
	EnableMaxLoginAttempts              bool `json:"enableMaxLoginAttempts,omitempty"`
	MaxLoginAttempts                    int  `json:"maxLoginAttempts,omitempty"`
	EnableLockoutTimeInSeconds          bool `json:"enableLockoutTimeInSeconds,omitempty"`
	LockoutTimeInSeconds                int  `json:"lockoutTimeInSeconds,omitempty"`
}

// pageID is the id paging checks for repeats (see [PageError]).
func (u SystemUser) pageID() string           { return u.ID }
func (g UserGroup) pageID() string            { return g.ID }
func (o GraphObjectWithPaths) pageID() string { return typedID(o.Type, o.ID) }
func (c GraphConnection) pageID() string      { return typedID(c.To.Type, c.To.ID) }
func (a ActiveDirectory) pageID() string      { return a.ID }
func (a Agent) pageID() string                { return a.ID }
func (o Organization) pageID() string         { return o.ID }

// typedID keys a graph object by type and id ("" when it has no id).
func typedID(typ, id string) string {
	if id == "" {
		return ""
	}
	return typ + ":" + id
}
