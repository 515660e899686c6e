package simulator

import (
	"math/rand/v2"
	"strconv"
)

// generator makes realistic records for one vendor. It is not safe for concurrent use: the bulk
// loader gives each worker its own (with its own random stream and arena).
type generator struct {
	vendor Vendor
	rng    *rand.Rand
	ar     arena
	w      objWriter
	vocab  *vocab
	tenant string // CyberArk tenantId
	keyID  string // XSOAR key ID, for the "Public API - <id>" owner
}

func newGenerator(v Vendor, seed, stream uint64, vc *vocab, tenant, keyID string) *generator {
	return &generator{
		vendor: v,
		rng:    rand.New(rand.NewPCG(seed, stream)),
		vocab:  vc,
		tenant: tenant,
		keyID:  keyID,
	}
}

// make returns one record at ts (epoch ms; epoch µs for agents' reports). id is the XSOAR
// AUDIT_ID, and for agents' reports, which have no ID, the arrival number that keeps two of
// them from being identical; CyberArk draws a UUID.
func (g *generator) make(ts, id int64) record {
	switch g.vendor {
	case CyberArk:
		return g.cyberark(ts)
	case XSOARAgents:
		return g.agentReport(ts, id)
	}
	return g.xsoar(ts, id)
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

// uuid draws a random (version 4) UUID from the generator's stream, so a seed reproduces IDs.
func (g *generator) uuid() string {
	var b [16]byte
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0F | 0x40
	b[8] = b[8]&0x3F | 0x80
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j] = hexDigits[c>>4]
		out[j+1] = hexDigits[c&0xF]
		j += 2
	}
	return string(out[:])
}

// ---- CyberArk ----

// Key slots of CyberArk records, as used by createQuery filterModel include filters.
const (
	caKeyApplicationCode = iota
	caKeyAction
	caKeyAuditType
	caKeyCloudProvider
)

// caFilterKeys maps the filterModel keys the simulator understands to record key slots.
var caFilterKeys = map[string]int{
	"applicationCode": caKeyApplicationCode,
	"action":          caKeyAction,
	"auditType":       caKeyAuditType,
	"cloudProvider":   caKeyCloudProvider,
}

type caUser struct{ name, id string }

var (
	caIdentityUsers = []caUser{
		{"john.doe@cyberark.cloud.48213", "a3f1c2d4-5b6e-4f70-8a91-b2c3d4e5f601"},
		{"maria.garcia@example.com", "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"},
		{"k.tanaka@cyberark.cloud.48213", "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170"},
		{"svc-otel@cyberark.cloud.48213", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"},
		{"ops.admin@cyberark.cloud.48213", "1b2c3d4e-5f60-4718-a293-a4b5c6d7e8f9"},
	}
	caVaultUsers = []string{"Administrator", "PVWAGWUser", "john.doe", "maria.garcia", "SYSTEM$", "PasswordManager"}
	caIPs        = []string{"203.0.113.45", "203.0.113.7", "198.51.100.23", "192.0.2.180", "198.51.100.77", "2001:db8:4f::1a"}
	caTargets    = []string{"10.0.4.17", "10.0.9.3", "db-prod-01.corp.example", "web-02.corp.example", "127.0.0.1"}
	// caSecretCommand is a command line with a password in it, as PSM audits what users type.
	caSecretCommand = "mysql -u backup --password=Winter2026! -e 'SHOW DATABASES'"
	caSafes         = []string{"Integration safe", "Linux-Root", "Windows-Admins", "DB-Service-Accounts"}
	caPlatforms     = []string{"UnixSSH", "WinServerLocal", "WinDomain", "Oracle", "AWSAccessKeys"}
	caAccounts      = []string{"root", "Administrator", "svc_backup", "oracle", "ec2-user"}
	caRegions       = []string{"eu-west-2", "us-east-1", "eu-central-1", "ap-northeast-1"}
	caAgents        = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
		"python-requests/2.31.0",
		"Go-http-client/1.1",
	}
	caGeo = []struct {
		country, city string
		lat, lon      float64
	}{
		{"GB", "London", 51.5072, -0.1276},
		{"US", "Ashburn", 39.0438, -77.4874},
		{"DE", "Frankfurt am Main", 50.1109, 8.6821},
		{"JP", "Tokyo", 35.6762, 139.6503},
		{"IL", "Petah Tikva", 32.084, 34.8878},
	}
)

type caTemplate struct {
	kind       int // which detail block to render
	app        string
	code       string
	action     string
	actionType string
	message    string
	auditTypes []string // drawn uniformly; repeat a value to weight it
}

const (
	caKindIdentity = iota
	caKindVault
	caKindCloud
	caKindSIA
)

// caTemplates are weighted by repetition in caTemplateIndex. Codes and names follow the public
// samples (IDP2001, IDP6004, PAM00088, add-user, cloud.core.oauthtoken.create, Retrieve password...).
var caTemplates = []caTemplate{
	{caKindIdentity, "IDP", "IDP2001", "Login", "Start", "cloud.core.login", []string{"Info", "Info", "Success"}},
	{caKindIdentity, "IDP", "IDP2009", "Login", "Start", "cloud.core.loginfail", []string{"Failure", "Failure", "Warning"}},
	{caKindIdentity, "IDP", "IDP6004", "cloud.core.oauthtoken.create", "Create", "cloud.core.oauthtoken.create", []string{"Info"}},
	{caKindIdentity, "IDP", "IDP3001", "add-user", "Create", "cloud.core.user.add", []string{"Info", "Success"}},
	{caKindIdentity, "IDP", "IDP4010", "Modify application", "Edit", "cloud.saas.application.appmodify", []string{"Info"}},
	{caKindIdentity, "IDP", "IDP2050", "Logout", "End", "cloud.core.logout", []string{"Info"}},
	{caKindVault, "PAM", "PAM00088", "Retrieve password", "Password", "", []string{"Info", "Info", "Success"}},
	{caKindVault, "PAM", "PAM00024", "Set Password", "Password", "", []string{"Info", "Failure", "Error"}},
	{caKindVault, "PAM", "PAM00022", "Add Account", "Create", "", []string{"Info"}},
	{caKindVault, "PAM", "PAM00300", "PSM Connect", "Start", "", []string{"Info", "Failure reason"}},
	{caKindVault, "PAM", "PAM00302", "PSM Disconnect", "End", "", []string{"Info"}},
	{caKindVault, "PAM", "PAM00411", "Execute command", "Execute", "", []string{"Info", "Warning"}},
	{caKindCloud, "SCA", "SCA0101", "Elevate", "Start", "Elevated access to cloud workspace", []string{"Success", "Failure", "Timeout or URL not found"}},
	{caKindSIA, "SIA", "SIA0012", "Connect", "Start", "SSH session started", []string{"Info", "System Error"}},
}

// caTemplateIndex weights the templates: mostly Identity and PAM, a little cloud and SIA.
var caTemplateIndex = []int{0, 0, 0, 0, 1, 1, 2, 2, 2, 3, 4, 5, 5, 6, 6, 6, 7, 8, 9, 10, 11, 12, 13}

// caHead writes the fields every CyberArk event starts with, in the order the API sends them.
func caHead(w *objWriter, t *caTemplate, auditType, user, userID, source string) {
	w.str("username", user)
	w.str("applicationCode", t.app)
	w.str("auditCode", t.code)
	w.str("auditType", auditType)
	w.str("action", t.action)
	w.str("userId", userID)
	w.str("source", source)
	w.str("actionType", t.actionType)
}

func (g *generator) cyberark(ts int64) record {
	t := &caTemplates[caTemplateIndex[g.rng.IntN(len(caTemplateIndex))]]
	auditType := g.pick(t.auditTypes)
	id := g.uuid()
	w := &g.w
	w.b = w.b[:0]
	w.open()
	w.str("uuid", id)
	if !g.chance(0.02) { // a few events lack tenantId, like one public sample
		w.str("tenantId", g.tenant)
	}
	w.int("timestamp", ts)

	var cloudProvider string
	switch t.kind {
	case caKindIdentity:
		u := caIdentityUsers[g.rng.IntN(len(caIdentityUsers))]
		ip := g.pick(caIPs)
		caHead(w, t, auditType, u.name, u.id, ip)
		w.str("component", "Identity")
		w.str("serviceName", "Identity")
		// Identity spells empty values as null.
		w.null("accessMethod")
		w.null("accountId")
		if t.code == "IDP3001" {
			w.str("target", caIdentityUsers[g.rng.IntN(len(caIdentityUsers))].name)
		} else {
			w.null("target")
		}
		w.null("command")
		w.null("sessionId")
		w.str("message", t.message)
		g.identityCustomData(ip, auditType)
	case caKindVault:
		user := g.pick(caVaultUsers)
		caHead(w, t, auditType, user, user, g.pick([]string{"PVWA", "PVWA", "PVWAAPP"}))
		w.str("component", "Vault")
		w.str("serviceName", "Privilege Cloud")
		// PAM spells empty values as "".
		target := g.pick(caTargets)
		if t.actionType == "Start" || t.actionType == "End" {
			w.str("accessMethod", "PSM")
		} else {
			w.str("accessMethod", "")
		}
		w.str("accountId", strconv.Itoa(10+g.rng.IntN(40))+"_"+strconv.Itoa(1+g.rng.IntN(9)))
		w.str("target", target)
		if t.code == "PAM00411" {
			// PSM records the command line as typed, a password in it included.
			w.str("command", g.pick([]string{"sudo systemctl restart nginx", "cat /etc/passwd", "Get-Service", caSecretCommand}))
		} else {
			w.str("command", "")
		}
		if t.actionType == "Start" || t.actionType == "End" {
			w.str("sessionId", g.uuid())
		} else {
			w.str("sessionId", "")
		}
		if g.chance(0.5) {
			w.str("message", "")
		} else {
			w.str("message", t.action+" of account "+g.pick(caAccounts)+"@"+target)
		}
		w.key("customData")
		w.open()
		w.key("PAM")
		w.open()
		w.str("target", target)
		if t.code == "PAM00024" || t.code == "PAM00022" {
			w.str("new_target", g.pick(caTargets))
		}
		if g.chance(0.3) {
			w.str("reason", g.pick([]string{"Ticket INC0012345", "Scheduled rotation", ""}))
		}
		w.close()
		w.close()
	default: // cloud (SCA) and SIA events: a mix of both empty styles
		u := caIdentityUsers[g.rng.IntN(len(caIdentityUsers))]
		caHead(w, t, auditType, u.name, u.id, g.pick(caIPs))
		w.str("component", t.app)
		if t.kind == caKindCloud {
			w.str("serviceName", "Secure Cloud Access")
			w.null("accessMethod")
			w.str("accountId", "")
			w.str("target", "arn:aws:iam::123456789012:role/"+g.pick([]string{"ReadOnly", "Admin", "Developer"}))
		} else {
			w.str("serviceName", "Secure Infrastructure Access")
			w.str("accessMethod", "SSH")
			w.null("accountId")
			w.str("target", g.pick(caTargets))
		}
		w.null("command")
		w.str("sessionId", g.uuid())
		w.str("message", t.message)
		w.null("customData")
	}

	if t.kind == caKindCloud {
		cloudProvider = g.pick([]string{"aws", "aws", "AWS"}) // both spellings are seen
		w.str("cloudProvider", cloudProvider)
	} else {
		w.null("cloudProvider")
	}
	w.raw("cloudWorkspacesAndRoles", "[]")
	w.null("cloudIdentities")
	w.null("cloudAssets")
	if t.kind == caKindVault {
		w.str("safe", g.pick(caSafes))
		w.str("accountName", g.pick(caAccounts))
		w.str("targetPlatform", g.pick(caPlatforms))
		w.str("targetAccount", "")
	} else {
		w.null("safe")
		w.null("accountName")
		w.null("targetPlatform")
		w.null("targetAccount")
	}
	switch {
	case t.kind == caKindVault && g.chance(0.5):
		w.null("identityType")
	case g.chance(0.2):
		w.str("identityType", "NON_HUMAN")
	default:
		w.str("identityType", "HUMAN")
	}
	w.str("originRegion", g.pick(caRegions))
	w.bool("isDr", g.chance(0.01))
	// Fields that appear in no public sample: a receiver must keep them, not choke on them.
	switch r := g.rng.IntN(100); {
	case r < 3:
		w.str("correlationId", g.uuid())
	case r < 5:
		w.str("eventSchemaVersion", "2.1")
	}
	w.close()

	rec := record{ts: ts, id: id, raw: g.ar.add(w.b)}
	rec.keys[caKeyApplicationCode] = g.vocab.code(t.app)
	rec.keys[caKeyAction] = g.vocab.code(t.action)
	rec.keys[caKeyAuditType] = g.vocab.code(auditType)
	rec.keys[caKeyCloudProvider] = g.vocab.code(cloudProvider)
	return rec
}

// identityCustomData writes the flat, mixed-type customData of Identity events.
func (g *generator) identityCustomData(ip, auditType string) {
	w := &g.w
	geo := caGeo[g.rng.IntN(len(caGeo))]
	failed := auditType == "Failure" || auditType == "Warning"
	w.key("customData")
	w.open()
	w.str("client_ip_address", ip)
	w.bool("success", !failed)
	w.str("mechanism", g.pick([]string{"UP", "OTP", "PUSH", "FIDO2"}))
	w.str("user_agent", g.pick(caAgents))
	w.str("geoip_country", geo.country)
	w.str("geoip_city", geo.city)
	w.float("geoip_latitude", geo.lat)
	w.float("geoip_longitude", geo.lon)
	w.str("session_guid", g.uuid())
	w.int("auth_attempts", int64(1+g.rng.IntN(3)))
	if failed {
		w.str("failure_reason", "Authentication (login or challenge) has failed.")
	}
	w.close()
}

// ---- XSOAR ----

// Key slots of XSOAR records, named after the request filter fields.
const (
	xsKeyType    = iota // AUDIT_ENTITY
	xsKeySubType        // AUDIT_ENTITY_SUBTYPE
	xsKeyResult         // AUDIT_RESULT
	xsKeyEmail          // AUDIT_OWNER_EMAIL
)

var xsFilterKeys = map[string]int{
	"type":     xsKeyType,
	"sub_type": xsKeySubType,
	"result":   xsKeyResult,
	"email":    xsKeyEmail,
}

type xsUser struct {
	name, email string
	roles       []string
}

var (
	xsUsers = []xsUser{
		{"John Smith", "john.smith@example.com", []string{"Security Analyst"}},
		{"Maria Garcia", "maria.garcia@example.com", []string{"Instance Administrator"}},
		{"Kenji Tanaka", "kenji.tanaka@example.com", []string{"Analyst", "Playbook Developer"}},
		{"Aisha Okafor", "aisha.okafor@example.com", []string{"Account Admin"}},
	}
	xsHosts      = []string{"xsoar-server-01", "xsoar-engine-eu-1", "WIN-server01"}
	xsIPs        = []string{"203.0.113.45", "198.51.100.12", "192.0.2.66", "2001:db8:1::5"}
	xsAgents     = caAgents
	xsSeverities = []string{
		"SEV_010_INFO", "SEV_010_INFO", "SEV_010_INFO", "SEV_010_INFO", "SEV_010_INFO", "SEV_010_INFO",
		"SEV_020_LOW", "SEV_020_LOW", "SEV_030_MEDIUM", "SEV_040_HIGH", "SEV_050_CRITICAL", "SEV_090_UNKNOWN",
	}
)

type xsTemplate struct {
	entity, subtype string
	results         []string
	description     string
	byAPIKey        bool // performed through the public API: owner "Public API - <key id>", no email
}

var xsTemplates = []xsTemplate{
	{"AUTH", "Login", []string{"SUCCESS", "SUCCESS", "SUCCESS", "FAIL"}, "User logged in", false},
	{"AUTH", "Logout", []string{"SUCCESS"}, "User logged out", false},
	{"PUBLIC_API", "Create", []string{"SUCCESS"}, "Created API key", false},
	{"PUBLIC_API", "Edit", []string{"SUCCESS", "FAIL"}, "Edited API key expiration", false},
	{"PUBLIC_API", "Query", []string{"SUCCESS"}, "Queried management audit logs", true},
	{"PERMISSIONS", "Edit", []string{"SUCCESS"}, "Updated role permissions", false},
	{"LICENSING", "Update", []string{"SUCCESS", "PARTIAL"}, "License usage recalculated", false},
	{"INCIDENT_MANAGEMENT", "NotCreated - Incident", []string{"FAIL"}, "Incident was not created: classifier returned no type", true},
	{"INCIDENT_MANAGEMENT", "Close", []string{"SUCCESS"}, "Closed incident", false},
	{"AUTOMATION", "Run", []string{"SUCCESS", "FAIL", "PARTIAL"}, "Playbook 'Phishing - Generic v3' executed", false},
	{"XSOAR_MIGRATION", "Import", []string{"SUCCESS", "PARTIAL", "FAIL"}, "Migration of content from XSOAR 6", false},
	{"CONTENT_PACKS", "Install", []string{"SUCCESS"}, "Installed content pack 'Common Scripts'", false},
}

func (g *generator) xsoar(ts, id int64) record {
	t := &xsTemplates[g.rng.IntN(len(xsTemplates))]
	result := g.pick(t.results)
	user := xsUsers[g.rng.IntN(len(xsUsers))]
	ownerName, ownerEmail := user.name, user.email
	if t.byAPIKey {
		ownerName, ownerEmail = "Public API - "+g.keyID, ""
	}
	incident := t.entity == "INCIDENT_MANAGEMENT"
	caseID := int64(0)
	if incident || g.chance(0.1) {
		caseID = 1000 + g.rng.Int64N(9000)
	}

	w := &g.w
	w.b = w.b[:0]
	w.open()
	w.int("AUDIT_ID", id)
	w.str("AUDIT_OWNER_NAME", ownerName)
	w.str("AUDIT_OWNER_EMAIL", ownerEmail)
	if incident && g.chance(0.5) {
		// The schema says object; every example is the string "{}". Send both.
		w.raw("AUDIT_ASSET_JSON", `{"incident_id":"`+strconv.FormatInt(caseID, 10)+`"}`)
	} else {
		w.str("AUDIT_ASSET_JSON", "{}")
	}
	if g.chance(0.3) {
		w.str("AUDIT_ASSET_NAMES", g.pick(xsHosts))
	} else {
		w.str("AUDIT_ASSET_NAMES", "")
	}
	if g.chance(0.8) {
		w.str("AUDIT_HOSTNAME", g.pick(xsHosts))
	} else {
		w.null("AUDIT_HOSTNAME")
	}
	w.str("AUDIT_RESULT", result)
	switch {
	case result == "FAIL":
		w.str("AUDIT_REASON", g.pick([]string{"Invalid credentials", "Permission denied", "Timeout"}))
	case g.chance(0.5):
		w.str("AUDIT_REASON", "")
	default:
		w.null("AUDIT_REASON")
	}
	w.str("AUDIT_DESCRIPTION", t.description)
	w.str("AUDIT_ENTITY", t.entity)
	w.str("AUDIT_ENTITY_SUBTYPE", t.subtype)
	if g.chance(0.7) {
		w.int("AUDIT_SESSION_ID", 100000000000+g.rng.Int64N(900000000000))
	} else {
		w.null("AUDIT_SESSION_ID")
	}
	if caseID != 0 {
		w.int("AUDIT_CASE_ID", caseID)
	} else {
		w.null("AUDIT_CASE_ID")
	}
	w.int("AUDIT_INSERT_TIME", ts)
	if g.chance(0.9) { // most records carry the newer fields; some have the older 14-field shape
		w.str("AUDIT_SEVERITY", g.pick(xsSeverities))
		if incident {
			w.str("AUDIT_LINK", "https://xsoar.example.com/#/incident/"+strconv.FormatInt(caseID, 10))
		} else {
			w.null("AUDIT_LINK")
		}
		w.str("AUDIT_SOURCE_IP", g.pick(xsIPs))
		w.str("AUDIT_USER_AGENT", g.pick(xsAgents))
		w.strs("AUDIT_USER_ROLES", user.roles)
		w.key("AUDIT_ADDITIONAL_INFORMATION")
		w.open()
		switch g.rng.IntN(3) {
		case 0:
			w.strs("endpoint_names", []string{g.pick(xsHosts)})
			w.int("endpoint_count", int64(1+g.rng.IntN(9)))
		case 1:
			w.str("api_key_id", g.keyID)
		}
		w.close()
		if incident {
			w.str("AUDIT_OBJECT_ID", strconv.FormatInt(caseID, 10))
		} else {
			w.null("AUDIT_OBJECT_ID")
		}
	}
	w.close()

	rec := record{ts: ts, id: strconv.FormatInt(id, 10), raw: g.ar.add(w.b)}
	rec.keys[xsKeyType] = g.vocab.code(t.entity)
	rec.keys[xsKeySubType] = g.vocab.code(t.subtype)
	rec.keys[xsKeyResult] = g.vocab.code(result)
	rec.keys[xsKeyEmail] = g.vocab.code(ownerEmail)
	return rec
}
