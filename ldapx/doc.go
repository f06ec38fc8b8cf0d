// Package ldapx is adjc's only door to Active Directory: it connects over
// LDAPS (or StartTLS), reads the domain's policy and the JumpCloud scope, and
// writes users, passwords and group memberships, turning AD's numeric result
// codes into errors with plain words.
//
// # Connections
//
// [Dial] opens a [Conn] and binds, over LDAPS or StartTLS ([Transport]); a
// DC that refuses StartTLS is an [ErrNoStartTLS] error, never a plaintext
// fallback. A simple bind over an unencrypted connection is refused unless
// [Options.AllowPlaintext] is set, and a password (unicodePwd) is never
// written over one. Each network wait — connect, TLS handshake, StartTLS,
// every answer — has its own timeout, and running out is an [ErrTimeout]
// that names the wait, the URL and the time. Every operation goes through
// go-ldap's [ldap.Client] interface, so tests can wrap the real connection
// ([Options.Wrap]) to inject faults while the data stays real.
//
// # Reading
//
// [Conn.Search] pages every search (AD caps unpaged results at MaxPageSize,
// 1000) and [Conn.Members] reads large member attributes in ranges
// (member;range=0-1499 on Windows; Samba returns all values at once, and both
// are handled). [Conn.ReadScope] computes the import scope: every user that
// is a member, directly or through nested groups, of the JumpCloud group, and
// for each nested group its flattened user set, with nesting cycles reported
// rather than followed forever. A paged read that repeats an entry, or a
// member range that overlaps, shifts or comes short, fails whole with
// [ErrInconsistentRead].
//
// # Identity
//
// Objects are identified by objectGUID in its canonical string form
// ([GUIDString]); the first three fields are little-endian on the wire, so a
// plain byte-order UUID conversion prints the wrong string.
//
// # Change detection
//
// [Conn.DirSync] returns the objects changed since a cookie, and [Watch]
// follows change notifications on a dedicated connection with reconnects.
//
// # Safety
//
// Filter values go through [ldap.EscapeFilter] (or [EqualityFilter]) and DNs
// are built with [RDN] and [JoinDN], which escape per RFC 4514; fuzz tests
// check that no value can change the shape of a filter or a DN.
package ldapx
