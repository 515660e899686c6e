package hartrace

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/hartrace/hartest"
)

func TestShapeKeepsTheEnvelopeAndTheStructureOfRecords(t *testing.T) {
	page := `{"reply":{"total_count":2,"result_count":2,"more":true,"data":[
		{"AUDIT_ID":7,"AUDIT_OWNER_NAME":"Mallory Doe","AUDIT_OWNER_EMAIL":"mallory@example.com","AUDIT_SESSION_ID":null,
		 "geo":{"lat":48.85,"lon":2.35,"city":"Paris"},"admin":true,"ips":["192.0.2.1","198.51.100.7"]},
		{"AUDIT_ID":8,"AUDIT_OWNER_NAME":"é","tags":[]}
	]}}`
	got, complete, ok := shape([]byte(page))
	require.True(t, ok)
	assert.True(t, complete)
	assert.JSONEq(t, `{"reply":{"total_count":2,"result_count":2,"more":true,"data":[
		{"AUDIT_ID":0,"AUDIT_OWNER_NAME":"[redacted: 11 bytes]","AUDIT_OWNER_EMAIL":"[redacted: 19 bytes]","AUDIT_SESSION_ID":null,
		 "geo":{"lat":0,"lon":0,"city":"[redacted: 5 bytes]"},"admin":false,"ips":["[redacted: 9 bytes]","[redacted: 12 bytes]"]},
		{"AUDIT_ID":0,"AUDIT_OWNER_NAME":"[redacted: 2 bytes]","tags":[]}
	]}}`, got)

	// Cut inside a record: what came before it, in shape, and not complete.
	cut, _, _ := strings.Cut(page, "mallory@")
	got, complete, ok = shape([]byte(cut))
	require.True(t, ok)
	assert.False(t, complete)
	assert.NotContains(t, got, "Mallory")
	assert.True(t, strings.HasSuffix(got, `"AUDIT_OWNER_NAME":"[redacted: 11 bytes]","AUDIT_OWNER_EMAIL":`), got)

	_, _, ok = shape([]byte("<html><body>Service Unavailable</body></html>"))
	assert.False(t, ok)
	got, complete, ok = shape([]byte(`{"error":"invalid_client","error_description":"bad secret"}`))
	assert.True(t, ok && complete)
	assert.JSONEq(t, `{"error":"invalid_client","error_description":"bad secret"}`, got, "an error outside any array is kept")
}

// By default a trace keeps the shape of each JSON response, never the records' values, and
// the length of any other; the request bodies (the client's own queries) are kept.
func TestATraceHoldsNoRecordValuesByDefault(t *testing.T) {
	const page = `{"data":[{"userName":"alice@example.com","source":"203.0.113.9","user_agent":"Mozilla/5.0"}],"paging":{"cursor":{"cursorRef":"c-42"}}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/html" {
			_, _ = io.WriteString(w, "<html>alice@example.com</html>")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, page)
	}))
	defer srv.Close()
	for _, keep := range []bool{false, true} {
		rec := New("t", "1", 0)
		if keep {
			rec.KeepRecords()
		}
		transport := &http.Transport{}
		hc := &http.Client{Transport: rec.Tap("")(transport)}
		for _, path := range []string{"/api", "/html"} {
			resp, err := hc.Post(srv.URL+path, "application/json", strings.NewReader(`{"query":{"pageSize":25}}`))
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		transport.CloseIdleConnections()
		var out bytes.Buffer
		require.NoError(t, rec.Write(&out, nil))
		entries := hartest.Check(t, out.Bytes())
		require.Len(t, entries, 2)
		text := func(i int) string { return entries[i].Response["content"].(map[string]any)["text"].(string) }
		assert.JSONEq(t, `{"query":{"pageSize":25}}`, entries[0].Request["postData"].(map[string]any)["text"].(string))
		if keep {
			assert.JSONEq(t, page, text(0))
			assert.Contains(t, text(1), "alice@example.com")
			continue
		}
		for _, value := range []string{"alice", "203.0.113", "Mozilla"} {
			assert.NotContains(t, out.String(), value)
		}
		var shaped map[string]any
		require.NoError(t, json.Unmarshal([]byte(text(0)), &shaped), text(0))
		assert.JSONEq(t, `{"data":[{"userName":"[redacted: 17 bytes]","source":"[redacted: 11 bytes]","user_agent":"[redacted: 11 bytes]"}],"paging":{"cursor":{"cursorRef":"c-42"}}}`, text(0))
		assert.Equal(t, "[30 bytes that are not JSON, not recorded]", text(1))
	}
}
