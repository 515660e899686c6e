package xsoarauditreceiver

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata/jsonpdatatest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
)

// Regenerate the golden files with: go test -run TestGolden ./receiver/xsoarauditreceiver/ -update
// (or UPDATE_GOLDEN=1). Review the diff before committing it.
var update = flag.Bool("update", os.Getenv("UPDATE_GOLDEN") == "1", "rewrite the golden files under testdata/golden")

const testTenant = "api-mytenant.crtx.eu.paloaltonetworks.com"

var (
	testObserved = time.Date(2025, 4, 12, 11, 30, 0, 0, time.UTC)
	testPrev     = time.Date(2025, 4, 12, 11, 10, 0, 0, time.UTC)
)

// newPageDecoder decodes management audit log pages of testTenant; version is the scope's.
func newPageDecoder(version string) *pageDecoder {
	return newKindDecoder(managementKind, testTenant, "", version, zap.NewNop())
}

func decodeFile(t *testing.T, name string) page {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	p, err := newPageDecoder("test").decode(body, testObserved, testPrev)
	require.NoError(t, err)
	return p
}

func records(ld plog.Logs) plog.LogRecordSlice {
	return ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"page_legacy", "page_extended"} {
		t.Run(name, func(t *testing.T) {
			p := decodeFile(t, name+".json")
			path := filepath.Join("testdata", "golden", name+".yaml")
			if *update {
				// WriteLogs marks the test failed, so that an update is never mistaken for a pass.
				require.NoError(t, golden.WriteLogs(t, path, p.logs))
			}
			want, err := golden.ReadLogs(path)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(want, p.logs, plogtest.IgnoreObservedTimestamp()))
			// CompareLogs does not look at EventName.
			wr, gr := records(want), records(p.logs)
			for i := range gr.Len() {
				assert.Equal(t, wr.At(i).EventName(), gr.At(i).EventName(), "record %d", i)
				assert.Equal(t, pcommon.NewTimestampFromTime(testObserved), gr.At(i).ObservedTimestamp())
			}
			// One key per record, in order, each with an ID.
			assert.Equal(t, keyIDs(p.keys), logtest.UIDs(p.logs))
			assert.NotContains(t, keyIDs(p.keys), "")
		})
	}
}

func TestLegacyShape(t *testing.T) {
	p := decodeFile(t, "page_legacy.json")
	assert.False(t, p.hasTotal, "this capture has no total_count")
	assert.Equal(t, []checkpoint.Key{
		{ID: "1204", Time: time.UnixMilli(1744456200125).UTC()},
		{ID: "1205", Time: time.UnixMilli(1744456201007).UTC()},
		{ID: "1206", Time: time.UnixMilli(1744456201007).UTC()},
	}, p.keys)
	assert.Equal(t, int64(1744456201007), p.newest)
	rs := records(p.logs)
	// Without AUDIT_SEVERITY the level follows the outcome.
	assert.Equal(t, plog.SeverityNumberInfo, rs.At(0).SeverityNumber())
	assert.Equal(t, plog.SeverityNumberWarn, rs.At(1).SeverityNumber())
	assert.Equal(t, plog.SeverityNumberWarn, rs.At(2).SeverityNumber())
	assert.Empty(t, rs.At(0).SeverityText())
	assert.Equal(t, "xsoar.audit.incident_management.notcreated_incident", rs.At(2).EventName())
	assert.Equal(t, "xsoar.audit.public_api.delete", rs.At(1).EventName())
	case0, _ := rs.At(2).Attributes().Get("xsoar.audit.case_id")
	assert.Equal(t, int64(8812), case0.Int())
	sess, _ := rs.At(0).Attributes().Get("session.id")
	assert.Equal(t, "491027553310", sess.Str())
	_, ok := rs.At(1).Attributes().Get("user.email")
	assert.False(t, ok, `"" is not copied into attributes`)
	_, ok = rs.At(0).Attributes().Get("xsoar.audit.hostname")
	assert.False(t, ok, "null is not copied into attributes")
	body := rs.At(0).Body().Map()
	h, ok := body.Get("AUDIT_HOSTNAME")
	assert.True(t, ok, "null stays in the body")
	assert.Equal(t, pcommon.ValueTypeEmpty, h.Type())
	assert.Equal(t, 14, body.Len())
}

func TestExtendedShape(t *testing.T) {
	p := decodeFile(t, "page_extended.json")
	assert.True(t, p.hasTotal)
	assert.Equal(t, int64(12), p.total)
	rs := records(p.logs)
	require.Equal(t, 12, rs.Len())
	get := func(i int, k string) (pcommon.Value, bool) { return rs.At(i).Attributes().Get(k) }
	body := func(i int, k string) pcommon.Value { v, _ := rs.At(i).Body().Map().Get(k); return v }

	// The seed's record.
	assert.Equal(t, "xsoar.audit.auth.login", rs.At(0).EventName())
	assert.Equal(t, "SEV_010_INFORMATIONAL", rs.At(0).SeverityText())
	assert.Equal(t, plog.SeverityNumberInfo, rs.At(0).SeverityNumber())
	assert.Equal(t, pcommon.Timestamp(1744456299142*int64(time.Millisecond)), rs.At(0).Timestamp())
	roles, _ := get(0, "user.roles")
	assert.Equal(t, []any{"Security Analyst"}, roles.Slice().AsRaw())
	for k, want := range map[string]string{
		"user.name": "John Smith", "user.email": "john.smith@example.com", "client.address": "203.0.113.45",
		"session.id": "856234719284", "xsoar.audit.result": "SUCCESS", "xsoar.audit.entity": "AUTH",
		"xsoar.audit.entity_subtype": "Login", "xsoar.audit.hostname": "xsoar-server-01",
		"xsoar.audit.asset_names": "asset-server-01", "xsoar.audit.description": "User logged in successfully",
	} {
		v, ok := get(0, k)
		if assert.True(t, ok, k) {
			assert.Equal(t, want, v.Str(), k)
		}
	}
	_, ok := get(0, "xsoar.audit.reason")
	assert.False(t, ok, `"" reason not copied`)
	info := body(0, "AUDIT_ADDITIONAL_INFORMATION").Map().AsRaw()
	assert.Equal(t, map[string]any{"endpoint_names": []any{"WIN-server01"}, "endpoint_count": int64(5)}, info)

	// AUDIT_ASSET_JSON as received: a string stays that string, an object stays a map.
	assert.Equal(t, pcommon.ValueTypeStr, body(0, "AUDIT_ASSET_JSON").Type())
	assert.Equal(t, "{}", body(0, "AUDIT_ASSET_JSON").Str())
	assert.Equal(t, map[string]any{"api_key_id": int64(23), "security_level": "advanced", "expiration": nil}, body(1, "AUDIT_ASSET_JSON").Map().AsRaw())
	assert.Equal(t, `{"user": "m.keller@example.com", "roles": ["Analyst"]}`, body(2, "AUDIT_ASSET_JSON").Str()) //nolint:testifylint // the text as received, spacing included

	// Severity ladder.
	for i, want := range []plog.SeverityNumber{plog.SeverityNumberInfo, plog.SeverityNumberInfo2, plog.SeverityNumberWarn,
		plog.SeverityNumberError, plog.SeverityNumberFatal, plog.SeverityNumberInfo} {
		assert.Equal(t, want, rs.At(i).SeverityNumber(), "record %d", i)
	}
	// An unknown level keeps its text and takes its number from the outcome (FAIL → WARN).
	assert.Equal(t, "SEV_090_UNKNOWN", rs.At(6).SeverityText())
	assert.Equal(t, plog.SeverityNumberWarn, rs.At(6).SeverityNumber())
	// A role given as one string still becomes a slice.
	roles, _ = get(6, "user.roles")
	assert.Equal(t, []any{"Viewer"}, roles.Slice().AsRaw())
	// Integer object IDs stay integers; string ones stay strings.
	obj, _ := get(2, "xsoar.audit.object_id")
	assert.Equal(t, int64(5120), obj.Int())
	obj, _ = get(1, "xsoar.audit.object_id")
	assert.Equal(t, "23", obj.Str())
	// Empty roles array: no attribute.
	_, ok = get(3, "user.roles")
	assert.False(t, ok)
	// Numbers keep their kind: integers exact, fractions as doubles.
	info = body(3, "AUDIT_ADDITIONAL_INFORMATION").Map().AsRaw()
	assert.Equal(t, map[string]any{"quota": int64(5000000), "used": 5000001.5, "ratio": 1.0000003}, info)

	// Unknown fields are kept in the body, nested objects as maps.
	assert.Equal(t, "eu", body(5, "AUDIT_TENANT_REGION").Str())
	assert.Equal(t, map[string]any{"id": "phishing-generic-v3", "version": int64(12)}, body(5, "AUDIT_PLAYBOOK").Map().AsRaw())

	// A 20-digit integer is kept exactly, as text: as ID, session and in the body.
	assert.Equal(t, "98765432109876543210", p.keys[7].ID)
	sess, _ := get(7, "session.id")
	assert.Equal(t, "12345678901234567890", sess.Str())
	assert.Equal(t, "98765432109876543210", body(7, "AUDIT_ID").Str())
	assert.Equal(t, "340282366920938463463374607431768211456", body(7, "AUDIT_ADDITIONAL_INFORMATION").Map().AsRaw()["counter"])
	roles, _ = get(7, "user.roles")
	assert.Equal(t, []any{"Viewer"}, roles.Slice().AsRaw(), "null and empty roles dropped")
	caseID, _ := get(7, "xsoar.audit.case_id")
	assert.Equal(t, "CASE-0042", caseID.Str())

	// A record without AUDIT_ID gets a stable content hash as its ID.
	assert.True(t, strings.HasPrefix(p.keys[8].ID, "sha256:"), p.keys[8].ID)
	again := decodeFile(t, "page_extended.json")
	assert.Equal(t, p.keys[8].ID, again.keys[8].ID)
	assert.Equal(t, plog.SeverityNumberInfo, rs.At(8).SeverityNumber(), "null severity: from the outcome")
	sess, _ = get(8, "session.id")
	assert.Equal(t, "s-77", sess.Str())

	// A bad time: the log takes the receive time, the key the previous record's time.
	assert.Equal(t, pcommon.NewTimestampFromTime(testObserved), rs.At(9).Timestamp())
	assert.Equal(t, p.keys[8].Time, p.keys[9].Time)
	assert.Equal(t, "xsoar.audit", rs.At(9).EventName(), "no entity: the fallback name")
	assert.Equal(t, plog.SeverityNumberWarn, rs.At(9).SeverityNumber(), "PARTIAL")

	// All null: only the ID is lifted; the time is the previous key's; everything stays in the body.
	assert.Equal(t, "742866", p.keys[10].ID)
	assert.Equal(t, p.keys[9].Time, p.keys[10].Time)
	assert.Equal(t, 1, rs.At(10).Attributes().Len())
	assert.Equal(t, 21, rs.At(10).Body().Map().Len())

	// Non-ASCII text survives; the lower-case severity spelling is recognised.
	name, _ := get(11, "user.name")
	assert.Equal(t, "Zoë Ångström", name.Str())
	assert.Equal(t, "Content pack “Common Scripts” installed 📦", body(11, "AUDIT_DESCRIPTION").Str())
	assert.Equal(t, "xsoar.audit.contentpack.install_upgrade", rs.At(11).EventName())
	assert.Equal(t, plog.SeverityNumberInfo, rs.At(11).SeverityNumber())

	assert.Equal(t, int64(1744456330500), p.newest)
	res := p.logs.ResourceLogs().At(0)
	fqdn, _ := res.Resource().Attributes().Get("xsoar.tenant.fqdn")
	assert.Equal(t, testTenant, fqdn.Str())
	assert.Equal(t, scopeName, res.ScopeLogs().At(0).Scope().Name())
	assert.Equal(t, "test", res.ScopeLogs().At(0).Scope().Version())
}

func TestBadTimeFirstInPageUsesPrev(t *testing.T) {
	body := `{"reply":{"data":[{"AUDIT_ID":1,"AUDIT_INSERT_TIME":-5},{"AUDIT_ID":2,"AUDIT_INSERT_TIME":99999999999999999},{"AUDIT_ID":3,"AUDIT_INSERT_TIME":"1744456200125"},{"AUDIT_ID":4,"AUDIT_INSERT_TIME":1744456200126.0}]}}`
	p, err := newPageDecoder("").decode([]byte(body), testObserved, testPrev)
	require.NoError(t, err)
	assert.Equal(t, []checkpoint.Key{
		{ID: "1", Time: testPrev},
		{ID: "2", Time: testPrev},
		{ID: "3", Time: time.UnixMilli(1744456200125).UTC()},
		{ID: "4", Time: time.UnixMilli(1744456200126).UTC()},
	}, p.keys)
	assert.Equal(t, int64(1744456200126), p.newest)
}

func TestSeverityTable(t *testing.T) {
	tests := []struct {
		sev, result string
		num         plog.SeverityNumber
	}{
		{"SEV_010_INFO", "SUCCESS", plog.SeverityNumberInfo},
		{"SEV_010_INFORMATIONAL", "FAIL", plog.SeverityNumberInfo},
		{"SEV_020_LOW", "", plog.SeverityNumberInfo2},
		{"SEV_030_MEDIUM", "", plog.SeverityNumberWarn},
		{"SEV_040_HIGH", "", plog.SeverityNumberError},
		{"SEV_050_CRITICAL", "", plog.SeverityNumberFatal},
		{"sev_040_high", "", plog.SeverityNumberError},
		{"HIGH", "", plog.SeverityNumberError},
		{"SEV_090_UNKNOWN", "SUCCESS", plog.SeverityNumberInfo},
		{"SEV_090_UNKNOWN", "FAIL", plog.SeverityNumberWarn},
		{"whatever", "PARTIAL", plog.SeverityNumberWarn},
		{"", "SUCCESS", plog.SeverityNumberInfo},
		{"", "FAIL", plog.SeverityNumberWarn},
		{"", "Partial", plog.SeverityNumberWarn},
		{"", "", plog.SeverityNumberInfo},
	}
	for _, tt := range tests {
		num, text := severity(tt.sev, tt.result)
		assert.Equal(t, tt.num, num, "%q/%q", tt.sev, tt.result)
		assert.Equal(t, tt.sev, text, "the vendor's text is kept")
	}
}

func TestEventName(t *testing.T) {
	tests := []struct{ entity, subtype, want string }{
		{"AUTH", "Login", "xsoar.audit.auth.login"},
		{"API Keys", "Create", "xsoar.audit.api_keys.create"},
		{"INCIDENT_MANAGEMENT", "NotCreated - Incident", "xsoar.audit.incident_management.notcreated_incident"},
		{"  Cortex  Automation ", "", "xsoar.audit.cortex_automation"},
		{"", "Login", "xsoar.audit"},
		{"---", "Login", "xsoar.audit"},
		{"Licensing", "Quota exceeded!", "xsoar.audit.licensing.quota_exceeded"},
		{"Zoë", "Ånd", "xsoar.audit.zo.nd"},
		{strings.Repeat("a", 200), "b", "xsoar.audit." + strings.Repeat("a", maxEventPart) + ".b"},
	}
	names := eventNames{}
	for _, tt := range tests {
		assert.Equal(t, tt.want, eventName(tt.entity, tt.subtype))
		assert.Equal(t, tt.want, names.name(tt.entity, tt.subtype), "cached")
		assert.Equal(t, tt.want, names.name(tt.entity, tt.subtype), "from the cache")
	}
	for i := range 2 * maxEventNames {
		names.name("E", strings.Repeat("x", i%50)+string(rune('a'+i%26))+strings.Repeat("y", i/26))
	}
	assert.LessOrEqual(t, len(names), maxEventNames, "the cache is bounded")
}

// requireValidUTF8 checks every key and string inside v: pdata must hold valid UTF-8 (protobuf
// exporters refuse anything else).
func requireValidUTF8(t *testing.T, v pcommon.Value) {
	t.Helper()
	switch v.Type() {
	case pcommon.ValueTypeStr:
		require.True(t, utf8.ValidString(v.Str()), "%q", v.Str())
	case pcommon.ValueTypeMap:
		for k, e := range v.Map().All() {
			require.True(t, utf8.ValidString(k), "key %q", k)
			requireValidUTF8(t, e)
		}
	case pcommon.ValueTypeSlice:
		for _, e := range v.Slice().All() {
			requireValidUTF8(t, e)
		}
	}
}

// A record nested deeper than the decoder goes, or with invalid UTF-8 in a field name (at the
// top, where names were read by this receiver, or nested), is delivered repaired and marked;
// the records around it are delivered as they are.
func TestOneBadRecordDoesNotBlockThePage(t *testing.T) {
	deep := `{"AUDIT_ID":2,"AUDIT_INSERT_TIME":1744456200002,"AUDIT_ASSET_JSON":` + strings.Repeat(`{"a":`, 100) + `1` + strings.Repeat(`}`, 100) + `}`
	topName := "{\"AUDIT_ID\":3,\"AUDIT_INSERT_TIME\":1744456200003,\"AUDIT_\xffOWNER\":\"x\"}"
	nestedName := "{\"AUDIT_ID\":4,\"AUDIT_INSERT_TIME\":1744456200004,\"AUDIT_ADDITIONAL_INFORMATION\":{\"" + strings.Repeat("k", 80) + "\xfe\":1}}"
	value := "{\"AUDIT_ID\":5,\"AUDIT_INSERT_TIME\":1744456200005,\"AUDIT_OWNER_NAME\":\"b\xffb\"}"
	body := `{"reply":{"total_count":6,"result_count":6,"data":[{"AUDIT_ID":1,"AUDIT_INSERT_TIME":1744456200001},` +
		deep + `,` + topName + `,` + nestedName + `,` + value + `,{"AUDIT_ID":6,"AUDIT_INSERT_TIME":1744456200006}]}}`

	p, err := newPageDecoder("test").decode([]byte(body), testObserved, testPrev)
	require.NoError(t, err, "the page is delivered")
	got := map[string]string{}
	for _, lr := range logtest.Records(p.logs) {
		uid := logtest.UID(lr)
		got[uid] = ""
		if v, ok := lr.Attributes().Get(jsonpdata.RepairedAttribute); ok {
			got[uid] = fmt.Sprint(v.Slice().AsRaw())
		}
		if uid == "5" {
			owner, _ := lr.Attributes().Get("user.name")
			assert.Equal(t, "b\uFFFDb", owner.Str(), "attributes come from the repaired body")
		}
	}
	assert.Equal(t, map[string]string{"1": "", "2": "[depth]", "3": "[utf8]", "4": "[utf8]", "5": "[utf8]", "6": ""}, got)
	assert.Len(t, p.keys, 6)
	assert.Empty(t, jsonpdatatest.InvalidUTF8(p.logs), "every string that leaves the receiver is valid UTF-8")
}

// A reply within the byte cap that would decode into far more values than any real page is
// refused with an error that names the limit.
func TestReplyOverTheDecodeBudgetIsRefused(t *testing.T) {
	zeros := strings.Repeat("0,", maxPageSize*jsonpdata.ValuesPerRecord)
	body := `{"reply":{"data":[{"AUDIT_ID":1,"x":[` + zeros + `0]}]}}`
	_, err := newPageDecoder("test").decode([]byte(body), testObserved, testPrev)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 102400 JSON values")
}

// Builds up to 0.1 knew a record without an ID by the hash of its bytes as sent. Its key carries
// that earlier ID as well, so that the checkpoint such a build wrote still recognises what it
// delivered; a record with an AUDIT_ID needs none.
func TestRecordWithoutIDCarriesTheEarlierBuildsID(t *testing.T) {
	for _, tt := range []struct {
		kind   *logKind
		record string
	}{
		{managementKind, `{"AUDIT_RESULT":"SUCCESS","AUDIT_INSERT_TIME":1744456200125,"AUDIT_OWNER_NAME":"Zoë"}`},
		{agentsReportsKind, `{"TIMESTAMP":1744459200125.4631,"ENDPOINTNAME":"FIN-LAPTOP-17","TYPE":"Upgrade","RESULT":"Fail"}`},
	} {
		t.Run(tt.kind.name, func(t *testing.T) {
			body := "{\"reply\":{\"data\":[\n  " + tt.record + " ,\n  {\"AUDIT_ID\":7}\n]}}"
			p, err := newKindDecoder(tt.kind, testTenant, "", "test", zap.NewNop()).decode([]byte(body), testObserved, testPrev)
			require.NoError(t, err)
			require.Len(t, p.keys, 2)
			sum := sha256.Sum256([]byte(tt.record))
			assert.Equal(t, "sha256:"+hex.EncodeToString(sum[:16]), p.keys[0].Earlier)
			assert.NotEqual(t, p.keys[0].ID, p.keys[0].Earlier, "the current ID is the canonical form's")
			if tt.kind == managementKind {
				assert.Empty(t, p.keys[1].Earlier, "a vendor ID never changed")
			}
		})
	}
}

// A record without an ID is known by the hash of its canonical JSON: read again with other
// spacing, member order or escapes, it gets the same uid, and is dropped as a duplicate.
func TestRecordWithoutIDKeepsItsUIDWhenReencoded(t *testing.T) {
	for _, tt := range []struct {
		kind                 *logKind
		record, again, other string
	}{
		{managementKind,
			`{"AUDIT_INSERT_TIME":1744456200125,"AUDIT_OWNER_NAME":"Zoë","AUDIT_RESULT":"SUCCESS","AUDIT_SESSION_ID":1.0}`,
			"{ \"AUDIT_RESULT\" : \"SUCCESS\",\n  \"AUDIT_SESSION_ID\": 1, \"AUDIT_OWNER_NAME\":\"Zo\\u00eb\", \"AUDIT_INSERT_TIME\":1744456200125 }",
			`{"AUDIT_INSERT_TIME":1744456200125,"AUDIT_OWNER_NAME":"Zoë","AUDIT_RESULT":"FAIL","AUDIT_SESSION_ID":1.0}`},
		{agentsReportsKind,
			`{"TIMESTAMP":1744459200125.4631,"ENDPOINTNAME":"FIN-LAPTOP-17","TYPE":"Upgrade","RESULT":"Fail"}`,
			"{\"RESULT\": \"Fail\", \"TYPE\": \"Upgrade\",\n\t\"ENDPOINTNAME\": \"FIN-LAPTOP-17\", \"TIMESTAMP\": 1744459200125.4631}",
			`{"TIMESTAMP":1744459200125.4631,"ENDPOINTNAME":"FIN-LAPTOP-18","TYPE":"Upgrade","RESULT":"Fail"}`},
	} {
		t.Run(tt.kind.name, func(t *testing.T) {
			uid := func(record string) string {
				t.Helper()
				p, err := newKindDecoder(tt.kind, testTenant, "", "test", zap.NewNop()).
					decode([]byte(`{"reply":{"data":[`+record+`]}}`), testObserved, testPrev)
				require.NoError(t, err)
				require.Len(t, p.keys, 1)
				assert.Equal(t, []string{p.keys[0].ID}, logtest.UIDs(p.logs))
				return p.keys[0].ID
			}
			first := uid(tt.record)
			assert.True(t, strings.HasPrefix(first, "sha256:"), first)
			assert.Equal(t, first, uid(tt.again), "the same record, spaced and ordered otherwise")
			assert.NotEqual(t, first, uid(tt.other), "another record")
		})
	}
}
