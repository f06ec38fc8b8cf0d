// Package commands wires adjc's cobra commands to the engine. It holds no
// sync logic: each verb is an XOptions struct, a newXCmd(f, runF)
// constructor whose RunE only copies flags into the options, and a runX
// function that orchestrates (STYLE.md §2).
//
// Everything a command needs from outside the process comes through the
// [Factory]; [ExitCode] is the one place errors become exit statuses.
//
// Conventions for new commands:
//   - never set PersistentPreRun(E): the root's runs for every command and
//     is how [Execute] tells usage errors (before it) from failures (after);
//   - return a *[UsageError] for a bad flag combination, wrap lower errors
//     with %w, and let main print them once;
//   - document exit statuses in an EXIT STATUS section of Long (see
//     [exitStatusSection]).
package commands
