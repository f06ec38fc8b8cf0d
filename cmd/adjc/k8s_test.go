package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestK8sManifest runs `kubectl apply --dry-run=client` on
// scripts/k8s/adjc-ha.yaml, when kubectl is installed (no Debian package
// ships it; scripts/test sets ADJC_KUBECTL_REQUIRED=1 when it is there, so
// that a present kubectl is never skipped). A client dry run still asks an
// API server which resources exist (discovery) and whether each object
// exists; with no cluster at hand, a stub answers those and nothing else:
// kubectl parses every document, maps its kind and namespace, and prints
// what it would create. Schemas are not checked (--validate=false: that
// needs the cluster's OpenAPI).
func TestK8sManifest(t *testing.T) {
	t.Parallel()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("ADJC_KUBECTL_REQUIRED") == "1" {
			t.Fatalf("kubectl: %v (ADJC_KUBECTL_REQUIRED=1)", err)
		}
		t.Skip("kubectl is not installed: scripts/k8s/adjc-ha.yaml is not checked")
	}
	resource := func(name, kind string, namespaced bool) map[string]any {
		return map[string]any{"name": name, "singularName": strings.ToLower(kind), "namespaced": namespaced, "kind": kind,
			"verbs": []string{"create", "get", "list", "patch"}}
	}
	discovery := map[string]any{
		"/api":  map[string]any{"kind": "APIVersions", "versions": []string{"v1"}, "serverAddressByClientCIDRs": []any{}},
		"/apis": map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{map[string]any{"name": "apps", "versions": []any{map[string]any{"groupVersion": "apps/v1", "version": "v1"}}, "preferredVersion": map[string]any{"groupVersion": "apps/v1", "version": "v1"}}}},
		"/api/v1": map[string]any{"kind": "APIResourceList", "groupVersion": "v1", "resources": []any{
			resource("namespaces", "Namespace", false), resource("configmaps", "ConfigMap", true), resource("secrets", "Secret", true)}},
		"/apis/apps/v1": map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1", "resources": []any{
			resource("deployments", "Deployment", true)}},
	}
	var (
		mu     sync.Mutex
		writes []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			mu.Lock()
			writes = append(writes, r.Method+" "+r.URL.Path) // a dry run must not write
			mu.Unlock()
		}
		if body, ok := discovery[r.URL.Path]; ok {
			json.NewEncoder(w).Encode(body)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})
	}))
	defer srv.Close()

	manifest := filepath.Join("..", "..", "scripts", "k8s", "adjc-ha.yaml")
	cmd := exec.Command(kubectl, "apply", "--dry-run=client", "--validate=false", "-s", srv.URL, "-f", manifest)
	cmd.Env = []string{"KUBECONFIG=" + filepath.Join(t.TempDir(), "none"), "HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	for _, want := range []string{"namespace/adjc created (dry run)", "configmap/adjc-config created (dry run)", "deployment.apps/adjc created (dry run)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("kubectl apply --dry-run=client printed\n%s\nwant %q", out, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(writes) > 0 {
		t.Errorf("a client dry run sent %v", writes)
	}
}
