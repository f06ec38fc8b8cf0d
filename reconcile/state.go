package reconcile

import "time"

// Directory is the Active Directory side, in both directions: what
// JumpCloud should hold on import (AD → JumpCloud, [ToJumpCloud]), and what
// the domain holds now on sync (JumpCloud → AD, [ToAD]). The fields a
// direction does not use are empty (the readers in package adapter fill
// only their own).
//
// On import the reader has already resolved scope, so every user and group
// is a member, directly or through nested groups, of the `JumpCloud` group
// in the Root User container. On sync it holds the domain's users and
// groups that sync may match with the JumpCloud side, by username, email,
// objectGUID or group name.
type Directory struct {
	// Container is the Root User container DN, where sync creates users and
	// groups (seed 003: "the AD bound groups in JumpCloud are required to
	// live under the configured Root User container"). Sync only.
	Container string
	// Users are, on import, the user objects in scope; on sync, the
	// domain's users that sync may match. A sync reader may narrow them to
	// those matching a bound user (the adapter does); the plan is the same,
	// its fingerprint not. In any order.
	Users []ADUser
	// Groups are, on import, the groups mirrored into JumpCloud, with
	// flattened members; on sync, the domain's groups whose names or
	// anchors match a bound group, with direct members ([ADGroup.Members]).
	Groups []ADGroup
	// Admins holds the objectGUIDs of the direct members of `JumpCloud Admins`
	// (import only; seed 001: "This function does not support members of nested groups").
	Admins []string
	// NestedAdmins holds the objectGUIDs that are members of `JumpCloud Admins`
	// only through nested groups; they count as admins when
	// [Policy.NestedAdmins] is set.
	NestedAdmins []string
	// Cycles are nesting cycles the reader found while flattening; they are
	// reported and the run continues.
	Cycles []Cycle
	// Skipped are objects the reader itself left out (for example a user
	// outside the Root User container); [Diff] copies them into the plan so
	// the operator sees every reason in one place.
	Skipped []Skip
	// NeverTouch names the AD objects never imported, managed, taken over
	// or written, in both directions.
	NeverTouch NeverTouch
	// Authority is the JumpCloud AD domain object imported users and
	// groups are marked with and associated with (import only).
	Authority Authority
	// Mapped names the opt-in fields ([Field.OptIn]) this import carries:
	// those field_mapping names and those the domain's translation rules
	// map. Empty for none: then no opt-in field is compared or written.
	Mapped []string
}

// ADUser is one Active Directory user in scope.
type ADUser struct {
	// GUID is the objectGUID in canonical string form, the identity anchor.
	GUID string
	// DN is the distinguishedName, used in messages only: it changes on a move.
	DN string
	// Username is the value of the configured username attribute
	// (sAMAccountName by default; the seeds' UserFieldMapping).
	Username string
	// GivenName is givenName, mirrored to JumpCloud firstname.
	GivenName string
	// Surname is sn, mirrored to JumpCloud lastname.
	Surname string
	// Mail is mail; JumpCloud email falls back to UPN when it is empty.
	Mail string
	// UPN is userPrincipalName (seed 001: the "User logon name" fallback).
	UPN string
	// Disabled reports userAccountControl ACCOUNTDISABLE.
	Disabled bool
	// Privileged reports adminCount=1 (AdminSDHolder-protected accounts such
	// as Domain Admins), which adjc never imports or manages (seed 002).
	Privileged bool
	// PwdLastSet is pwdLastSet, compared with JumpCloud password_date only to
	// report password drift; zero when never set or unknown.
	PwdLastSet time.Time
	// SID is objectSid in string form (S-1-5-21-…-1104); a well-known one
	// (a RID below 1000, or not a domain SID at all) is never touched.
	SID string
	// Critical reports isCriticalSystemObject=TRUE (krbtgt, Guest and the
	// other objects AD itself depends on): never touched.
	Critical bool
	// Computer reports objectClass computer. Computer accounts are users in
	// AD's class hierarchy; a reader that finds one holding a name sync
	// looks for reports it so, and it is never touched.
	Computer bool
	// Attrs holds the values of the opt-in fields in [Directory.Mapped],
	// by field name ([Field.Name]); an absent or empty value is an empty
	// attribute in AD. A [ValueUserRef] holds the objectGUID of the user
	// the attribute names when it is in scope, its DN otherwise.
	Attrs map[string]string
}

// ADGroup is one Active Directory group: on import, one mirrored into
// JumpCloud; on sync, one a JumpCloud group may be written to.
type ADGroup struct {
	// GUID is the objectGUID in canonical string form.
	GUID string
	// DN is the distinguishedName, for messages.
	DN string
	// Name is the group name JumpCloud shows (cn / sAMAccountName); sync
	// matches it with the JumpCloud group name case-insensitively (seed
	// 002: "JumpCloud syncs … for groups: Group Name").
	Name string
	// Members are objectGUIDs of users, and mean something else per
	// direction. On import they are the users in the group after nested
	// groups are flattened (seed 001: Group1 = {User1, User2, Group2}
	// becomes User1..User4); groups are not members: JumpCloud has no
	// nesting. On sync they are the group's direct members that are users
	// (a reader may keep only those in [Directory.Users]: the plan adds and
	// removes no others); other members (groups, computers, contacts) are
	// never touched.
	Members []string
	// MembersConfirmed is set by a reader that read an empty member list a
	// second time: only then may [Diff] towards JumpCloud remove every
	// managed member of the JumpCloud group it mirrors (a list that
	// suddenly empties is more often a bad read than an emptied group).
	MembersConfirmed bool
	// SID, Critical and Privileged are objectSid, isCriticalSystemObject and
	// adminCount=1 (Domain Admins and the other AdminSDHolder-protected
	// groups), as on [ADUser]: such a group is never mirrored, and sync
	// never writes to it.
	SID        string
	Critical   bool
	Privileged bool
	// Anchor is the id of the JumpCloud group this AD group was created
	// for or taken over by, which sync records in the group (the adapter
	// uses adminDescription), so a group renamed in JumpCloud is renamed in
	// AD rather than created again under the new name. Empty when none is
	// recorded. Sync only.
	Anchor string
	// AnchorSlotTaken reports that the attribute holding anchors carries
	// something else (an operator's text): sync neither overwrites it nor
	// records an anchor, and the group stays matched by name. Sync only.
	AnchorSlotTaken bool
	// Scope marks the `JumpCloud` group itself, whose members are every
	// user in scope. It is mirrored to JumpCloud like the groups nested in
	// it (seed 002: "This group is synced to your JumpCloud Administrator
	// Portal"), though it is never written in AD: being the scope group,
	// it is on the never-touch list, which guards AD, not this mirror.
	// Import only.
	Scope bool
}

// Cycle is a loop in group nesting, e.g. [G1 G2 G1].
type Cycle struct {
	// Path lists the group names along the loop, first repeated last.
	Path []string
}

// Cloud is the JumpCloud side, in both directions: on import, what the
// organisation holds now; on sync (the AD Sync agent's job), the users and
// user groups bound to the JumpCloud AD domain object, which Active
// Directory should hold.
type Cloud struct {
	// Users are, on import, all JumpCloud system users, managed by adjc or
	// not; on sync, the users bound to the domain object, directly or
	// through a bound group (GET /activedirectories/{id}/users). Anchor is
	// set on users that `import` mirrored from AD.
	Users []CloudUser
	// Groups are, on import, all JumpCloud user groups, mirrored or
	// JumpCloud-only; on sync, the user groups bound to the domain object,
	// with their member JumpCloud ids. Anchor is set on groups mirrored
	// from AD.
	Groups []CloudGroup
}

// CloudUser is one JumpCloud system user.
type CloudUser struct {
	// ID is the JumpCloud `_id`.
	ID string
	// Username is `username`; JumpCloud compares it case-insensitively.
	Username string
	// Email is `email`; unique in the organisation, case-insensitive.
	Email string
	// Firstname is `firstname`.
	Firstname string
	// Lastname is `lastname`.
	Lastname string
	// Suspended is `suspended`.
	Suspended bool
	// Staged is `state` STAGED: created but never activated, as a user
	// import creates is until its activation (which a failed run may
	// have left undone).
	Staged bool
	// Admin is `sudo`, shown as "Global Administrator/Sudo" in the console,
	// which the seeds grant to members of `JumpCloud Admins`.
	Admin bool
	// Anchor is the objectGUID of the AD user this user mirrors, empty for a
	// JumpCloud-only user (stored as the custom attribute adjcObjectGUID; see
	// the package documentation).
	Anchor string
	// PasswordDate is `password_date`, the last password change in JumpCloud.
	PasswordDate time.Time
	// Markers are the fields and the association that make the user
	// AD-managed in the console.
	Markers Markers
	// Attrs holds the values of the opt-in fields ([Field.OptIn]) as
	// JumpCloud holds them, by field name: the `work` phone number for
	// [ValueWorkPhone], the user id for [ValueUserRef].
	Attrs map[string]string
}

// CloudGroup is one JumpCloud user group.
type CloudGroup struct {
	// ID is the group `id`.
	ID string
	// Name is `name`.
	Name string
	// Anchor is the objectGUID of the AD group it mirrors, empty for a
	// JumpCloud-only group.
	Anchor string
	// Members are the JumpCloud user IDs bound to the group.
	Members []string
	// Bound reports a direct association with the AD domain object of the
	// [Authority] the state was read for.
	Bound bool
	// MembersConfirmed is set by a reader that read an empty member list a
	// second time: only then may [Diff] towards AD remove every bound
	// member from the AD group (a list answered as [] is more often a bad
	// read than an emptied group).
	MembersConfirmed bool
}
