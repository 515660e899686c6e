package cyberarkispreceiver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
