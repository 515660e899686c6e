package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// hiddenText reorders what a reader sees (a right-to-left override), hides text (zero-width
// characters, a byte order mark) and starts a forged line (U+2028).
const hiddenText = "user \u202enimda\u202c logged in\u200b\u2060\ufeff\u2066x\u2069\u2028FORGED line"

func TestTerminalSafeEscapesHiddenCharacters(t *testing.T) {
	assert.Equal(t, `user \u202enimda\u202c logged in\u200b\u2060\ufeff\u2066x\u2069\u2028FORGED line`, terminalSafe(hiddenText))
}

// A record field and an error body with such characters are shown escaped in every format;
// the JSON record is still the vendor's text once decoded.
func TestVendorTextCannotHideOrReorder(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	record := map[string]any{
		"AUDIT_ID": 7, "AUDIT_INSERT_TIME": f.now.Add(-10 * time.Minute).UnixMilli(), "AUDIT_OWNER_NAME": "Mallory",
		"AUDIT_DESCRIPTION": hiddenText, "AUDIT_ENTITY": "AUTH", "AUDIT_RESULT": "SUCCESS",
	}
	page, err := json.Marshal(map[string]any{"reply": map[string]any{"total_count": 1, "result_count": 1, "data": []any{record}}})
	require.NoError(t, err)
	f.url = xsoarReplying(t, http.StatusOK, string(page)).URL
	path := f.config(t, f.xsoar(""))
	for _, format := range []string{"table", "json", "otlp-json"} {
		r := f.run(t, "get-events", "--config", path, "--from", "1 hour ago", "--output", format)
		require.Equal(t, 0, r.code, r.stderr)
		assertNoHidden(t, r.stdout+r.stderr, format)
		assert.Contains(t, r.stdout, `\u202enimda\u202c`, format)
		if format == "json" {
			var rec struct {
				Body map[string]any `json:"body"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &rec), r.stdout)
			assert.Equal(t, hiddenText, rec.Body["AUDIT_DESCRIPTION"])
		}
	}

	f.url = xsoarReplying(t, http.StatusBadRequest, hiddenText).URL
	path = f.config(t, f.xsoar(""))
	r := f.run(t, "check", "--config", path, "--max-retry-time", "0")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout+r.stderr, "FORGED")
	assertNoHidden(t, r.stdout+r.stderr, "check")
}

func assertNoHidden(t *testing.T, out string, what any) {
	t.Helper()
	for _, r := range out {
		if httpapi.Hidden(r) {
			t.Errorf("%v: %U reaches the terminal raw in %q", what, r, out)
			return
		}
	}
}
