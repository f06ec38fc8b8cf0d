package pwsync

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are password sync's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	reg     *prometheus.Registry
	total   *prometheus.CounterVec
	latency prometheus.Histogram
}

// NewMetrics returns the metrics in a registry of their own, every result
// label present from the start (at zero) so rates work from the first
// scrape.
func NewMetrics(domain string) *Metrics {
	labels := prometheus.Labels{"domain": domain}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "adjc_password_sync_total", Help: "Captured password changes by how they ended (delivered, refused, failed, dropped, or why they were ignored).",
			ConstLabels: labels,
		}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "adjc_password_sync_latency_seconds", Help: "From capture to JumpCloud holding the password, for delivered changes.",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}, ConstLabels: labels,
		}),
	}
	for _, r := range Results {
		m.total.WithLabelValues(string(r))
	}
	m.reg.MustRegister(m.total, m.latency)
	return m
}

// Observe counts an outcome.
func (m *Metrics) Observe(o Outcome) {
	if m == nil {
		return
	}
	m.total.WithLabelValues(string(o.Result)).Inc()
	if o.Result == Delivered && !o.Captured.IsZero() {
		m.latency.Observe(o.Done.Sub(o.Captured).Seconds())
	}
}

// Collectors are the metrics, for a registry that serves more than these
// (`adjc schedule --password-sync` serves them with its own).
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.total, m.latency}
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	return mux
}
