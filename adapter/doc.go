// Package adapter is the one place where adjc converts between the engine's
// plain values ([reconcile.Directory], [reconcile.Cloud], [reconcile.Target])
// and the clients that talk to the outside: [ldapx.Conn] for Active Directory
// and [jcapi.Client] for JumpCloud. Package reconcile never imports the
// clients (STYLE §1); commands never convert values themselves.
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
