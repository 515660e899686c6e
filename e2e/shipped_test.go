//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// shipped is otelcol-audit running deploy/config.yaml, the configuration the image, the
// packages and the ConfigMap ship, with the environment of the tenant ConfigMap for the
// simulator's tenant; only the storage paths are moved into the test's directory.
type shipped struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan error
	log  string
}

// shippedEnv is the environment the StatefulSet gives the collector, for sim's tenant and
// the backend at otlp; override replaces or adds variables.
func shippedEnv(t *testing.T, sim *simulator.Simulator, otlp string, override map[string]string) []string {
	t.Helper()
	env := map[string]string{}
	for k, v := range loadManifests(t).configMaps["otelcol-audit-tenant"].Data {
		env[k] = v
	}
	for k, v := range map[string]string{
		"CYBERARK_ENDPOINT": sim.URL(), "CYBERARK_IDENTITY_URL": sim.URL(), "CYBERARK_WEB_APP_ID": simulator.DefaultWebAppID,
		"CYBERARK_CLIENT_ID": simulator.DefaultClientID, "CYBERARK_CLIENT_SECRET": simulator.DefaultClientSecret,
		"CYBERARK_API_KEY": simulator.DefaultAPIKey, "XSOAR_ENDPOINT": sim.URL(), "XSOAR_API_KEY_ID": simulator.DefaultXSOARKeyID,
		"XSOAR_API_KEY": simulator.DefaultXSOARKey, "OTLP_ENDPOINT": otlp, "OTLP_INSECURE": "true", "OTLP_AUTHORIZATION": "",
		"START_TIME": "2 hours ago", "HEALTH_CHECK_ENDPOINT": fmt.Sprintf("127.0.0.1:%d", freePort(t)),
	} {
		env[k] = v
	}
	for k, v := range override {
		env[k] = v
	}
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// startShipped runs the shipped configuration with env, its storage in storage, logging to a
// file of its own; it is stopped when the test ends, if it still runs.
func startShipped(t *testing.T, dir, storage string, env []string) *shipped {
	t.Helper()
	s := &shipped{t: t, done: make(chan error, 1), log: filepath.Join(dir, fmt.Sprintf("shipped-%d.log", time.Now().UnixNano()))}
	s.cmd = exec.Command(collectorBin(t), "--config", "../deploy/config.yaml",
		"--config", "yaml:extensions::file_storage::directory: "+storage,
		"--config", "yaml:extensions::file_storage::compaction::directory: "+storage)
	s.cmd.Env = env
	logFile, err := os.OpenFile(s.log, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	require.NoError(t, s.cmd.Start())
	go func() {
		s.done <- s.cmd.Wait()
		logFile.Close()
	}()
	t.Cleanup(s.stop)
	return s
}

// exited fails the test with the log when the collector has ended.
func (s *shipped) exited() {
	s.t.Helper()
	select {
	case err := <-s.done:
		s.done <- err
		b, _ := os.ReadFile(s.log)
		s.t.Fatalf("the collector exited (%v):\n%s", err, tail(string(b)))
	default:
	}
}

// waitLog waits until the collector's log holds text.
func (s *shipped) waitLog(text string, timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(s.log)
		if strings.Contains(string(b), text) {
			return
		}
		s.exited()
		if time.Now().After(deadline) {
			s.t.Fatalf("no %q in the collector's log within %s:\n%s", text, timeout, tail(string(b)))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop ends the collector with SIGTERM, as Kubernetes and systemd do, and waits for it.
func (s *shipped) stop() {
	select {
	case err := <-s.done:
		s.done <- err
		return
	default:
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		s.done <- <-s.done
	}
}
