package cyberarkispreceiver

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/jsonpdata/jsonpdatatest"
)

// FuzzDecodePage feeds arbitrary bytes to the page decoder: it must never panic, and a page
// it accepts must hold one log record per key, each with a non-empty ID that is also its
// log.record.uid, hold only valid UTF-8, and must survive OTLP encoding.
// go test -run=^$ -fuzz=FuzzDecodePage -fuzztime=10m -parallel=1 ./receiver/cyberarkispreceiver/
func FuzzDecodePage(f *testing.F) {
	for _, name := range []string{"identity_page", "pam_page", "edge_page"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, s := range []string{
		`{"data":[],"paging":{"cursor":{"cursorRef":"x"}}}`,
		`{"data":null}`,
		`{"data":[null,{}]}`,
		`{"data":[{"uuid":"","timestamp":"1e400"}]}`,
		`{"data":[{"uuid":1,"timestamp":-1,"source":"::1%eth0","customData":{"user_agent":null}}]}`,
		`{"data":[{"timestamp":9223372036854775807},{"timestamp":1.5e308}]}`,
		`{"data":[{"a":1,"a":2}],"data":[{"b":"\ud800"}]}`,
		`<html>`,
		`{"data":[{"uuid":"a"`,
		`{"paging":{"cursor":{"cursorRef":"p"}},"data":[{"uuid":"a","note":"paging"}]}`,
		`{"data":[{"uuid":"a","note":"say \"paging"}],"paging":{"cursor":{"cursorRef":"p"}},"x":{"paging":{}}}`,
		"{\"data\":[{\"uuid\":\"a\",\"customData\":{\"k\xff\":[[[[1]]]]},\"m\":\"\xfe\"}]}",
	} {
		f.Add([]byte(s))
	}
	conv := testConverter()
	f.Fuzz(func(t *testing.T, body []byte) {
		dp, err := conv.decodePage(body, pageContext{observed: time.Unix(1739269449, 0), prev: testFrom})
		if err != nil {
			return
		}
		// What the fetch loop reads of a page must agree with the full decode: same cursor,
		// and "empty" only for a page without records.
		env, err := conv.scanEnvelope(body)
		if err != nil || env.cursor != dp.cursor || (env.empty && len(dp.page.Keys) > 0) {
			t.Fatalf("scanEnvelope: %+v, %v; decodePage cursor %q, %d records", env, err, dp.cursor, len(dp.page.Keys))
		}
		if cursor, ok := tailCursor(body); ok && cursor != dp.cursor {
			t.Fatalf("tailCursor read %q, decodePage %q", cursor, dp.cursor)
		}
		recs := records(dp.page.Logs)
		if recs.Len() != len(dp.page.Keys) {
			t.Fatalf("%d records, %d keys", recs.Len(), len(dp.page.Keys))
		}
		for i, k := range dp.page.Keys {
			if k.ID == "" {
				t.Fatalf("record %d has an empty ID", i)
			}
			uid, ok := recs.At(i).Attributes().Get("log.record.uid")
			if !ok || uid.Str() != k.ID {
				t.Fatalf("record %d: uid %v, key %q", i, uid.AsRaw(), k.ID)
			}
			if k.Time.IsZero() {
				t.Fatalf("record %d has no key time", i)
			}
		}
		if bad := jsonpdatatest.InvalidUTF8(dp.page.Logs); len(bad) > 0 {
			t.Fatalf("invalid UTF-8 leaves the receiver: %v", bad)
		}
		if _, err := (&plog.ProtoMarshaler{}).MarshalLogs(dp.page.Logs); err != nil {
			t.Fatalf("OTLP encoding: %v", err)
		}
	})
}
