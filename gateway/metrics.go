package gateway

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/intercom-gateway/gateway/host"
	"github.com/intercom-gateway/gateway/intercom"
)

// Metrics are the gateway's Prometheus collectors.
type Metrics struct {
	registry    *prometheus.Registry
	events      *prometheus.CounterVec
	ingested    *prometheus.CounterVec
	calls       *prometheus.CounterVec
	retries     *prometheus.CounterVec
	rateWaits   *prometheus.CounterVec
	rateWaitSec *prometheus.CounterVec
	stepSeconds prometheus.Histogram
	deliverySec *prometheus.HistogramVec
	queueDepth  prometheus.GaugeFunc
	pluginInfo  *prometheus.GaugeVec
	swaps       *prometheus.CounterVec
}

func newMetrics(depth func() float64) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_events_total",
		Help: "Events whose delivery ended, by destination and outcome.",
	}, []string{"destination", "outcome"})
	m.ingested = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_ingested_events_total",
		Help: "Events received by the ingestion API, by destination and status (accepted, not_sent, invalid).",
	}, []string{"destination", "status"})
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_intercom_calls_total",
		Help: "HTTP attempts to Intercom, by route and status (0 means no response).",
	}, []string{"route", "status"})
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_intercom_retries_total",
		Help: "Intercom requests retried by the client, by route and reason.",
	}, []string{"route", "reason"})
	m.rateWaits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_rate_limit_waits_total",
		Help: "Times a request waited for an Intercom rate-limit window, by route.",
	}, []string{"route"})
	m.rateWaitSec = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_rate_limit_wait_seconds_total",
		Help: "Seconds spent waiting for Intercom rate-limit windows, by route.",
	}, []string{"route"})
	m.stepSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "gateway_plugin_step_seconds",
		Help:    "Latency of one mapping plugin step.",
		Buckets: []float64{0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 1},
	})
	m.deliverySec = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gateway_delivery_seconds",
		Help:    "Time to deliver one event, Intercom calls included, by outcome.",
		Buckets: prometheus.DefBuckets,
	}, []string{"outcome"})
	m.queueDepth = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gateway_queue_depth",
		Help: "Events waiting for delivery, in-flight ones included.",
	}, depth)
	m.pluginInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gateway_plugin_info",
		Help: "The plugin new events run on: 1 for its name, version and sha256.",
	}, []string{"name", "version", "sha256"})
	m.swaps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_plugin_swaps_total",
		Help: "Plugin swaps and rollbacks, by result (swapped, refused, unchanged).",
	}, []string{"result"})
	m.registry.MustRegister(m.pluginInfo, m.swaps, m.events, m.ingested, m.calls, m.retries, m.rateWaits, m.rateWaitSec,
		m.stepSeconds, m.deliverySec, m.queueDepth,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry /metrics serves.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// observer adapts Metrics to intercom.Observer.
type observer struct{ m *Metrics }

var _ intercom.Observer = observer{}

func (o observer) Attempt(e intercom.AttemptEvent) {
	o.m.calls.WithLabelValues(e.Route, strconv.Itoa(e.Status)).Inc()
}

func (o observer) Retry(e intercom.RetryEvent) {
	o.m.retries.WithLabelValues(e.Route, e.Reason).Inc()
}

func (o observer) RateLimitWait(e intercom.WaitEvent) {
	o.m.rateWaits.WithLabelValues(e.Route).Inc()
	o.m.rateWaitSec.WithLabelValues(e.Route).Add(e.Delay.Seconds())
}

func (o observer) Attributes(intercom.AttributeEvent) {}

func (m *Metrics) observeStep(d time.Duration) { m.stepSeconds.Observe(d.Seconds()) }

// setPlugin marks info as the plugin in use.
func (m *Metrics) setPlugin(info host.Info) {
	m.pluginInfo.Reset()
	m.pluginInfo.WithLabelValues(info.Name, info.Version, info.SHA256).Set(1)
}
