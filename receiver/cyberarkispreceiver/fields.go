package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import "github.com/secaudit/otelcol-audit/internal/fieldmap"

// Where Values holds each field of eventFields; the order is that of the attributes.
const (
	fUUID = iota
	fUsername
	fUserID
	fClientAddress
	fSource
	fUserAgent
	fSessionID
	fCloudProvider
	fOriginRegion
	fApplicationCode
	fAuditCode
	fAuditType
	fAction
	fActionType
	fComponent
	fServiceName
	fMessage
	fTarget
	fCommand
	fSafe
	fAccountName
	fAccountID
	fTargetPlatform
	fTargetAccount
	fIdentityType
	fAccessMethod
	fCorrelationID
	fTenantID
	fTimestamp
)

// eventFields are the well-known members of an audit event and the attributes they become,
// semantic conventions first. The README's "What an event becomes" table documents them.
var eventFields = fieldmap.New([]fieldmap.Field{
	// Always set: an event without a uuid gets a content hash (see record).
	fUUID:     {JSON: "uuid", Attr: "log.record.uid", Kind: fieldmap.Own},
	fUsername: {JSON: "username", Attr: "user.name", Kind: fieldmap.Text},
	fUserID:   {JSON: "userId", Attr: "user.id", Kind: fieldmap.Text},
	// source is a client IP for Identity events and a component name (PVWA) for PAM events:
	// one of the two attributes is written (see putOwn).
	fClientAddress:   {JSON: "source", Attr: "client.address", Kind: fieldmap.Own},
	fSource:          {JSON: "source", Attr: "cyberark.source", Kind: fieldmap.Own},
	fUserAgent:       {JSON: "customData.user_agent", Attr: "user_agent.original", Kind: fieldmap.Text},
	fSessionID:       {JSON: "sessionId", Attr: "session.id", Kind: fieldmap.Text},
	fCloudProvider:   {JSON: "cloudProvider", Attr: "cloud.provider", Kind: fieldmap.Lower},
	fOriginRegion:    {JSON: "originRegion", Attr: "cloud.region", Kind: fieldmap.Text},
	fApplicationCode: {JSON: "applicationCode", Attr: "cyberark.application_code", Kind: fieldmap.Text},
	fAuditCode:       {JSON: "auditCode", Attr: "cyberark.audit_code", Kind: fieldmap.Text},
	fAuditType:       {JSON: "auditType", Attr: "cyberark.audit_type", Kind: fieldmap.Text},
	fAction:          {JSON: "action", Attr: "cyberark.action", Kind: fieldmap.Text},
	fActionType:      {JSON: "actionType", Attr: "cyberark.action_type", Kind: fieldmap.Text},
	fComponent:       {JSON: "component", Attr: "cyberark.component", Kind: fieldmap.Text},
	fServiceName:     {JSON: "serviceName", Attr: "cyberark.service_name", Kind: fieldmap.Text},
	fMessage:         {JSON: "message", Attr: "cyberark.message", Kind: fieldmap.Text},
	fTarget:          {JSON: "target", Attr: "cyberark.target", Kind: fieldmap.Text},
	fCommand:         {JSON: "command", Attr: "cyberark.command", Kind: fieldmap.Text},
	fSafe:            {JSON: "safe", Attr: "cyberark.safe", Kind: fieldmap.Text},
	fAccountName:     {JSON: "accountName", Attr: "cyberark.account_name", Kind: fieldmap.Text},
	fAccountID:       {JSON: "accountId", Attr: "cyberark.account_id", Kind: fieldmap.Text},
	fTargetPlatform:  {JSON: "targetPlatform", Attr: "cyberark.target_platform", Kind: fieldmap.Text},
	fTargetAccount:   {JSON: "targetAccount", Attr: "cyberark.target_account", Kind: fieldmap.Text},
	fIdentityType:    {JSON: "identityType", Attr: "cyberark.identity_type", Kind: fieldmap.Text},
	fAccessMethod:    {JSON: "accessMethod", Attr: "cyberark.access_method", Kind: fieldmap.Text},
	fCorrelationID:   {JSON: "correlationId", Attr: "cyberark.correlation_id", Kind: fieldmap.Text},
	// Read, not copied: the tenant goes on the page's resource, the time on the record.
	fTenantID:  {JSON: "tenantId", Kind: fieldmap.Own},
	fTimestamp: {JSON: "timestamp", Kind: fieldmap.Own},
})
