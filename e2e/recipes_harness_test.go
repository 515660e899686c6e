//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

const recipesPage = "../docs/recipes.md"

// testPseudonymKey is PSEUDONYM_KEY in the recipe tests.
const testPseudonymKey = "0123456789abcdef0123456789abcdef-recipes"

// recipes returns every configuration of docs/recipes.md by name: each block starts with a
// "# recipe: NAME" line.
func recipes(t testing.TB) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(recipesPage)
	require.NoError(t, err)
	out := map[string]string{}
	for _, part := range strings.Split(string(raw), "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		first, _, _ := strings.Cut(block, "\n")
		if name, ok := strings.CutPrefix(first, "# recipe: "); ok {
			require.NotContains(t, out, name, "two recipes are named %s", name)
			out[name] = block
		}
	}
	return out
}

func recipe(t testing.TB, name string) string {
	t.Helper()
	cfg, ok := recipes(t)[name]
	require.True(t, ok, "%s has no recipe %q", recipesPage, name)
	return cfg
}

// recipeEnv is what every recipe reads from the environment, pointed at e's simulator and OTLP
// sink; extra (NAME=value) is added after it and wins.
func (e *env) recipeEnv(extra ...string) []string {
	return append(recipeVars(e.dir, e.sim.URL(), e.otlp), extra...)
}

// recipeVars is recipeEnv for a simulator at simURL and an OTLP sink on port otlp.
func recipeVars(dir, simURL string, otlp int) []string {
	return []string{
		"STORAGE_DIR=" + filepath.Join(dir, "storage"),
		"POLL_INTERVAL=1s",
		"START_TIME=3 hours ago",
		"CYBERARK_ENDPOINT=" + simURL,
		"CYBERARK_IDENTITY_URL=" + simURL,
		"CYBERARK_WEB_APP_ID=" + simulator.DefaultWebAppID,
		"CYBERARK_CLIENT_ID=" + simulator.DefaultClientID,
		"CYBERARK_CLIENT_SECRET=" + simulator.DefaultClientSecret,
		"CYBERARK_API_KEY=" + simulator.DefaultAPIKey,
		"XSOAR_ENDPOINT=" + simURL,
		"XSOAR_API_KEY_ID=" + simulator.DefaultXSOARKeyID,
		"XSOAR_API_KEY=" + simulator.DefaultXSOARKey,
		fmt.Sprintf("OTLP_ENDPOINT=http://127.0.0.1:%d", otlp),
		"PSEUDONYM_KEY=" + testPseudonymKey,
		"TENANT=acme",
		"ENVIRONMENT=staging",
		"ELASTIC_API_KEY=test-elastic-key",
	}
}

// startRecipe runs the built binary on the recipe name, with recipeEnv.
func (e *env) startRecipe(name string, extra ...string) *collector {
	e.t.Helper()
	c := &collector{t: e.t, name: "agent", cfg: filepath.Join(e.dir, "agent.yaml"), log: filepath.Join(e.dir, "agent.log"),
		env: e.recipeEnv(extra...),
		// The collector's own metrics would listen on :8888, which tests running at once share.
		overrides: []string{"yaml:service::telemetry::metrics::level: none"}}
	require.NoError(e.t, os.WriteFile(c.cfg, []byte(recipe(e.t, name)), 0o600))
	c.start()
	e.t.Cleanup(func() {
		c.stop()
		if e.t.Failed() {
			e.t.Logf("agent log:\n%s", tail(c.logs()))
		}
	})
	return c
}

// truth is the simulator's records of v up to cutoff, each decoded.
func (e *env) truth(v simulator.Vendor, cutoff time.Time) map[string]map[string]any {
	e.t.Helper()
	recs, err := e.sim.RecordsBetween(v, time.Time{}, cutoff)
	require.NoError(e.t, err)
	out := make(map[string]map[string]any, len(recs))
	for _, r := range recs {
		var m map[string]any
		require.NoError(e.t, json.Unmarshal(r.JSON, &m))
		out[r.ID] = m
	}
	return out
}

// exported is one record as the sink received it.
type exported struct {
	stream   string
	resource pcommon.Map
	lr       plog.LogRecord
	json     string // the whole ResourceLogs line it came in, to search for clear text
}

// exportedRecords reads every record the sink wrote.
func exportedRecords(t testing.TB, path string) []exported {
	t.Helper()
	var out []exported
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var u plog.JSONUnmarshaler
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		ld, err := u.UnmarshalLogs(line)
		require.NoError(t, err)
		logtest.Each(ld, func(res pcommon.Resource, scope pcommon.InstrumentationScope, lr plog.LogRecord) {
			out = append(out, exported{stream: receiverOf(scope.Name()), resource: res.Attributes(), lr: lr, json: string(line)})
		})
	}
	return out
}

// waitExactly waits until the sink holds exactly the IDs of want, per stream, then checks that
// nothing else and nothing twice arrived. It returns the records.
func (e *env) waitExactly(want map[string][]string, timeout time.Duration, agent *collector) []exported {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := received(e.t, e.out)
		done := true
		for kind, ids := range want {
			done = done && compare(ids, got[kind]).missing == 0
		}
		if done {
			break
		}
		require.True(e.t, agent.running(), "%s exited:\n%s", agent.name, tail(agent.logs()))
		if time.Now().After(deadline) {
			for kind, ids := range want {
				e.t.Logf("%s: %v", kind, compare(ids, got[kind]))
			}
			e.t.Fatalf("not everything arrived in %s", timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // anything that would arrive twice, or should not arrive, arrives now
	got := received(e.t, e.out)
	for kind, ids := range want {
		d := compare(ids, got[kind])
		require.Zero(e.t, d.missing, "%s: %v", kind, d)
		require.Zero(e.t, d.dups, "%s: %v", kind, d)
		require.Len(e.t, got[kind], len(ids), "%s: records arrived that should not have: %v", kind, extraIDs(ids, got[kind]))
	}
	for kind := range got {
		_, ok := want[kind]
		require.True(e.t, ok, "records of an unexpected stream %q arrived", kind)
	}
	return exportedRecords(e.t, e.out)
}

func extraIDs(want, got []string) []string {
	var out []string
	for _, id := range got {
		if !slices.Contains(want, id) && len(out) < 20 {
			out = append(out, id)
		}
	}
	return out
}

// ids lists the keys of truth for which keep is true.
func ids(truth map[string]map[string]any, keep func(map[string]any) bool) []string {
	var out []string
	for id, rec := range truth {
		if keep(rec) {
			out = append(out, id)
		}
	}
	return out
}

func all(map[string]any) bool { return true }

func str(rec map[string]any, key string) string {
	s, _ := rec[key].(string)
	return s
}
