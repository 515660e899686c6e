//go:build e2e

package e2e

// What the shipped deployments expose on the network: the NetworkPolicy of the manifests and
// of the Helm values, and the metrics of the shipped configuration, served where a scraper off
// the collector's own loopback reaches them.

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

const metricsPort = 8888

// privateRanges are the IPv4 ranges of pods, services, nodes and the cloud's metadata service:
// the rule that admits the vendor APIs must not reach them.
var privateRanges = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"}

// A misspelt field of the NetworkPolicy fails the decoding.
func TestStrictDecodingRejectsUnknownNetworkPolicyFields(t *testing.T) {
	b, err := os.ReadFile("../deploy/kubernetes/networkpolicy.yaml")
	require.NoError(t, err)
	var o networkingv1.NetworkPolicy
	require.NoError(t, decodeStrict(b, &o))
	typo := strings.Replace(string(b), "  policyTypes:", "  policyType:", 1)
	require.NotEqual(t, string(b), typo)
	assert.Error(t, decodeStrict([]byte(typo), &o))
}

// The collector's pod admits the monitoring namespace to its metrics port and nobody else to
// anything (the kubelet's probes come from the node, which a NetworkPolicy always admits), and
// reaches only DNS, HTTPS outside the cluster's private ranges, and the backend's port.
func TestNetworkPolicy(t *testing.T) {
	m := loadManifests(t)
	require.Len(t, m.policies, 1, "one NetworkPolicy")
	np := m.policies[0]
	ss := m.statefulSets[0]
	c := container(t, ss)
	assert.Equal(t, ss.Spec.Template.Labels, np.Spec.PodSelector.MatchLabels, "it selects the collector's pod")
	assert.ElementsMatch(t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}, np.Spec.PolicyTypes)

	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	require.Equal(t, int32(metricsPort), ports["metrics"])
	require.Len(t, np.Spec.Ingress, 1, "one ingress rule")
	in := np.Spec.Ingress[0]
	require.Len(t, in.Ports, 1)
	assert.Equal(t, int32(metricsPort), portNumber(t, in.Ports[0].Port, ports), "the metrics port only: not the health port")
	assert.Equal(t, wantMonitoringPeers(), in.From)

	// The metrics listen on the pod's IP, which the Service names for the scraper.
	var metricsHost *corev1.EnvVar
	for i := range c.Env {
		if c.Env[i].Name == "METRICS_HOST" {
			metricsHost = &c.Env[i]
		}
	}
	require.NotNil(t, metricsHost, "METRICS_HOST is set")
	require.NotNil(t, metricsHost.ValueFrom)
	require.NotNil(t, metricsHost.ValueFrom.FieldRef)
	assert.Equal(t, "status.podIP", metricsHost.ValueFrom.FieldRef.FieldPath)
	svc := m.services[ss.Spec.ServiceName]
	require.Len(t, svc.Spec.Ports, 1)
	assert.Equal(t, "metrics", svc.Spec.Ports[0].TargetPort.String())

	checkEgress(t, np.Spec.Egress, backendPort(t, m))
}

// checkEgress: every rule names its ports; DNS goes to the cluster's resolver, 443 anywhere but
// the private ranges, and one rule admits the backend's port.
func checkEgress(t *testing.T, egress []networkingv1.NetworkPolicyEgressRule, backend int32) {
	t.Helper()
	byPort := map[string]networkingv1.NetworkPolicyEgressRule{}
	for _, r := range egress {
		require.NotEmpty(t, r.Ports, "an egress rule without ports admits every port")
		require.NotEmpty(t, r.To, "an egress rule without peers admits every destination")
		var names []string
		for _, p := range r.Ports {
			require.NotNil(t, p.Port)
			require.NotNil(t, p.Protocol)
			names = append(names, fmt.Sprintf("%s/%s", *p.Protocol, p.Port.String()))
		}
		slices.Sort(names)
		byPort[strings.Join(names, ",")] = r
	}
	assert.Len(t, byPort, 3, "DNS, HTTPS, the backend")

	dns, ok := byPort["TCP/53,UDP/53"]
	require.True(t, ok, "DNS over UDP and TCP")
	require.Len(t, dns.To, 1)
	require.NotNil(t, dns.To[0].NamespaceSelector)
	require.NotNil(t, dns.To[0].PodSelector, "the resolver's pods, not the whole namespace")
	assert.Equal(t, map[string]string{"kubernetes.io/metadata.name": "kube-system"}, dns.To[0].NamespaceSelector.MatchLabels)
	assert.Nil(t, dns.To[0].IPBlock)

	https, ok := byPort["TCP/443"]
	require.True(t, ok, "HTTPS to the vendor APIs")
	for _, peer := range https.To {
		require.NotNil(t, peer.IPBlock, "the vendor APIs are outside the cluster")
		if strings.Contains(peer.IPBlock.CIDR, ".") {
			for _, r := range privateRanges {
				assert.Contains(t, peer.IPBlock.Except, r, "%s is not admitted to 443", r)
			}
		} else {
			assert.Contains(t, peer.IPBlock.Except, "fc00::/7")
		}
	}

	_, ok = byPort[fmt.Sprintf("TCP/%d", backend)]
	assert.True(t, ok, "the backend's port %d", backend)
}

func wantMonitoringPeers() []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "monitoring"}}}}
}

// portNumber resolves a NetworkPolicy port, a number or a container port's name.
func portNumber(t *testing.T, p *intstr.IntOrString, named map[string]int32) int32 {
	t.Helper()
	require.NotNil(t, p)
	if p.Type == intstr.Int {
		return p.IntVal
	}
	n, ok := named[p.StrVal]
	require.True(t, ok, "port %q names a container port", p.StrVal)
	return n
}

// backendPort is the port of the tenant ConfigMap's OTLP_ENDPOINT.
func backendPort(t *testing.T, m manifests) int32 {
	t.Helper()
	_, port, err := net.SplitHostPort(m.configMaps["otelcol-audit-tenant"].Data["OTLP_ENDPOINT"])
	require.NoError(t, err)
	var n int32
	_, err = fmt.Sscan(port, &n)
	require.NoError(t, err)
	return n
}

// The Helm values enable the chart's NetworkPolicy with the manifests' peers and egress, and
// serve the metrics on the pod's IP with the shipped configuration's names.
func TestHelmNetworkPolicy(t *testing.T) {
	v, _ := loadHelmValues(t)
	m := loadManifests(t)
	require.Len(t, m.policies, 1)
	np := m.policies[0]
	assert.True(t, v.NetworkPolicy.Enabled)
	assert.Equal(t, np.Spec.Ingress[0].From, v.NetworkPolicy.AllowIngressFrom, "the chart opens the enabled ports (metrics only) to these peers")
	assert.Empty(t, v.NetworkPolicy.ExtraIngressRules)
	assert.Equal(t, np.Spec.Egress, v.NetworkPolicy.EgressRules)

	var want map[string]any
	b, err := os.ReadFile("../deploy/config.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &want))
	readers := lookup(want, "service", "telemetry", "metrics", "readers").([]any)
	prom := readers[0].(map[string]any)["pull"].(map[string]any)["exporter"].(map[string]any)["prometheus"].(map[string]any)
	prom["host"] = "${env:MY_POD_IP}"
	assert.Equal(t, lookup(want, "service", "telemetry"), lookup(withoutNulls(v.Config).(map[string]any), "service", "telemetry"))
}

// The shipped configuration, run with the environment the StatefulSet gives it (METRICS_HOST
// is the pod's IP, here a second loopback address standing in for it), serves its metrics where
// a Prometheus off the collector's own loopback scrapes them, with the names the alert rules
// read. The vendors are the simulator; only the storage paths are moved into the test's directory.
func TestShippedConfigMetricsAreScrapedOffLoopback(t *testing.T) {
	const podIP = "127.0.0.2"
	dir := t.TempDir()
	sim, err := simulator.New(simulator.Options{Seed: 7, CyberArkBackfill: 10, XSOARBackfill: 10, BackfillSpan: time.Hour})
	require.NoError(t, err)
	_, err = sim.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })

	c := startShipped(t, dir, filepath.Join(dir, "storage"), shippedEnv(t, sim, fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		map[string]string{"METRICS_HOST": podIP, "HEALTH_CHECK_ENDPOINT": fmt.Sprintf("%s:%d", podIP, freePort(t))}))

	prom := startPrometheusAt(t, dir, fmt.Sprintf("%s:%d", podIP, metricsPort))
	query := func(q string) int {
		var data struct {
			Result []any `json:"result"`
		}
		prom.get(t, "/api/v1/query?query="+url.QueryEscape(q), &data)
		return len(data.Result)
	}
	deadline := time.Now().Add(60 * time.Second)
	// No backend listens: the receivers report status 1 (the export is refused) and retry; the
	// point here is that Prometheus reads their metrics at all.
	for query(`up{job="otelcol-audit"} == 1`) == 0 || query(`otelcol_cyberarkisp_status`) == 0 || query(`otelcol_xsoaraudit_status`) == 0 {
		c.exited()
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(c.log)
			t.Fatalf("Prometheus did not scrape the receivers' status from %s:%d within 60s; collector log:\n%s", podIP, metricsPort, tail(string(b)))
		}
		time.Sleep(500 * time.Millisecond)
	}
}
