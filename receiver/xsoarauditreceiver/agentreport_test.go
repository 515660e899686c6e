package xsoarauditreceiver

import (
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
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
)

// productPage is a reply shaped like one product's documented examples, decoded as the
// receiver configured for that product does.
type productPage struct {
	file    string
	kind    *logKind
	tenant  string
	product string
}

var productPages = []productPage{
	{"page_xdr", managementKind, "api-acme.xdr.us.paloaltonetworks.com", productXDR},
	{"page_xsiam", managementKind, "api-acme.xdr.eu.paloaltonetworks.com", productXSIAM},
	{"page_xpanse", managementKind, "api-acme.crtx.us.paloaltonetworks.com", productXpanse},
	{"agents_xdr", agentsReportsKind, "api-acme.xdr.us.paloaltonetworks.com", productXDR},
	{"agents_xsiam", agentsReportsKind, "api-acme.xdr.eu.paloaltonetworks.com", productXSIAM},
}

func decodeProductPage(t *testing.T, pp productPage) page {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", pp.file+".json"))
	require.NoError(t, err)
	p, err := newKindDecoder(pp.kind, pp.tenant, pp.product, "test", zap.NewNop()).decode(body, testObserved, testPrev)
	require.NoError(t, err)
	return p
}

// Regenerate with: go test -run TestGoldenProducts ./receiver/xsoarauditreceiver/ -update
func TestGoldenProducts(t *testing.T) {
	for _, pp := range productPages {
		t.Run(pp.file, func(t *testing.T) {
			p := decodeProductPage(t, pp)
			path := filepath.Join("testdata", "golden", pp.file+".yaml")
			if *update {
				require.NoError(t, golden.WriteLogs(t, path, p.logs))
			}
			want, err := golden.ReadLogs(path)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(want, p.logs, plogtest.IgnoreObservedTimestamp()))
			wr, gr := records(want), records(p.logs)
			for i := range gr.Len() {
				assert.Equal(t, wr.At(i).EventName(), gr.At(i).EventName(), "record %d", i)
			}
			res := p.logs.ResourceLogs().At(0).Resource().Attributes()
			product, _ := res.Get("cortex.product")
			assert.Equal(t, pp.product, product.Str())
			fqdn, _ := res.Get("xsoar.tenant.fqdn")
			assert.Equal(t, pp.tenant, fqdn.Str())
			assert.Equal(t, keyIDs(p.keys), logtest.UIDs(p.logs))
		})
	}
}

// The management records of XDR, XSIAM and Xpanse carry the fields XSOAR's do, with other
// entities and value spellings: they map to the same attributes.
func TestProductManagementFields(t *testing.T) {
	xdr := decodeProductPage(t, productPages[0])
	rs := records(xdr.logs)
	get := func(rs plog.LogRecordSlice, i int, k string) string {
		v, ok := rs.At(i).Attributes().Get(k)
		if !ok {
			return "<absent>"
		}
		return v.AsString()
	}
	assert.Equal(t, "xsoar.audit.response.isolate", rs.At(1).EventName())
	assert.Equal(t, "WIN-FIN-042", get(rs, 1, "xsoar.audit.hostname"))
	assert.Equal(t, "1187", get(rs, 1, "xsoar.audit.case_id"))
	assert.Equal(t, "198.51.100.24", get(rs, 1, "client.address"))
	assert.Equal(t, plog.SeverityNumberError, rs.At(2).SeverityNumber())
	assert.Equal(t, "<absent>", get(rs, 2, "user.email"), "API key actions have an empty email")
	assert.Equal(t, "<absent>", get(rs, 2, "user.roles"), "an empty role list")
	assert.Equal(t, `["Instance Administrator","Privileged Responder"]`, get(rs, 3, "user.roles"))
	assert.Equal(t, []string{"91001", "91002", "91003", "91004"}, keyIDs(xdr.keys))

	xsiam := records(decodeProductPage(t, productPages[1]).logs)
	asset, _ := xsiam.At(0).Body().Map().Get("AUDIT_ASSET_JSON")
	assert.Equal(t, map[string]any{"case_id": int64(4410), "previous_status": "New", "status": "Under Investigation"}, asset.Map().AsRaw())
	assert.Equal(t, "xsoar.audit.case_management.status_change", xsiam.At(0).EventName())
	assert.Equal(t, plog.SeverityNumberWarn, xsiam.At(1).SeverityNumber(), "no severity, PARTIAL outcome")
	assert.Equal(t, `["SOC Analyst"]`, get(xsiam, 1, "user.roles"))
	assert.Equal(t, pcommon.Timestamp(1744460433002*int64(time.Millisecond)), xsiam.At(2).Timestamp(), "a numeric string")
	assert.Equal(t, plog.SeverityNumberFatal, xsiam.At(2).SeverityNumber())

	xpanse := decodeProductPage(t, productPages[2])
	xr := records(xpanse.logs)
	assert.Equal(t, 14, xr.At(0).Body().Map().Len(), "the older 14-field shape")
	assert.Equal(t, plog.SeverityNumberInfo, xr.At(0).SeverityNumber(), "Success")
	assert.Equal(t, plog.SeverityNumberWarn, xr.At(1).SeverityNumber(), "Fail, in Xpanse's spelling")
	assert.Equal(t, plog.SeverityNumberInfo, xr.At(2).SeverityNumber(), "N/A")
	assert.Equal(t, "shop.example.com", get(xr, 1, "xsoar.audit.hostname"))
	assert.Equal(t, "N/A", get(xr, 2, "xsoar.audit.result"))
}

func keyIDs(keys []checkpoint.Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.ID
	}
	return out
}

func TestAgentReportFields(t *testing.T) {
	p := decodeProductPage(t, productPages[3])
	assert.False(t, p.hasTotal, "Palo Alto's own sample reply has no total_count")
	rs := records(p.logs)
	require.Equal(t, 5, rs.Len())
	attrs := func(i int) map[string]any { return rs.At(i).Attributes().AsRaw() }

	// The older shape: TRAPSVERSION, RESULT null, a fraction of a millisecond.
	a := attrs(0)
	assert.Equal(t, map[string]any{
		"log.record.uid":                  p.keys[0].ID,
		"host.id":                         "0d3f5a7c9e1b42d6a8c0e2f4b6d8a0c2",
		"host.name":                       "FIN-LAPTOP-17",
		"cortex.agent.version":            "7.9.0.14212",
		"cortex.agent_report.category":    "Agent Service",
		"cortex.agent_report.type":        "Agent Status",
		"cortex.agent_report.subtype":     "Kernel Driver Initialization",
		"cortex.agent_report.description": "Kernel driver initialization failed on FIN-LAPTOP-17",
	}, a, `"" and null fields stay in the body only`)
	assert.Equal(t, "cortex.agent_report.agent_status.kernel_driver_initialization", rs.At(0).EventName())
	assert.Equal(t, pcommon.Timestamp(1744459200125463*int64(time.Microsecond)), rs.At(0).Timestamp(), "the fraction is kept to the microsecond")
	assert.Equal(t, time.UnixMilli(1744459200125).UTC(), p.keys[0].Time, "the key is in whole milliseconds, as the filter")
	assert.Equal(t, time.UnixMilli(1744459200125).UTC(), p.keys[1].Time)
	assert.Equal(t, plog.SeverityNumberInfo, rs.At(0).SeverityNumber())
	assert.Empty(t, rs.At(0).SeverityText(), "reports carry no severity")

	// No ID: a content hash, stable across reads and different for every record.
	seen := map[string]bool{}
	for _, k := range p.keys {
		assert.True(t, strings.HasPrefix(k.ID, "sha256:"), k.ID)
		assert.False(t, seen[k.ID], "records differ, so do their IDs")
		seen[k.ID] = true
	}
	assert.Equal(t, keyIDs(p.keys), keyIDs(decodeProductPage(t, productPages[3]).keys))

	// The newer shape: XDRVERSION, DOMAIN, a failed result with its reason.
	a = attrs(2)
	assert.Equal(t, "8.4.1.20311", a["cortex.agent.version"])
	assert.Equal(t, "CORP", a["cortex.endpoint.domain"])
	assert.Equal(t, "Fail", a["cortex.agent_report.result"])
	assert.Equal(t, "Not enough disk space", a["cortex.agent_report.reason"])
	assert.Equal(t, plog.SeverityNumberWarn, rs.At(2).SeverityNumber())
	assert.Equal(t, "cortex.agent_report.upgrade.upgrade", rs.At(2).EventName())
	assert.Equal(t, pcommon.Timestamp(1744459260000*int64(time.Millisecond)), rs.At(2).Timestamp())
	assert.Equal(t, int64(1744459301907), p.newest)

	// Nothing usable: the receive time, the previous record's key time, the fallback name.
	assert.Equal(t, pcommon.NewTimestampFromTime(testObserved), rs.At(4).Timestamp())
	assert.Equal(t, p.keys[3].Time, p.keys[4].Time)
	assert.Equal(t, agentReportEvents, rs.At(4).EventName())
	assert.ElementsMatch(t, []string{"log.record.uid", "cortex.agent_report.category"}, keysOf(attrs(4)))
	recv, _ := rs.At(4).Body().Map().Get("RECEIVEDTIME")
	assert.InDelta(t, 1744459330000.5, recv.Double(), 0.001, "RECEIVEDTIME stays in the body")

	xsiam := decodeProductPage(t, productPages[4])
	xr := records(xsiam.logs)
	assert.Equal(t, pcommon.Timestamp(1744470000001750*int64(time.Microsecond)), xr.At(1).Timestamp(), "a numeric string with a fraction")
	assert.Equal(t, plog.SeverityNumberWarn, xr.At(1).SeverityNumber(), "Failure")
	extra, _ := xr.At(2).Body().Map().Get("TENANT_REGION")
	assert.Equal(t, "eu", extra.Str(), "unknown fields stay in the body")
	assert.Equal(t, "cortex.agent_report.installation.uninstall", xr.At(2).EventName())
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestEpochNs(t *testing.T) {
	ms := int64(time.Millisecond)
	for i, tt := range []struct {
		v    pcommon.Value
		want int64
		ok   bool
	}{
		{pcommon.NewValueInt(1744459200125), 1744459200125 * ms, true},
		{pcommon.NewValueDouble(1744459200125.4631), 1744459200125463 * int64(time.Microsecond), true},
		{pcommon.NewValueDouble(1744459200125), 1744459200125 * ms, true},
		{pcommon.NewValueStr(" 1744459200125 "), 1744459200125 * ms, true},
		{pcommon.NewValueStr("1744459200125.5"), 1744459200125500 * int64(time.Microsecond), true},
		{pcommon.NewValueStr("soon"), 0, false},
		{pcommon.NewValueDouble(-1), 0, false},
		{pcommon.NewValueDouble(1e300), 0, false},
		{pcommon.NewValueInt(0), 0, false},
		{pcommon.NewValueBool(true), 0, false},
		{pcommon.NewValueEmpty(), 0, false},
		{pcommon.Value{}, 0, false},
	} {
		got, ok := epochNs(tt.v)
		assert.Equal(t, tt.ok, ok, "case %d", i)
		if tt.ok {
			assert.Equal(t, tt.want, got, "case %d", i)
		}
	}
}
