package cachekitprom

import "github.com/cachekit/cachekit/store"

// invalidation records one event of the store's invalidation stream (store.InvalidationWatcher). It
// runs on the store's delivery goroutine and must not block: both metrics are lock-free.
func (c *Collector) invalidation(ev store.InvalidationEvent) {
	if c.closed.Load() { // a watcher cannot be unregistered
		return
	}
	switch ev.Kind {
	case store.InvalidationReceived:
		// Lag is 0 when the sender put no write time in the message, and may be negative across
		// machines whose clocks differ: neither is a lag worth recording.
		if ev.Lag > 0 {
			c.invLag.Observe(ev.Lag.Seconds())
		}
	case store.SubscriptionLost:
		c.subLosses.Inc()
	}
}
