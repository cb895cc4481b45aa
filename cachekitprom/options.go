package cachekitprom

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of the options.
const (
	// DefaultMaxKinds is how many kinds get a kind label of their own unless WithMaxKinds says otherwise.
	DefaultMaxKinds = 32
	// DefaultScrapeTimeout bounds the Stats call a scrape makes unless WithScrapeTimeout says otherwise.
	DefaultScrapeTimeout = time.Second
	// OtherKind is the kind label of the kinds past the WithMaxKinds bound (and of a key's kind that is
	// not valid UTF-8, which no label may hold).
	OtherKind = "other"
)

// Option configures New.
type Option func(*config)

type config struct {
	maxKinds      int
	scrapeTimeout time.Duration
	constLabels   prometheus.Labels
}

func newConfig(opts []Option) config {
	c := config{maxKinds: DefaultMaxKinds, scrapeTimeout: DefaultScrapeTimeout}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithMaxKinds bounds the number of distinct kind label values at n (default DefaultMaxKinds): the
// first n kinds seen get a label of their own, every later one is counted under kind="other". Kinds
// come from keys and keys from users, so the bound keeps the series count fixed. n ≤ 0 counts every kind
// under "other".
func WithMaxKinds(n int) Option {
	return func(c *config) { c.maxKinds = max(n, 0) }
}

// WithScrapeTimeout bounds the Cache.Stats call each scrape makes (default DefaultScrapeTimeout), so a
// slow or dead Redis costs a scrape at most d; the store gauges are then missing from that scrape and
// cachekit_store_up is 0. d ≤ 0 keeps the default.
func WithScrapeTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.scrapeTimeout = d
		}
	}
}

// WithConstLabels adds labels to every metric of the Collector, e.g. {"cache": "orders"} to tell two
// Caches apart in one registry (without it two Collectors conflict and the second Register fails).
// Invalid label names, or names the metrics already use, make Register fail with an error naming them.
func WithConstLabels(l prometheus.Labels) Option {
	return func(c *config) {
		c.constLabels = make(prometheus.Labels, len(l))
		for k, v := range l {
			c.constLabels[k] = v
		}
	}
}
