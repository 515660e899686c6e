//go:build e2e && release

package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// releaseArtifact is a file of `make dist` named by an environment variable that make
// test-release sets. Missing, the test fails: it never skips.
func releaseArtifact(t *testing.T, name string) string {
	t.Helper()
	path := os.Getenv(name)
	if path == "" {
		t.Fatalf("%s is not set: run the release tests through `make test-release`", name)
	}
	_, err := os.Stat(path)
	require.NoError(t, err, "%s: run `make dist` first", name)
	return path
}

// podman runs the container engine with what this machine kind needs and users do not: runc
// (crun cannot set resource limits in this VM) and a containers.conf without default ulimits,
// which runc cannot set here either.
type podman struct {
	t    *testing.T
	conf string
}

func newPodman(t *testing.T) *podman {
	t.Helper()
	for _, cmd := range []string{"podman", "runc"} {
		if _, err := exec.LookPath(cmd); err != nil {
			t.Fatalf("%s is not installed (make test-release installs it from Debian's packages): %v", cmd, err)
		}
	}
	conf := filepath.Join(t.TempDir(), "containers.conf")
	require.NoError(t, os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = []\n"), 0o644))
	return &podman{t: t, conf: conf}
}

func (p *podman) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command("podman", append([]string{"--runtime", "runc"}, args...)...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+p.conf)
	return cmd
}

// run returns the trimmed output of a podman command that must succeed.
func (p *podman) run(args ...string) string {
	p.t.Helper()
	out, err := p.cmd(args...).CombinedOutput()
	require.NoError(p.t, err, "podman %s:\n%s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

// load loads the image archive of make dist and returns the reference it was loaded as.
func (p *podman) load(archive string) string {
	p.t.Helper()
	out := p.run("load", "-i", archive)
	m := regexp.MustCompile(`Loaded image(?:\(s\))?: (\S+)`).FindStringSubmatch(out)
	require.NotNil(p.t, m, "podman load printed no image name:\n%s", out)
	return m[1]
}

// procStatus reads one field of /proc/PID/status of a process, seen from the host.
func procStatus(t *testing.T, pid, field string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/status")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^` + field + `:\s*(.*)$`).FindSubmatch(b)
	require.NotNil(t, m, "%s in /proc/%s/status", field, pid)
	return strings.TrimSpace(string(m[1]))
}

// rootMountOptions returns the mount options of the root file system of a process.
func rootMountOptions(t *testing.T, pid string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/mountinfo")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 5 && f[4] == "/" {
			return f[5]
		}
	}
	t.Fatalf("no root mount in /proc/%s/mountinfo", pid)
	return ""
}

// The image's own settings: non-root user, the checkpoint volume, the health-check port, and the
// default configuration, which validates once the environment names a tenant and fails naming
// the keys when it does not.
func TestReleaseImageDefaults(t *testing.T) {
	p := newPodman(t)
	image := p.load(releaseArtifact(t, "OTELCOL_AUDIT_IMAGE_ARCHIVE"))
	cfg := p.run("image", "inspect", "--format", "{{.Config.User}}|{{json .Config.Volumes}}|{{json .Config.ExposedPorts}}", image)
	assert.Equal(t, `10001:10001|{"/var/lib/otelcol-audit":{}}|{"13133/tcp":{}}`, cfg)

	tenant := []string{
		"CYBERARK_ENDPOINT=https://example.audit.cyberark.cloud", "CYBERARK_IDENTITY_URL=https://abc1234.id.cyberark.cloud",
		"CYBERARK_WEB_APP_ID=app", "CYBERARK_CLIENT_ID=svc", "CYBERARK_CLIENT_SECRET=s", "CYBERARK_API_KEY=k",
		"XSOAR_ENDPOINT=https://api-t.crtx.us.paloaltonetworks.com", "XSOAR_API_KEY_ID=42", "XSOAR_API_KEY=k",
		"OTLP_ENDPOINT=siem.example.com:4317",
	}
	args := []string{"run", "--rm", "--network", "none", "--read-only"}
	for _, e := range tenant {
		args = append(args, "-e", e)
	}
	p.run(append(args, image, "validate", "--config", "/etc/otelcol-audit/config.yaml")...)

	out, err := p.cmd("run", "--rm", "--network", "none", image, "validate", "--config", "/etc/otelcol-audit/config.yaml").CombinedOutput()
	require.Error(t, err, "the default configuration must not start without a tenant")
	// validate reports every audit receiver's missing keys at once, before the collector would
	// get to the exporter's.
	assert.Contains(t, string(out), "receivers::cyberarkisp")
	assert.Contains(t, string(out), "receivers::xsoaraudit")
	assert.Contains(t, string(out), "client_secret is required")
}

// The image against the simulator, as a user runs it: host network, the configuration mounted
// read-only, checkpoints in a named volume, read-only root file system. Every record reaches the
// OTLP backend once. After a stop and a start, and again in a new container on the same volume
// (an upgrade), the collector resumes from the checkpoint in the volume and repeats nothing.
func TestReleaseImageExactlyOnceAcrossRestart(t *testing.T) {
	p := newPodman(t)
	image := p.load(releaseArtifact(t, "OTELCOL_AUDIT_IMAGE_ARCHIVE"))
	e := newEnv(t, simulator.Options{CyberArkBackfill: 1500, XSOARBackfill: 1500, BackfillSpan: time.Hour, Rate: 2})

	health := freePort(t)
	cfg := e.agentConfig(e.syncExporter(), "")
	cfg = strings.Replace(cfg, e.dir+"/storage", "/var/lib/otelcol-audit", 1)
	cfg = strings.Replace(cfg, "extensions:\n", fmt.Sprintf("extensions:\n  health_check:\n    endpoint: 127.0.0.1:%d\n", health), 1)
	cfg = strings.Replace(cfg, "extensions: [file_storage]", "extensions: [file_storage, health_check]", 1)
	cfgFile := filepath.Join(e.dir, "container.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(cfg), 0o644)) // read by UID 10001

	name := fmt.Sprintf("otelcol-audit-e2e-%d", time.Now().UnixNano())
	volume := name + "-storage"
	p.run("volume", "create", volume)
	var logs strings.Builder // of the containers removed so far
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := p.cmd("logs", name).CombinedOutput()
			t.Logf("container log:\n%s", tail(logs.String()+string(out)))
		}
		_ = p.cmd("rm", "-f", "-t", "5", name).Run()
		_ = p.cmd("volume", "rm", "-f", volume).Run()
	})
	runContainer := func() {
		p.run("run", "-d", "--name", name, "--network", "host", "--read-only",
			"-v", volume+":/var/lib/otelcol-audit", "-v", cfgFile+":/etc/otelcol-audit/config.yaml:ro", image)
		waitHealthy(t, health)
	}
	stop := func() {
		p.run("stop", "-t", "30", name)
		assert.Equal(t, "0", p.run("inspect", "--format", "{{.State.ExitCode}}", name), "a clean stop on SIGTERM")
		for _, v := range []simulator.Vendor{simulator.CyberArk, simulator.XSOAR} {
			_, err := e.sim.AddRecords(simulator.RecordsRequest{Vendor: v, Count: 300})
			require.NoError(t, err)
		}
	}
	resumed := func(step string, before map[string]delivery) map[string]delivery {
		got := e.waitExactlyOnceUntil(time.Now(), 3*time.Minute)
		t.Logf("%s: %v", step, got)
		for kind, d := range got {
			assert.Greater(t, d.want, before[kind].want, "%s: %s: records were added while the collector was stopped", step, kind)
		}
		out := p.run("logs", name)
		assert.Equal(t, 2, strings.Count(out, "Resuming from checkpoint"), "%s: both receivers resume from the volume:\n%s", step, tail(out))
		return got
	}

	runContainer()
	first := e.waitExactlyOnce(3 * time.Minute)
	t.Logf("first run: %v", first)
	pid := p.run("inspect", "--format", "{{.State.Pid}}", name)
	assert.Equal(t, "10001\t10001\t10001\t10001", procStatus(t, pid, "Uid"), "the collector runs as UID 10001")
	assert.Equal(t, "10001\t10001\t10001\t10001", procStatus(t, pid, "Gid"))
	assert.Regexp(t, `(^|,)ro(,|$)`, rootMountOptions(t, pid), "the root file system is read-only")
	t.Logf("peak resident memory of the collector in the container: %s", procStatus(t, pid, "VmHWM"))

	stop()
	p.run("start", name)
	waitHealthy(t, health)
	second := resumed("after a stop and a start", first)

	stop()
	logs.WriteString(p.run("logs", name))
	p.run("rm", name)
	runContainer()
	resumed("in a new container on the same volume", second)
}

// waitHealthy waits until the health_check extension answers 200.
func waitHealthy(t *testing.T, port int) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the health check at %s did not answer 200 within a minute (last error: %v)", url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
