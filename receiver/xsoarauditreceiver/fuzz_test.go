package xsoarauditreceiver

import (
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/secaudit/otelcol-audit/internal/confkeys/confkeystest"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver/internal/metadata"
)

// FuzzDecodePage feeds arbitrary bodies to the page decoder: it must never panic, and a page
// it accepts must pair every log record with a key that has an ID and a time.
// Run: go test -run=^$ -fuzz=FuzzDecodePage -fuzztime=10m -parallel=1 ./receiver/xsoarauditreceiver/
func FuzzDecodePage(f *testing.F) {
	// Seeds stay small: the fuzzer minimises every new interesting input, and minimising a
	// many-kilobyte page takes its whole minimisation budget, stalling the run.
	f.Add([]byte(`{"reply":{"result_count":1,"data":[{"AUDIT_ID":1204,"AUDIT_OWNER_NAME":"Dana","AUDIT_OWNER_EMAIL":"",` +
		`"AUDIT_ASSET_JSON":"{}","AUDIT_ASSET_NAMES":"","AUDIT_HOSTNAME":null,"AUDIT_RESULT":"FAIL","AUDIT_REASON":null,` +
		`"AUDIT_DESCRIPTION":"x","AUDIT_ENTITY":"AUTH","AUDIT_ENTITY_SUBTYPE":"Login","AUDIT_SESSION_ID":491027553310,` +
		`"AUDIT_CASE_ID":null,"AUDIT_INSERT_TIME":1744456200125}]}}`))
	f.Add([]byte(`{"reply":{"data":[{"AUDIT_ID":98765432109876543210,"AUDIT_ASSET_JSON":{"k":[1,2.5,"s"]},` +
		`"AUDIT_INSERT_TIME":1744456299142,"AUDIT_SEVERITY":"SEV_020_LOW","AUDIT_SOURCE_IP":"203.0.113.45",` +
		`"AUDIT_USER_AGENT":"curl","AUDIT_USER_ROLES":["Account Admin",""],"AUDIT_ADDITIONAL_INFORMATION":{"n":null},` +
		`"AUDIT_OBJECT_ID":5,"AUDIT_CASE_ID":"c"}],"total_count":1,"result_count":1}}`))
	for _, s := range []string{
		``,
		`<html></html>`,
		`{"reply":{"total_count":1,"result_count":1,"data":[{"AUDIT_ID":1,"AUDIT_INSERT_TIME":1744456299142}]}}`,
		`{"reply":{"data":[{"AUDIT_INSERT_TIME":"x"},{}]}}`,
		`{"reply":{"err_code":401,"err_msg":"Public API request unauthorized","err_extra":null}}`,
		`{"error":{"message":"x"}}`,
		`{"reply":[{"AUDIT_ID":"a\u0000b","AUDIT_USER_ROLES":[1,true,null,{"a":1}]}]}`,
		`{"reply":{"data":[{"AUDIT_ID":1e400,"AUDIT_SESSION_ID":-0.0,"AUDIT_INSERT_TIME":1.5e12}]}}`,
		`{"reply":{"data":[{"AUDIT_\u0049D":7,"AUDIT_ENTITY":"\ud800","AUDIT_SEVERITY":"SEV_"}]}}`,
	} {
		f.Add([]byte(s))
	}
	d := newPageDecoder("fuzz")
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := d.decode(body, testObserved, testPrev)
		if err != nil {
			return
		}
		rs := records(p.logs)
		if rs.Len() != len(p.keys) {
			t.Fatalf("%d log records but %d keys", rs.Len(), len(p.keys))
		}
		for i, k := range p.keys {
			if k.ID == "" {
				t.Fatalf("key %d has no ID", i)
			}
			if k.Time.IsZero() {
				t.Fatalf("key %d has no time", i)
			}
			lr := rs.At(i)
			if uid := logtest.UID(lr); uid != k.ID {
				t.Fatalf("record %d: log.record.uid %q, key %q", i, uid, k.ID)
			}
			requireValidUTF8(t, lr.Body())
			for name, v := range lr.Attributes().All() {
				requireValidUTF8(t, pcommon.NewValueStr(name))
				requireValidUTF8(t, v)
			}
		}
	})
}

// configSeeds are receiver sections: valid ones, typos at each level, wrong types, values out
// of range, nulls and special floats.
var configSeeds = []string{
	minimalSection,
	minimalSection + "security_level: standard\npage_size: 50\nsettle_delay: 30s\npath: /public_api/v1/audits/management_logs/\nstorage: file_storage/x\n",
	minimalSection + "timeout: 45s\nproxy_url: http://proxy.internal:3128\ntls: {insecure_skip_verify: true, ca_file: /ca.pem}\nheaders: {X-A: b}\n",
	minimalSection + "retry_on_failure: {enabled: false, initial_interval: 2s, randomization_factor: 0.25, multiplier: 3, max_interval: 40s, max_elapsed_time: 10m}\n",
	minimalSection + "storag: file_storage\nsetle_delay: 1s\n",
	minimalSection + "tls: {ca_fle: /ca.pem}\n",
	minimalSection + "retry_on_failure: {max_elapsed_tme: 0}\n",
	minimalSection + "keepalive: {enabled: false, idle_conn_timeout: 1s}\nauth: {authenticator: oauth2client}\n",
	minimalSection + "middlewares: [{id: m}, {idd: n}]\nheaders: [{name: X-A, value: '1'}, {name: X-A, value: '2'}]\n",
	minimalSection + "page_size: abc\nsettle_delay: [1]\ntls: 5\n",
	minimalSection + "requests_per_second: .nan\nretry_on_failure: {multiplier: .inf, randomization_factor: -.inf}\n",
	minimalSection + "timeout: -1s\nstart_time: 2999-01-01\nsettle_delay: 9999h\napi_key_id: abc\npath: 'x?y'\n",
	minimalSection + "tls: null\nstorage: ~\nheaders: null\npath: null\n",
	minimalSection + "endpoint: http://mytenant.crtx.us.paloaltonetworks.com\n",
	minimalSection + "endpoint: http://127.0.0.1:1\n",
	minimalSection + "endpoint: xsoar.corp.example:8443\n",
	"endpoint: {a: {b: {c: [1, {d: e}]}}}\n",
	"",
}

const minimalSection = "endpoint: mytenant.crtx.us.paloaltonetworks.com\napi_key_id: \"7\"\napi_key: 0123456789abcdef\n"

// requiredKeys are named by the errors of a section that leaves them out.
var requiredKeys = []string{"endpoint", "api_key_id", "api_key"}

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
