package xsoarauditreceiver

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata/jsonpdatatest"
)

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

	p, err := newPageDecoder(testTenant, "test", zap.NewNop()).decode([]byte(body), testObserved, testPrev)
	require.NoError(t, err, "the page is delivered")
	got := map[string]string{}
	forEachRecord(p.logs, func(lr plog.LogRecord) {
		uid, _ := lr.Attributes().Get("log.record.uid")
		got[uid.Str()] = ""
		if v, ok := lr.Attributes().Get(jsonpdata.RepairedAttribute); ok {
			got[uid.Str()] = fmt.Sprint(v.Slice().AsRaw())
		}
		if uid.Str() == "5" {
			owner, _ := lr.Attributes().Get("user.name")
			assert.Equal(t, "b\uFFFDb", owner.Str(), "attributes come from the repaired body")
		}
	})
	assert.Equal(t, map[string]string{"1": "", "2": "[depth]", "3": "[utf8]", "4": "[utf8]", "5": "[utf8]", "6": ""}, got)
	assert.Len(t, p.keys, 6)
	assert.Empty(t, jsonpdatatest.InvalidUTF8(p.logs), "every string that leaves the receiver is valid UTF-8")
}

// A reply within the byte cap that would decode into far more values than any real page is
// refused with an error that names the limit.
func TestReplyOverTheDecodeBudgetIsRefused(t *testing.T) {
	zeros := strings.Repeat("0,", maxPageSize*jsonpdata.ValuesPerRecord)
	body := `{"reply":{"data":[{"AUDIT_ID":1,"x":[` + zeros + `0]}]}}`
	_, err := newPageDecoder(testTenant, "test", zap.NewNop()).decode([]byte(body), testObserved, testPrev)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 102400 JSON values")
}

func TestResponseCapFollowsPageSize(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "https://api-mytenant.xdr.eu.paloaltonetworks.com"
	cfg.PageSize = maxPageSize
	assert.Equal(t, int64(100*64<<10), spec(cfg).MaxResponseBytes, "a full page of 100 records, 64 KiB each")
	cfg.PageSize = 10
	assert.Equal(t, int64(minResponseBytes), spec(cfg).MaxResponseBytes, "a page of few records still fits a large one")
}

// A redirect, to another host or to another port of the same host, is a permanent error that
// names where it pointed and endpoint; it is never followed.
func TestRedirectNamesTheSetting(t *testing.T) {
	f := newFakeXSOAR(t, true)
	f.add(1, pastMs())
	f.fault = func(int, auditRequest) *fakeResponse {
		return &fakeResponse{status: http.StatusPermanentRedirect, header: http.Header{"Location": {"http://127.0.0.1:1/public_api/v1/audits/management_logs"}}}
	}
	cfg := testConfig(t, f, pastMs()-1000)
	cfg.Poll.PollInterval = time.Hour // one poll: any second request would be a retry
	r := startReceiver(t, cfg, t.TempDir())
	msg := r.waitStatus(componentstatus.StatusPermanentError).Error()
	for _, want := range []string{"endpoint", "redirect", "HTTP 308", "http://127.0.0.1:1"} {
		assert.Contains(t, msg, want)
	}
	assert.Len(t, f.log(), 1, "a redirect is not retried")
	assert.Zero(t, r.sink.LogRecordCount())
}
