package exchange

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/keyspace"
)

// DefaultLoadTimeout bounds one upstream load when WithLoadTimeout is not given.
const DefaultLoadTimeout = 30 * time.Second

// Client serves market data from a Cache, calling its Source only on a miss. It is safe for concurrent use.
// See the package documentation for keys, TTLs and invalidation.
type Client struct {
	src         Source
	cache       *cachekit.Cache
	ttl         map[string]time.Duration // per kind; read-only after NewClient
	now         func() time.Time
	loadTimeout time.Duration

	requests, loads callCounter
}

type clientOptions struct {
	ttl         map[string]time.Duration
	now         func() time.Time
	loadTimeout time.Duration
}

// ClientOption configures a Client.
type ClientOption func(*clientOptions) error

// WithTTL sets the TTL of one kind (KindTicker, KindOHLCV, KindDeals, KindOrderBook), overriding the
// Cache's configured TTL and the built-in default. For KindOHLCV it is the cap of the candle-close expiry.
// An unknown kind or a TTL <= 0 makes NewClient fail.
func WithTTL(kind string, d time.Duration) ClientOption {
	return func(o *clientOptions) error {
		if err := checkKindTTL(kind, d); err != nil {
			return err
		}
		o.ttl[kind] = d
		return nil
	}
}

// WithClock sets the clock used to compute OHLCV expiry (default time.Now). The Cache's own TTL countdown
// is unaffected: only the chosen TTL depends on this clock.
func WithClock(now func() time.Time) ClientOption {
	return func(o *clientOptions) error {
		if now == nil {
			return errors.New("exchange: WithClock(nil)")
		}
		o.now = now
		return nil
	}
}

// WithLoadTimeout bounds each upstream load (default DefaultLoadTimeout). Loads do not inherit the
// caller's deadline (they are shared between concurrent callers), so this is what stops a hung upstream.
func WithLoadTimeout(d time.Duration) ClientOption {
	return func(o *clientOptions) error {
		if d <= 0 {
			return fmt.Errorf("exchange: WithLoadTimeout(%v): must be > 0", d)
		}
		o.loadTimeout = d
		return nil
	}
}

// NewClient returns a Client reading through cache from src. The Client does not own either: closing the
// Cache is the caller's job. A nil src or cache, or an invalid option, is an error.
func NewClient(src Source, cache *cachekit.Cache, opts ...ClientOption) (*Client, error) {
	if src == nil {
		return nil, errors.New("exchange: NewClient with a nil Source")
	}
	if cache == nil {
		return nil, errors.New("exchange: NewClient with a nil Cache")
	}
	o := clientOptions{ttl: map[string]time.Duration{}, now: time.Now, loadTimeout: DefaultLoadTimeout}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Client{
		src:         src,
		cache:       cache,
		ttl:         resolveTTLs(o.ttl, cache.KindTTL),
		now:         o.now,
		loadTimeout: o.loadTimeout,
	}, nil
}

// Source returns the client's Source.
func (c *Client) Source() Source { return c.src }

// Cache returns the client's Cache.
func (c *Client) Cache() *cachekit.Cache { return c.cache }

// ClientStats counts a Client's work per kind since it was created.
type ClientStats struct {
	Requests Calls // calls of Ticker, OHLCV, Deals, OrderBook that passed argument validation
	Loads    Calls // upstream calls this client made (misses; concurrent misses of one key share one load)
}

// Stats returns the client's counters. Requests - Loads is the number of requests served without an
// upstream call of their own.
func (c *Client) Stats() ClientStats {
	return ClientStats{Requests: c.requests.snapshot(), Loads: c.loads.snapshot()}
}

// TickerKey returns the relative cache key of a symbol's ticker: "ticker:QRL/USDT".
func TickerKey(symbol string) (string, error) {
	sym, err := NormalizeSymbol(symbol)
	if err != nil {
		return "", err
	}
	return keyspace.Rel(KindTicker, sym)
}

// OHLCVKey returns the relative cache key of a candle series: "ohlcv:QRL/USDT:1d:120".
func OHLCVKey(symbol, timeframe string, limit int) (string, error) {
	_, _, key, err := ohlcvArgs(symbol, timeframe, limit)
	return key, err
}

// DealsKey returns the relative cache key of recent deals: "deals:QRL/USDT:20".
func DealsKey(symbol string, limit int) (string, error) {
	_, key, err := limitArgs(KindDeals, "deals limit", symbol, limit, MaxDealsLimit)
	return key, err
}

// OrderBookKey returns the relative cache key of an order book: "orderbook:QRL/USDT:50".
func OrderBookKey(symbol string, depth int) (string, error) {
	_, key, err := limitArgs(KindOrderBook, "order book depth", symbol, depth, MaxDepth)
	return key, err
}

// ohlcvArgs validates OHLCV arguments and returns the normalized symbol, the timeframe and the key.
func ohlcvArgs(symbol, timeframe string, limit int) (string, Timeframe, string, error) {
	sym, err := NormalizeSymbol(symbol)
	if err != nil {
		return "", "", "", err
	}
	tf, err := ParseTimeframe(timeframe)
	if err != nil {
		return "", "", "", err
	}
	if err := checkLimit("ohlcv limit", limit, MaxOHLCVLimit); err != nil {
		return "", "", "", err
	}
	key, err := keyspace.Rel(KindOHLCV, sym, string(tf), strconv.Itoa(limit))
	return sym, tf, key, err
}

// limitArgs validates a symbol and a limit in 1..max and returns the normalized symbol and the key
// "kind:SYMBOL:limit".
func limitArgs(kind, what, symbol string, limit, max int) (string, string, error) {
	sym, err := NormalizeSymbol(symbol)
	if err != nil {
		return "", "", err
	}
	if err := checkLimit(what, limit, max); err != nil {
		return "", "", err
	}
	key, err := keyspace.Rel(kind, sym, strconv.Itoa(limit))
	return sym, key, err
}

// Ticker returns the symbol's ticker from the cache, or from the Source on a miss (then cached for the
// ticker TTL). An invalid symbol is an error wrapping ErrInvalidSymbol, and no upstream call is made.
func (c *Client) Ticker(ctx context.Context, symbol string) (Ticker, error) {
	sym, err := NormalizeSymbol(symbol)
	if err != nil {
		return Ticker{}, err
	}
	key, err := keyspace.Rel(KindTicker, sym)
	if err != nil {
		return Ticker{}, err
	}
	c.requests.ticker.Add(1)
	return fetch(ctx, c, key, c.ttl[KindTicker], &c.loads.ticker, func(ctx context.Context) (Ticker, error) {
		return c.src.Ticker(ctx, sym)
	})
}

// OHLCV returns up to limit candles (1..MaxOHLCVLimit) of the timeframe, oldest first, from the cache or
// from the Source on a miss. The entry expires at the close of the newest candle (see OHLCVTTL). An
// unknown timeframe is a *TimeframeError; no upstream call is made for invalid arguments. The returned
// slice is the caller's own.
func (c *Client) OHLCV(ctx context.Context, symbol, timeframe string, limit int) ([]Candle, error) {
	sym, tf, key, err := ohlcvArgs(symbol, timeframe, limit)
	if err != nil {
		return nil, err
	}
	ttl := ohlcvTTL(tf, c.now(), c.ttl[KindOHLCV])
	c.requests.ohlcv.Add(1)
	candles, err := fetch(ctx, c, key, ttl, &c.loads.ohlcv, func(ctx context.Context) ([]Candle, error) {
		return c.src.OHLCV(ctx, sym, tf, limit)
	})
	return slices.Clone(candles), err
}

// Deals returns up to limit (1..MaxDealsLimit) recent deals from the cache or from the Source on a miss.
// The returned slice is the caller's own.
func (c *Client) Deals(ctx context.Context, symbol string, limit int) ([]Deal, error) {
	sym, key, err := limitArgs(KindDeals, "deals limit", symbol, limit, MaxDealsLimit)
	if err != nil {
		return nil, err
	}
	c.requests.deals.Add(1)
	deals, err := fetch(ctx, c, key, c.ttl[KindDeals], &c.loads.deals, func(ctx context.Context) ([]Deal, error) {
		return c.src.Deals(ctx, sym, limit)
	})
	return slices.Clone(deals), err
}

// OrderBook returns up to depth (1..MaxDepth) levels per side from the cache or from the Source on a
// miss. The returned slices are the caller's own.
func (c *Client) OrderBook(ctx context.Context, symbol string, depth int) (OrderBook, error) {
	sym, key, err := limitArgs(KindOrderBook, "order book depth", symbol, depth, MaxDepth)
	if err != nil {
		return OrderBook{}, err
	}
	c.requests.orderBook.Add(1)
	ob, err := fetch(ctx, c, key, c.ttl[KindOrderBook], &c.loads.orderBook, func(ctx context.Context) (OrderBook, error) {
		return c.src.OrderBook(ctx, sym, depth)
	})
	ob.Bids, ob.Asks = slices.Clone(ob.Bids), slices.Clone(ob.Asks)
	return ob, err
}

// InvalidateCache deletes every cached kind of one symbol (Cache.ClearSymbol) in the Cache's keyspace,
// leaving other symbols cached, and reports how many entries it deleted. An empty or all-white-space
// symbol is an error wrapping ErrInvalidSymbol that points to InvalidateAll, and deletes nothing: clearing
// everything is never the result of an unset variable. Any other invalid symbol is an error wrapping
// ErrInvalidSymbol too.
func (c *Client) InvalidateCache(ctx context.Context, symbol string) (int, error) {
	if strings.TrimSpace(symbol) == "" {
		return 0, fmt.Errorf("%w: InvalidateCache(%q) needs a symbol such as QRL/USDT; "+
			"to delete every entry of the namespace, call InvalidateAll", ErrInvalidSymbol, symbol)
	}
	sym, err := NormalizeSymbol(symbol)
	if err != nil {
		return 0, err
	}
	return c.cache.ClearSymbol(ctx, sym)
}

// InvalidateAll deletes every entry of the Cache's keyspace (Cache.ClearAll): this bot's namespace and
// version, every kind and symbol, and nothing else (never another namespace, never FLUSHDB). It reports
// how many entries it deleted.
func (c *Client) InvalidateAll(ctx context.Context) (int, error) {
	return c.cache.ClearAll(ctx)
}

// fetch reads key through the cache, loading with load (counted in loads, bounded by the load timeout) on
// a miss.
func fetch[T any](ctx context.Context, c *Client, key string, ttl time.Duration, loads *atomic.Int64,
	load func(context.Context) (T, error)) (T, error) {
	v, err := cachekit.Fetch(ctx, c.cache, key, ttl, func(ctx context.Context) (T, error) {
		loads.Add(1)
		ctx, cancel := context.WithTimeout(ctx, c.loadTimeout)
		defer cancel()
		return load(ctx)
	})
	if err != nil {
		var zero T
		return zero, fmt.Errorf("exchange: %s: %w", key, err)
	}
	return v, nil
}
