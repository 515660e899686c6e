package cyberarkispreceiver

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata/jsonpdatatest"
)

// repairs returns each record's audit.record.repaired, by log.record.uid ("" when unmarked).
func repairs(ld plog.Logs) map[string]string {
	out := map[string]string{}
	eachRecord(ld, func(lr plog.LogRecord) {
		uid, _ := lr.Attributes().Get("log.record.uid")
		v, ok := lr.Attributes().Get(jsonpdata.RepairedAttribute)
		out[uid.Str()] = ""
		if ok {
			out[uid.Str()] = fmt.Sprint(v.Slice().AsRaw())
		}
	})
	return out
}

func eachRecord(ld plog.Logs, fn func(plog.LogRecord)) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				fn(lr)
			}
		}
	}
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

	eachRecord(dp.page.Logs, func(lr plog.LogRecord) {
		if uid, _ := lr.Attributes().Get("log.record.uid"); uid.Str() == "value" {
			user, _ := lr.Attributes().Get("user.name")
			assert.Equal(t, "b\uFFFDb", user.Str(), "attributes come from the repaired body")
		}
	})
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
	assert.Equal(t, int64(500*16<<10), spec(cfg).MaxResponseBytes, "a full page of 500 events, 16 KiB each")
	cfg.PageSize = 10
	assert.Equal(t, int64(minResponseBytes), spec(cfg).MaxResponseBytes, "a page of few events still fits a large one")
}
