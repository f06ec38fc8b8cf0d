package schedule

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus metrics of one domain's schedule, all labelled
// with domain. A nil *Metrics records nothing.
type Metrics struct {
	reg         *prometheus.Registry
	runs        *prometheus.CounterVec
	runKinds    *prometheus.CounterVec
	failures    *prometheus.CounterVec
	changes     *prometheus.CounterVec
	lastSuccess prometheus.Gauge
	paused      prometheus.Gauge
	duration    prometheus.Histogram
	latency     prometheus.Histogram
	calls       *prometheus.CounterVec
	runCalls    *prometheus.HistogramVec
}

// NewMetrics returns the metrics for domain in a registry of their own,
// beside Go runtime and process metrics.
func NewMetrics(domain string) *Metrics {
	labels := prometheus.Labels{"domain": domain}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "adjc_runs_total", Help: "Runs that started, by trigger (start, interval, retry, watch); paused runs are counted under result=paused.",
			ConstLabels: labels,
		}, []string{"trigger", "result"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "adjc_run_failures_total", Help: "Runs that failed, by cause: unreachable (AD or JumpCloud down; backoff) or error.",
			ConstLabels: labels,
		}, []string{"cause"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "adjc_changes_applied_total", Help: "Changes applied, by kind (user, group, membership, admin) and action (create, update, delete, adopt).",
			ConstLabels: labels,
		}, []string{"kind", "action"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "adjc_last_success_timestamp_seconds", Help: "Unix time of the last successful run.",
			ConstLabels: labels,
		}),
		paused: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "adjc_paused", Help: "1 while the domain is deactivated in JumpCloud and runs are skipped.",
			ConstLabels: labels,
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "adjc_run_duration_seconds", Help: "How long runs took.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 14), ConstLabels: labels,
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "adjc_propagation_latency_seconds", Help: "AD to JumpCloud propagation latency of watch runs: from the change notification to the end of the run that applied it.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 90, 180}, ConstLabels: labels,
		}),
	}
	m.runKinds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "adjc_run_kind_total", Help: "Runs that were not skipped, by kind: delta (planned only what changed: watch runs and delta ticks) or full (read everything).",
		ConstLabels: prometheus.Labels{"domain": domain},
	}, []string{"kind"})
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "adjc_jumpcloud_calls_total", Help: "JumpCloud API requests sent by runs (retries included), by run kind: delta or full.",
		ConstLabels: labels,
	}, []string{"kind"})
	m.runCalls = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "adjc_run_jumpcloud_calls", Help: "JumpCloud API requests per run (retries included), by run kind: delta or full.",
		Buckets: []float64{0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000}, ConstLabels: labels,
	}, []string{"kind"})
	m.reg.MustRegister(m.runKinds, m.calls, m.runCalls)
	m.reg.MustRegister(m.runs, m.failures, m.changes, m.lastSuccess, m.paused, m.duration, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Register adds another collector to the metrics served, e.g. package
// ha's adjc_leader gauge. It panics on a name already registered, a
// programming error.
func (m *Metrics) Register(c prometheus.Collector) { m.reg.MustRegister(c) }

func (m *Metrics) setPaused(p bool) {
	if m == nil {
		return
	}
	if p {
		m.paused.Set(1)
	} else {
		m.paused.Set(0)
	}
}

func (m *Metrics) observe(rec Record, now time.Time) {
	if m == nil {
		return
	}
	result := "success"
	switch {
	case rec.Paused:
		result = "paused"
	case rec.Err != nil:
		result = "failure"
		cause := "error"
		if rec.RetryIn > 0 {
			cause = "unreachable"
		}
		m.failures.WithLabelValues(cause).Inc()
	default:
		m.lastSuccess.Set(float64(now.UnixNano()) / 1e9)
	}
	m.runs.WithLabelValues(string(rec.Trigger.Kind), result).Inc()
	if rec.Paused {
		return
	}
	kind := rec.Summary.Kind()
	m.runKinds.WithLabelValues(kind).Inc()
	m.calls.WithLabelValues(kind).Add(float64(rec.Summary.Calls))
	m.runCalls.WithLabelValues(kind).Observe(float64(rec.Summary.Calls))
	m.duration.Observe(rec.Duration.Seconds())
	for _, c := range rec.Summary.ByKind {
		m.changes.WithLabelValues(string(c.Kind), actionName(c.Action)).Add(float64(c.N))
	}
	if rec.Latency > 0 {
		m.latency.Observe(rec.Latency.Seconds())
	}
}

// Handler serves /metrics from m and /healthz from s: 200 while
// s.Health(maxAge) is healthy, 503 otherwise, with the reason as text.
func Handler(m *Metrics, s *Scheduler, maxAge time.Duration) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		ok, msg := s.Health(maxAge)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, msg)
	})
	return mux
}
