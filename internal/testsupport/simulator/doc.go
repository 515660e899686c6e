// Package simulator is a local stand-in for the two SaaS audit APIs the collector reads: the
// CyberArk Identity Security Platform audit stream (with its Identity token endpoint) and the
// Cortex tenant's audit endpoints (the management audit log of XSOAR 8, XDR, XSIAM and Xpanse,
// and the agents' audit reports of XDR and XSIAM). One HTTP server on a loopback port serves both,
// plus a control API under /_sim/ that switches faults on, adds records, and exposes the ground
// truth (every record ID held) so that tests can check a receiver lost and duplicated nothing.
//
// The wire behaviour follows the repository's docs/cyberark-isp-api.md and
// docs/cortex-audit-api.md. Where those pages leave a question open, the simulator takes the
// behaviour a careful client must survive, and says so here.
//
// # CyberArk
//
//   - POST /OAuth2/Token/{webAppId}: path case-insensitive, app id case-sensitive. Client
//     credentials as form fields or HTTP Basic (Basic wins if both are sent). Errors, checked in
//     this order: unknown app -> 400 invalid_request "unknown app <id>"; missing grant_type ->
//     400 invalid_request; another grant type -> 400 invalid_grant; bad credentials -> 401
//     invalid_client; scope other than isp.audit.events:read (or none) -> 400 invalid_scope.
//     Tokens are JWT-shaped but opaque: the server only looks them up. They expire after
//     Options.TokenTTL (simulator clock) and RevokeTokens drops them all.
//   - Audit calls check the bearer token first (401) and the x-api-key second (403). Error bodies
//     are {"code":N,"message":...,"description":...}: the real shape is undocumented.
//   - createQuery: a body with "query" is validated (pageSize 1..500, else 400; default 100 when
//     absent — the real default is unknown). A body without "query" (the legacy flat shape) is
//     accepted and its filter ignored: the query covers every retained event, ascending. Unknown
//     filterModel keys and unknown sortModel fields are ignored silently; the include filters
//     applicationCode, action, auditType and cloudProvider are applied; op other than include
//     -> 400. sortModel field_name "timestamp" or "date"; without a sortModel the order is
//     ascending (the real default order is unknown).
//   - Dates: "YYYY-MM-DD HH:MM:SS", "T" instead of the space, optional fraction (".123" or the
//     ":123" one client sends), optional "Z" or numeric offset (converted to UTC; naive = UTC).
//     Anything else -> 400. The filter is second-granular: the sub-second part is dropped,
//     dateFrom includes its whole second and dateTo includes its whole second (the notes leave
//     dateTo's inclusiveness open; inclusive is the case that produces overlap a client must
//     de-duplicate).
//   - Retention: events older than Options.CyberArkRetention (7 days) are not returned.
//   - The cursorRef is base64 of JSON holding the query and the position (the timestamp and
//     arrival sequence of the last event returned), signed with a per-run key: stateless, so
//     re-posting a cursor returns the same page, and any cursor from another run, or altered, or
//     not base64 JSON, is a 400. Because the position is a key and not an offset, late events
//     inserted before it are never returned by that cursor (a client has to re-query from its
//     checkpoint to see them). The end of data is an empty "data" page that still carries a
//     cursor; when the page is empty that cursor is the one sent. An open-ended ascending query
//     returns later events when its last cursor is re-posted; a bounded one never does. A
//     descending open-ended query is frozen at its creation time, so it ends.
//   - No rate limit by default. Options.QueryInterval turns on a 429 (with Retry-After) for
//     createQuery calls closer together than the interval, for the "one query per minute" claim.
//     Results calls are never limited.
//
// # XSOAR
//
//   - POST /public_api/v1/audits/management_logs, with or without a trailing slash. Any path
//     under /xsoar/ answers 500, as the real API does for a wrong prefix.
//   - Standard key: Authorization = key, x-xdr-auth-id = key id. Advanced key: also x-xdr-nonce
//     (exactly 64 of [A-Za-z0-9]) and x-xdr-timestamp (epoch ms within ±5 min of the simulator
//     clock; both true milliseconds and seconds*1000 pass), Authorization = lowercase hex
//     SHA-256 of key+nonce+timestamp. A wrong id, key, signature, stale timestamp, reused nonce or
//     a request made for the other key level gets 401 {"reply":{"err_code":401,"err_msg":"Public
//     API request unauthorized","err_extra":null}}. A nonce is only burnt by a correctly signed
//     request.
//   - The licence (402) and RBAC (403) failures are faults (FaultLicense, FaultForbidden) and are
//     checked after authentication.
//   - Filters are ANDed: timestamp gte/lte (inclusive, on AUDIT_INSERT_TIME), and type, sub_type,
//     result, email with operator in. Other fields or operators (audit_id, eq, neq) -> 400.
//     Malformed JSON or a missing request_data -> 400.
//   - search_from defaults to 0 and search_to to search_from+100; search_to is exclusive.
//     search_to - search_from outside 1..100, or a negative search_from, -> 500 with err_msg
//     "0 < search_size <= 100" (the notes allow 400 or 500; one collector quotes this text,
//     and a client must not retry it as a transient 5xx forever).
//   - No sort means newest first. sort.field must be "timestamp" (type/sub_type/result sorting is
//     not simulated and gets a 400 rather than a silently wrong order); keyword asc/desc in any
//     case.
//   - Offset paging is deep-capped at Options.XSOARResultWindow (10000) rows per filtered
//     result set: rows past it are silently not returned while total_count stays true, as one
//     public poller reports. A client has to re-key its window instead of walking offsets forever.
//   - total_count counts the whole filtered set; FaultOmitTotalCount drops it.
//   - 10 requests per second per tenant, all callers and all XSOAR paths together, token bucket
//     with a burst of 10: past it, 429 {"reply":{"err_code":429,"err_msg":"Too many requests",...}}
//     with no Retry-After and no rate-limit headers.
//   - Late records (AddRecords with Late) get a new, higher AUDIT_ID but an older
//     AUDIT_INSERT_TIME, so they shift the offsets of a frozen window.
//
// # Agents' audit reports (XDR, XSIAM)
//
//   - POST /public_api/v1/audits/agents_reports, with or without a trailing slash, on the same
//     tenant: the same keys, the same 401, the same licence and RBAC faults, the same paging
//     limits, result window, missing-total fault and the same 10 requests per second (one
//     bucket for both endpoints). Its records are a feed of their own, XSOARAgents.
//   - Filters: timestamp gte/lte (on TIMESTAMP), and endpoint_id, endpoint_name, type, sub_type,
//     result, domain, xdr_version, category with operator in; category in any letter case (the
//     vendor documents status, monitoring, audit; the records say Status, Audit). Any other
//     field (trapsversion, which one third-party tool sends, is not documented by the vendor)
//     or operator -> 400. Sorting: timestamp only, as on the management log.
//   - Records follow Palo Alto's public sample: TIMESTAMP and RECEIVEDTIME in epoch ms with a
//     fraction (the simulator keeps microseconds), ENDPOINTID, ENDPOINTNAME, DOMAIN, XDRVERSION
//     (TRAPSVERSION, the older name, on one in ten), CATEGORY, TYPE, SUBTYPE, RESULT (null for
//     status reports), REASON, DESCRIPTION. There is no ID field: a report's ID, in IDs and in
//     the control API, is ContentID of its JSON, which the receiver derives the same way.
//   - The time filter compares with the exact TIMESTAMP: lte L leaves out a report at L.5, gte L
//     keeps it, so a client that stops its checkpoint at its query's bound still reads it next.
//     A burst lands in one millisecond, spread over its microseconds up to now.
//
// # Credential rotation and odd dates
//
// Options.ExtraClients and Options.ExtraXSOARKeys add further valid credentials of the same
// tenants, as a rotated service user or API key has. RecordsRequest.Future (control API
// "future": true) adds records dated after the simulator clock, as a source with a wrong clock
// does: CyberArk's open-ended queries return them; XSOAR's upper time filter hides them.
//
// # Records
//
// Records are generated from a seed: CyberArk events shaped like the public samples (Identity
// events with null empties and a flat mixed-type customData; PAM events with "" empties and
// customData {"PAM":{...}}; some cloud and SIA events; now and then an extra field no sample
// has), XSOAR records with the 14 core fields plus, on about nine in ten, the newer
// AUDIT_SEVERITY ... AUDIT_OBJECT_ID fields, and agents' reports about a fleet of 2,000
// endpoints. XSOAR AUDIT_IDs grow in insertion order.
// Every record is rendered to JSON once, when made; each vendor's records live in one slice
// sorted by (time, arrival); a page is found by binary search and served by copying bytes. No
// record is ever in the future of the simulator clock. A CyberArk Burst spreads its events over
// the milliseconds of the current second up to now, so part of it lands behind events already
// stored in that second (still inside the same second, which a client re-reads anyway).
//
// # Faults and clocks
//
// Faults (see FaultKind) apply to the next Count matching requests, for a duration, or until
// cleared, per vendor and optionally per endpoint. Order per request: XSOAR rate limit, latency
// (constant plus latency faults), status/throttle/html faults (which replace the response),
// the handler, then truncation. Options.Now is the clock of the data and of credentials (record
// times, token and cursor expiry, retention, the XSOAR timestamp check); the rate limiter,
// latency and fault durations use real time.
package simulator
