package cachekitprom

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store"
)

// Collector is a prometheus.Collector of one Cache's metrics (see the package documentation for the
// list). It is the Cache's cachekit.Observer from New until Close. It is safe for concurrent use, and
// several registries may gather it at once.
type Collector struct {
	cache *cachekit.Cache
	cfg   config
	err   error // a nil Cache: every Describe and Collect reports it, so Register fails
	// closed stops the invalidation watcher, which cannot be unregistered.
	closed atomic.Bool

	// kinds maps a kind to its state. Read without locking; replaced whole (copy-on-write) under mu.
	kinds atomic.Pointer[map[string]*kindState]
	// first holds the first few kinds added (the same states as in kinds), scanned before the map: a
	// bot has a handful of kinds, and comparing a short string to each costs less than hashing it.
	first  atomic.Pointer[[]*kindState]
	mu     sync.Mutex
	nkinds int         // kinds with a label of their own (under mu)
	full   atomic.Bool // nkinds reached cfg.maxKinds: unknown kinds go to other without locking
	other  *kindState

	opDur     [cachekit.NumOps]prometheus.Observer
	opDurVec  *prometheus.HistogramVec
	loadDur   *prometheus.HistogramVec
	staleAge  *prometheus.HistogramVec
	invLag    prometheus.Histogram
	subLosses prometheus.Counter

	descs
}

// Histogram buckets, in seconds.
var (
	// An in-process hit takes about 0.1–1 µs, a Redis round trip 0.1–1 ms, a timed-out one up to seconds.
	opBuckets = []float64{1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	// Loaders call exchanges and databases: milliseconds to seconds.
	loadBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	// Stale windows run from a second (tickers) to a day (fail-safe OHLCV).
	staleBuckets = []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400}
	// Invalidation lag: a publish and a delivery over loopback or a LAN, up to a congested link.
	lagBuckets = []float64{1e-4, 2.5e-4, 5e-4, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
)

// New returns a Collector of c's metrics and makes it c's Observer (cachekit.Cache.SetObserver,
// replacing any other), and, when c's store reports invalidation events (store.InvalidationWatcher: the
// tiered store), watches them. Register it yourself:
//
//	prometheus.MustRegister(cachekitprom.New(cache))
//
// A nil c makes a Collector that registers nothing: Register returns an error saying so.
func New(c *cachekit.Cache, opts ...Option) *Collector {
	cfg := newConfig(opts)
	col := &Collector{cache: c, cfg: cfg, descs: newDescs(cfg.constLabels)}
	if c == nil {
		col.err = errors.New("cachekitprom: New with a nil *cachekit.Cache")
	}
	hist := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: name, Help: help, Buckets: buckets, ConstLabels: cfg.constLabels,
		}, labels)
	}
	col.opDurVec = hist("cachekit_operation_duration_seconds",
		"Duration of Cache calls by operation, sampled about 1 call in 32 (every loader call).", opBuckets, "op")
	col.loadDur = hist("cachekit_load_duration_seconds",
		"Duration of loader calls (Fetch, FetchMany, Warm) by kind.", loadBuckets, "kind")
	col.staleAge = hist("cachekit_stale_age_seconds",
		"Age (since written) of the values Fetch and FetchMany served stale, by kind.", staleBuckets, "kind")
	col.invLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:        "cachekit_invalidation_lag_seconds",
		Help:        "Time from another instance's write to its invalidation of this instance's L1.",
		Buckets:     lagBuckets,
		ConstLabels: cfg.constLabels,
	})
	col.subLosses = prometheus.NewCounter(prometheus.CounterOpts{
		Name:        "cachekit_invalidation_subscription_losses_total",
		Help:        "Times the invalidation subscription was lost (L1 is flushed when it is restored).",
		ConstLabels: cfg.constLabels,
	})
	// Label checks happen at Register (a bad const label makes every vector's Describe report it), so
	// resolving the children must not panic here: an error leaves a histogram nobody exports.
	for op := range cachekit.NumOps {
		h, err := col.opDurVec.GetMetricWithLabelValues(op.String())
		if err != nil {
			h = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "unused"})
		}
		col.opDur[op] = h
	}
	col.other = &kindState{name: OtherKind}
	// "" is the kind of a call over several keys; neither it nor OtherKind counts toward the bound, and a
	// real kind named "other" shares OtherKind's series instead of duplicating them.
	kinds := map[string]*kindState{OtherKind: col.other, "": {name: ""}}
	col.kinds.Store(&kinds)
	if cfg.maxKinds == 0 {
		col.full.Store(true)
	}
	if c == nil {
		return col
	}
	if w, ok := c.Store().(store.InvalidationWatcher); ok {
		w.WatchInvalidations(col.invalidation)
	}
	c.SetObserver(col)
	return col
}

// Close stops the Collector: it stops being the Cache's Observer (an Observer installed after it with
// SetObserver stays; cachekit.Cache.RemoveObserver) and ignores later invalidation events. Metrics
// counted so far stay exported. Close is idempotent.
func (c *Collector) Close() {
	if c.closed.Swap(true) || c.cache == nil {
		return
	}
	c.cache.RemoveObserver(c)
}

// Describe implements prometheus.Collector: every metric's descriptor (the set is fixed).
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	if c.err != nil {
		ch <- prometheus.NewInvalidDesc(c.err)
		return
	}
	for _, d := range c.descs.all() {
		ch <- d
	}
	c.opDurVec.Describe(ch)
	c.loadDur.Describe(ch)
	c.staleAge.Describe(ch)
	c.invLag.Describe(ch)
	c.subLosses.Describe(ch)
}

// Collect implements prometheus.Collector: the operation counters and histograms, the Cache's
// Counters, and the store's Stats, read now within the scrape timeout.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if c.err != nil {
		ch <- prometheus.NewInvalidMetric(prometheus.NewInvalidDesc(c.err), c.err)
		return
	}
	c.collectOperations(ch)
	c.opDurVec.Collect(ch)
	c.loadDur.Collect(ch)
	c.staleAge.Collect(ch)
	c.invLag.Collect(ch)
	c.subLosses.Collect(ch)
	c.collectCounters(ch)
	c.collectStats(ch)
}

// constMetric is prometheus.MustNewConstMetric without the panic: a label value that is not valid
// UTF-8 (an endpoint or a policy name from a server) becomes an invalid metric, which fails that
// scrape's Gather with an error naming it instead of crashing the process.
func constMetric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
