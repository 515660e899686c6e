package xsoarauditreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"empty", "", "empty"},
		{"HTML", "<html><body>Login</body></html>", "HTML"},
		{"array", `[{"AUDIT_ID":1}]`, "not a JSON object"},
		{"truncated", `{"reply":{"data":[{"AUDIT_ID":1,`, "EOF"},
		{"trailing data", `{"reply":{"data":[]}} {"x":1}`, "after the JSON object"},
		{"no reply", `{"data":[]}`, `no "reply"`},
		{"err_code in 200", `{"reply":{"err_code":500,"err_msg":"An error occurred","err_extra":null}}`, "An error occurred"},
		{"err_msg only", `{"reply":{"err_msg":"search_size too large"}}`, "search_size too large"},
		{"root error", `{"error":{"code":"ACCESS_DENIED","message":"denied"}}`, "denied"},
		{"root error string", `{"reply":{"data":[{"AUDIT_ID":1}]},"error":"boom"}`, "boom"},
		{"data not array", `{"reply":{"data":{"AUDIT_ID":1}}}`, "not an array"},
		{"record not object", `{"reply":{"data":[1]}}`, "not an object"},
		{"reply a string", `{"reply":"ok"}`, "not an object"},
		{"total_count an object", `{"reply":{"total_count":{},"data":[]}}`, "total_count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newPageDecoder("").decode([]byte(tt.body), testObserved, testPrev)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestDecodeTolerates(t *testing.T) {
	tests := []struct {
		name, body string
		records    int
	}{
		{"no data", `{"reply":{"total_count":0,"result_count":0}}`, 0},
		{"null data", `{"reply":{"total_count":0,"data":null}}`, 0},
		{"null reply", `{"reply":null}`, 0},
		{"null error", `{"reply":{"data":[{"AUDIT_ID":1}]},"error":null}`, 1},
		{"null err fields", `{"reply":{"err_code":null,"err_msg":null,"data":[{"AUDIT_ID":1}]}}`, 1},
		{"string total", `{"reply":{"total_count":"5","data":[{"AUDIT_ID":1}]}}`, 1},
		{"bare array reply", `{"reply":[{"AUDIT_ID":1},{"AUDIT_ID":2}]}`, 2},
		{"duplicate keys", `{"reply":{"data":[{"AUDIT_ID":1,"AUDIT_ID":2}]}}`, 1},
		{"invalid UTF-8", "{\"reply\":{\"data\":[{\"AUDIT_ID\":1,\"AUDIT_DESCRIPTION\":\"bad \xff byte\"}]}}", 1},
		{"invalid UTF-8 in a name", "{\"reply\":{\"data\":[{\"AUDIT_ID\":1,\"X\xfe\":1,\"\\u00e9\\u0041\":2}]}}", 1},
		{"unknown envelope keys", `{"meta":{"x":[1,2]},"reply":{"extra":true,"data":[{"AUDIT_ID":1}]}}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPageDecoder("").decode([]byte(tt.body), testObserved, testPrev)
			require.NoError(t, err)
			assert.Len(t, p.keys, tt.records)
			assert.Equal(t, tt.records, records(p.logs).Len())
			for _, lr := range logtest.Records(p.logs) {
				requireValidUTF8(t, lr.Body())
			}
		})
	}
}
