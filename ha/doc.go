// Package ha lets several `adjc schedule` processes serve one domain, on
// different hosts, with exactly one of them writing at a time. It uses etcd
// through its official client (go.etcd.io/etcd/client/v3 and its concurrency
// package): leader election, leases and transactions, not a lock protocol
// of adjc's own.
//
// # Election
//
// An [Elector] campaigns for its domain under <prefix>/<domain>/election with
// a session whose lease lives [Config.LeaseTTL] (10 s by default) after the
// last keepalive. The winner stays leader until it resigns (a graceful stop:
// the others take over within milliseconds) or its lease expires (a crash or
// a lost network: within the TTL). Each instance also keeps a member key
// under <prefix>/<domain>/members, bound to the same lease, for
// [ReadStatus].
//
// [Elector.IsLeader] implements gocron v2's Elector, so the same scheduler
// runs alone or in a group.
//
// # Fencing
//
// Being elected once proves nothing later. Before each write batch the
// leader proves it still holds the election key with a transaction that
// compares the key's create revision and lease with its own
// ([Elector.IsLeader]); every write of shared state ([Store.Update]) carries
// the same comparison, so a deposed leader's write fails in etcd instead of
// landing. And a leader that cannot reach etcd gives up by itself: it counts
// leadership as lost [Config.LeaseTTL] minus a margin after the last
// keepalive etcd answered, before the lease can expire on etcd's side and
// another instance can win ([Elector.Lead] cancels the run in progress then).
//
// # Shared state
//
// [Store] keeps the domain's schedule.State (DirSync cookie, last run, last
// success, the destructive-change budget's ledger) in one etcd key,
// <prefix>/<domain>/state, outside the election prefix: the election treats
// every key under its prefix as a candidate. The operator's pause flag is a
// key of its own ([Pause]), written without leadership, and so is each
// release of held removals ([Approve], <prefix>/<domain>/approved/...),
// which the leader's [Ledger] counts and clears.
//
// After each full run the leader shares what it read
// ([Store.SaveSnapshot]): gzip'd, in chunks of 1 MiB (etcd refuses requests
// over 1.5 MiB by default) under <prefix>/<domain>/snapshot-data/<gen>/,
// described at <prefix>/<domain>/snapshot with the configuration's
// fingerprint, the DirSync cookie read before the read and its time. A new
// leader loads it ([Store.LoadSnapshot]) and catches up with a delta from
// that cookie instead of reading everything. A read that did not change
// rewrites only the description; etcd keeps old revisions until it
// compacts, so run etcd with --auto-compaction-retention.
//
// # Writer lock
//
// [WriterLock] is the group's one-writer lock (a concurrency.Mutex under
// <prefix>/<domain>/writer). The leader takes it for each run, on its
// election lease ([Elector.WriterLock]); a one-shot writing command on any
// host takes it too, waits, and names the holder when the wait ends, as
// the file lock does on one host. A one-shot command's writes of the budget
// are fenced by the lock ([OpenWriterStore]).
//
// # Health
//
// [Elector.Ready] says whether a follower could take over: etcd answered
// it within the lease TTL.
package ha
