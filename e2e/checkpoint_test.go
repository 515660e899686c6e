//go:build e2e

package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// Rotating credentials is routine: a new CyberArk service user, a new XSOAR API key, and the
// same application filter written in another order must resume from the checkpoint. Records
// that arrive while the collector is down are all delivered, none twice.
func TestCredentialRotationKeepsTheCheckpoint(t *testing.T) {
	const (
		rotatedClient, rotatedSecret = "svc-otel-2027", "rotated-sim-secret"
		rotatedKeyID, rotatedKey     = "8", "rotated-sim-xsoar-key"
	)
	e := newEnv(t, simulator.Options{
		CyberArkBackfill: 2000, XSOARBackfill: 2000, BackfillSpan: time.Hour,
		ExtraClients:   map[string]string{rotatedClient: rotatedSecret},
		ExtraXSOARKeys: map[string]string{rotatedKeyID: rotatedKey},
	})
	// Every application the simulator generates, so that the filter selects all records.
	before := withCyberArkKey(e.agentConfig(e.syncExporter(), ""), "application_codes: [IDP, PAM, SCA, SIA]")
	agent := startCollector(t, e.dir, "agent", before)
	e.waitExactlyOnce(2*time.Minute, agent)
	agent.stop()

	for _, v := range []simulator.Vendor{simulator.CyberArk, simulator.XSOAR} {
		_, err := e.sim.AddRecords(simulator.RecordsRequest{Vendor: v, Count: 200})
		require.NoError(t, err)
	}
	time.Sleep(1500 * time.Millisecond) // past XSOAR's settle_delay
	after := withCyberArkKey(before, "")
	after = strings.Replace(after, "application_codes: [IDP, PAM, SCA, SIA]", "application_codes: [SIA, SCA, PAM, IDP]", 1)
	after = strings.Replace(after, "client_id: "+simulator.DefaultClientID, "client_id: "+rotatedClient, 1)
	after = strings.Replace(after, "client_secret: "+simulator.DefaultClientSecret, "client_secret: "+rotatedSecret, 1)
	after = strings.Replace(after, fmt.Sprintf("api_key_id: %q", simulator.DefaultXSOARKeyID), fmt.Sprintf("api_key_id: %q", rotatedKeyID), 1)
	after = strings.Replace(after, "api_key: "+simulator.DefaultXSOARKey, "api_key: "+rotatedKey, 1)
	require.NotContains(t, after, "api_key: "+simulator.DefaultXSOARKey+"\n")
	require.NotContains(t, after, "client_id: "+simulator.DefaultClientID+"\n")
	require.NoError(t, os.WriteFile(agent.cfg, []byte(after), 0o600))
	mark := len(agent.logs()) // the log file goes on across restarts
	agent.start()
	got := e.waitExactlyOnce(2*time.Minute, agent)
	t.Logf("after rotating both credentials and reordering application_codes: %v", got)
	logs := agent.logs()[mark:]
	assert.Equal(t, 2, strings.Count(logs, "Resuming from checkpoint"), "both receivers resume:\n%s", tail(logs))
	assert.NotContains(t, logs, "No checkpoint yet")
}

// withCyberArkKey adds a line to the cyberarkisp receiver's configuration ("" returns cfg).
func withCyberArkKey(cfg, line string) string {
	if line == "" {
		return cfg
	}
	return strings.Replace(cfg, "  cyberarkisp:\n", "  cyberarkisp:\n    "+line+"\n", 1)
}

// A CyberArk event dated 2100 is delivered once, and collection goes on: the records that
// arrive after it, and after a restart, are delivered too.
func TestFutureDatedEventDoesNotStopCollection(t *testing.T) {
	e := newEnv(t, simulator.Options{CyberArkBackfill: 500, XSOARBackfill: 500, BackfillSpan: time.Hour})
	agent := startCollector(t, e.dir, "agent", e.agentConfig(e.syncExporter(), ""))
	e.waitExactlyOnce(time.Minute, agent)

	bogus, err := e.sim.AddRecords(simulator.RecordsRequest{Vendor: simulator.CyberArk, Count: 1,
		At: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), Future: true})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return slices.Contains(received(t, e.out)["cyberarkisp"], bogus[0]) },
		time.Minute, 100*time.Millisecond, "the future-dated event is delivered")
	_, err = e.sim.AddRecords(simulator.RecordsRequest{Vendor: simulator.CyberArk, Count: 100})
	require.NoError(t, err)
	e.waitExactlyOnce(time.Minute, agent)

	agent.stop()
	_, err = e.sim.AddRecords(simulator.RecordsRequest{Vendor: simulator.CyberArk, Count: 100})
	require.NoError(t, err)
	agent.start()
	got := e.waitExactlyOnce(time.Minute, agent)
	assert.Equal(t, 1, countOf(received(t, e.out)["cyberarkisp"], bogus[0]), "delivered once, across polls and a restart")
	assert.Contains(t, agent.logs(), "Records are dated in the future")
	t.Logf("with an event dated 2100: %v", got)
}

func countOf(ids []string, id string) int {
	n := 0
	for _, v := range ids {
		if v == id {
			n++
		}
	}
	return n
}

// A damaged checkpoint stops its own receiver with an error that names the storage extension,
// the key and what to delete; the other receiver of the same collector keeps collecting.
func TestCorruptCheckpointStopsOnlyItsReceiver(t *testing.T) {
	e := newEnv(t, simulator.Options{CyberArkBackfill: 300, XSOARBackfill: 300, BackfillSpan: time.Hour})
	agent := startCollector(t, e.dir, "agent", e.agentConfig(e.syncExporter(), ""))
	e.waitExactlyOnce(time.Minute, agent)
	agent.stop()

	u, err := url.Parse(e.sim.URL())
	require.NoError(t, err)
	key := checkpoint.StorageKey("cyberarkisp", "endpoint="+u.Host, "application_codes=")
	file := filepath.Join(e.dir, "storage", "receiver_cyberarkisp_")
	db, err := bolt.Open(file, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("default"))
		require.NotNil(t, b.Get([]byte(key)), "the checkpoint is where this test expects it")
		return b.Put([]byte(key), []byte(`{"version":1,"time":`))
	}))
	require.NoError(t, db.Close())

	for _, v := range []simulator.Vendor{simulator.CyberArk, simulator.XSOAR} {
		_, err := e.sim.AddRecords(simulator.RecordsRequest{Vendor: v, Count: 100})
		require.NoError(t, err)
	}
	time.Sleep(1500 * time.Millisecond) // past XSOAR's settle_delay
	cutoff := time.Now()
	agent.start()
	require.Eventually(t, func() bool { return strings.Contains(agent.logs(), "Cannot read the checkpoint") },
		time.Minute, 100*time.Millisecond)
	truth, err := e.sim.IDsBetween(simulator.XSOAR, time.Time{}, cutoff)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return compare(truth, received(t, e.out)["xsoaraudit"]).missing == 0 },
		time.Minute, 200*time.Millisecond, "the other receiver keeps collecting")
	require.True(t, agent.running(), "the collector keeps running")
	logs := agent.logs()
	for _, want := range []string{key, "file_storage", "receiver_cyberarkisp_", "delete"} {
		assert.Contains(t, logs, want)
	}
	caTruth, err := e.sim.IDsBetween(simulator.CyberArk, time.Time{}, cutoff)
	require.NoError(t, err)
	assert.Equal(t, 100, compare(caTruth, received(t, e.out)["cyberarkisp"]).missing,
		"the stopped receiver reads nothing past its unreadable checkpoint")
}
