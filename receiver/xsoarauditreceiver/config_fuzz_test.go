package xsoarauditreceiver

import (
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/secaudit/otelcol-audit/internal/confkeys/confkeystest"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver/internal/metadata"
)

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
			s := spec(cfg.(*Config))
			if _, err := s.NewSource(httpapi.New(httpapi.Settings{}), receivertest.NewNopSettings(metadata.Type)); err != nil {
				t.Fatalf("a configuration that passed Validate builds no source: %v", err)
			}
		},
		Required: requiredKeys,
	}, configSeeds)
}
