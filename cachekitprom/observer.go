package cachekitprom

import (
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cachekit/cachekit"
)

// kindState is one kind's counters and histograms. The counters are plain atomics, read at scrape:
// a CounterVec lookup per call would hash the label values on the hot path.
type kindState struct {
	name   string
	counts [cachekit.NumOps][cachekit.NumOutcomes]atomic.Uint64
	// The per-kind histograms, made on first use so that a kind with no load or stale serve exports no
	// empty buckets.
	load  lazyHistogram // cachekit_load_duration_seconds{kind}
	stale lazyHistogram // cachekit_stale_age_seconds{kind}
}

// lazyHistogram is one child of a HistogramVec, looked up the first time it observes.
type lazyHistogram struct {
	h atomic.Pointer[prometheus.Observer]
}

// observe records v in the child of vec labelled kind, making it on first use (GetMetricWithLabelValues
// locks inside the vector, once per kind; kind is valid UTF-8 and owned by the kindState).
func (l *lazyHistogram) observe(vec *prometheus.HistogramVec, kind string, v float64) {
	if h := l.h.Load(); h != nil {
		(*h).Observe(v)
		return
	}
	h, err := vec.GetMetricWithLabelValues(kind)
	if err != nil { // a const label error, reported at Register: nothing is exported anyway
		return
	}
	l.h.CompareAndSwap(nil, &h) // a racing first use stored the same child
	h.Observe(v)
}

var _ cachekit.Observer = (*Collector)(nil)

// Count implements cachekit.Observer: n keys of op ended with outcome. It neither allocates nor locks
// once the kind is known.
func (c *Collector) Count(op cachekit.Op, kind string, outcome cachekit.Outcome, n int) {
	if op >= cachekit.NumOps || outcome >= cachekit.NumOutcomes || n <= 0 {
		return
	}
	c.kind(kind).counts[op][outcome].Add(uint64(n))
}

// Time implements cachekit.Observer: one call of op took d. Loads feed the per-kind load histogram
// too.
func (c *Collector) Time(op cachekit.Op, kind string, d time.Duration) {
	if op >= cachekit.NumOps {
		return
	}
	s := d.Seconds()
	c.opDur[op].Observe(s)
	if op == cachekit.OpLoad {
		ks := c.kind(kind)
		ks.load.observe(c.loadDur, ks.name, s)
	}
}

// Stale implements cachekit.Observer: a value of kind was served stale, age after it was written.
func (c *Collector) Stale(kind string, age time.Duration) {
	ks := c.kind(kind)
	ks.stale.observe(c.staleAge, ks.name, age.Seconds())
}

// kind returns kind's state: a lock-free map lookup for a known kind; a new kind is added under mu
// (copy-on-write) while the bound allows, else it is counted as OtherKind without locking.
func (c *Collector) kind(kind string) *kindState {
	if first := c.first.Load(); first != nil {
		for _, ks := range *first {
			if ks.name == kind {
				return ks
			}
		}
	}
	if ks, ok := (*c.kinds.Load())[kind]; ok {
		return ks
	}
	if c.full.Load() || !utf8.ValidString(kind) {
		return c.other
	}
	return c.addKind(kind)
}

// firstKinds is how many kinds Collector.first keeps.
const firstKinds = 8

// addKind adds kind to the map, or returns the OtherKind state once maxKinds kinds are kept.
func (c *Collector) addKind(kind string) *kindState {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.kinds.Load()
	if ks, ok := old[kind]; ok { // added meanwhile
		return ks
	}
	if c.nkinds >= c.cfg.maxKinds {
		c.full.Store(true)
		return c.other
	}
	name := strings.Clone(kind) // kind may point into the caller's key
	ks := &kindState{name: name}
	m := make(map[string]*kindState, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[name] = ks
	c.kinds.Store(&m)
	if f := c.first.Load(); f == nil || len(*f) < firstKinds {
		var list []*kindState
		if f != nil {
			list = append(list, *f...)
		}
		list = append(list, ks)
		c.first.Store(&list)
	}
	c.nkinds++
	if c.nkinds >= c.cfg.maxKinds {
		c.full.Store(true)
	}
	return ks
}

// collectOperations exports every non-zero operation counter of every kind.
func (c *Collector) collectOperations(ch chan<- prometheus.Metric) {
	for _, ks := range *c.kinds.Load() {
		for op := range cachekit.NumOps {
			for outcome := range cachekit.NumOutcomes {
				if v := ks.counts[op][outcome].Load(); v > 0 {
					ch <- constMetric(c.dOperations, prometheus.CounterValue, float64(v), op.String(), ks.name, outcome.String())
				}
			}
		}
	}
}
