package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

func TestTerminalSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain text\n\twith tab":                                "plain text\n\twith tab",
		"a\x1b[31mred\x1b[0m b \x1b[2J\x1b[1;1H":                "ared b ",
		"x\x1b]0;window title\x07y":                             "xy",
		"\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\": "click",
		"\x1b]52;c;cm0gLXJmIH4=\x07clipboard":                   "clipboard",
		"\x1b]0;never ended\nnext line":                         "\nnext line",
		"reset\x1bc charset\x1b(0 keypad\x1b=":                  "reset charset keypad",
		"c0: \r\b\x00\x07\x0b\x0c\x7f end":                      "c0:  end",
		"c1: \u009b31m \u0085 \u009d":                           `c1: \u009b31m \u0085 \u009d`,
		"8-bit CSI \x9b31m":                                     "8-bit CSI \uFFFD31m",
		"café … 日本":                                             "café … 日本",
		"trailing ESC \x1b":                                     "trailing ESC ",
	} {
		assert.Equal(t, want, terminalSafe(in), "%q", in)
	}
}

// hostile is vendor text that tries to act on the terminal: colours, a cleared screen, a
// window title, a disguised link, a clipboard write, C0 and C1 controls.
const hostile = "\x1b[2J\x1b[31mALERT\x1b[0m \x1b]0;pwned\x07\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ " +
	"\x1b]52;c;cm0gLXJm\x07bell\x07 back\bspace \u009b31mcsi\u009d"

// assertTerminalSafe fails when out holds a control character but newline and tab.
func assertTerminalSafe(t *testing.T, out string, msgAndArgs ...any) {
	t.Helper()
	for _, r := range out {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			assert.Failf(t, "a control character reaches the terminal", "%U in %q %v", r, out, msgAndArgs)
			return
		}
	}
}

// xsoarReplying is a tenant whose every answer is body, with that status.
func xsoarReplying(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestVendorTextCannotControlTheTerminal(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	record := map[string]any{
		"AUDIT_ID": 7, "AUDIT_INSERT_TIME": f.now.Add(-10 * time.Minute).UnixMilli(), "AUDIT_OWNER_NAME": "\x1b]0;owner\x07Mallory",
		"AUDIT_DESCRIPTION": hostile, "AUDIT_ENTITY": "AUTH", "AUDIT_RESULT": "SUCCESS",
	}
	page, err := json.Marshal(map[string]any{"reply": map[string]any{"total_count": 1, "result_count": 1, "data": []any{record}}})
	require.NoError(t, err)
	f.url = xsoarReplying(t, http.StatusOK, string(page)).URL
	path := f.config(t, f.xsoar(""))

	r := f.run(t, "get-events", "--config", path, "--from", "1 hour ago")
	require.Equal(t, 0, r.code, r.stderr)
	assertTerminalSafe(t, r.stdout+r.stderr, "table")
	assert.Contains(t, r.stdout, "Mallory")
	assert.Contains(t, r.stdout, `ALERT link bell backspace \u009b31mcsi\u009d`)

	// In JSON the records stay exact: the encoders escape C0 controls, auditctl the C1 ones.
	for _, format := range []string{"json", "otlp-json"} {
		r := f.run(t, "get-events", "--config", path, "--from", "1 hour ago", "--output", format)
		require.Equal(t, 0, r.code, r.stderr)
		assertTerminalSafe(t, r.stdout+r.stderr, format)
		assert.Contains(t, r.stdout, `\u009b31mcsi\u009d`, format)
		if format == "json" {
			var rec struct {
				Body map[string]any `json:"body"`
			}
			require.NoError(t, json.NewDecoder(bytes.NewReader([]byte(r.stdout))).Decode(&rec), r.stdout)
			assert.Equal(t, hostile, rec.Body["AUDIT_DESCRIPTION"])
		} else {
			logs := otlp(t, r.stdout)
			v, ok := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get("xsoar.audit.description")
			require.True(t, ok)
			assert.Equal(t, hostile, v.Str())
		}
	}
}

func TestAnErrorBodyCannotControlTheTerminal(t *testing.T) {
	for _, rc := range receiverCases {
		t.Run(rc.name, func(t *testing.T) {
			f := newFixture(t, simulator.Options{})
			f.url = xsoarReplying(t, http.StatusBadRequest, hostile).URL // CyberArk's token endpoint too
			path := f.config(t, rc.conf(f, ""))
			for _, args := range [][]string{
				{"check", "--config", path, "--max-retry-time", "0"},
				{"check", "--config", path, "--max-retry-time", "0", "--output", "json"},
				{"get-events", "--config", path},
			} {
				r := f.run(t, args...)
				assert.Equal(t, 1, r.code, "%v", args)
				assert.Contains(t, r.stdout+r.stderr, "ALERT", "%v", args)
				assertTerminalSafe(t, r.stdout+r.stderr, args)
			}
		})
	}
}
