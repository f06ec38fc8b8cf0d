// Package jcapi is a typed client for the JumpCloud REST API: v1 system users
// and organizations, v2 user groups, graph associations and Active Directory
// instances — the subset adjc needs to do the job of the AD Import and AD Sync
// agents.
//
// # Wire rules
//
// Every request carries the API key in x-api-key and, when [WithOrgID] is set,
// the org id in x-org-id (required for multi-tenant admins). Lists are read
// with limit=100, skip and sort=_id (JumpCloud's own advice, so a collection
// written to while it is paged neither repeats nor skips records) and exposed
// as iterators ([Client.SystemUsers], [Client.UserGroups], …) so callers never
// build pages by hand. v1 lists report their size in the body's totalCount,
// v2 lists in the x-total-count response header.
//
// # Resilience
//
// 429, 5xx and transport errors are retried with capped exponential backoff
// and full jitter, honouring Retry-After when it is sent; other 4xx are never
// retried. A create whose response is lost is looked up (by username or email
// for users, by name for groups) before it is retried, so a retry never makes a
// duplicate. A client-side rate limit and a concurrency bound keep a large run
// from tripping JumpCloud's limits.
//
// # Errors
//
// Failures are *[APIError] values that match [ErrUnauthorized],
// [ErrForbidden], [ErrNotFound] and [ErrConflict] with errors.Is. The API key
// is a secret.Secret: it is revealed only to set the header and never appears
// in an error, a log line or a panic.
//
// The emulator in [github.com/adjc/adjc/jcapi/jcemu] serves the same API for
// tests and the lab.
package jcapi
