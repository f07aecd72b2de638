// Package metrics owns arca's Prometheus metrics: one registry per server
// (no process-wide default), the /metrics handler, and the receivers the
// other layers report to (the server's middleware, the service's Events,
// the external connections' Observer, the garbage collector, the blob
// store). Every label takes values from a bounded set: planes, operation
// and format names, connection names, fixed result words. Package names,
// paths and other user-supplied strings never become labels.
//
// docs/metrics.md lists every metric.
package metrics

import (
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one server's metrics.
type Metrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytesIn  *prometheus.CounterVec
	bytesOut *prometheus.CounterVec
	inFlight prometheus.Gauge

	published      *prometheus.CounterVec
	publishedBytes *prometheus.CounterVec
	served         *prometheus.CounterVec

	extMetadata  *prometheus.CounterVec
	extDownloads *prometheus.CounterVec
	extBytes     *prometheus.CounterVec

	gcRuns    *prometheus.CounterVec
	gcDeleted prometheus.Counter
	gcFreed   prometheus.Counter

	blobOps    *prometheus.HistogramVec
	blobErrors *prometheus.CounterVec

	// caches are registered before the server serves (Cache), and only
	// read afterwards.
	caches *caches
}

// latency buckets, seconds: from a cached 4 KiB GET (well under a
// millisecond) to a large upload.
var latency = []float64{.0002, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// New returns the metrics of one server, version being the build's.
func New(version string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), caches: &caches{}}
	f := factory{m.reg}
	m.requests = f.counter("arca_http_requests_total",
		"HTTP requests answered, by plane (control, data, iam, ui, metrics, health, other), operation (control-plane operation, data-plane format) and status class.",
		"plane", "operation", "code")
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "arca_http_request_duration_seconds",
		Help:    "Time from a request's arrival to the end of its response, by plane and operation.",
		Buckets: latency,
	}, []string{"plane", "operation"})
	m.reg.MustRegister(m.duration)
	m.bytesIn = f.counter("arca_http_request_bytes_total", "Request body bytes read, by plane.", "plane")
	m.bytesOut = f.counter("arca_http_response_bytes_total", "Response body bytes written, by plane.", "plane")
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "arca_http_requests_in_flight", Help: "Requests being served."})
	m.reg.MustRegister(m.inFlight)

	m.published = f.counter("arca_published_assets_total", "Assets stored by publishes (API and package managers), by format.", "format")
	m.publishedBytes = f.counter("arca_published_bytes_total", "Bytes of the assets stored by publishes, by format.", "format")
	m.served = f.counter("arca_asset_downloads_total",
		"Package-manager downloads by format and where the bytes came from: local (the repository held them), upstream (retained from an upstream repository for the request), external (fetched through an external connection).",
		"format", "source")

	m.extMetadata = f.counter("arca_external_metadata_total",
		"Metadata lookups of external connections by result: hit, negative (a remembered 404), revalidated (304), fetched, not_found, stale (served from the cache while the registry fails), unavailable.",
		"connection", "result")
	m.extDownloads = f.counter("arca_external_downloads_total",
		"File downloads from external connections by result: fetched, not_found, digest_mismatch, failed.",
		"connection", "result")
	m.extBytes = f.counter("arca_external_download_bytes_total", "Verified bytes downloaded from external connections.", "connection")

	m.gcRuns = f.counter("arca_gc_runs_total", "Garbage collections by the server, by result (ok, error).", "result")
	m.gcDeleted = prometheus.NewCounter(prometheus.CounterOpts{Name: "arca_gc_deleted_blobs_total", Help: "Blobs deleted by the server's garbage collections."})
	m.gcFreed = prometheus.NewCounter(prometheus.CounterOpts{Name: "arca_gc_freed_bytes_total", Help: "Bytes freed by the server's garbage collections."})
	m.reg.MustRegister(m.gcDeleted, m.gcFreed)

	m.blobOps = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "arca_blob_operation_duration_seconds",
		Help:    "Blob store calls by operation (put, open, stat, delete, presign): a put's time includes reading the upload.",
		Buckets: latency,
	}, []string{"op"})
	m.reg.MustRegister(m.blobOps)
	m.blobErrors = f.counter("arca_blob_operation_errors_total", "Blob store calls that failed (not-found answers excluded), by operation.", "op")

	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "arca_build_info", Help: "Always 1; the version label is the build's.",
		ConstLabels: prometheus.Labels{"version": version}})
	build.Set(1)
	m.reg.MustRegister(build, m.caches,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

// Register adds collectors of other packages (cache statistics, say).
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Handler serves the metrics in the Prometheus text format. With a
// non-empty token, a request must carry `Authorization: Bearer TOKEN`.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="arca metrics"`)
			http.Error(w, "a bearer token is required for /metrics", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Begin marks a request as in flight; Request ends it.
func (m *Metrics) Begin() { m.inFlight.Inc() }

// Request records one finished request.
func (m *Metrics) Request(plane, operation string, status int, in, out int64, d time.Duration) {
	m.inFlight.Dec()
	m.requests.WithLabelValues(plane, operation, statusClass(status)).Inc()
	m.duration.WithLabelValues(plane, operation).Observe(d.Seconds())
	if in > 0 {
		m.bytesIn.WithLabelValues(plane).Add(float64(in))
	}
	if out > 0 {
		m.bytesOut.WithLabelValues(plane).Add(float64(out))
	}
}

var classes = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

func statusClass(status int) string {
	if status == 0 {
		status = http.StatusOK
	}
	if c := status/100 - 1; c >= 0 && c < len(classes) {
		return classes[c]
	}
	return "other"
}

// GC records one garbage collection of the server.
func (m *Metrics) GC(deleted int, freed int64, err error) {
	if err != nil {
		m.gcRuns.WithLabelValues("error").Inc()
		return
	}
	m.gcRuns.WithLabelValues("ok").Inc()
	m.gcDeleted.Add(float64(deleted))
	m.gcFreed.Add(float64(freed))
}

// Published implements pkgsvc.Events.
func (m *Metrics) Published(format string, size int64) {
	m.published.WithLabelValues(format).Inc()
	m.publishedBytes.WithLabelValues(format).Add(float64(size))
}

// AssetServed implements pkgsvc.Events.
func (m *Metrics) AssetServed(format, source string) {
	m.served.WithLabelValues(format, source).Inc()
}

// Metadata implements external.Observer.
func (m *Metrics) Metadata(conn, result string) {
	m.extMetadata.WithLabelValues(conn, result).Inc()
}

// Download implements external.Observer.
func (m *Metrics) Download(conn, result string, bytes int64) {
	m.extDownloads.WithLabelValues(conn, result).Inc()
	if bytes > 0 {
		m.extBytes.WithLabelValues(conn).Add(float64(bytes))
	}
}
