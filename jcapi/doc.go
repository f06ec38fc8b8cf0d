// Package jcapi is a typed client for the JumpCloud REST API: v1 system users
// and organizations, v2 user groups, graph associations and Active Directory
// instances — the subset adjc needs to do the job of the AD Import and AD Sync
// agents.
//
// # Wire rules
//
// Every request carries the API key in x-api-key and, when [WithOrgID] is
// set, the org id in x-org-id (required for multi-tenant admins) — but only
// on operations whose spec entry declares that header. Lists are read with
// limit=100 and skip, sorted by the object id where the operation takes
// sort (v1 _id, v2 id: JumpCloud's advice, so a collection written to while
// it is paged neither repeats nor skips records), and exposed as iterators
// ([Client.SystemUsers], [Client.UserGroups], …) so callers never build
// pages by hand. v1 lists report their size in the body's totalCount, v2
// lists in the x-total-count response header. A filter value never holds a
// comma ([ErrCommaInFilter]); objects whose key may hold one are found
// another way ([Client.SystemUserByUsername], [Client.UserGroupByName],
// [Client.ActiveDirectoryByDomain]).
//
// # Evidence for each request form
//
// "Spec" is the vendored copy in testdata/spec (v1-index.yaml or
// v2-index.yaml); "PS module" is TheJumpCloud/support, folder
// "PowerShell/JumpCloud Module". The contract tests check every request
// against the spec; TestEveryRequest also checks that each operation jcapi
// sends appears in this table.
//
//	Request                                  Form                                   Evidence
//	GET /systemusers                         limit skip sort=_id filter[=|[N]]      spec paths./systemusers.get; filter syntax and filter[0]/filter[1] AND form: components.parameters.trait_filter_filter
//	POST /search/systemusers                 body {"filter":{"and":[{f:v}]}}        spec paths./search/systemusers.post (description: filter object with and/or); PS module Public/Users/Get-JCUser.ps1 sends exact values in this body's filter (as [{f:v}])
//	GET /systemusers/{id}                    -                                      spec paths./systemusers/{id}.get
//	POST /systemusers                        body systemuserputpost, state STAGED   spec paths./systemusers.post ("Default User State": state may be passed; only the activate call documents the email, so import activates in a second request)
//	PUT /systemusers/{id}                    body systemuserput [fullValidationDetails=password]  spec paths./systemusers/{id}.put; delegatedAuthority object or null (systemuserput.delegatedAuthority, type [object, null])
//	DELETE /systemusers/{id}                 -                                      spec paths./systemusers/{id}.delete
//	POST /systemusers/{id}/password          body {password}                        spec paths./systemusers/{id}/password.post
//	POST /systemusers/{id}/state/suspend     empty body, no x-org-id                spec paths./systemusers/{id}/state/suspend.post (no x-org-id parameter)
//	POST /systemusers/{id}/state/activate    body {"email": bool}, no x-org-id      spec paths./systemusers/{id}/state/activate.post description "Email Flag" (its schema types email as object; the description's true/false form is followed)
//	GET /organizations                       limit skip, no x-org-id                spec paths./organizations.get (no x-org-id parameter)
//	GET /organizations/{id}                  no x-org-id                            spec paths./organizations/{id}.get (no x-org-id parameter)
//	GET /v2/usergroups                       limit skip sort=id filter=… (one key each)  spec paths./usergroups.get, trait_sort_sort ("comma separated fields"), UserGroup.id; PS module Public/Policies/PolicyGroups/Get-JCPolicyGroup.ps1 sends v2 sort=name&filter=name:eq:… (a v2 field name, not _id)
//	POST /v2/usergroups                      body UserGroupPost                     spec paths./usergroups.post
//	GET|PUT|DELETE /v2/usergroups/{id}       body UserGroupPut                      spec paths./usergroups/{id}
//	GET /v2/usergroups/{id}/members          limit skip (no sort: none declared)    spec paths./usergroups/{group_id}/members.get
//	POST /v2/usergroups/{id}/members         body GraphOperation-UserGroup-Member   spec paths./usergroups/{group_id}/members.post
//	GET /v2/usergroups/{id}/membership       limit skip sort=id                     spec paths./usergroups/{group_id}/membership.get
//	GET /v2/usergroups/{id}/associations     targets=… limit skip                   spec paths./usergroups/{group_id}/associations.get (targets required)
//	POST /v2/usergroups/{id}/associations    body GraphOperation-UserGroup          spec paths./usergroups/{group_id}/associations.post
//	GET /v2/users/{id}/memberof              limit skip sort=id                     spec paths./users/{user_id}/memberof.get
//	GET /v2/activedirectories                limit skip sort=id, never a domain filter  spec paths./activedirectories.get; active-directory.domain is a DN, whose commas the filter array would split
//	POST /v2/activedirectories               body {domain,…}                        spec paths./activedirectories.post
//	GET|PATCH|DELETE /v2/activedirectories/{id}  camelCase body                     spec paths./activedirectories/{id}; components.schemas.active-directory
//	GET /v2/activedirectories/{id}/associations  targets=user,user_group limit skip  spec paths./activedirectories/{activedirectory_id}/associations.get
//	POST /v2/activedirectories/{id}/associations body GraphOperation-ActiveDirectory  spec paths./activedirectories/{activedirectory_id}/associations.post
//	GET /v2/activedirectories/{id}/users     limit skip [syncStatus=true]           spec paths./activedirectories/{activedirectory_id}/users.get
//	GET /v2/activedirectories/{id}/usergroups  limit skip                           spec paths./activedirectories/{activedirectory_id}/usergroups.get
//	GET /v2/activedirectories/{id}/agents    limit skip sort=id                     spec paths./activedirectories/{activedirectory_id}/agents.get
//	POST /v2/activedirectories/{id}/agents   body {agentType}                       spec paths./activedirectories/{activedirectory_id}/agents.post
//	GET|DELETE /v2/activedirectories/{id}/agents/{agent}  -                         spec paths./activedirectories/{activedirectory_id}/agents/{agent_id}
//	POST /insights/directory/v1/events       body {service,start_time,end_time,limit,search_after,sort}  DI spec paths./events.post, components.schemas.EventQuery; pages by X-Result-Count, X-Limit, X-Search_after (info.description "Getting All the Pages of Data"); TheJumpCloud/jcapi-powershell Get-JcSdkEvent and the PS module's Get-JCEvent send the same fields
//	GET /v2/activedirectories/{id}/translation-rules   limit skip; body {rules,totalCount}  spec paths./activedirectories/{activedirectory_id}/translation-rules.get
//	POST /v2/activedirectories/{id}/translation-rules  camelCase IdmTranslationRulesInsertRequest  spec paths./activedirectories/{activedirectory_id}/translation-rules.post (schema, not the prose sample)
//
// Where the evidence is thin, it says so:
//
//   - Several v2 filters go in repeated filter= keys. The spec declares filter
//     as an array with style form, explode false, whose serialisation joins
//     with commas; issue 15 reports that JumpCloud's PowerShell SDK build
//     moved to repeated keys because the API expects them, but that build
//     note was not found in the indexed copy of jcapi-powershell. jcapi sends
//     at most one v2 filter per request today, where both forms are the same
//     bytes. The emulator accepts both and splits every value at each comma.
//   - v2 sort=id: the spec names no sort fields beyond "fields of the
//     response"; id is the field every listed v2 schema has.
//   - x-org-id follows the spec's per-operation declarations alone. The
//     public clients are no evidence either way: TheJumpCloud/jcapi-powershell
//     ApiTransform.ps1 deletes x-org-id from every operation before
//     generating the SDK (its comment: added later through Module.cs), and
//     the PS module's Get-JCUser.ps1 adds it to every request it builds.
//     The org of a suspend or activate call without x-org-id is the one
//     that owns the user; the spec does not say how a multi-tenant key is
//     scoped there. Only the opt-in live test (TestLiveReadOnly) can
//     confirm these.
//
// # Directory Insights events
//
// "DI spec" is testdata/spec/directory-insights-v1-index.yaml. Its base URL
// is https://api[.eu|.in].jumpcloud.com/insights/directory/v1 (servers),
// which jcapi derives from the console URL ([WithInsightsURL] overrides it);
// the query needs the directoryinsights.readonly scope and answers 402 when
// the org has no Directory Insights ([Client.Events], [Client.AllEvents]).
// The event types adjc reads, and how sure each is:
//
//	event_type          what                              evidence
//	user_create         a user is created                 DI spec table "Directory - User and Admin Events"
//	user_update         a user's fields change            DI spec, same table; "changes" [{field, from, to}] from the "Directory Attributes" table
//	user_delete         a user is deleted                 DI spec, same table
//	user_suspended      a user is suspended               DI spec, same table; whether a PUT of suspended=true logs it as well as user_update is unconfirmed
//	user_unsuspended    a user is unsuspended             DI spec, same table
//	group_create        a group is created                DI spec table "Directory - Object Events"; resource.type user_group is unconfirmed (the spec shows no group event)
//	group_update        a group is modified               DI spec, same table
//	group_delete        a group is deleted                DI spec, same table
//	association_change  a member or binding added/removed DI spec, same table ("Resource bound/unbound to a group"); association.op and association.connection.from/to {type, object_id}: JumpCloud's PowerShell DI dashboard (Get-GroupAssociationChange), not the spec
//
// Unconfirmed: the ingestion lag (no figure is published), whether deleting a
// user or group also logs association_change for its edges, and whether
// adding to a group logs one event per member. adjc's sync delta ticks
// treat each of these as a reason for a full read rather than rely on it.
// The names user_group_create, user_group_update and user_group_delete do
// not appear in the spec; the group events are group_*.
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
// [ErrForbidden], [ErrNotFound] and [ErrConflict] with errors.Is. A paged
// read whose pages repeat or overlap ids, whose total changes between pages
// or whose ids do not add up to the total fails with a *[PageError]
// ([ErrInconsistentPage]), so no caller plans from a listing that may miss
// or double an object. The API key is a secret.Secret: it is revealed only
// to set the header and never appears in an error, a log line or a panic.
//
// The emulator in [github.com/adjc/adjc/jcapi/jcemu] serves the same API for
// tests and the lab.
package jcapi
