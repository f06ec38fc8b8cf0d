package ha

import "github.com/prometheus/client_golang/prometheus"

// Collector returns the adjc_leader{domain} gauge: 1 while this instance
// believes it leads the domain ([Elector.Leader]), 0 otherwise. Register it
// beside the schedule's metrics.
func (e *Elector) Collector() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "adjc_leader",
		Help:        "1 while this instance is the HA group's leader for the domain and may write, 0 while it is a follower.",
		ConstLabels: prometheus.Labels{"domain": e.domain, "instance": e.id},
	}, func() float64 {
		if e.Leader() {
			return 1
		}
		return 0
	})
}
