// Package pipeline is the one path every adjc run takes, in either
// direction and from every trigger (import, sync, diff, schedule's full and
// targeted runs):
//
//	read (adapter over ldapx and jcapi) → plan (reconcile, pure)
//	  → render ([View], through output) → consent → audit → apply ([Apply])
//
// A [Direction] is a value, not a second copy of the code: it says which
// directory is written, how the plan is named and shown, which command
// makes and applies a saved plan, and how many writes run at once.
// [Apply] is the only caller of [reconcile.Apply] outside tests: the
// deletion threshold is checked there once, every outcome is appended to the
// audit log there, and nothing else in adjc writes to a directory.
package pipeline
