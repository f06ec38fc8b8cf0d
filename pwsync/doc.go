// Package pwsync delivers password changes caught on a domain controller to
// JumpCloud: the AD → JumpCloud half of password sync.
//
// LDAP never returns a password, so the cleartext can only be caught where a
// DC accepts a change: on Samba DCs by `samba-tool user syncpasswords
// --decrypt-samba-gpg --script=…` (see [RunSamba] and [ParseSambaLDIF]), on
// Windows DCs by the password filter DLL in winfilter/, which writes to a
// named pipe served by [Serve]. Every capture point speaks the same small
// wire format ([WriteFrame], [ReadFrame]); the [Deliverer] maps each change to
// its JumpCloud user through the objectGUID anchor, checks the JumpCloud
// password policy, sets the password and reports an [Outcome] that never
// carries the password.
//
// # Wire format
//
// A frame is a sequence of netstrings ("<decimal length>:<bytes>,", D. J.
// Bernstein's format, chosen because a C filter DLL can write it with one
// sprintf and a bounded memcpy and a reader can reject oversized input before
// allocating it), ended by the empty netstring "0:,". A request is
//
//	op, id, account, password
//
// where op is "notify" (a change the DC accepted) or "filter" (may this
// password be set? asked before the DC accepts it), id is "guid:<objectGUID>"
// or "rid:<relative id>", account is the sAMAccountName and password is the
// UTF-8 cleartext. A reply is one frame of status and message, status one of
// "queued", "ok", "refused" or "error"; the message never holds the password.
//
// # Which changes are delivered
//
// The gate is the import scope as AD states it now, plus the anchor: the
// account must be a (nested) member of the domain's JumpCloud group, asked
// of the DC for that one account with an in-chain base search
// ([ldapx.Conn.InChain], milliseconds), and a JumpCloud user must carry its
// objectGUID as adjcObjectGUID. The anchor alone is not enough: a user
// removed from scope under the "suspend" option keeps its anchored
// JumpCloud account, and its password must stop flowing the moment it
// leaves the group, not at the next import. Reading the whole scope
// (ldapx's ReadScope) per change would be correct too but costs seconds on
// a large domain. Privileged accounts (adminCount=1), well-known RIDs
// (below 1000), adjc's bind account and the never-touch list are refused
// before either check.
//
// The [Deliverer] is run by `adjc password-sync` alone, or by `adjc schedule`
// (password_sync) beside its runs; either way a stop lets the delivery
// attempt in flight finish.
//
// # Where the cleartext lives
//
// Only in memory: a frame is read into a byte slice that is zeroed once the
// change has been delivered, refused or dropped. Changes wait in a bounded
// in-memory queue; nothing is written to disk, and a change that cannot be
// delivered within [Options.RetryFor] is given up ([GaveUp]) and reported;
// JumpCloud then keeps the old password until the next change (AD's
// pwdLastSet is later than JumpCloud's password_date, which `adjc diff`
// shows as password drift).
// Go strings cannot be zeroed, so the copy the HTTP request is built from
// lives until the garbage collector reuses it; SECURITY.md says so.
package pwsync
