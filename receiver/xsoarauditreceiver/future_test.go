package xsoarauditreceiver

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A record whose AUDIT_INSERT_TIME is in year 9999, served although it is outside the window
// asked for, is delivered once; the checkpoint stays within the window, so the records inserted
// after it are read.
func TestRecordDatedInTheFutureDoesNotPoisonTheCheckpoint(t *testing.T) {
	f := newFakeXSOAR(t, true)
	now := time.Now().UnixMilli()
	f.add(100001, now-2000, now-1000)
	future, err := json.Marshal(testRecord(100003, 253402300799000)) // 9999-12-31T23:59:59Z
	require.NoError(t, err)
	f.fault = func(n int, _ auditRequest) *fakeResponse {
		if n != 1 {
			return nil
		}
		return &fakeResponse{status: 200, body: fmt.Sprintf(`{"reply":{"total_count":3,"result_count":3,"data":[%s,%s,%s]}}`,
			f.records[0].raw, f.records[1].raw, future)}
	}
	r := startReceiver(t, testConfig(t, f, now-time.Hour.Milliseconds()), t.TempDir())
	r.waitRecords(3)
	f.add(100004, time.Now().UnixMilli())
	r.waitRecords(4)
	time.Sleep(100 * time.Millisecond) // a few more polls: nothing repeats
	r.stop()
	requireExactlyOnce(t, r.uids(), idRange(100001, 4))
	for _, req := range f.log() {
		assert.LessOrEqual(t, req.GTE, time.Now().UnixMilli(), "no query asks for the future")
	}
	assert.NotEmpty(t, r.logs.FilterMessageSnippet("dated in the future").All())
}
