//go:build e2e && release

package e2e

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The release's Kubernetes manifests are deploy/kubernetes's, decoded strictly, with the image
// pinned by the digest of the image index that the release's image archive holds (and that
// make publish pushes unchanged).
func TestReleaseKubernetesManifestsPinTheImageDigest(t *testing.T) {
	bundle, err := os.ReadFile(releaseArtifact(t, "OTELCOL_AUDIT_K8S_BUNDLE"))
	require.NoError(t, err)
	digest := imageIndexDigest(t, releaseArtifact(t, "OTELCOL_AUDIT_IMAGE_ARCHIVE"))
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, digest)

	var statefulSets []appsv1.StatefulSet
	kinds := map[string]int{}
	for _, doc := range docSeparator.Split(string(bundle), -1) {
		if strings.TrimSpace(commentLines.ReplaceAllString(doc, "")) == "" {
			continue
		}
		var tm metav1.TypeMeta
		require.NoError(t, yaml.Unmarshal([]byte(doc), &tm))
		kinds[tm.Kind]++
		if tm.Kind == "StatefulSet" {
			var ss appsv1.StatefulSet
			require.NoError(t, decodeStrict([]byte(doc), &ss))
			statefulSets = append(statefulSets, ss)
		}
	}
	m := loadManifests(t)
	assert.Equal(t, map[string]int{"StatefulSet": 1, "Service": len(m.services), "ConfigMap": len(m.configMaps),
		"Secret": len(m.secrets), "NetworkPolicy": len(m.policies)}, kinds, "every manifest of deploy/kubernetes")
	require.Len(t, statefulSets, 1)
	got := statefulSets[0]
	assert.Equal(t, "ghcr.io/secaudit/otelcol-audit:"+distVersion(t)+"@"+digest, container(t, got).Image)

	want := m.statefulSets[0]
	want.Spec.Template.Spec.Containers[0].Image = container(t, got).Image
	assert.Equal(t, want, got, "nothing else differs from deploy/kubernetes/statefulset.yaml")
}

// imageIndexDigest is the digest of the image index an OCI archive holds, from its index.json.
func imageIndexDigest(t *testing.T, archive string) string {
	t.Helper()
	f, err := os.Open(archive)
	require.NoError(t, err)
	defer f.Close()
	r := tar.NewReader(f)
	for {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s has no index.json", archive)
		}
		require.NoError(t, err)
		if h.Name != "index.json" {
			continue
		}
		var index struct {
			Manifests []struct {
				MediaType string `json:"mediaType"`
				Digest    string `json:"digest"`
			} `json:"manifests"`
		}
		require.NoError(t, json.NewDecoder(r).Decode(&index))
		require.Len(t, index.Manifests, 1)
		assert.Equal(t, "application/vnd.oci.image.index.v1+json", index.Manifests[0].MediaType)
		return index.Manifests[0].Digest
	}
}
