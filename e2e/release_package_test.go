//go:build e2e && release

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// packaged is what both packages must hold, with mode and owner.
var packaged = map[string]string{
	"/usr/bin/otelcol-audit":                        "-rwxr-xr-x root root",
	"/usr/bin/auditctl":                             "-rwxr-xr-x root root",
	"/usr/lib/systemd/system/otelcol-audit.service": "-rw-r--r-- root root",
	"/etc/otelcol-audit/config.yaml":                "-rw-r--r-- root root",
	"/etc/otelcol-audit/otelcol-audit.env":          "-rw------- root root", // the credentials
}

var conffiles = []string{"/etc/otelcol-audit/config.yaml", "/etc/otelcol-audit/otelcol-audit.env"}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return string(out)
}

// The .deb: its files with modes and owners, its conffiles, and maintainer scripts that
// shellcheck accepts.
func TestReleaseDebContents(t *testing.T) {
	deb := releaseArtifact(t, "OTELCOL_AUDIT_DEB")
	fields := output(t, "dpkg-deb", "-f", deb, "Package", "Version", "Depends")
	assert.Contains(t, fields, "Package: otelcol-audit\n")
	assert.Regexp(t, `Version: \d+\.\d+\.\d+-1\n`, fields)
	assert.Contains(t, fields, "Depends: passwd\n")

	files := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(output(t, "dpkg-deb", "-c", deb)), "\n") {
		f := strings.Fields(line) // -rw-r--r-- root/root 3371 2026-12-01 04:55 ./etc/otelcol-audit/config.yaml
		require.Len(t, f, 6, line)
		if strings.HasPrefix(f[0], "d") {
			continue
		}
		files[strings.TrimPrefix(f[5], ".")] = f[0] + " " + strings.Replace(f[1], "/", " ", 1)
	}
	assert.Equal(t, packaged, files)

	control := t.TempDir()
	output(t, "dpkg-deb", "-e", deb, control)
	b, err := os.ReadFile(filepath.Join(control, "conffiles"))
	require.NoError(t, err)
	assert.Equal(t, conffiles, strings.Fields(string(b)))
	for _, script := range []string{"preinst", "postinst", "prerm", "postrm"} {
		path := filepath.Join(control, script)
		fi, err := os.Stat(path)
		require.NoError(t, err, script)
		assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), script)
		output(t, "shellcheck", "--shell=sh", path)
	}
}

// The .rpm: the same files, modes and owners, %config(noreplace) for the configuration, and the
// same maintainer scripts.
func TestReleaseRPMContents(t *testing.T) {
	rpm := releaseArtifact(t, "OTELCOL_AUDIT_RPM")
	assert.Regexp(t, `^otelcol-audit \d+\.\d+\.\d+ 1 (x86_64|aarch64)$`, output(t, "rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{RELEASE} %{ARCH}", rpm))
	assert.Contains(t, output(t, "rpm", "-qp", "--requires", rpm), "shadow-utils")

	files := map[string]string{}
	var configs []string
	list := output(t, "rpm", "-qp", "--qf", `[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS:fflags}|%{FILENAMES}\n]`, rpm)
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		attrs, path, _ := strings.Cut(line, "|")
		f := strings.Fields(attrs)
		if strings.HasPrefix(f[0], "d") {
			continue
		}
		files[path] = strings.Join(f[:3], " ")
		if len(f) > 3 && strings.Contains(f[3], "c") {
			assert.Contains(t, f[3], "n", "%s: %%config(noreplace)", path)
			configs = append(configs, path)
		}
	}
	assert.Equal(t, packaged, files)
	sort.Strings(configs)
	assert.Equal(t, conffiles, configs)

	scripts := output(t, "rpm", "-qp", "--scripts", rpm)
	for _, name := range []string{"preinstall", "postinstall", "preremove", "postremove"} {
		b, err := os.ReadFile(filepath.Join("..", "packaging", "scripts", name+".sh"))
		require.NoError(t, err)
		assert.Contains(t, scripts, strings.TrimSpace(string(b)), name)
	}
}

// The unit, as the .deb unpacks it into a scratch root (dpkg-deb -x): systemd-analyze verify
// accepts it without a warning, its ExecStart is in the package, and its security exposure
// stays in systemd's "OK" band. `dpkg --root` cannot install it there: dpkg runs the maintainer
// scripts chrooted into the root, which has no shell, and --force-script-chrootless would run
// them (useradd) on this machine.
func TestReleaseUnitVerifies(t *testing.T) {
	deb := releaseArtifact(t, "OTELCOL_AUDIT_DEB")
	root := t.TempDir()
	output(t, "dpkg-deb", "-x", deb, root)
	// The targets the unit refers to (network-online.target, multi-user.target, ...).
	output(t, "cp", "-rn", "/usr/lib/systemd/system/.", filepath.Join(root, "usr/lib/systemd/system"))
	unit := "/usr/lib/systemd/system/otelcol-audit.service"
	out := output(t, "systemd-analyze", "verify", "--man=no", "--root="+root, unit)
	assert.Empty(t, strings.TrimSpace(out), "systemd-analyze verify warns")

	sec := output(t, "systemd-analyze", "security", "--offline=true", "--no-pager", "--root="+root, unit)
	m := regexp.MustCompile(`Overall exposure level for otelcol-audit.service: (\d+\.\d+) (\S+)`).FindStringSubmatch(sec)
	require.NotNil(t, m, sec)
	score, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	assert.LessOrEqual(t, score, 2.0, "exposure %s %s", m[1], m[2])
	t.Logf("systemd-analyze security: exposure %s %s", m[1], m[2])

	b, err := os.ReadFile(filepath.Join(root, unit))
	require.NoError(t, err)
	for _, line := range []string{
		"User=otelcol-audit", "Group=otelcol-audit", "StateDirectory=otelcol-audit",
		"EnvironmentFile=/etc/otelcol-audit/otelcol-audit.env",
		"ExecStart=/usr/bin/otelcol-audit --config /etc/otelcol-audit/config.yaml",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"CapabilityBoundingSet=", "AmbientCapabilities=", "Restart=on-failure",
	} {
		assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(line)+`$`, string(b))
	}

	// The packaged configuration is the shipped default, and the environment file names every
	// variable it reads.
	cfg, err := os.ReadFile(filepath.Join(root, "etc/otelcol-audit/config.yaml"))
	require.NoError(t, err)
	want, err := os.ReadFile("../deploy/config.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(cfg))
	envFile, err := os.ReadFile(filepath.Join(root, "etc/otelcol-audit/otelcol-audit.env"))
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`\$\{env:([A-Z_]+)`).FindAllStringSubmatch(string(cfg), -1) {
		if m[1] == "HEALTH_CHECK_ENDPOINT" {
			continue // its default suits a host
		}
		assert.Regexp(t, `(?m)^`+m[1]+`=`, string(envFile))
	}
}

// The maintainer scripts, run as dpkg and rpm run them, against stand-ins of the commands they
// call, in a mount namespace where /run/systemd/system exists (systemd is not PID 1 here).
func TestReleaseMaintainerScripts(t *testing.T) {
	stubs := t.TempDir()
	log := filepath.Join(stubs, "calls")
	for _, cmd := range []string{"getent", "groupadd", "useradd", "systemctl"} {
		// getent finds the user only when USER_EXISTS is set.
		script := "#!/bin/sh\necho \"$(basename \"$0\") $*\" >>" + log + "\n"
		if cmd == "getent" {
			script += "[ -n \"$USER_EXISTS\" ]\n"
		}
		require.NoError(t, os.WriteFile(filepath.Join(stubs, cmd), []byte(script), 0o755))
	}
	run := func(script string, userExists bool, args ...string) []string {
		t.Helper()
		require.NoError(t, os.WriteFile(log, nil, 0o644))
		path, err := filepath.Abs(filepath.Join("..", "packaging", "scripts", script+".sh"))
		require.NoError(t, err)
		cmd := exec.Command("unshare", append([]string{"--mount", "sh", "-c",
			`mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system && exec sh "$@"`, "sh", path}, args...)...)
		cmd.Env = []string{"PATH=" + stubs + ":/usr/sbin:/usr/bin:/sbin:/bin"}
		if userExists {
			cmd.Env = append(cmd.Env, "USER_EXISTS=1")
		}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s %v:\n%s", script, args, out)
		b, err := os.ReadFile(log)
		require.NoError(t, err)
		var calls []string
		for _, c := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if c != "" && !strings.HasPrefix(c, "getent") {
				calls = append(calls, c)
			}
		}
		return calls
	}
	newUser := []string{"groupadd --system otelcol-audit",
		"useradd --system --gid otelcol-audit --home-dir /var/lib/otelcol-audit --no-create-home --shell /usr/sbin/nologin --comment otelcol-audit collector otelcol-audit"}
	for _, arg := range []string{"install", "1"} { // deb, rpm
		assert.Equal(t, newUser, run("preinstall", false, arg), "preinstall %s", arg)
		assert.Empty(t, run("preinstall", true, arg), "preinstall %s: the user exists", arg)
	}
	reload := []string{"systemctl daemon-reload", "systemctl try-restart otelcol-audit.service"}
	for _, args := range [][]string{{"configure"}, {"configure", "0.0.9-1"}, {"1"}, {"2"}} {
		assert.Equal(t, reload, run("postinstall", true, args...), "postinstall %v", args)
	}
	removal := []string{"systemctl stop otelcol-audit.service", "systemctl disable otelcol-audit.service"}
	for _, arg := range []string{"remove", "0"} {
		assert.Equal(t, removal, run("preremove", true, arg), "preremove %s", arg)
	}
	for _, arg := range []string{"upgrade", "1"} {
		assert.Empty(t, run("preremove", true, arg), "preremove %s: an upgrade leaves the collector running", arg)
		assert.Empty(t, run("postremove", true, arg), "postremove %s", arg)
	}
	for _, arg := range []string{"remove", "purge", "0"} {
		assert.Equal(t, []string{"systemctl daemon-reload"}, run("postremove", true, arg), "postremove %s", arg)
	}
}
