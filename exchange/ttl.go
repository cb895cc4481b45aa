package exchange

import (
	"fmt"
	"time"
)

// Built-in TTLs per kind, used when neither a ClientOption nor the Cache configures one.
const (
	DefaultTickerTTL    = 5 * time.Second
	DefaultOHLCVTTL     = 86400 * time.Second
	DefaultDealsTTL     = 10 * time.Second
	DefaultOrderBookTTL = 5 * time.Second
)

// MinOHLCVTTL is the shortest TTL an OHLCV entry gets, so a request just before a candle boundary still
// caches for a moment instead of for zero time.
const MinOHLCVTTL = time.Second

// DefaultKindTTL returns the built-in TTL of a kind, and false for an unknown kind.
func DefaultKindTTL(kind string) (time.Duration, bool) {
	switch kind {
	case KindTicker:
		return DefaultTickerTTL, true
	case KindOHLCV:
		return DefaultOHLCVTTL, true
	case KindDeals:
		return DefaultDealsTTL, true
	case KindOrderBook:
		return DefaultOrderBookTTL, true
	}
	return 0, false
}

// KindTTL returns the TTL this client uses for a kind: the WithTTL option if given, else the Cache's
// configured TTL for the kind (WithKindTTL / REDIS_CACHE_TTL_<KIND>), else the built-in default. For
// KindOHLCV it is the cap; see OHLCVTTL. An unknown kind returns 0.
func (c *Client) KindTTL(kind string) time.Duration { return c.ttl[kind] }

// OHLCVTTL returns the TTL the client gives an OHLCV entry of timeframe fetched now (by the client's
// clock): the time until the close of the candle now forming, capped by KindTTL(KindOHLCV), and at least
// MinOHLCVTTL. An unknown timeframe is a *TimeframeError.
func (c *Client) OHLCVTTL(timeframe string) (time.Duration, error) {
	tf, err := ParseTimeframe(timeframe)
	if err != nil {
		return 0, err
	}
	return ohlcvTTL(tf, c.now(), c.ttl[KindOHLCV]), nil
}

// ohlcvTTL is the time from now to the next boundary of tf, clamped to [MinOHLCVTTL, max].
func ohlcvTTL(tf Timeframe, now time.Time, max time.Duration) time.Duration {
	d := tf.Next(now).Sub(now)
	if d > max {
		d = max
	}
	if d < MinOHLCVTTL {
		d = MinOHLCVTTL
	}
	return d
}

// resolveTTLs computes the per-kind TTLs: option, else cache-configured, else built-in.
func resolveTTLs(opts map[string]time.Duration, cacheTTL func(string) (time.Duration, bool)) map[string]time.Duration {
	out := make(map[string]time.Duration, 4)
	for _, kind := range Kinds() {
		d, _ := DefaultKindTTL(kind)
		if v, ok := cacheTTL(kind); ok && v > 0 {
			d = v
		}
		if v, ok := opts[kind]; ok {
			d = v
		}
		out[kind] = d
	}
	return out
}

// checkKindTTL validates a WithTTL argument.
func checkKindTTL(kind string, d time.Duration) error {
	if _, ok := DefaultKindTTL(kind); !ok {
		return fmt.Errorf("exchange: WithTTL: unknown kind %q (valid: ticker ohlcv deals orderbook)", kind)
	}
	if d <= 0 {
		return fmt.Errorf("exchange: WithTTL(%q, %v): TTL must be > 0", kind, d)
	}
	return nil
}
