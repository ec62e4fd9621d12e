package promevents_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCoreImportsNoPrometheus checks with go list that the core packages
// (and everything they import) stay free of the Prometheus client: only this
// package may bring it in.
func TestCoreImportsNoPrometheus(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	core := []string{"ring", "store", "stream", "system"}
	for _, pkg := range core {
		out, err := exec.Command(goTool, "list", "-deps", "github.com/lfevents/lfevents/"+pkg).CombinedOutput()
		require.NoError(t, err, "%s", out)
		deps := string(out)
		require.Contains(t, deps, "github.com/lfevents/lfevents/"+pkg, "go list listed the package itself")
		assert.NotContains(t, deps, "prometheus", "%s imports the Prometheus client", pkg)
	}
	// The check can fail: this package's own graph does contain it.
	out, err := exec.Command(goTool, "list", "-deps", "github.com/lfevents/lfevents/promevents").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.True(t, strings.Contains(string(out), "github.com/prometheus/client_golang/prometheus"))
}
