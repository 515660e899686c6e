//go:build e2e

package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// recipeOptions is a small backlog of both vendors, spread over the last hour.
func recipeOptions() simulator.Options {
	return simulator.Options{CyberArkBackfill: 2000, XSOARBackfill: 1000, BackfillSpan: time.Hour}
}

// recipeTruth is the simulator's records of both vendors, by stream.
func (e *env) recipeTruth(cutoff time.Time) map[string]map[string]map[string]any {
	return map[string]map[string]map[string]any{
		"cyberarkisp": e.truth(simulator.CyberArk, cutoff),
		"xsoaraudit":  e.truth(simulator.XSOAR, cutoff),
	}
}

// Every configuration on the recipes page is valid for the built binary.
func TestRecipesValidate(t *testing.T) {
	all := recipes(t)
	for _, name := range []string{"drop-noise", "pseudonymise", "redact-secrets", "tenant-labels",
		"vendor-to-destination", "elastic-otlp", "splunk-otlp", "count"} {
		require.Contains(t, all, name, "the recipes page has the %s recipe", name)
	}
	dir := t.TempDir()
	for name, cfg := range all {
		t.Run(name, func(t *testing.T) {
			out, err := validateRecipe(t, dir, cfg, "KAFKA_BROKER=127.0.0.1:9092",
				"KAFKA_USERNAME=otelcol-audit", "KAFKA_PASSWORD=x", "S3_BUCKET=audit")
			assert.NoError(t, err, "%s does not validate:\n%s", name, out)
		})
	}
}

func validateRecipe(t *testing.T, dir, cfg string, extra ...string) (string, error) {
	t.Helper()
	path := dir + "/recipe.yaml"
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	cmd := exec.Command(collectorBin(t), "validate", "--config", path)
	// validate contacts nothing: any vendor URL will do.
	cmd.Env = append(os.Environ(), append(recipeVars(dir, "https://tenant.example", 4318), extra...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Point 6: a wrong OTTL condition and a missing hash key fail validate, naming the setting; the
// collector does not start on them, so no record is read, let alone checkpointed.
func TestRecipeBadInputFailsValidate(t *testing.T) {
	dir := t.TempDir()

	wrong := strings.Replace(recipe(t, "drop-noise"), `log.attributes["cyberark.audit_code"] == "PAM00302"`,
		`log.attributes["cyberark.audit_code"] = "PAM00302"`, 1)
	require.NotEqual(t, recipe(t, "drop-noise"), wrong)
	out, err := validateRecipe(t, dir, wrong)
	require.Error(t, err)
	assert.Contains(t, out, "processors::filter/noise")
	assert.Contains(t, out, "condition has invalid syntax near `= \"PAM0030`", "the error points at the mistake")

	out, err = validateRecipe(t, dir, recipe(t, "pseudonymise"), "PSEUDONYM_KEY=")
	require.Error(t, err)
	assert.Contains(t, out, "processors::redaction/pseudonymise")
	assert.Contains(t, out, "hmac_key must not be empty")
}

// The drop-noise recipe: the records its conditions name are absent, every other record arrived
// exactly once, and the receivers went past the dropped ones (new records after them arrive).
func TestRecipeDropNoise(t *testing.T) {
	e := newEnv(t, recipeOptions())
	agent := e.startRecipe("drop-noise")
	cutoff := time.Now()
	truth := e.recipeTruth(cutoff)
	dropped := func(stream string) func(map[string]any) bool {
		return func(r map[string]any) bool {
			if stream == "cyberarkisp" {
				app, code := str(r, "applicationCode"), str(r, "auditCode")
				return app == "IDP" && code == "IDP6004" || app == "PAM" && code == "PAM00302"
			}
			return str(r, "AUDIT_ENTITY") == "PUBLIC_API" && str(r, "AUDIT_ENTITY_SUBTYPE") == "Query"
		}
	}
	want := map[string][]string{}
	for stream, recs := range truth {
		drop := dropped(stream)
		want[stream] = ids(recs, func(r map[string]any) bool { return !drop(r) })
		n := len(recs) - len(want[stream])
		require.Positive(t, n, "%s: the backlog has records the recipe drops", stream)
		t.Logf("%s: %d records, %d dropped by the recipe", stream, len(recs), n)
	}
	e.waitExactly(want, 2*time.Minute, agent)
}

// The pseudonymise recipe: no user name, user ID, e-mail address or client address of the
// backlog is left in clear text anywhere in an exported record, each is its keyed hash, and the
// same person has the same pseudonym in both vendors' records.
func TestRecipePseudonymise(t *testing.T) {
	e := newEnv(t, recipeOptions())
	agent := e.startRecipe("pseudonymise")
	cutoff := time.Now()
	truth := e.recipeTruth(cutoff)
	got := e.waitExactly(map[string][]string{"cyberarkisp": ids(truth["cyberarkisp"], all), "xsoaraudit": ids(truth["xsoaraudit"], all)},
		2*time.Minute, agent)

	pseudonym := func(v string) string {
		m := hmac.New(sha256.New, []byte(testPseudonymKey))
		m.Write([]byte(v))
		return hex.EncodeToString(m.Sum(nil))
	}
	// Every clear-text value of the backlog that the recipe promises to hide.
	secret := map[string]bool{}
	for _, r := range truth["cyberarkisp"] {
		for _, k := range []string{"username", "userId"} {
			secret[str(r, k)] = true
		}
		if cd, ok := r["customData"].(map[string]any); ok {
			secret[str(cd, "client_ip_address")] = true
		}
	}
	for _, r := range truth["xsoaraudit"] {
		for _, k := range []string{"AUDIT_OWNER_NAME", "AUDIT_OWNER_EMAIL", "AUDIT_SOURCE_IP"} {
			secret[str(r, k)] = true
		}
	}
	// A vault login can also be the name of a privileged account ("Administrator"), which the recipe
	// keeps: an account is not a person.
	for _, r := range truth["cyberarkisp"] {
		delete(secret, str(r, "accountName"))
	}
	delete(secret, "")
	require.Greater(t, len(secret), 10)
	// A clear value may be a substring of its own pseudonym only by chance; the hex is searched apart.
	hexRun := regexp.MustCompile(`[0-9a-f]{64}`)
	lines := map[string]bool{}
	for _, rec := range got {
		lines[rec.json] = true
	}
	for line := range lines {
		text := hexRun.ReplaceAllString(line, "")
		for s := range secret {
			// Short vault logins ("SYSTEM$") also name accounts and safes; search them as whole JSON strings.
			require.NotContains(t, text, strconv.Quote(s), "clear text %q left in an exported record", s)
			if strings.Contains(s, "@") || strings.Contains(s, " ") {
				require.NotContains(t, text, s, "clear text %q left in an exported record", s)
			}
		}
	}

	// One person, one pseudonym: Maria's CyberArk login is her e-mail address, which is her Cortex
	// owner e-mail.
	const maria = "maria.garcia@example.com"
	want := pseudonym(maria)
	var inCyberArk, inCortex int
	for _, rec := range got {
		attrs := rec.lr.Attributes()
		switch rec.stream {
		case "cyberarkisp":
			if truth["cyberarkisp"][uidOf(rec)]["username"] == maria {
				name, _ := attrs.Get("user.name")
				require.Equal(t, want, name.Str())
				inCyberArk++
			}
		case "xsoaraudit":
			if truth["xsoaraudit"][uidOf(rec)]["AUDIT_OWNER_EMAIL"] == maria {
				email, _ := attrs.Get("user.email")
				require.Equal(t, want, email.Str())
				body := rec.lr.Body().Map()
				b, _ := body.Get("AUDIT_OWNER_EMAIL")
				require.Equal(t, want, b.Str(), "the body has the same pseudonym")
				inCortex++
			}
		}
		if addr, ok := attrs.Get("client.address"); ok {
			require.Equal(t, "****", addr.Str())
		}
	}
	require.Positive(t, inCyberArk)
	require.Positive(t, inCortex)
	t.Logf("%s has pseudonym %s… in %d CyberArk and %d Cortex records", "maria.garcia", want[:12], inCyberArk, inCortex)
}

func uidOf(rec exported) string {
	v, _ := rec.lr.Attributes().Get("log.record.uid")
	return v.Str()
}

// The redact-secrets recipe: the password PSM echoed into a command line is gone from every
// exported record, the rest of the command is kept, and the record says it was altered.
func TestRecipeRedactSecrets(t *testing.T) {
	e := newEnv(t, recipeOptions())
	agent := e.startRecipe("redact-secrets")
	cutoff := time.Now()
	truth := e.recipeTruth(cutoff)
	got := e.waitExactly(map[string][]string{"cyberarkisp": ids(truth["cyberarkisp"], all), "xsoaraudit": ids(truth["xsoaraudit"], all)},
		2*time.Minute, agent)
	withSecret := 0
	for _, rec := range got {
		require.NotContains(t, rec.json, "Winter2026!", "the echoed password left the collector")
		if rec.stream != "cyberarkisp" || !strings.Contains(str(truth["cyberarkisp"][uidOf(rec)], "command"), "--password=") {
			continue
		}
		withSecret++
		cmd, _ := rec.lr.Attributes().Get("cyberark.command")
		assert.Equal(t, "mysql -u backup --**** -e 'SHOW DATABASES'", cmd.Str(), "only the secret is masked")
		n, ok := rec.lr.Attributes().Get("redaction.masked.count")
		require.True(t, ok, "the altered record says so")
		assert.Positive(t, n.Int())
	}
	require.Positive(t, withSecret, "the backlog has commands with a password")
}

// The tenant-labels recipe: every record of each receiver carries its tenant, vendor and
// environment as resource attributes, exactly once.
func TestRecipeTenantLabels(t *testing.T) {
	e := newEnv(t, recipeOptions())
	agent := e.startRecipe("tenant-labels")
	truth := e.recipeTruth(time.Now())
	got := e.waitExactly(map[string][]string{"cyberarkisp": ids(truth["cyberarkisp"], all), "xsoaraudit": ids(truth["xsoaraudit"], all)},
		2*time.Minute, agent)
	vendor := map[string]string{"cyberarkisp": "cyberark", "xsoaraudit": "cortex"}
	for _, rec := range got {
		for k, v := range map[string]string{"audit.tenant": "acme", "deployment.environment.name": "staging", "audit.vendor": vendor[rec.stream]} {
			a, ok := rec.resource.Get(k)
			require.True(t, ok, "%s record without %s", rec.stream, k)
			require.Equal(t, v, a.Str())
		}
	}
}

// The Elastic and Splunk recipes: each record carries what the gateway's exporter reads, and
// arrives exactly once at the OTLP sink.
func TestRecipeGatewayAttributes(t *testing.T) {
	cases := map[string]func(t *testing.T, rec exported){
		"elastic-otlp": func(t *testing.T, rec exported) {
			t.Helper()
			attrs := rec.lr.Attributes()
			id, _ := attrs.Get("elasticsearch.document_id")
			require.Equal(t, uidOf(rec), id.Str())
			ds, _ := attrs.Get("data_stream.dataset")
			require.Equal(t, map[string]string{"cyberarkisp": "cyberark.audit", "xsoaraudit": "cortex.audit"}[rec.stream], ds.Str())
			ns, _ := attrs.Get("data_stream.namespace")
			require.Equal(t, "staging", ns.Str())
		},
		"splunk-otlp": func(t *testing.T, rec exported) {
			t.Helper()
			attrs := rec.lr.Attributes()
			st, _ := attrs.Get("com.splunk.sourcetype")
			require.Equal(t, map[string]string{"cyberarkisp": "cyberark:isp:audit", "xsoaraudit": "cortex:xsoar:audit"}[rec.stream], st.Str())
			idx, _ := attrs.Get("com.splunk.index")
			require.Equal(t, "audit", idx.Str())
			require.Positive(t, rec.lr.Body().Map().Len(), "HEC drops an empty body")
		},
	}
	for name, check := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, simulator.Options{CyberArkBackfill: 500, XSOARBackfill: 300, BackfillSpan: time.Hour})
			agent := e.startRecipe(name)
			truth := e.recipeTruth(time.Now())
			got := e.waitExactly(map[string][]string{"cyberarkisp": ids(truth["cyberarkisp"], all), "xsoaraudit": ids(truth["xsoaraudit"], all)},
				time.Minute, agent)
			for _, rec := range got {
				check(t, rec)
			}
		})
	}
}

// The count recipe: Prometheus's view of the counters equals, tenant by code, what the backlog
// holds, while every record also reached the OTLP sink exactly once.
func TestRecipeCountIntoPrometheus(t *testing.T) {
	e := newEnv(t, recipeOptions())
	prom := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	agent := e.startRecipe("count", "PROMETHEUS_ENDPOINT="+prom)
	truth := e.recipeTruth(time.Now())
	e.waitExactly(map[string][]string{"cyberarkisp": ids(truth["cyberarkisp"], all), "xsoaraudit": ids(truth["xsoaraudit"], all)},
		2*time.Minute, agent)

	want := map[string]int{}
	for _, r := range truth["cyberarkisp"] {
		want[fmt.Sprintf(`audit_cyberark_records_total|%s`, str(r, "auditCode"))]++
	}
	for _, r := range truth["xsoaraudit"] {
		want[fmt.Sprintf(`audit_cortex_records_total|%s`, str(r, "AUDIT_ENTITY"))]++
	}
	sample := regexp.MustCompile(`^(audit_(?:cyberark|cortex)_records_total)\{([^}]*)\} ([0-9.e+]+)`)
	label := regexp.MustCompile(`(\w+)="([^"]*)"`)
	var got map[string]int
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + prom + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		got = map[string]int{}
		for _, line := range strings.Split(string(body), "\n") {
			m := sample.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			labels := map[string]string{}
			for _, l := range label.FindAllStringSubmatch(m[2], -1) {
				labels[l[1]] = l[2]
			}
			if labels["audit_tenant"] != "acme" {
				continue
			}
			v, _ := strconv.ParseFloat(m[3], 64)
			got[m[1]+"|"+labels["cyberark_audit_code"]+labels["xsoar_audit_entity"]] += int(v)
		}
		return assert.ObjectsAreEqual(want, got)
	}, 30*time.Second, 500*time.Millisecond, "counters by code")
	assert.Equal(t, want, got)
	t.Logf("%d series, e.g. %v", len(got), got)
}
