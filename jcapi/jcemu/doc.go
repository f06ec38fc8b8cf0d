// Package jcemu is a stateful, in-memory emulator of the JumpCloud REST API
// subset that [github.com/adjc/adjc/jcapi] uses, held to the official
// OpenAPI specs (v1-index.yaml, v2-index.yaml) by jcapi's contract tests.
//
// A [Server] is an http.Handler serving /api (v1) and /api/v2 for one or more
// organizations: the same paths, JSON shapes, status codes and error bodies
// ({code, message, status}); limit/skip paging (default 10, at most 100) with
// totalCount (v1) and x-total-count (v2); sorting; v1 filters
// (field:$eq:value, $ne $in $nin $lt $lte $gt $gte $sw, and $ew $co with
// x-eventually-consistent) and v2 filters (field:eq:value, ne gt ge lt le in
// search); x-api-key per org and the documented x-org-id rules; the org
// password policy on every password write, with fullValidationDetails;
// association semantics (a user bound through a group reaches the AD
// instance); and one-time agent connect keys.
//
// Object ids are 24-hex, issued in sequence, so runs are deterministic.
// Tests seed and inspect state through Go methods, inject faults with
// [Server.FailNext] and [Server.SetChaos], and count calls with
// [Server.Calls]. [WithStateFile] persists state as JSON across restarts.
//
// It is stricter than the real service, never looser. Each route accepts
// only the query parameters and headers its operation declares (declared.go,
// checked against the vendored spec by TestDeclaredMatchesSpec): anything
// else is a 400 naming it, and x-org-id where the spec has none is the
// documented 403. v2 filter is split at every comma, as the spec's array
// is, so a value holding a comma, or filters joined with commas, are
// refused; v2 sort must name a field of the listed objects. Activation
// emails go to an outbox ([Server.Outbox]) exactly when the operation's
// "Email Flag" rules say JumpCloud sends one. [Fault] can also shift a list
// page (Skew) to test paging integrity.
//
// It also serves Directory Insights' POST /insights/directory/v1/events
// (directory-insights-v1-index.yaml), just as strictly: every user, group,
// membership and binding change made through the API or the seeding methods
// records an event of the real type, visible only after an ingestion lag
// ([WithInsightsLag], default [DefaultInsightsLag]); [Server.SetInsights]
// turns the entitlement off (402).
//
// Where the spec is silent the emulator follows observed JumpCloud
// behaviour and says so in a comment.
package jcemu
