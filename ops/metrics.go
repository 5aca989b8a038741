package ops

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/pantau/pantau/store"
)

// Metrics holds Pantau's registry. Most figures are read from the store
// and the hub when Prometheus scrapes (StateSource); the few that only
// exist as they happen (a poll's duration, a score's, a delivery's
// outcome) come through the hooks below. Labels carry configured names
// only (sources, receivers, rules), never text from the internet.
type Metrics struct {
	Registry *prometheus.Registry

	fetchSeconds  *prometheus.HistogramVec
	fetchErrors   *prometheus.CounterVec
	scoreSeconds  prometheus.Histogram
	alertsRaised  *prometheus.CounterVec
	notifications *prometheus.CounterVec
}

// StateSource is what the scrape-time collector reads.
type StateSource struct {
	Store *store.Store
	// Sources returns the configured source names; state the store keeps
	// for sources no longer configured is not reported.
	Sources func() []string
	// Clients returns the connected websocket clients; nil leaves the
	// metric out.
	Clients func() int64
	Now     func() time.Time
	Log     *slog.Logger
}

// NewMetrics builds the registry with the Go runtime and process
// collectors and the state collector over src.
func NewMetrics(src StateSource) *Metrics {
	if src.Now == nil {
		src.Now = time.Now
	}
	if src.Log == nil {
		src.Log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		fetchSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pantau_fetch_duration_seconds",
			Help:    "Time a poll of a source took, fetch and parse, by source.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"source"}),
		fetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pantau_fetch_errors_total",
			Help: "Polls of a source that failed, by source.",
		}, []string{"source"}),
		scoreSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pantau_score_duration_seconds",
			Help:    "Time the scorer took for one mention.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1},
		}),
		alertsRaised: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pantau_alerts_raised_total",
			Help: "Alerts opened, by rule.",
		}, []string{"rule"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pantau_notifications_total",
			Help: "Notification attempts by receiver and outcome (delivered, retry, failed).",
		}, []string{"receiver", "outcome"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.fetchSeconds, m.fetchErrors, m.scoreSeconds, m.alertsRaised, m.notifications,
		&stateCollector{src: src},
	)
	return m
}

// ObservePoll records one poll of a source.
func (m *Metrics) ObservePoll(source string, took time.Duration, err error) {
	m.fetchSeconds.WithLabelValues(source).Observe(took.Seconds())
	if err != nil {
		m.fetchErrors.WithLabelValues(source).Inc()
	} else {
		// Make the series exist at zero, so rate() sees the first error.
		m.fetchErrors.WithLabelValues(source)
	}
}

// ObserveScore records the time the scorer took for one mention.
func (m *Metrics) ObserveScore(took time.Duration) { m.scoreSeconds.Observe(took.Seconds()) }

// AlertRaised counts an alert opened by rule.
func (m *Metrics) AlertRaised(rule string) { m.alertsRaised.WithLabelValues(rule).Inc() }

// Notification counts a delivery attempt's outcome for a receiver.
func (m *Metrics) Notification(receiver, outcome string) {
	m.notifications.WithLabelValues(receiver, outcome).Inc()
}

// stateCollector reads the store and the hub at scrape time.
type stateCollector struct{ src StateSource }

var (
	descMentions = prometheus.NewDesc("pantau_source_mentions_total",
		"New mentions stored from a source, ever.", []string{"source"}, nil)
	descLag = prometheus.NewDesc("pantau_source_lag_seconds",
		"Age of the newest mention stored from a source (now minus its creation time).", []string{"source"}, nil)
	descSinceSuccess = prometheus.NewDesc("pantau_source_seconds_since_success",
		"Time since a source's last successful poll.", []string{"source"}, nil)
	descConsecutive = prometheus.NewDesc("pantau_source_consecutive_errors",
		"Failed polls of a source since its last success.", []string{"source"}, nil)
	descOutbox = prometheus.NewDesc("pantau_outbox_depth",
		"Notifications waiting for delivery, by receiver.", []string{"receiver"}, nil)
	descClients = prometheus.NewDesc("pantau_websocket_clients",
		"Dashboard websocket clients connected.", nil, nil)
	descSize = prometheus.NewDesc("pantau_store_size_bytes",
		"Size of the store file.", nil, nil)
	descWrites = prometheus.NewDesc("pantau_store_write_transactions_total",
		"Write transactions run on the store.", nil, nil)
	descWriteSeconds = prometheus.NewDesc("pantau_store_write_seconds_total",
		"Time spent in write transactions; divide its rate by the transactions' for the mean.", nil, nil)
	descWriteFailures = prometheus.NewDesc("pantau_store_write_failures_total",
		"Write transactions whose commit failed (full disk, I/O error).", nil, nil)
	descWriteFailing = prometheus.NewDesc("pantau_store_write_failing",
		"1 while the latest write transaction failed to commit, else 0.", nil, nil)
	descScrapeErrors = prometheus.NewDesc("pantau_metrics_read_errors",
		"Parts of the state that could not be read for this scrape.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMentions, descLag, descSinceSuccess, descConsecutive, descOutbox,
		descClients, descSize, descWrites, descWriteSeconds, descWriteFailures, descWriteFailing, descScrapeErrors} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	st, now := c.src.Store, c.src.Now()
	readErrors := 0
	configured := map[string]bool{}
	if c.src.Sources != nil {
		for _, n := range c.src.Sources() {
			configured[n] = true
		}
	}
	if states, err := st.SourceStates(); err != nil {
		readErrors++
		c.src.Log.Warn("metrics: read source states", "err", err)
	} else {
		for _, s := range states {
			if !configured[s.Source] {
				continue
			}
			ch <- prometheus.MustNewConstMetric(descMentions, prometheus.CounterValue, float64(s.ItemsSeen), s.Source)
			ch <- prometheus.MustNewConstMetric(descConsecutive, prometheus.GaugeValue, float64(s.ConsecutiveErrors), s.Source)
			if !s.Newest.IsZero() {
				ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, max(now.Sub(s.Newest).Seconds(), 0), s.Source)
			}
			if !s.LastSuccess.IsZero() {
				ch <- prometheus.MustNewConstMetric(descSinceSuccess, prometheus.GaugeValue, max(now.Sub(s.LastSuccess).Seconds(), 0), s.Source)
			}
		}
	}
	if depth, err := st.OutboxDepth(); err != nil {
		readErrors++
		c.src.Log.Warn("metrics: read outbox depth", "err", err)
	} else {
		for recv, n := range depth {
			ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(n), recv)
		}
	}
	if c.src.Clients != nil {
		ch <- prometheus.MustNewConstMetric(descClients, prometheus.GaugeValue, float64(c.src.Clients()))
	}
	if size, err := st.Size(); err != nil {
		readErrors++
	} else {
		ch <- prometheus.MustNewConstMetric(descSize, prometheus.GaugeValue, float64(size))
	}
	ws := st.WriteStats()
	ch <- prometheus.MustNewConstMetric(descWrites, prometheus.CounterValue, float64(ws.Writes))
	ch <- prometheus.MustNewConstMetric(descWriteSeconds, prometheus.CounterValue, ws.Time.Seconds())
	ch <- prometheus.MustNewConstMetric(descWriteFailures, prometheus.CounterValue, float64(ws.Failures))
	failing := 0.0
	if ws.Failing != nil {
		failing = 1
	}
	ch <- prometheus.MustNewConstMetric(descWriteFailing, prometheus.GaugeValue, failing)
	ch <- prometheus.MustNewConstMetric(descScrapeErrors, prometheus.GaugeValue, float64(readErrors))
}
