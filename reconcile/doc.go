// Package reconcile is the adjc sync engine: it compares the Active Directory
// side ([Directory]) with the JumpCloud side ([Cloud]) in one [Direction],
// computes a [Plan] with the pure function [Diff], and carries the plan out
// through a [Target] with [Apply].
//
// Data flows one way: readers (ldapx, jcapi) build the plain values in this
// package, [Diff] turns them into a [Plan] that can be rendered, saved as JSON
// and reviewed, and [Apply] does exactly what the plan says and nothing else.
// Callers observe progress through [ApplyOptions.OnOutcome].
//
// # Identity
//
// A JumpCloud user or group that adjc manages carries an anchor: the
// objectGUID of the Active Directory object it mirrors, as a canonical
// lower-case string ("3f2504e0-4f89-11d3-9a0c-0305e82c3301"). objectGUID never
// changes, unlike sAMAccountName or the DN, so a logon-name rename or a move
// between OUs is an update of the same JumpCloud user, not the delete and
// re-create the seed AD Import agent performs (seed 001: "If you change the
// User logon name … A new user will be created").
//
// Where the anchor lives in JumpCloud is the adapter's concern; adjc stores it
// in the system user's custom attributes (the `attributes` list of
// {name, value} pairs) as name "adjcObjectGUID", beside the `external_dn` and
// `external_source_type` fields JumpCloud itself uses to mark AD-managed
// users. A custom attribute survives edits in the console and is readable
// with a plain list call, whereas `restrictedFields` only says which fields
// are read-only. A user group has no custom attributes the service is known
// to keep, so its anchor lives in the v2 `description`, written as
// "Mirrored from Active Directory by adjc (objectGUID <guid>)" and parsed back
// strictly (package adapter).
// A JumpCloud object without an anchor is JumpCloud-only: [Diff] never changes,
// deletes or un-binds it, except that it may adopt a user or group whose
// username, email or name matches an AD object, which is planned as its own
// [Adopt] change so an operator sees it before it happens.
//
// # Directions
//
// Both directions read the same two sides, a [Directory] and a [Cloud], and
// take the same [Policy]; the [Direction] value says which side is desired.
// [Diff] with [ToJumpCloud] plans AD → JumpCloud (AD Import), with [ToAD]
// JumpCloud → AD (AD Sync); [Fingerprint] takes the same three arguments.
// Both produce the same [Plan] (with [Plan.Direction]), in directory-neutral
// [Change] values that the one [Apply] carries out through a [Target];
// package pipeline gives each direction its labels and is the only caller
// of Apply.
//
// # Safety
//
// The engine enforces the never-touch set ([NeverTouch]: well-known RIDs,
// critical system objects, adminCount=1, computers, adjc's own accounts and
// groups, the operator's list, anything outside the write scope) in both
// directions, and names every removal ([IsRemoval]) so that the pipeline can
// hold the ones over the destructive-change budget ([Policy.Allowance]).
// A member list that reads empty while the other side has members plans no
// removal until a second read confirms it ([Plan.Rechecks]).
//
// # Purity
//
// The package does no I/O, logging or clock reads of its own, and imports
// no project package that does (only secret, for passwords being checked):
// `go list -deps ./reconcile` is the proof. Readers (package adapter over
// ldapx and jcapi) build its values; writers implement [Target].
package reconcile
