// Package schedule runs adjc's reconcile work again and again in one
// long-lived process, the way the seeds' agents poll every 90 seconds, and
// reacts to Active Directory changes as they happen.
//
// It knows nothing about commands, LDAP or JumpCloud: the work is a [RunFunc]
// and change notifications arrive as [Event] values, so the same machinery
// drives `import`, `sync` or both, and tests drive it with fakes.
//
// # Runs
//
// A [Scheduler] runs the work on a gocron v2 duration job (90 s by default),
// once at start and then every interval, as a singleton: a run that outlasts
// the interval makes the next tick be skipped (gocron's LimitModeReschedule),
// never doubled. Watch-triggered runs and retries share one run lock, so no
// two runs ever overlap. Each run ends with exactly one log line with its
// trigger, counts and duration, and updates [Metrics] and the [Store].
//
// # Stopping
//
// Cancelling the context given to [Scheduler.Run] is a graceful stop: no new
// run starts, the current one finishes with a context that is not cancelled,
// and Run returns nil. A second signal is main's business: it restores the
// default signal action after the first, so the process dies at once.
//
// # Trouble
//
// A run that fails because Active Directory or JumpCloud cannot be reached
// ([IsUnreachable]) starts a backoff: retries after a growing delay
// (Options.MinBackoff doubling up to Options.MaxBackoff), interval ticks
// skipped meanwhile, and one log line when a run gets through again. Other
// failures are logged and the schedule goes on. While the domain is
// deactivated in JumpCloud (Options.Paused), runs are skipped without
// stopping the process; pausing and resuming are logged once each.
//
// # One writer per domain
//
// [AcquireLock] takes an exclusive lock on a file in the state folder, held by
// the scheduler for its whole life and by every one-shot command that writes
// (import, sync, sync password), so two writers on one host never run the
// same domain; the kernel releases it when the process dies. [Store] keeps the
// DirSync cookie, the last run and the removal ledger of the
// destructive-change budget there (pipeline.Ledger), written atomically
// (temporary file, fsync, rename) with mode 0600; [Approve] leaves an
// operator's release of held removals beside it.
//
// # Several hosts
//
// With Options.Leader (package ha, on etcd) the scheduler is one of a group:
// gocron's distributed elector skips interval runs on followers, every run
// whatever its trigger first proves leadership and runs under a context that
// ends with it, the first run of each leadership term is full, and
// Options.Elected starts it at once. The state then lives in a [StateStore]
// shared by the group; a follower's writes fail with [ErrNotLeader].
package schedule
