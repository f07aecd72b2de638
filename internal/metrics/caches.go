package metrics

import "github.com/prometheus/client_golang/prometheus"

// CacheSnapshot is what a cache says of itself when scraped.
type CacheSnapshot struct {
	Hits, Misses, Evictions uint64
	Entries                 int
	Bytes, MaxBytes         int64
}

// Cache makes the cache called name (a fixed word: "blobs", "tokens", …)
// visible as arca_cache_* series, read from snap at every scrape.
func (m *Metrics) Cache(name string, snap func() CacheSnapshot) {
	m.caches.add(name, snap)
}

// Counter makes a counter of another package visible, read from read at
// every scrape (the SQLite write queue's commits, say).
func (m *Metrics) Counter(name, help string, read func() uint64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
		func() float64 { return float64(read()) }))
}

var (
	cacheHits      = prometheus.NewDesc("arca_cache_hits_total", "Lookups a cache answered, by cache.", []string{"cache"}, nil)
	cacheMisses    = prometheus.NewDesc("arca_cache_misses_total", "Lookups a cache could not answer, by cache.", []string{"cache"}, nil)
	cacheEvictions = prometheus.NewDesc("arca_cache_evictions_total", "Entries dropped for room (or whole resets), by cache.", []string{"cache"}, nil)
	cacheEntries   = prometheus.NewDesc("arca_cache_entries", "Entries a cache holds now.", []string{"cache"}, nil)
	cacheBytes     = prometheus.NewDesc("arca_cache_bytes", "Bytes a cache holds now.", []string{"cache"}, nil)
	cacheMaxBytes  = prometheus.NewDesc("arca_cache_max_bytes", "The bound of a cache, in bytes.", []string{"cache"}, nil)
)

// caches collects every registered cache's snapshot at scrape time.
type caches struct {
	names []string
	snaps []func() CacheSnapshot
}

func (c *caches) add(name string, snap func() CacheSnapshot) {
	c.names = append(c.names, name)
	c.snaps = append(c.snaps, snap)
}

func (c *caches) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cacheHits, cacheMisses, cacheEvictions, cacheEntries, cacheBytes, cacheMaxBytes} {
		ch <- d
	}
}

func (c *caches) Collect(ch chan<- prometheus.Metric) {
	for i, snap := range c.snaps {
		s, n := snap(), c.names[i]
		ch <- prometheus.MustNewConstMetric(cacheHits, prometheus.CounterValue, float64(s.Hits), n)
		ch <- prometheus.MustNewConstMetric(cacheMisses, prometheus.CounterValue, float64(s.Misses), n)
		ch <- prometheus.MustNewConstMetric(cacheEvictions, prometheus.CounterValue, float64(s.Evictions), n)
		ch <- prometheus.MustNewConstMetric(cacheEntries, prometheus.GaugeValue, float64(s.Entries), n)
		ch <- prometheus.MustNewConstMetric(cacheBytes, prometheus.GaugeValue, float64(s.Bytes), n)
		ch <- prometheus.MustNewConstMetric(cacheMaxBytes, prometheus.GaugeValue, float64(s.MaxBytes), n)
	}
}
