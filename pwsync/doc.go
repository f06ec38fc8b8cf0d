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
// # Where the cleartext lives
//
// Only in memory: a frame is read into a byte slice that is zeroed once the
// change has been delivered, refused or dropped. Changes wait in a bounded
// in-memory queue; nothing is written to disk, and a change that cannot be
// delivered within [Options.RetryFor] is dropped and reported (the password
// then shows as drift: pwdLastSet later than JumpCloud's password_date).
// Go strings cannot be zeroed, so the copy the HTTP request is built from
// lives until the garbage collector reuses it; SECURITY.md says so.
package pwsync
