package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPartialRunKeepsOtherRows: a run with --only replaces the rows it
// measured, in place, and their notes; the rest of the table, the earlier
// run's header and the text outside the markers stay.
func TestPartialRunKeepsOtherRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	full := &report{Started: time.Date(2026, 11, 22, 0, 52, 0, 0, time.UTC), Machine: "m", Load: "old load", Command: "sudo scripts/bench", Fixture: "f",
		Rows: []row{
			{Name: "alpha", Unit: "s", Runs: []float64{1}, Result: "info"},
			{Name: "beta", Unit: "s", Runs: []float64{2}, Result: "info", Note: "old beta note"},
			{Name: "gamma", Unit: "s", Runs: []float64{3}, Result: "info", Note: "gamma note"},
		}}
	full.judge()
	require.NoError(t, os.WriteFile(path, []byte("# Benchmarks\n\nintro\n"), 0o644))
	require.NoError(t, full.updateMarkdown(path))
	require.NoError(t, os.WriteFile(path, append(mustRead(t, path), "\nanalysis after\n"...), 0o644))

	part := &report{Started: time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC), Load: "idle", Command: "sudo scripts/bench --only tick", Partial: true,
		Rows: []row{
			{Name: "beta", Unit: "s", Runs: []float64{20}, Result: "info"},
			{Name: "delta", Unit: "s", Runs: []float64{4}, Result: "info", Note: "delta note"},
		}}
	part.judge()
	require.NoError(t, part.updateMarkdown(path))
	got := string(mustRead(t, path))
	t.Log(got)
	for _, want := range []string{"intro", "analysis after", "Taken 2026-11-22 00:52 UTC on m.", "Load during the run: old load.",
		"Re-measured 2026-12-02 17:00 UTC with `sudo scripts/bench --only tick`, load: idle: beta, delta.",
		"| alpha |", "| gamma |", "| beta | ", "| 20.0 s |", "| delta |", "- `gamma`: gamma note", "- `delta`: delta note"} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "old beta note")
	assert.NotContains(t, got, "| 2 s |")
	assert.Less(t, strings.Index(got, "| alpha |"), strings.Index(got, "| beta |"))
	assert.Less(t, strings.Index(got, "| beta |"), strings.Index(got, "| gamma |"))
	assert.Less(t, strings.Index(got, "| gamma |"), strings.Index(got, "| delta |"))
	assert.Equal(t, 1, strings.Count(got, "| measurement |"))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
