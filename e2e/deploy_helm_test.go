//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// helmValues are the opentelemetry-collector chart's keys that deploy/helm/values.yaml sets,
// with the chart's shapes; decoding strictly makes a key the chart does not have an error.
type helmValues struct {
	Mode         string `json:"mode"`
	ReplicaCount int    `json:"replicaCount"`
	Image        struct {
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
	} `json:"image"`
	Command struct {
		Name string `json:"name"`
	} `json:"command"`
	ServiceAccount struct {
		AutomountServiceAccountToken bool `json:"automountServiceAccountToken"`
	} `json:"serviceAccount"`
	PodSecurityContext            corev1.PodSecurityContext   `json:"podSecurityContext"`
	SecurityContext               corev1.SecurityContext      `json:"securityContext"`
	Resources                     corev1.ResourceRequirements `json:"resources"`
	UseGOMEMLIMIT                 bool                        `json:"useGOMEMLIMIT"`
	TerminationGracePeriodSeconds int                         `json:"terminationGracePeriodSeconds"`
	ExtraEnvsFrom                 []corev1.EnvFromSource      `json:"extraEnvsFrom"`
	Statefulset                   struct {
		PodManagementPolicy  string                         `json:"podManagementPolicy"`
		VolumeClaimTemplates []corev1.PersistentVolumeClaim `json:"volumeClaimTemplates"`
	} `json:"statefulset"`
	ExtraVolumeMounts []corev1.VolumeMount `json:"extraVolumeMounts"`
	Ports             map[string]struct {
		Enabled bool `json:"enabled"`
	} `json:"ports"`
	NetworkPolicy struct {
		Enabled           bool                                    `json:"enabled"`
		AllowIngressFrom  []networkingv1.NetworkPolicyPeer        `json:"allowIngressFrom"`
		ExtraIngressRules []networkingv1.NetworkPolicyIngressRule `json:"extraIngressRules"`
		EgressRules       []networkingv1.NetworkPolicyEgressRule  `json:"egressRules"`
	} `json:"networkPolicy"`
	Config map[string]any `json:"config"`
}

func loadHelmValues(t *testing.T) (helmValues, map[string]any) {
	t.Helper()
	b, err := os.ReadFile("../deploy/helm/values.yaml")
	require.NoError(t, err)
	var v helmValues
	require.NoError(t, yaml.UnmarshalStrict(b, &v), "deploy/helm/values.yaml has a key the chart does not, or a wrong shape")
	var raw map[string]any
	require.NoError(t, yaml.Unmarshal(b, &raw))
	return v, raw
}

// The Helm values describe the same deployment as the manifests: one replica of a StatefulSet,
// the volume claim at the storage path, the same Secret and tenant ConfigMap, image, security
// and resources, and deploy/config.yaml's pipeline.
func TestHelmValues(t *testing.T) {
	v, _ := loadHelmValues(t)
	m := loadManifests(t)
	ss := m.statefulSets[0]
	c := container(t, ss)

	assert.Equal(t, "statefulset", v.Mode)
	assert.Equal(t, 1, v.ReplicaCount)
	assert.Equal(t, c.Image, v.Image.Repository+":"+v.Image.Tag)
	assert.Empty(t, v.Command.Name, "the image's entrypoint runs")
	assert.False(t, v.ServiceAccount.AutomountServiceAccountToken)
	assert.Equal(t, *ss.Spec.Template.Spec.SecurityContext, v.PodSecurityContext)
	assert.Equal(t, *c.SecurityContext, v.SecurityContext)
	assert.Equal(t, c.Resources, v.Resources)
	checkResources(t, v.Resources)
	assert.True(t, v.UseGOMEMLIMIT, "the chart sets GOMEMLIMIT to 80% of limits.memory")
	assert.Equal(t, c.EnvFrom, v.ExtraEnvsFrom)
	assert.Equal(t, "OrderedReady", v.Statefulset.PodManagementPolicy)
	require.Len(t, v.Statefulset.VolumeClaimTemplates, 1)
	assert.Equal(t, ss.Spec.VolumeClaimTemplates[0].Spec, v.Statefulset.VolumeClaimTemplates[0].Spec)
	claim := v.Statefulset.VolumeClaimTemplates[0].Name
	assert.Contains(t, v.ExtraVolumeMounts, corev1.VolumeMount{Name: claim, MountPath: storagePath})
	for name, p := range v.Ports {
		assert.Equal(t, name == "metrics", p.Enabled, "port %s", name)
	}

	cfg := withoutNulls(v.Config).(map[string]any)
	var want map[string]any
	b, err := os.ReadFile("../deploy/config.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &want))
	for _, section := range []string{"receivers", "exporters"} {
		assert.Equal(t, want[section], cfg[section], section)
	}
	assert.Equal(t, lookup(want, "extensions", "file_storage"), lookup(cfg, "extensions", "file_storage"))
	assert.Equal(t, lookup(want, "service", "pipelines", "logs"), lookup(cfg, "service", "pipelines", "logs"))
	assert.Equal(t, lookup(want, "service", "extensions"), lookup(cfg, "service", "extensions"))
}

// With the chart itself (OTEL_HELM_CHART_DIR: a checkout's charts/opentelemetry-collector), the
// values merged over the chart's defaults as Helm merges them pass the chart's values.schema.json,
// and the collector configuration the chart would render is one otelcol-audit accepts: nothing
// of the chart's defaults that this distribution lacks is left over. The chart is not part of
// this repository, so CI runs only TestHelmValues.
func TestHelmValuesAgainstTheChart(t *testing.T) {
	dir := os.Getenv("OTEL_HELM_CHART_DIR")
	if dir == "" {
		t.Skip("OTEL_HELM_CHART_DIR is not set: the chart's schema and defaults are not checked (TestHelmValues checks the keys)")
	}
	var defaults map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &defaults))
	_, ours := loadHelmValues(t)
	merged := coalesce(defaults, ours)

	schemaFile, err := os.Open(filepath.Join(dir, "values.schema.json"))
	require.NoError(t, err)
	defer schemaFile.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(schemaFile)
	require.NoError(t, err)
	delete(schemaDoc.(map[string]any), "$schema") // "http://json-schema.org/schema#": the latest draft the chart was written for
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft7)
	require.NoError(t, compiler.AddResource("values.schema.json", schemaDoc))
	schema, err := compiler.Compile("values.schema.json")
	require.NoError(t, err)
	js, err := json.Marshal(merged)
	require.NoError(t, err)
	instance, err := jsonschema.UnmarshalJSON(strings.NewReader(string(js)))
	require.NoError(t, err)
	require.NoError(t, schema.Validate(instance))

	cfg, err := yaml.Marshal(merged["config"])
	require.NoError(t, err)
	m := loadManifests(t)
	env := []string{"MY_POD_IP=127.0.0.1", "OTEL_K8S_NAMESPACE=audit", "OTEL_K8S_NODE_NAME=node",
		"OTEL_K8S_NODE_IP=127.0.0.1", "OTEL_K8S_POD_NAME=otelcol-audit-0", "OTEL_K8S_POD_IP=127.0.0.1"}
	for k, v := range m.configMaps["otelcol-audit-tenant"].Data {
		env = append(env, k+"="+v)
	}
	for k := range m.secrets["otelcol-audit-credentials"].StringData {
		env = append(env, k+"=stand-in")
	}
	validate(t, cfg, env)
}

// coalesce merges values over defaults as Helm does: maps merge key by key, a null removes the
// default's key, anything else replaces it.
func coalesce(defaults, values map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range values {
		vm, vok := v.(map[string]any)
		dm, dok := out[k].(map[string]any)
		switch {
		case v == nil:
			delete(out, k)
		case vok && dok:
			out[k] = coalesce(dm, vm)
		default:
			out[k] = withoutNulls(v)
		}
	}
	return out
}

// withoutNulls drops the keys whose value is null, at every depth.
func withoutNulls(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, e := range m {
		if e != nil {
			out[k] = withoutNulls(e)
		}
	}
	return out
}
