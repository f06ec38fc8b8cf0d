// Package adapter is the one place where adjc converts between the engine's
// plain values ([reconcile.Directory], [reconcile.Cloud], [reconcile.Target])
// and the clients that talk to the outside: [ldapx.Conn] for Active Directory
// and [jcapi.Client] for JumpCloud. Package reconcile never imports the
// clients (STYLE §1); commands never convert values themselves.
//
// Both directions read the same two values, each its own part of the
// directories: an import reads the AD scope ([ReadDirectory]) and all of
// JumpCloud ([ReadCloudFor]); a sync reads what is bound to the JumpCloud AD
// domain object ([ReadBound]) and only the AD objects that could match it
// ([ReadDomain]). The readers stay apart because what they read differs,
// not only how it is named.
//
// # Anchors in JumpCloud
//
// A system user adjc manages carries the AD objectGUID as the custom attribute
// adjcObjectGUID (see [AnchorAttribute]), beside `external_dn` and
// `external_source_type`, the fields JumpCloud itself uses to mark AD-managed
// users. A user group carries it in its v2 `description`, written as
// "Mirrored from Active Directory by adjc (objectGUID <guid>)" and parsed
// back strictly ([GroupAnchor]): the UserGroup schema has no free-form
// attributes the service is documented to keep, while description is a
// plain string every JumpCloud API version stores and returns.
package adapter
