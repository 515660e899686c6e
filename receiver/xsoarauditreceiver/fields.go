package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import "github.com/secaudit/otelcol-audit/internal/fieldmap"

// The fields of a management audit log record that the conversion reads, by their index in
// managementFields, in the order their attributes are written.
const (
	mID = iota
	mInsertTime
	mSeverity
	mOwnerName
	mOwnerEmail
	mRoles
	mSourceIP
	mUserAgent
	mSession
	mResult
	mEntity
	mSubtype
	mDescription
	mReason
	mHostname
	mAssetNames
	mCaseID
	mLink
	mObjectID
)

// managementFields maps a management audit log record: semantic conventions where one exists,
// xsoar.audit.* otherwise. The ID (a hash when absent) and the roles (a list) are the
// receiver's own; the insert time and the severity are read, not copied.
var managementFields = fieldmap.New([]fieldmap.Field{
	mID:          {JSON: "AUDIT_ID", Attr: "log.record.uid", Kind: fieldmap.Own},
	mInsertTime:  {JSON: "AUDIT_INSERT_TIME"},
	mSeverity:    {JSON: "AUDIT_SEVERITY"},
	mOwnerName:   {JSON: "AUDIT_OWNER_NAME", Attr: "user.name"},
	mOwnerEmail:  {JSON: "AUDIT_OWNER_EMAIL", Attr: "user.email"},
	mRoles:       {JSON: "AUDIT_USER_ROLES", Attr: "user.roles", Kind: fieldmap.Own},
	mSourceIP:    {JSON: "AUDIT_SOURCE_IP", Attr: "client.address"},
	mUserAgent:   {JSON: "AUDIT_USER_AGENT", Attr: "user_agent.original"},
	mSession:     {JSON: "AUDIT_SESSION_ID", Attr: "session.id"},
	mResult:      {JSON: "AUDIT_RESULT", Attr: "xsoar.audit.result"},
	mEntity:      {JSON: "AUDIT_ENTITY", Attr: "xsoar.audit.entity"},
	mSubtype:     {JSON: "AUDIT_ENTITY_SUBTYPE", Attr: "xsoar.audit.entity_subtype"},
	mDescription: {JSON: "AUDIT_DESCRIPTION", Attr: "xsoar.audit.description"},
	mReason:      {JSON: "AUDIT_REASON", Attr: "xsoar.audit.reason"},
	mHostname:    {JSON: "AUDIT_HOSTNAME", Attr: "xsoar.audit.hostname"},
	mAssetNames:  {JSON: "AUDIT_ASSET_NAMES", Attr: "xsoar.audit.asset_names"},
	mCaseID:      {JSON: "AUDIT_CASE_ID", Attr: "xsoar.audit.case_id", Kind: fieldmap.Typed},
	mLink:        {JSON: "AUDIT_LINK", Attr: "xsoar.audit.link"},
	mObjectID:    {JSON: "AUDIT_OBJECT_ID", Attr: "xsoar.audit.object_id", Kind: fieldmap.Typed},
})

// The fields of an agents' audit report that the conversion reads, by their index in
// agentReportFields, in the order their attributes are written.
const (
	aTime = iota
	aEndpointID
	aEndpointName
	aDomain
	aVersion
	aTrapsVersion
	aCategory
	aType
	aSubtype
	aResult
	aReason
	aDescription
)

// agentReportFields maps an agents' audit report: semantic conventions for the endpoint, a
// cortex.* name otherwise. A report has no ID (log.record.uid is a hash of it). TRAPSVERSION,
// the older name of XDRVERSION in Palo Alto's own samples, is read to stand in for an absent or
// empty XDRVERSION (convertAgentReport).
var agentReportFields = fieldmap.New([]fieldmap.Field{
	aTime:         {JSON: "TIMESTAMP"},
	aEndpointID:   {JSON: "ENDPOINTID", Attr: "host.id"},
	aEndpointName: {JSON: "ENDPOINTNAME", Attr: "host.name"},
	aDomain:       {JSON: "DOMAIN", Attr: "cortex.endpoint.domain"},
	aVersion:      {JSON: "XDRVERSION", Attr: "cortex.agent.version"},
	aTrapsVersion: {JSON: "TRAPSVERSION"},
	aCategory:     {JSON: "CATEGORY", Attr: "cortex.agent_report.category"},
	aType:         {JSON: "TYPE", Attr: "cortex.agent_report.type"},
	aSubtype:      {JSON: "SUBTYPE", Attr: "cortex.agent_report.subtype"},
	aResult:       {JSON: "RESULT", Attr: "cortex.agent_report.result"},
	aReason:       {JSON: "REASON", Attr: "cortex.agent_report.reason"},
	aDescription:  {JSON: "DESCRIPTION", Attr: "cortex.agent_report.description"},
})

// attrCount is how many attributes a table can write, to size a record's attributes once.
func attrCount(t *fieldmap.Table) int {
	n := 0
	for _, f := range t.Fields() {
		if f.Attr != "" {
			n++
		}
	}
	return n
}
