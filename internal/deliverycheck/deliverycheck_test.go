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
