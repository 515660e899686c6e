package cyberarkispreceiver

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/secaudit/otelcol-audit/internal/confkeys/confkeystest"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata/jsonpdatatest"
	"github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver/internal/metadata"
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

// configSeeds are receiver sections: valid ones, typos at each level, wrong types, values out
// of range, nulls and special floats.
var configSeeds = []string{
	minimalSection,
	minimalSection + "storage: file_storage/x\napplication_codes: [IDP, PAM]\npage_size: 250\nstart_time: 3 days ago\n",
	minimalSection + "timeout: 45s\nproxy_url: http://proxy.internal:3128\ntls: {insecure_skip_verify: true, ca_file: /ca.pem}\nheaders: {X-A: b}\n",
	minimalSection + "retry_on_failure: {enabled: false, initial_interval: 2s, randomization_factor: 0.25, multiplier: 3, max_interval: 45s, max_elapsed_time: 10m}\n",
	minimalSection + "storag: file_storage\n",
	minimalSection + "aplication_codes: [PAM]\n", //nolint:misspell // the typo under test
	minimalSection + "tls: {ca_fle: /ca.pem}\n",
	minimalSection + "retry_on_failure: {max_elapsed_tme: 0}\n",
	minimalSection + "keepalive: {enabled: false, idle_conn_timeout: 1s}\nauth: {authenticator: oauth2client}\n",
	minimalSection + "middlewares: [{id: m}, {idd: n}]\nheaders: [{name: X-A, value: '1'}, {name: X-A, value: '2'}]\n",
	minimalSection + "page_size: abc\npoll_interval: [1]\ntls: 5\n",
	minimalSection + "requests_per_second: .nan\nretry_on_failure: {multiplier: .inf, randomization_factor: -.inf}\n",
	minimalSection + "timeout: -1s\nstart_time: 2999-01-01\noverlap: 9999999h\nmax_events_per_poll: 9223372036854775807\n",
	minimalSection + "tls: null\nstorage: ~\napplication_codes: null\nheaders: null\n",
	minimalSection + "endpoint: http://example-domain.audit.cyberark.cloud\nidentity_url: ftp://x\n",
	minimalSection + "endpoint: http://127.0.0.1:1\nidentity_url: http://[::1]:2\n",
	"endpoint: {a: {b: {c: [1, {d: e}]}}}\n",
	"",
}

const minimalSection = "endpoint: https://example-domain.audit.cyberark.cloud\nidentity_url: https://abc1234.id.cyberark.cloud\n" +
	"web_app_id: app\nclient_id: svc\nclient_secret: client-secret-value\napi_key: api-key-value\n"

// requiredKeys are named by the errors of a section that leaves them out.
var requiredKeys = []string{"endpoint", "identity_url", "web_app_id", "client_id", "client_secret", "api_key"}

// Any section gives either a configuration that builds a source or an error naming a key, as
// the user writes it; never a panic.
func FuzzConfigUnmarshal(f *testing.F) {
	confkeystest.FuzzSections(f, confkeystest.Receiver{
		NewConfig: NewFactory().CreateDefaultConfig,
		Builds: func(t *testing.T, cfg component.Config) {
			t.Helper()
			if _, err := spec.NewSource(cfg.(*Config), httpapi.New(httpapi.Settings{}), receivertest.NewNopSettings(metadata.Type)); err != nil {
				t.Fatalf("a configuration that passed Validate builds no source: %v", err)
			}
		},
		Required: requiredKeys,
	}, configSeeds)
}
