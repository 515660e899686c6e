//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// recipeProcessors is the processors: section of recipe name, without memory_limiter (a
// backfill case has none), and the processors' names in the order its first pipeline runs them.
func recipeProcessors(b *testing.B, name string) (string, []string) {
	b.Helper()
	var cfg struct {
		Processors map[string]any `yaml:"processors"`
		Service    struct {
			Pipelines map[string]struct {
				Processors []string `yaml:"processors"`
			} `yaml:"pipelines"`
		} `yaml:"service"`
	}
	require.NoError(b, yaml.Unmarshal([]byte(recipe(b, name)), &cfg))
	section := map[string]any{}
	var names []string
	for _, p := range cfg.Service.Pipelines["logs"].Processors {
		if p != "memory_limiter" {
			names = append(names, p)
			section[p] = cfg.Processors[p]
		}
	}
	require.NotEmpty(b, names)
	out, err := yaml.Marshal(map[string]any{"processors": section})
	require.NoError(b, err)
	return string(out), names
}

// BenchmarkRecipeCost drains the same CyberArk backlog (200,000 events, 20 ms per API call) as
// BenchmarkBackfill, first straight into the file, then through the pseudonymise recipe's
// processors, in one run: what pseudonymising every record costs a catch-up. Run it with
// `go test -tags e2e -run '^$' -bench RecipeCost -benchtime 1x ./e2e/` (OTELCOL_AUDIT_BIN set).
func BenchmarkRecipeCost(b *testing.B) {
	b.Setenv("PSEUDONYM_KEY", testPseudonymKey)
	section, names := recipeProcessors(b, "pseudonymise")
	base := backfillCase{vendor: simulator.CyberArk, latency: 20 * time.Millisecond, records: 200_000}
	with := base
	with.processors, with.names = section, names
	for _, c := range []struct {
		name string
		c    backfillCase
	}{{"recipe=none", base}, {"recipe=pseudonymise", with}} {
		b.Run(c.name, func(b *testing.B) {
			var r backfillResult
			for range b.N {
				r = runBackfill(b, c.c)
			}
			b.ReportMetric(r.rate, "records/s")
			b.ReportMetric(r.rate/c.c.idealRate(), "ideal-ratio")
			b.ReportMetric(r.cpu.Seconds()*1e6/float64(c.c.records), "CPU-s/Mrecords")
			b.ReportMetric(float64(r.maxRSS)/(1<<20), "peak-RSS-MiB")
		})
	}
}
