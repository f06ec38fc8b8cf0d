package main

import "testing"

// TestBenchMetric: every "<value> <unit>" pair of a go test -bench line is
// read, units with digits (p50-s) and values with exponents included.
func TestBenchMetric(t *testing.T) {
	line := "1\t  41715266 ns/op\t 3.094 min-s\t 7.149 max-s\t 4.5 p50-s\t 7.149 p99-s\t 1.5e-05 tiny-s\t 5.000 changes"
	got := map[string]string{}
	for _, kv := range benchMetric.FindAllStringSubmatch(line, -1) {
		got[kv[2]] = kv[1]
	}
	want := map[string]string{"ns/op": "41715266", "min-s": "3.094", "max-s": "7.149", "p50-s": "4.5", "p99-s": "7.149", "tiny-s": "1.5e-05", "changes": "5.000"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("benchMetric on %q: %s = %q, want %q (all: %v)", line, k, got[k], v, got)
		}
	}
}

// TestWithoutEvents: the cached org keeps everything but its event history.
func TestWithoutEvents(t *testing.T) {
	in := `{"nextId":7,"orgs":{"o1":{"users":{"ids":["a"]},"events":[{"x":1}],"eventSeq":3}},"apiKeys":[]}`
	out, err := withoutEvents([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"apiKeys":[],"nextId":7,"orgs":{"o1":{"eventSeq":3,"users":{"ids":["a"]}}}}`
	if string(out) != want {
		t.Errorf("withoutEvents() = %s, want %s", out, want)
	}
}

// TestDur: adjc's JSON log writes durations in seconds; the watch rows'
// run times and adjc's own propagation latency read them so (they read 0
// while the bench took them for nanoseconds).
func TestDur(t *testing.T) {
	if got := dur(0.4531); got != "453ms" {
		t.Errorf("dur(0.4531) = %q, want 453ms", got)
	}
	if got := dur("x"); got != "x" {
		t.Errorf("dur(\"x\") = %q, want it as it was", got)
	}
}
