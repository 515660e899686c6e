package cyberarkispreceiver

import (
	"encoding/json"
	"flag"
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
	assert.Equal(t, time.UnixMilli(1739269452003).UTC(), dp.newest)
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
	assert.Equal(t, 52.5244, body["customData"].(map[string]any)["geoip_latitude"])
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
	assert.Equal(t, "", pam["new_target"], `"" stays in the body`)
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
	assert.Equal(t, time.UnixMilli(1739271001500).UTC(), dp.newest)

	// The record without a uuid gets a stable, content-derived ID.
	assert.True(t, strings.HasPrefix(dp.page.Keys[1].ID, "sha256:"), dp.page.Keys[1].ID)
	raw, err := os.ReadFile(filepath.Join("testdata", "edge_page.json"))
	require.NoError(t, err)
	var p struct {
		Data []json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(raw, &p))
	assert.Equal(t, derivedID(p.Data[1]), dp.page.Keys[1].ID, "the hash covers exactly the record's JSON")
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

func TestDerivedIDIsStable(t *testing.T) {
	a := derivedID([]byte(`, {"b": 1, "a": "x"}`))
	b := derivedID([]byte(`{"a":"x","b":1}`))
	c := derivedID([]byte(`{"a":"y","b":1}`))
	assert.Equal(t, a, b, "spacing and member order do not matter")
	assert.NotEqual(t, a, c)
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

func TestDecodePageRejectsBrokenPages(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "identity_page.json"))
	require.NoError(t, err)
	for name, body := range map[string]string{
		"truncated":           string(good[:len(good)/2]),
		"cut inside a string": string(good[:200]),
		"HTML page":           "<!DOCTYPE html><html><body>Sign in with Sup3r-Secret-Passw0rd</body></html>",
		"empty":               "",
		"array":               `[{"uuid":"a"}]`,
		"no data":             `{"paging":{"cursor":{"cursorRef":"x"}}}`,
		"data not an array":   `{"data":{"uuid":"a"}}`,
		"event not an object": `{"data":[1]}`,
		"event is a string":   `{"data":["x"]}`,
		"trailing garbage":    `{"data":[]} {"data":[]}`,
		"bad literal":         `{"data":[{"uuid":tru}]}`,
		"unterminated array":  `{"data":[{"uuid":"a"},`,
		"unterminated object": `{"data":[]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := testConverter().decodePage([]byte(body), pageContext{observed: testObserved, prev: testFrom})
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "Sup3r-Secret-Passw0rd")
		})
	}
}

func TestDecodePageEmptyAndNull(t *testing.T) {
	for name, body := range map[string]string{
		"empty data":   `{"data":[],"paging":{"cursor":{"cursorRef":"next"}}}`,
		"null data":    `{"data":null,"paging":{"cursor":{"cursorRef":"next"}}}`,
		"paging first": ` {"paging":{"cursor":{"cursorRef":"next","other":1},"x":[]},"data":[null]}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			dp, err := testConverter().decodePage([]byte(body), pageContext{observed: testObserved, prev: testFrom})
			require.NoError(t, err)
			assert.Empty(t, dp.page.Keys)
			assert.Equal(t, 0, records(dp.page.Logs).Len())
			assert.Equal(t, "next", dp.cursor)
		})
	}
	dp, err := testConverter().decodePage([]byte(`{"data":[{"uuid":"a","timestamp":1739269449904}],"paging":null}`), pageContext{observed: testObserved, prev: testFrom})
	require.NoError(t, err)
	assert.Empty(t, dp.cursor, "no paging: no next cursor")
	assert.Len(t, dp.page.Keys, 1)
	res := dp.page.Logs.ResourceLogs().At(0).Resource().Attributes().AsRaw()
	assert.Equal(t, map[string]any{"cyberark.audit.host": "example-domain.audit.cyberark.cloud"}, res)
}

// The fetch loop reads only a page's envelope. For a page with events it reads the cursor from
// the end of the body; any other layout falls back to walking the whole page. Either way it
// must agree with the full decode.
func TestScanEnvelopeAgreesWithDecode(t *testing.T) {
	conv := testConverter()
	events := string(benchPage(t)) // 500 events, paging last: the fast path
	data := events[strings.Index(events, `[`) : strings.LastIndex(events, `],"paging"`)+1]
	for name, tc := range map[string]struct {
		body   string
		cursor string
		empty  bool
	}{
		"events, paging last":   {body: events, cursor: "eyJxdWVyeSI6e319"},
		"events, paging first":  {body: `{"paging":{"cursor":{"cursorRef":"first"}},"data":` + data + `}`, cursor: "first"},
		"a member after paging": {body: `{"data":` + data + `,"paging":{"cursor":{"cursorRef":"mid"}},"x":{"paging":{}}}`, cursor: "mid"},
		"events, then an event that names paging": {
			body: `{"paging":{"cursor":{"cursorRef":"real"}},"data":` + strings.TrimSuffix(data, "]") + `,{"uuid":"z","note":"paging"}]}`, cursor: "real"},
		"no events": {body: `{"data":[],"paging":{"cursor":{"cursorRef":"end"}}}`, cursor: "end", empty: true},
		"null data": {body: `{"data":null}`, empty: true},
		// A page this large is taken to have events: at worst one more request finds the end.
		"padded, no events": {body: `{"data":[]` + strings.Repeat(" ", smallPage) + `,"paging":{"cursor":{"cursorRef":"pad"}}}`, cursor: "pad"},
	} {
		t.Run(name, func(t *testing.T) {
			env, err := conv.scanEnvelope([]byte(tc.body))
			require.NoError(t, err)
			assert.Equal(t, tc.cursor, env.cursor)
			assert.Equal(t, tc.empty, env.empty)
			dp, err := conv.decodePage([]byte(tc.body), pageContext{observed: time.Now(), prev: testFrom})
			require.NoError(t, err)
			assert.Equal(t, dp.cursor, env.cursor)
		})
	}
	for name, body := range map[string]string{
		"cut in the events": events[:len(events)/2],
		"html":              "<html>" + strings.Repeat(" ", smallPage),
		"no data":           `{"paging":{"cursor":{"cursorRef":"x"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := conv.scanEnvelope([]byte(body))
			assert.Error(t, err)
		})
	}
}
