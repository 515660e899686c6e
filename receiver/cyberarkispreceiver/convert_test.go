package cyberarkispreceiver

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata/jsonpdatatest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

var (
	testObserved = time.Date(2025, 2, 11, 10, 30, 0, 0, time.UTC)
	testFrom     = time.Date(2025, 2, 11, 10, 0, 0, 0, time.UTC)
)

func testConverter() *converter {
	return newConverter("example-domain.audit.cyberark.cloud", "v0.0.1-test", 500, httpapi.NewSecrets("Sup3r-Secret-Passw0rd", "ak-9f8e7d6c5b4a"))
}

func decodeFile(t *testing.T, name string) decodedPage {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	require.NoError(t, err)
	dp, err := testConverter().decodePage(body, pageContext{observed: testObserved, prev: testFrom})
	require.NoError(t, err)
	return dp
}

func records(ld plog.Logs) plog.LogRecordSlice {
	return ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
}

func TestConvertGolden(t *testing.T) {
	for _, name := range []string{"identity_page", "pam_page", "edge_page"} {
		t.Run(name, func(t *testing.T) {
			dp := decodeFile(t, name)
			path := filepath.Join("testdata", "golden", name+".yaml")
			if *update {
				require.NoError(t, golden.WriteLogs(t, path, dp.page.Logs))
				return
			}
			want, err := golden.ReadLogs(path)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(want, dp.page.Logs, plogtest.IgnoreObservedTimestamp()))
			// CompareLogs does not look at EventName.
			wr, gr := records(want), records(dp.page.Logs)
			for i := 0; i < gr.Len(); i++ {
				assert.Equal(t, wr.At(i).EventName(), gr.At(i).EventName(), "record %d", i)
				assert.Equal(t, pcommon.NewTimestampFromTime(testObserved), gr.At(i).ObservedTimestamp())
			}
			// One key per record, in order, each carrying the record's uid.
			require.Len(t, dp.page.Keys, gr.Len())
			for i, k := range dp.page.Keys {
				uid, _ := gr.At(i).Attributes().Get("log.record.uid")
				assert.Equal(t, k.ID, uid.Str())
				assert.NotEmpty(t, k.ID)
			}
		})
	}
}

func TestConvertIdentityPage(t *testing.T) {
	dp := decodeFile(t, "identity_page")
	assert.Equal(t, "eyJxdWVyeSI6eyJwYWdlU2l6ZSI6NTAwfSwiY3VycmVudFBvc2l0aW9uIjpbMTczOTI2OTQ1MjAwM119", dp.cursor)
	assert.Equal(t, "3c1e6f0a-27b4-4c55-8f3d-9e1a2b7c4d10", dp.tenant)
	assert.Equal(t, []checkpoint.Key{
		{ID: "5f0c2a9e-8b1d-4d5e-9a43-1c2f3e4d5a61", Time: time.UnixMilli(1739269449904).UTC()},
		{ID: "7d21b8c4-3e5f-4a6b-8c7d-9e0f1a2b3c4d", Time: time.UnixMilli(1739269451217).UTC()},
		{ID: "9e8d7c6b-5a49-4382-a716-05f4e3d2c1b0", Time: time.UnixMilli(1739269452003).UTC()},
	}, dp.page.Keys)

	lr := records(dp.page.Logs).At(0)
	assert.Equal(t, "cyberark.audit.idp", lr.EventName())
	assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
	attrs := lr.Attributes().AsRaw()
	assert.Equal(t, "203.0.113.24", attrs["client.address"])
	assert.Equal(t, "jane.doe@cyberark.cloud.12345", attrs["user.name"])
	assert.Contains(t, attrs["user_agent.original"], "Mozilla/5.0")
	assert.NotContains(t, attrs, "cyberark.target", "null values are not copied")
	body := lr.Body().Map().AsRaw()
	assert.InDelta(t, 52.5244, body["customData"].(map[string]any)["geoip_latitude"], 1e-9)
	assert.Equal(t, int64(1739269449904), body["timestamp"])
	assert.Contains(t, body, "cloudIdentities", "null fields stay in the body")

	assert.Equal(t, plog.SeverityNumberWarn, records(dp.page.Logs).At(2).SeverityNumber())
	v6, _ := records(dp.page.Logs).At(1).Attributes().Get("client.address")
	assert.Equal(t, "2001:db8:85a3::8a2e:370:7334", v6.Str())
}

func TestConvertPAMPage(t *testing.T) {
	dp := decodeFile(t, "pam_page")
	lr := records(dp.page.Logs).At(0)
	attrs := lr.Attributes().AsRaw()
	assert.Equal(t, "PVWA", attrs["cyberark.source"], "a component name is not a client address")
	assert.NotContains(t, attrs, "client.address")
	assert.Equal(t, "aws", attrs["cloud.provider"], "lower-cased")
	assert.NotContains(t, attrs, "cyberark.message", `"" is not copied`)
	assert.NotContains(t, attrs, "session.id")
	pam := lr.Body().Map().AsRaw()["customData"].(map[string]any)["PAM"].(map[string]any)
	assert.Equal(t, "Ticket INC0012345", pam["reason"])
	assert.Empty(t, pam["new_target"], `"" stays in the body`)
	assert.Equal(t, "cyberark.audit.pam", lr.EventName())
	assert.Equal(t, plog.SeverityNumberWarn, records(dp.page.Logs).At(1).SeverityNumber())
	assert.Equal(t, "Warning", records(dp.page.Logs).At(1).SeverityText())
}

func TestConvertEdgeCases(t *testing.T) {
	dp := decodeFile(t, "edge_page")
	recs := records(dp.page.Logs)
	require.Equal(t, 4, recs.Len(), "the null element is no event")
	assert.Equal(t, 2, dp.badTimes, "a bad and a missing timestamp")
	assert.Equal(t, 1, dp.derivedIDs)

	// A 10-digit timestamp is in seconds; a numeric string in milliseconds.
	assert.Equal(t, time.Unix(1739271000, 0).UTC(), dp.page.Keys[0].Time)
	assert.Equal(t, time.UnixMilli(1739271001500).UTC(), dp.page.Keys[1].Time)
	// Records without a usable time: Timestamp 0, key time of the previous record.
	assert.Zero(t, recs.At(2).Timestamp())
	assert.Equal(t, dp.page.Keys[1].Time, dp.page.Keys[2].Time)
	assert.Equal(t, dp.page.Keys[1].Time, dp.page.Keys[3].Time)

	// The record without a uuid gets a stable, content-derived ID.
	assert.True(t, strings.HasPrefix(dp.page.Keys[1].ID, "sha256:"), dp.page.Keys[1].ID)
	raw, err := os.ReadFile(filepath.Join("testdata", "edge_page.json"))
	require.NoError(t, err)
	var p struct {
		Data []json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(raw, &p))
	assert.Equal(t, jsonpdata.ContentID(p.Data[1]), dp.page.Keys[1].ID, "the hash covers exactly the record's JSON")
	assert.Equal(t, "3c1e6f0a-27b4-4c55-8f3d-9e1a2b7c4d10", dp.tenant, "the first record that has a tenant")

	a0 := recs.At(0).Attributes().AsRaw()
	assert.Equal(t, "10.20.30.40", a0["client.address"])
	assert.Equal(t, int64(52144), a0["client.port"])
	assert.Equal(t, plog.SeverityNumberError, recs.At(0).SeverityNumber())
	assert.Equal(t, "cyberark.audit.sia", recs.At(0).EventName())
	assert.NotContains(t, a0, "user.name")
	big := recs.At(0).Body().Map().AsRaw()["futureField"].(map[string]any)["big"]
	assert.Equal(t, "123456789012345678901234", big, "big integers keep their digits")

	assert.Equal(t, "cyberark.audit", recs.At(1).EventName(), "no application code")
	assert.Equal(t, plog.SeverityNumberInfo, recs.At(1).SeverityNumber())
	assert.Equal(t, "Something New", recs.At(1).SeverityText())
	assert.Equal(t, "cyberark.audit.sca", recs.At(2).EventName())
	assert.Equal(t, plog.SeverityNumberWarn, recs.At(2).SeverityNumber())
	assert.Equal(t, plog.SeverityNumberWarn, recs.At(3).SeverityNumber(), "matched in any case")
	assert.Equal(t, "42", recs.At(3).Attributes().AsRaw()["cyberark.account_id"])
}

// An event without a uuid gets the same log.record.uid when the API sends it again with other
// spacing and member order: the hash covers its canonical JSON, so the re-read is a duplicate.
func TestEventWithoutUUIDKeepsItsUIDWhenReencoded(t *testing.T) {
	uid := func(page string) string {
		t.Helper()
		dp, err := testConverter().decodePage([]byte(page), pageContext{observed: testObserved, prev: testFrom})
		require.NoError(t, err)
		require.Equal(t, 1, dp.derivedIDs)
		id, ok := records(dp.page.Logs).At(0).Attributes().Get("log.record.uid")
		require.True(t, ok)
		assert.Equal(t, dp.page.Keys[0].ID, id.Str())
		return id.Str()
	}
	a := uid(`{"data":[{"timestamp":1739271000000,"applicationCode":"IDP","action":"login","customData":{"a":1,"b":"x"}}],"paging":{"cursor":{"cursorRef":"c"}}}`)
	b := uid("{\"data\": [\n  {\"customData\": {\"b\": \"x\", \"a\": 1},\n   \"action\": \"login\", \"applicationCode\": \"IDP\", \"timestamp\": 1739271000000}\n],\n\"paging\": {\"cursor\": {\"cursorRef\": \"c\"}}}")
	c := uid(`{"data":[{"timestamp":1739271000000,"applicationCode":"IDP","action":"logout","customData":{"a":1,"b":"x"}}],"paging":{"cursor":{"cursorRef":"c"}}}`)
	assert.True(t, strings.HasPrefix(a, "sha256:"), a)
	assert.Equal(t, a, b, "spacing and member order do not matter")
	assert.NotEqual(t, a, c, "another event gets another ID")
}

func TestEventTime(t *testing.T) {
	ms := time.UnixMilli(1739269449904).UTC()
	tests := []struct {
		name string
		v    pcommon.Value
		want time.Time
		ok   bool
	}{
		{"milliseconds", pcommon.NewValueInt(1739269449904), ms, true},
		{"seconds", pcommon.NewValueInt(1739269449), time.Unix(1739269449, 0).UTC(), true},
		{"microseconds", pcommon.NewValueInt(1739269449904123), time.UnixMicro(1739269449904123).UTC(), true},
		{"nanoseconds", pcommon.NewValueInt(1739269449904123456), time.Unix(0, 1739269449904123456).UTC(), true},
		{"string ms", pcommon.NewValueStr(" 1739269449904 "), ms, true},
		{"double ms", pcommon.NewValueDouble(1739269449904), ms, true},
		{"double seconds with fraction", pcommon.NewValueDouble(1739269449.5), time.Unix(1739269449, 5e8).UTC(), true},
		{"RFC 3339", pcommon.NewValueStr("2025-02-11T10:24:09.904Z"), ms, true},
		{"API date", pcommon.NewValueStr("2025-02-11 10:24:09"), time.Unix(1739269449, 0).UTC(), true},
		{"zero", pcommon.NewValueInt(0), time.Time{}, false},
		{"negative", pcommon.NewValueInt(-5), time.Time{}, false},
		{"beyond 2262 in seconds", pcommon.NewValueInt(99999999999), time.Time{}, false},
		{"text", pcommon.NewValueStr("yesterday"), time.Time{}, false},
		{"null", pcommon.NewValueEmpty(), time.Time{}, false},
		{"bool", pcommon.NewValueBool(true), time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := eventTime(tt.v)
			assert.Equal(t, tt.ok, ok)
			assert.True(t, tt.want.Equal(got), "got %s want %s", got, tt.want)
		})
	}
}

func TestSeverity(t *testing.T) {
	for in, want := range map[string]plog.SeverityNumber{
		"Info": plog.SeverityNumberInfo, "Success": plog.SeverityNumberInfo, "": plog.SeverityNumberInfo,
		"Warning": plog.SeverityNumberWarn, "Failure": plog.SeverityNumberWarn, "Failure reason": plog.SeverityNumberWarn,
		"Timeout or URL not found": plog.SeverityNumberWarn, "FAILURE": plog.SeverityNumberWarn,
		"Error": plog.SeverityNumberError, "System Error": plog.SeverityNumberError, "system error": plog.SeverityNumberError,
		"Unheard of": plog.SeverityNumberInfo,
	} {
		assert.Equal(t, want, severity(in), in)
	}
}

// repairs returns each record's audit.record.repaired, by log.record.uid ("" when unmarked).
func repairs(ld plog.Logs) map[string]string {
	out := map[string]string{}
	for _, lr := range logtest.Records(ld) {
		out[logtest.UID(lr)] = ""
		if v, ok := lr.Attributes().Get(jsonpdata.RepairedAttribute); ok {
			out[logtest.UID(lr)] = fmt.Sprint(v.Slice().AsRaw())
		}
	}
	return out
}

// An event nested deeper than the decoder goes, or with invalid UTF-8 in a member name, is
// delivered repaired and marked; the events around it are delivered as they are.
func TestOneBadEventDoesNotBlockThePage(t *testing.T) {
	deep := `{"uuid":"deep","timestamp":1739268000001,"customData":` + strings.Repeat(`{"a":`, 100) + `1` + strings.Repeat(`}`, 100) + `}`
	shortName := "{\"uuid\":\"name\",\"timestamp\":1739268000002,\"user\xffname\":\"x\"}"
	longName := "{\"uuid\":\"long-name\",\"timestamp\":1739268000003,\"customData\":{\"" + strings.Repeat("k", 80) + "\xfe\":1}}"
	value := "{\"uuid\":\"value\",\"timestamp\":1739268000004,\"message\":\"caf\xe9\",\"username\":\"b\xffb\"}"
	body := `{"data":[{"uuid":"before","timestamp":1739268000000},` + deep + `,` + shortName + `,` + longName + `,` + value +
		`,{"uuid":"after","timestamp":1739268000005}],"paging":{"cursor":{"cursorRef":"c2"}}}`

	dp, err := testConverter().decodePage([]byte(body), pageContext{observed: testObserved, prev: testFrom})
	require.NoError(t, err, "the page is delivered")
	assert.Equal(t, map[string]string{
		"before": "", "deep": "[depth]", "name": "[utf8]", "long-name": "[utf8]", "value": "[utf8]", "after": "",
	}, repairs(dp.page.Logs))
	assert.Len(t, dp.page.Keys, 6)
	assert.Equal(t, "c2", dp.cursor)
	assert.Empty(t, jsonpdatatest.InvalidUTF8(dp.page.Logs), "every string that leaves the receiver is valid UTF-8")

	for _, lr := range logtest.Records(dp.page.Logs) {
		if logtest.UID(lr) == "value" {
			user, _ := lr.Attributes().Get("user.name")
			assert.Equal(t, "b\uFFFDb", user.Str(), "attributes come from the repaired body")
		}
	}
}

// A page within the byte cap that would decode into far more values than any real page is
// refused with an error that names the limit.
func TestPageOverTheDecodeBudgetIsRefused(t *testing.T) {
	zeros := strings.Repeat("0,", 500*jsonpdata.ValuesPerRecord)
	body := `{"data":[{"uuid":"a","timestamp":1739268000000,"x":[` + zeros + `0]}],"paging":{"cursor":{"cursorRef":"c2"}}}`
	_, err := testConverter().decodePage([]byte(body), pageContext{observed: testObserved, prev: testFrom})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 512000 JSON values")
}

func TestResponseCapFollowsPageSize(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "https://example-domain.audit.cyberark.cloud"
	cfg.IdentityURL = "https://abc1234.id.cyberark.cloud"
	cfg.PageSize = maxPageSize
	assert.Equal(t, int64(500*16<<10), spec.MaxResponseBytes(cfg), "a full page of 500 events, 16 KiB each")
	cfg.PageSize = 10
	assert.Equal(t, int64(minResponseBytes), spec.MaxResponseBytes(cfg), "a page of few events still fits a large one")
}
