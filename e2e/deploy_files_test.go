//go:build e2e

package e2e

// Files at rest: where the shipped configuration compacts its storage, and the modes of what
// the demo writes.

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// The storage's freed pages keep delivered records until the file is compacted: the shipped
// configuration compacts at every start, in the directory the systemd unit (StateDirectory)
// and the Kubernetes volume make writable, not in file_storage's default (/var/lib/otelcol),
// which ProtectSystem=strict leaves read-only.
func TestShippedStorageIsCompactedWhereTheServiceCanWrite(t *testing.T) {
	var cfg map[string]any
	b, err := os.ReadFile("../deploy/config.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &cfg))
	fileStorage := func(keys ...string) any {
		return lookup(cfg, append([]string{"extensions", "file_storage"}, keys...)...)
	}
	assert.Equal(t, true, fileStorage("compaction", "on_start"), "compacted at every start")
	dir, _ := fileStorage("compaction", "directory").(string)
	assert.Equal(t, storagePath, dir)
	assert.Equal(t, storagePath, fileStorage("directory"))

	unit, err := os.ReadFile("../packaging/otelcol-audit.service")
	require.NoError(t, err)
	state := regexp.MustCompile(`(?m)^StateDirectory=(\S+)$`).FindSubmatch(unit)
	require.NotNil(t, state)
	assert.Equal(t, "/var/lib/"+string(state[1]), dir, "the unit's StateDirectory is writable under ProtectSystem=strict")
	assert.Contains(t, string(unit), "ProtectSystem=strict")
}

// make run's demo writes its checkpoints and logs for its user only.
func TestDemoWritesItsFilesForItsUserOnly(t *testing.T) {
	collectorBin(t) // the demo runs the built collector and simulator
	dir := t.TempDir()
	cmd := exec.Command("bash", "../testdata/run/run.sh")
	cmd.Env = append(os.Environ(), "AUDIT_RUN_DIR="+dir, "BACKFILL=20",
		fmt.Sprintf("AUDITSIM_LISTEN=127.0.0.1:%d", freePort(t)),
		fmt.Sprintf("HEALTH_CHECK_ENDPOINT=127.0.0.1:%d", freePort(t)), fmt.Sprintf("METRICS_PORT=%d", freePort(t)))
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	var log strings.Builder
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		s := bufio.NewScanner(out)
		for s.Scan() {
			log.WriteString(s.Text() + "\n")
		}
	}()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		<-logged
		_ = cmd.Wait()
	}()

	// The demo prints its records' counts; what it keeps on disk is its checkpoints, audit data too.
	output := filepath.Join(dir, "storage", "receiver_cyberarkisp_")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if st, err := os.Stat(output); err == nil && st.Size() > 0 {
			break
		}
		exited := false
		select {
		case <-logged:
			exited = true
		default:
		}
		if exited || time.Now().After(deadline) {
			_ = cmd.Process.Signal(syscall.SIGINT)
			<-logged
			b, _ := os.ReadFile(filepath.Join(dir, "auditsim.log"))
			t.Fatalf("no checkpoint written (the demo exited: %v):\n%s\nsimulator:\n%s", exited, log.String(), tail(string(b)))
		}
		time.Sleep(250 * time.Millisecond)
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		info, err := d.Info()
		require.NoError(t, err)
		if path == dir {
			return nil
		}
		assert.Zero(t, info.Mode().Perm()&0o077, "%s is mode %v: others can read it", path, info.Mode().Perm())
		return nil
	})
	require.NoError(t, err)
}

// The shipped configuration, delivering to an OTLP/gRPC backend: once every record is delivered
// and the collector has started again, no e-mail address of the delivered records is left in
// the storage files (an exporter's persistent queue, when one is configured, keeps them in freed
// pages until the file is compacted; the shipped path has none, and compacts anyway).
func TestDeliveredRecordsDoNotStayInTheStorage(t *testing.T) {
	dir := t.TempDir()
	sim, err := simulator.New(simulator.Options{Seed: 9, CyberArkBackfill: 400, XSOARBackfill: 400, BackfillSpan: time.Hour})
	require.NoError(t, err)
	_, err = sim.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	want := 0
	for _, v := range []simulator.Vendor{simulator.CyberArk, simulator.XSOAR} {
		ids, err := sim.IDs(v)
		require.NoError(t, err)
		want += len(ids)
	}

	otlp := freePort(t)
	out := filepath.Join(dir, "received.jsonl")
	startCollector(t, dir, "backend", fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
exporters:
  file:
    path: %s
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [file]
`, otlp, out))

	storage := filepath.Join(dir, "storage")
	env := shippedEnv(t, sim, fmt.Sprintf("127.0.0.1:%d", otlp), map[string]string{"METRICS_HOST": "127.0.0.3"})
	c := startShipped(t, dir, storage, env)
	deadline := time.Now().Add(2 * time.Minute)
	for n := 0; n < want; {
		n = 0
		for _, ids := range received(t, out) {
			n += len(ids)
		}
		c.exited()
		require.True(t, time.Now().Before(deadline), "%d of %d records delivered within 2 minutes", n, want)
		time.Sleep(250 * time.Millisecond)
	}
	c.stop()

	b, err := os.ReadFile(out)
	require.NoError(t, err)
	emails := map[string]bool{}
	for _, m := range regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`).FindAllString(string(b), -1) {
		emails[m] = true
	}
	require.GreaterOrEqual(t, len(emails), 5, "the records hold e-mail addresses")

	c = startShipped(t, dir, storage, env) // compacts at start
	c.waitLog("Everything is ready", time.Minute)
	c.stop()
	n := 0
	for _, ids := range received(t, out) {
		n += len(ids)
	}
	assert.Equal(t, want, n, "the restart delivers nothing twice")

	files := 0
	err = filepath.WalkDir(storage, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		files++
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		left := 0
		for e := range emails {
			if bytes.Contains(data, []byte(e)) {
				left++
			}
		}
		if left > 0 {
			t.Errorf("%s (%d bytes) still holds %d of the %d e-mail addresses of the delivered records", filepath.Base(path), len(data), left, len(emails))
		}
		return nil
	})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, files, 2, "the receivers' checkpoints")
}
