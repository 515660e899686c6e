//go:build e2e

package e2e

// These tests check the shipped deployment files under deploy/: the Kubernetes manifests,
// decoded strictly with the Kubernetes API types, the Helm values, and the configurations they
// carry, validated by the built otelcol-audit.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const (
	storagePath = "/var/lib/otelcol-audit"
	healthPort  = 13133
	// measuredPeak is the highest peak resident memory measured (make bench, a 1,000,000-record
	// backfill): requests must cover it with room to spare.
	measuredPeak = 53 << 20
)

type manifests struct {
	statefulSets []appsv1.StatefulSet
	services     map[string]corev1.Service
	configMaps   map[string]corev1.ConfigMap
	secrets      map[string]corev1.Secret
	policies     []networkingv1.NetworkPolicy
}

var (
	docSeparator = regexp.MustCompile(`(?m)^---\s*$`)
	commentLines = regexp.MustCompile(`(?m)^#.*$`)
)

// decodeStrict decodes one manifest into its Kubernetes API type; a field the type does not
// have is an error.
func decodeStrict(doc []byte, into any) error { return yaml.UnmarshalStrict(doc, into) }

func loadManifests(t *testing.T) manifests {
	t.Helper()
	m := manifests{services: map[string]corev1.Service{}, configMaps: map[string]corev1.ConfigMap{}, secrets: map[string]corev1.Secret{}}
	files, err := filepath.Glob("../deploy/kubernetes/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, doc := range docSeparator.Split(string(b), -1) {
			var tm metav1.TypeMeta
			require.NoError(t, yaml.Unmarshal([]byte(doc), &tm), file)
			if tm.Kind == "" && strings.TrimSpace(commentLines.ReplaceAllString(doc, "")) == "" {
				continue // comments only
			}
			switch tm.APIVersion + " " + tm.Kind {
			case "apps/v1 StatefulSet":
				var o appsv1.StatefulSet
				require.NoError(t, decodeStrict([]byte(doc), &o), file)
				m.statefulSets = append(m.statefulSets, o)
			case "v1 Service":
				var o corev1.Service
				require.NoError(t, decodeStrict([]byte(doc), &o), file)
				m.services[o.Name] = o
			case "v1 ConfigMap":
				var o corev1.ConfigMap
				require.NoError(t, decodeStrict([]byte(doc), &o), file)
				m.configMaps[o.Name] = o
			case "v1 Secret":
				var o corev1.Secret
				require.NoError(t, decodeStrict([]byte(doc), &o), file)
				m.secrets[o.Name] = o
			case "networking.k8s.io/v1 NetworkPolicy":
				var o networkingv1.NetworkPolicy
				require.NoError(t, decodeStrict([]byte(doc), &o), file)
				m.policies = append(m.policies, o)
			default:
				t.Errorf("%s: unexpected object %q %q", file, tm.APIVersion, tm.Kind)
			}
		}
	}
	require.Len(t, m.statefulSets, 1)
	return m
}

// A misspelt field fails the decoding: the manifests' test would catch one.
func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	b, err := os.ReadFile("../deploy/kubernetes/statefulset.yaml")
	require.NoError(t, err)
	var o appsv1.StatefulSet
	require.NoError(t, decodeStrict(b, &o))
	typo := strings.Replace(string(b), "  replicas: 1", "  replica: 1", 1)
	require.NotEqual(t, string(b), typo)
	assert.Error(t, decodeStrict([]byte(typo), &o))
}

func container(t *testing.T, ss appsv1.StatefulSet) corev1.Container {
	t.Helper()
	require.Len(t, ss.Spec.Template.Spec.Containers, 1)
	return ss.Spec.Template.Spec.Containers[0]
}

func envValue(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func TestStatefulSet(t *testing.T) {
	m := loadManifests(t)
	ss := m.statefulSets[0]
	c := container(t, ss)
	pod := ss.Spec.Template.Spec

	// One reader of one checkpoint.
	require.NotNil(t, ss.Spec.Replicas)
	assert.Equal(t, int32(1), *ss.Spec.Replicas)
	assert.Equal(t, ss.Spec.Selector.MatchLabels, ss.Spec.Template.Labels)
	svc, ok := m.services[ss.Spec.ServiceName]
	require.True(t, ok, "serviceName %q names a Service of the manifests", ss.Spec.ServiceName)
	assert.Equal(t, corev1.ClusterIPNone, svc.Spec.ClusterIP, "a headless Service")
	assert.Equal(t, ss.Spec.Template.Labels, svc.Spec.Selector)

	// The image is this release's.
	assert.Equal(t, "ghcr.io/secaudit/otelcol-audit:"+distVersion(t), c.Image)

	// The volume claim holds file_storage.
	require.Len(t, ss.Spec.VolumeClaimTemplates, 1)
	claim := ss.Spec.VolumeClaimTemplates[0]
	assert.Equal(t, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, claim.Spec.AccessModes)
	assert.False(t, claim.Spec.Resources.Requests.Storage().IsZero())
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.MountPath] = vm
	}
	assert.Equal(t, claim.Name, mounts[storagePath].Name, "the claim is mounted at %s", storagePath)
	cfg := configMapConfig(t, m)
	assert.Equal(t, storagePath, lookup(cfg, "extensions", "file_storage", "directory"))

	// The configuration comes from the ConfigMap, read-only.
	require.Len(t, pod.Volumes, 1)
	require.NotNil(t, pod.Volumes[0].ConfigMap)
	assert.Equal(t, "otelcol-audit-config", pod.Volumes[0].ConfigMap.Name)
	cm := mounts["/etc/otelcol-audit"]
	assert.Equal(t, pod.Volumes[0].Name, cm.Name)
	assert.True(t, cm.ReadOnly)
	assert.Equal(t, []string{"--config", "/etc/otelcol-audit/config.yaml"}, c.Args)

	// Probes on the health_check extension, which listens on the pod's interfaces.
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	endpoint, ok := envValue(c, "HEALTH_CHECK_ENDPOINT")
	require.True(t, ok)
	assert.Equal(t, "0.0.0.0:13133", endpoint)
	for name, probe := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		require.NotNil(t, probe, name)
		require.NotNil(t, probe.HTTPGet, name)
		assert.Equal(t, "/", probe.HTTPGet.Path, name)
		assert.Equal(t, int32(healthPort), ports[probe.HTTPGet.Port.String()], "%s probe port", name)
	}

	// Pod and container security.
	assert.Equal(t, wantPodSecurity(), *pod.SecurityContext)
	require.NotNil(t, c.SecurityContext)
	assert.Equal(t, wantContainerSecurity(), *c.SecurityContext)
	require.NotNil(t, pod.AutomountServiceAccountToken)
	assert.False(t, *pod.AutomountServiceAccountToken)

	// Resources from the measured memory, and GOMEMLIMIT from the limit.
	checkResources(t, c.Resources)
	gomemlimit, ok := envValue(c, "GOMEMLIMIT")
	require.True(t, ok, "GOMEMLIMIT is set")
	limit := parseGoMemLimit(t, gomemlimit)
	memory := c.Resources.Limits.Memory().Value()
	assert.LessOrEqual(t, limit, memory*9/10, "GOMEMLIMIT leaves room under limits.memory")
	assert.GreaterOrEqual(t, limit, memory*7/10, "GOMEMLIMIT uses most of limits.memory")

	// Every variable the configuration reads comes from the tenant ConfigMap, the Secret or the
	// container's env; the credentials only from the Secret.
	provided := map[string]string{}
	for _, from := range c.EnvFrom {
		switch {
		case from.SecretRef != nil:
			s, ok := m.secrets[from.SecretRef.Name]
			require.True(t, ok, "envFrom names Secret %q of the manifests", from.SecretRef.Name)
			for k := range s.StringData {
				provided[k] = "Secret"
			}
		case from.ConfigMapRef != nil:
			cm, ok := m.configMaps[from.ConfigMapRef.Name]
			require.True(t, ok, "envFrom names ConfigMap %q of the manifests", from.ConfigMapRef.Name)
			for k := range cm.Data {
				provided[k] = "ConfigMap"
			}
		}
	}
	for _, e := range c.Env {
		provided[e.Name] = "env"
	}
	for _, v := range append(configVariables(t, "../deploy/config.yaml"), "OTLP_AUTHORIZATION", "OTLP_CA_FILE", "METRICS_HOST") {
		source, ok := provided[v]
		assert.True(t, ok, "%s is provided", v)
		if strings.HasSuffix(v, "_SECRET") || strings.HasSuffix(v, "_API_KEY") || v == "OTLP_AUTHORIZATION" {
			assert.Equal(t, "Secret", source, "%s comes from the Secret", v)
		}
	}
}

// The ConfigMap holds deploy/config.yaml, the configuration the image and the packages ship.
func TestConfigMapIsTheDefaultConfig(t *testing.T) {
	m := loadManifests(t)
	var want map[string]any
	b, err := os.ReadFile("../deploy/config.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &want))
	assert.Equal(t, want, configMapConfig(t, m))
}

// The ConfigMap's configuration, with the tenant ConfigMap's settings and stand-in credentials in
// the environment, is one the collector accepts.
func TestConfigMapConfigValidates(t *testing.T) {
	m := loadManifests(t)
	env := []string{"HEALTH_CHECK_ENDPOINT=0.0.0.0:13133"}
	for k, v := range m.configMaps["otelcol-audit-tenant"].Data {
		env = append(env, k+"="+v)
	}
	for k := range m.secrets["otelcol-audit-credentials"].StringData {
		env = append(env, k+"=stand-in")
	}
	validate(t, []byte(m.configMaps["otelcol-audit-config"].Data["config.yaml"]), env)
}

func wantPodSecurity() corev1.PodSecurityContext {
	yes, uid := true, int64(10001)
	policy := corev1.FSGroupChangeOnRootMismatch
	return corev1.PodSecurityContext{
		RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid, FSGroup: &uid, FSGroupChangePolicy: &policy,
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func wantContainerSecurity() corev1.SecurityContext {
	yes, no := true, false
	return corev1.SecurityContext{
		AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes, RunAsNonRoot: &yes,
		Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

func checkResources(t *testing.T, r corev1.ResourceRequirements) {
	t.Helper()
	req, lim := r.Requests.Memory(), r.Limits.Memory()
	require.False(t, req.IsZero(), "requests.memory")
	require.False(t, lim.IsZero(), "limits.memory")
	assert.GreaterOrEqual(t, req.Value(), int64(2*measuredPeak), "requests.memory covers twice the measured peak")
	assert.LessOrEqual(t, req.Value(), lim.Value())
	assert.False(t, r.Requests.Cpu().IsZero(), "requests.cpu")
}

// parseGoMemLimit reads GOMEMLIMIT as the Go runtime does: a number with an optional B, KiB,
// MiB, GiB or TiB suffix.
func parseGoMemLimit(t *testing.T, s string) int64 {
	t.Helper()
	m := regexp.MustCompile(`^(\d+)(B|KiB|MiB|GiB|TiB)?$`).FindStringSubmatch(s)
	require.NotNil(t, m, "GOMEMLIMIT %q", s)
	n, err := strconv.ParseInt(m[1], 10, 64)
	require.NoError(t, err)
	return n << map[string]int{"": 0, "B": 0, "KiB": 10, "MiB": 20, "GiB": 30, "TiB": 40}[m[2]]
}

func configMapConfig(t *testing.T, m manifests) map[string]any {
	t.Helper()
	cm, ok := m.configMaps["otelcol-audit-config"]
	require.True(t, ok)
	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(cm.Data["config.yaml"]), &cfg))
	return cfg
}

func lookup(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// configVariables lists the ${env:NAME} a configuration reads without a default.
func configVariables(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var names []string
	for _, m := range regexp.MustCompile(`\$\{env:([A-Z_]+)\}`).FindAllStringSubmatch(string(b), -1) {
		names = append(names, m[1])
	}
	require.NotEmpty(t, names)
	return names
}

func distVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../builder-config.yaml")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^dist:\n(?:  .*\n)*?  version: (\S+)`).FindSubmatch(b)
	require.NotNil(t, m)
	return string(m[1])
}

// validate runs `otelcol-audit validate` on a configuration with exactly the environment env.
func validate(t *testing.T, cfg []byte, env []string) {
	t.Helper()
	bin := collectorBin(t)
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, cfg, 0o600))
	cmd := exec.Command(bin, "validate", "--config", path)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "otelcol-audit validate:\n%s\nconfig:\n%s", out, cfg)
}
