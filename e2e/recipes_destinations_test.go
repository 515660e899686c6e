//go:build e2e

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

const (
	kafkaTopic = "audit.cyberark"
	kafkaUser  = "otelcol-audit"
	kafkaPass  = "kafka-test-password"
	s3Bucket   = "siem-audit"
)

// testCA is a CA and a server certificate for 127.0.0.1 that it signed, made for one test.
type testCA struct {
	pool    *x509.CertPool
	caFile  string
	serving tls.Certificate
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "recipes test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	require.NoError(t, err)
	c := testCA{pool: x509.NewCertPool(), caFile: filepath.Join(t.TempDir(), "ca.pem"),
		serving: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}}
	c.pool.AddCert(caCert)
	require.NoError(t, os.WriteFile(c.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600))
	return c
}

// startKafka runs a Kafka broker (kfake, franz-go's implementation of the Kafka protocol) on
// 127.0.0.1:port with TLS and SASL/SCRAM-SHA-512, as the recipe connects.
func startKafka(t *testing.T, ca testCA, port int) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{ca.serving}, MinVersion: tls.VersionTLS12}),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", kafkaUser, kafkaPass),
		kfake.SeedTopics(3, kafkaTopic))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// kafkaMessage is one message of the topic, decoded.
type kafkaMessage struct {
	key  string
	uids []string
}

// kafkaConsumer reads the topic from its start, as a SIEM's consumer would, with a client of
// its own, for as long as the test runs.
type kafkaConsumer struct {
	mu   sync.Mutex
	msgs []kafkaMessage
	err  error
}

func consumeKafka(t *testing.T, ca testCA, addr string) *kafkaConsumer {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(kafkaTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DialTLSConfig(&tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}),
		kgo.SASL(scram.Auth{User: kafkaUser, Pass: kafkaPass}.AsSha512Mechanism()))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	k := &kafkaConsumer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var u plog.JSONUnmarshaler
		for ctx.Err() == nil {
			fetches := cl.PollFetches(ctx)
			fetches.EachRecord(func(r *kgo.Record) {
				ld, err := u.UnmarshalLogs(r.Value)
				k.mu.Lock()
				if err != nil && k.err == nil {
					k.err = fmt.Errorf("a Kafka message that is not OTLP JSON: %w", err)
				}
				k.msgs = append(k.msgs, kafkaMessage{key: fmt.Sprintf("%x", r.Key), uids: logtest.UIDs(ld)})
				k.mu.Unlock()
			})
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		cl.Close()
	})
	return k
}

func (k *kafkaConsumer) messages(t *testing.T) []kafkaMessage {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	require.NoError(t, k.err)
	return slices.Clone(k.msgs)
}

// startS3 runs an S3 server (gofakes3, an implementation of the S3 protocol, in memory) on loopback.
func startS3(t *testing.T) (string, gofakes3.Backend) {
	t.Helper()
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket(s3Bucket))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: gofakes3.New(backend).Server(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + l.Addr().String(), backend
}

// s3Objects reads every object of the bucket: its key and the log.record.uid of each record in it.
func s3Objects(t *testing.T, backend gofakes3.Backend) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	page := gofakes3.ListBucketPage{MaxKeys: 1000}
	for {
		list, err := backend.ListBucket(s3Bucket, &gofakes3.Prefix{}, page)
		require.NoError(t, err)
		for _, c := range list.Contents {
			obj, err := backend.GetObject(s3Bucket, c.Key, nil)
			require.NoError(t, err)
			b, err := io.ReadAll(obj.Contents)
			obj.Contents.Close()
			require.NoError(t, err)
			var u plog.JSONUnmarshaler
			ld, err := u.UnmarshalLogs(b)
			require.NoError(t, err, "object %s is not OTLP JSON", c.Key)
			out[c.Key] = logtest.UIDs(ld)
		}
		if !list.IsTruncated || len(list.Contents) == 0 {
			return out
		}
		page = gofakes3.ListBucketPage{MaxKeys: 1000, Marker: list.Contents[len(list.Contents)-1].Key, HasMarker: true}
	}
}

// destinations is the vendor-to-destination recipe's set-up: the simulator, a Kafka broker for
// CyberArk and an S3 store for Cortex.
type destinations struct {
	e        *env
	ca       testCA
	kafka    string // host:port
	s3       gofakes3.Backend
	s3URL    string
	consumer *kafkaConsumer
}

func newDestinations(t *testing.T, opts simulator.Options) *destinations {
	t.Helper()
	d := &destinations{e: newEnv(t, opts), ca: newTestCA(t)}
	d.kafka = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	d.s3URL, d.s3 = startS3(t)
	return d
}

func (d *destinations) startKafka(t *testing.T) {
	t.Helper()
	startKafka(t, d.ca, portOf(t, d.kafka))
	d.consumer = consumeKafka(t, d.ca, d.kafka)
}

func (d *destinations) start() *collector {
	return d.e.startRecipe("vendor-to-destination",
		"KAFKA_BROKER="+d.kafka, "KAFKA_CA_FILE="+d.ca.caFile, "KAFKA_USERNAME="+kafkaUser, "KAFKA_PASSWORD="+kafkaPass,
		"S3_BUCKET="+s3Bucket, "S3_ENDPOINT="+d.s3URL, "S3_FORCE_PATH_STYLE=true",
		"AWS_ACCESS_KEY_ID=recipes-test", "AWS_SECRET_ACCESS_KEY=recipes-test-secret")
}

// delivered is what each destination holds: Kafka's uids (with the key of each) and S3's.
type delivered struct {
	kafka    []string
	keyOf    map[string]map[string]bool // uid -> message keys it came with
	s3       []string
	s3Keys   []string
	messages []kafkaMessage
}

func (d *destinations) delivered(t *testing.T) delivered {
	t.Helper()
	var got delivered
	got.keyOf = map[string]map[string]bool{}
	if d.consumer != nil {
		got.messages = d.consumer.messages(t)
		for _, m := range got.messages {
			got.kafka = append(got.kafka, m.uids...)
			for _, u := range m.uids {
				if got.keyOf[u] == nil {
					got.keyOf[u] = map[string]bool{}
				}
				got.keyOf[u][m.key] = true
			}
		}
	}
	for key, uids := range d.s3Objects(t) {
		got.s3Keys = append(got.s3Keys, key)
		got.s3 = append(got.s3, uids...)
	}
	return got
}

func (d *destinations) s3Objects(t *testing.T) map[string][]string {
	t.Helper()
	return s3Objects(t, d.s3)
}

// waitDelivered waits until Kafka holds every CyberArk record up to cutoff and S3 every Cortex
// record, and returns what they hold then.
func (d *destinations) waitDelivered(t *testing.T, cutoff time.Time, timeout time.Duration, agent *collector) (delivered, map[string][]string) {
	t.Helper()
	truth := map[string][]string{}
	for stream, v := range map[string]simulator.Vendor{"kafka": simulator.CyberArk, "s3": simulator.XSOAR} {
		ids, err := d.e.sim.IDsBetween(v, time.Time{}, cutoff)
		require.NoError(t, err)
		truth[stream] = ids
	}
	deadline := time.Now().Add(timeout)
	for {
		got := d.delivered(t)
		k, s := compare(truth["kafka"], got.kafka), compare(truth["s3"], got.s3)
		if k.missing == 0 && s.missing == 0 {
			time.Sleep(1500 * time.Millisecond) // anything that would arrive twice arrives now
			return d.delivered(t), truth
		}
		require.True(t, agent.running(), "the collector exited:\n%s", tail(agent.logs()))
		if time.Now().After(deadline) {
			t.Fatalf("not everything arrived in %s: Kafka %v, S3 %v", timeout, k, s)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// checkDestinations: each destination has every record of its vendor up to the cutoff (truth)
// and none of the other vendor's; each Kafka message is one record, and a record that came twice
// came with the same key.
func checkDestinations(t *testing.T, d *destinations, got delivered, truth map[string][]string, maxDups map[string]int) {
	t.Helper()
	other := map[string]simulator.Vendor{"kafka": simulator.XSOAR, "s3": simulator.CyberArk}
	for stream, uids := range map[string][]string{"kafka": got.kafka, "s3": got.s3} {
		c := compare(truth[stream], uids)
		require.Zero(t, c.missing, "%s: %v", stream, c)
		require.LessOrEqual(t, c.dups, maxDups[stream], "%s: %v", stream, c)
		others, err := d.e.sim.IDs(other[stream])
		require.NoError(t, err)
		for _, u := range uids {
			require.NotContains(t, others, u, "%s holds a record of the other vendor", stream)
		}
		t.Logf("%s: %v", stream, c)
	}
	keys := map[string]string{}
	for _, m := range got.messages {
		require.Len(t, m.uids, 1, "one record per Kafka message")
		require.NotEmpty(t, m.key, "every message is keyed")
	}
	for uid, ks := range got.keyOf {
		require.Len(t, ks, 1, "record %s came with different keys", uid)
		for k := range ks {
			if other, ok := keys[k]; ok {
				require.Equal(t, other, uid, "two records share the key %s", k)
			}
			keys[k] = uid
		}
	}
	layout := regexp.MustCompile(`^audit/cortex/acme/year=\d{4}/month=\d{2}/day=\d{2}/hour=\d{2}/minute=\d{2}/[^/]+\.json$`)
	require.NotEmpty(t, got.s3Keys)
	for _, k := range got.s3Keys {
		require.Regexp(t, layout, k, "the documented object layout")
	}
	t.Logf("S3 object, e.g. %s", got.s3Keys[0])
}

// The vendor-to-destination recipe against a real Kafka broker (TLS, SASL/SCRAM) and a real S3
// server, with live traffic and the collector killed twice with SIGKILL: each destination gets
// exactly its vendor's records, none is lost, and a record sent again after a kill carries the
// same Kafka key (at most one page per kill and receiver comes twice, as without the recipe).
func TestRecipeVendorToDestinationAcrossSIGKILL(t *testing.T) {
	const kills = 2
	d := newDestinations(t, simulator.Options{CyberArkBackfill: 5000, XSOARBackfill: 1500, BackfillSpan: time.Hour,
		Rate: 5, Latency: 100 * time.Millisecond})
	d.startKafka(t)
	agent := d.start()
	for i := range kills {
		require.Eventually(t, func() bool { return len(d.s3Objects(t)) > i }, time.Minute, 100*time.Millisecond)
		agent.kill()
		t.Logf("kill %d", i+1)
		agent.start()
	}
	got, truth := d.waitDelivered(t, time.Now(), 2*time.Minute, agent)
	checkDestinations(t, d, got, truth, map[string]int{"kafka": kills * 500, "s3": kills * 100})
}

// Point 6: with the broker unreachable, the CyberArk records wait (the S3 pipeline goes on),
// the log names the broker; once it answers, every record reaches it exactly once.
func TestRecipeUnreachableBroker(t *testing.T) {
	d := newDestinations(t, simulator.Options{CyberArkBackfill: 1000, XSOARBackfill: 500, BackfillSpan: time.Hour})
	agent := d.start()
	truthS3, err := d.e.sim.IDsBetween(simulator.XSOAR, time.Time{}, time.Now())
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return compare(truthS3, d.delivered(t).s3).missing == 0
	}, time.Minute, 200*time.Millisecond, "Cortex reaches S3 while Kafka is down")
	require.Eventually(t, func() bool { return strings.Contains(agent.logs(), d.kafka) }, 30*time.Second, 200*time.Millisecond,
		"the log names the broker that does not answer:\n%s", tail(agent.logs()))
	require.True(t, agent.running())

	d.startKafka(t)
	got, truth := d.waitDelivered(t, time.Now(), 2*time.Minute, agent)
	checkDestinations(t, d, got, truth, map[string]int{})
	assert.NotContains(t, agent.logs(), kafkaPass, "the SASL password is never logged")
}

func portOf(t *testing.T, hostport string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(hostport)
	require.NoError(t, err)
	var n int
	_, err = fmt.Sscan(p, &n)
	require.NoError(t, err)
	return n
}
