package deliverycheck

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"gopkg.in/yaml.v3"
)

func conf(t *testing.T, y string) *confmap.Conf {
	t.Helper()
	var raw map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(y), &raw))
	return confmap.NewFromStringMap(raw)
}

const safe = `
exporters:
  otlp_grpc/siem:
    sending_queue:
      storage: file_storage
    retry_on_failure:
      max_elapsed_time: 0
  debug: {}
service:
  pipelines:
    logs:
      receivers: [cyberarkisp, xsoaraudit/tenant2]
      exporters: [otlp_grpc/siem, debug]
`

func TestSafePipelineHasNoWarning(t *testing.T) {
	assert.Empty(t, Check(conf(t, safe)))
}

func TestUnsafeSettingsAreNamed(t *testing.T) {
	w := Check(conf(t, `
processors:
  batch: {}
exporters:
  otlp_http: {}
  otlp_grpc/waits:
    sending_queue:
      wait_for_result: true
    retry_on_failure:
      max_elapsed_time: 10m
service:
  pipelines:
    logs/audit:
      receivers: [xsoaraudit]
      processors: [batch]
      exporters: [otlp_http, otlp_grpc/waits]
    logs/other:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp_http]
    traces:
      receivers: [otlp]
      exporters: [otlp_http]
`))
	require.Len(t, w, 4, strings.Join(w, "\n"))
	assert.Contains(t, w[0], "pipeline logs/audit (receivers xsoaraudit): processor batch")
	assert.Contains(t, w[1], "exporter otlp_http keeps its sending queue in memory")
	assert.Contains(t, w[2], "exporter otlp_http drops records when the backend stays down longer than retry_on_failure.max_elapsed_time (default 5m)")
	assert.Contains(t, w[3], "exporter otlp_grpc/waits drops records")
}

func TestConverterLogsWarningsWithoutFailing(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	c := NewFactory().Create(confmap.ConverterSettings{Logger: zap.New(core)})
	require.NoError(t, c.Convert(context.Background(), conf(t, `
exporters:
  file: {path: out.json}
service:
  pipelines:
    logs:
      receivers: [cyberarkisp]
      exporters: [file]
`)))
	require.Equal(t, 1, logs.Len())
	assert.Contains(t, logs.All()[0].Message, "exporter file buffers records for flush_interval")
	assert.Contains(t, logs.All()[0].Message, "deliver to a backend that acknowledges", "the warning names the remedy")
	require.NoError(t, c.Convert(context.Background(), confmap.New()), "an empty configuration is not this converter's business")
}

// An export without TLS to another host is named, with the setting that makes it cleartext;
// to loopback, or with TLS, it is not.
func TestCleartextExportToAnotherHostIsNamed(t *testing.T) {
	w := Check(conf(t, `
exporters:
  otlp_grpc/insecure:
    endpoint: siem.example.com:4317
    tls: {insecure: true}
  otlp_grpc/insecure-string:
    endpoint: dns:///10.1.2.3:4317
    tls: {insecure: "true"}
  otlp_http/plain:
    endpoint: http://[2001:db8::7]:4318
  otlp_http/logs:
    endpoint: https://siem.example.com
    logs_endpoint: http://siem.example.com:4318/v1/logs
  otlp_grpc/local:
    endpoint: 127.0.0.1:4317
    tls: {insecure: true}
  otlp_http/local:
    endpoint: http://localhost:4318
  otlp_grpc/tls:
    endpoint: siem.example.com:4317
    tls: {insecure: false, ca_file: /etc/ca.pem}
  otlp_grpc/unix:
    endpoint: unix:///run/otlp.sock
    tls: {insecure: true}
service:
  pipelines:
    logs:
      receivers: [cyberarkisp]
      exporters: [otlp_grpc/insecure, otlp_grpc/insecure-string, otlp_http/plain, otlp_http/logs, otlp_grpc/local, otlp_http/local, otlp_grpc/tls, otlp_grpc/unix]
`))
	var cleartext []string
	for _, s := range w {
		if strings.Contains(s, "in cleartext") {
			cleartext = append(cleartext, s)
		}
	}
	require.Len(t, cleartext, 4, "%q", cleartext)
	assert.Contains(t, cleartext[0], "exporter otlp_grpc/insecure sends the audit records to siem.example.com in cleartext (tls.insecure: true)")
	assert.Contains(t, cleartext[0], "tls.ca_file")
	assert.Contains(t, cleartext[1], "exporter otlp_grpc/insecure-string sends the audit records to 10.1.2.3 in cleartext (tls.insecure: true)")
	assert.Contains(t, cleartext[2], "exporter otlp_http/plain sends the audit records to 2001:db8::7 in cleartext (an http:// endpoint)")
	assert.Contains(t, cleartext[3], "exporter otlp_http/logs sends the audit records to siem.example.com in cleartext (an http:// logs_endpoint)")
}

// The collector refuses at start a receiver whose storage names a missing extension; the
// converter refuses it already, so that `validate` does.
func TestStorageNamingAMissingExtensionIsRefused(t *testing.T) {
	err := StorageErrors(conf(t, `
receivers:
  cyberarkisp: {storage: file_storage/typo}
  xsoaraudit/a: {storage: file_storage}
  xsoaraudit/unused: {storage: file_storage/unused}
extensions:
  file_storage: {}
service:
  pipelines:
    logs:
      receivers: [cyberarkisp, xsoaraudit/a]
      exporters: [debug]
`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `receivers::cyberarkisp::storage: extension "file_storage/typo" is not configured`)
	assert.Contains(t, err.Error(), `receivers::xsoaraudit/a::storage: extension "file_storage" is configured but not enabled: add it to service::extensions`)
	assert.NotContains(t, err.Error(), "unused", "the collector does not start a receiver that no pipeline names")
}

// auth and middlewares name extensions too; this distribution ships none that fits.
func TestAuthAndMiddlewaresNamingAMissingExtensionAreRefused(t *testing.T) {
	err := StorageErrors(conf(t, `
receivers:
  xsoaraudit:
    auth: {authenticator: bearertokenauth}
    middlewares: [{id: ratelimit}]
service:
  pipelines:
    logs:
      receivers: [xsoaraudit]
      exporters: [debug]
`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `receivers::xsoaraudit::auth::authenticator: extension "bearertokenauth" is not configured: this distribution ships no authenticator`)
	assert.Contains(t, err.Error(), `receivers::xsoaraudit::middlewares::0::id: extension "ratelimit" is not configured`)
}

// The collector reports the first receiver it cannot decode; the converter reports them all.
func TestEveryAuditReceiversDecodeErrorIsReported(t *testing.T) {
	c := NewFactory().Create(confmap.ConverterSettings{})
	err := c.Convert(context.Background(), conf(t, `
receivers:
  cyberarkisp/a: {page_size: abc}
  xsoaraudit/b: {poll_interval: nope}
  otlp: {}
`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "receivers::cyberarkisp/a: ")
	assert.Contains(t, err.Error(), "'page_size' expected type 'int'")
	assert.Contains(t, err.Error(), "receivers::xsoaraudit/b: ")
	assert.Contains(t, err.Error(), "'poll_interval'")
}
