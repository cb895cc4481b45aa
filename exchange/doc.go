// Package exchange is a cached market-data client for a trading bot: ticker, candles (OHLCV), recent
// deals and the order book of a symbol such as "QRL/USDT", read from a Source (the MEXC Spot v3 REST API,
// or a deterministic synthetic market) through a *cachekit.Cache, so the exchange is called only when the
// cached value is missing or expired. Prices and sizes are shopspring decimals end to end: the string
// "0.00012345" that MEXC sends is the string a caller reads back, through either codec.
//
// # Keys
//
// A Client stores each answer under a relative key of the Cache's keyspace (namespace and version are the
// Cache's), exactly as the Python bot did:
//
//	ticker:QRL/USDT
//	ohlcv:QRL/USDT:1d:120        symbol, timeframe, limit
//	deals:QRL/USDT:20            symbol, limit
//	orderbook:QRL/USDT:50        symbol, depth
//
// Symbols are "BASE/QUOTE" of letters and digits; they are upper-cased before use, so "qrl/usdt" and
// "QRL/USDT" share one entry. Keys are built with keyspace.Rel, so every segment is validated.
//
// # TTLs
//
// Each kind has a TTL: ticker 5s, ohlcv 86400s, deals 10s, orderbook 5s by default. A TTL configured on
// the Cache for the kind (cachekit.WithKindTTL, or REDIS_CACHE_TTL_TICKER, REDIS_CACHE_TTL_OHLCV,
// REDIS_CACHE_TTL_DEALS, REDIS_CACHE_TTL_ORDERBOOK through cachekit.Config) replaces the default, and a
// ClientOption WithTTL replaces both. The Cache's default TTL (REDIS_CACHE_TTL) is not used for these
// kinds: each has a default of its own.
//
// Candles are special: closed candles never change, but the newest one is still forming, so caching a 1d
// series for 24 hours would freeze today's candle. An OHLCV entry therefore expires at the close of the
// newest candle, the next UTC boundary of its timeframe after now (the next minute for 1m, the next
// multiple of 4 hours since UTC midnight for 4h, the next UTC midnight for 1d, the next Monday 00:00 UTC
// for 1w, the first of the next month for 1M), capped by the OHLCV TTL and never shorter than MinOHLCVTTL
// (1s), so a request just before a boundary does not cache for zero time. The TTL is computed when the
// request starts, so the entry outlives the boundary by at most the upstream latency. The clock is
// injectable (WithClock) for tests.
//
// # Loading
//
// Client methods use cachekit.Fetch: concurrent identical requests in one process share one upstream call
// (singleflight). The upstream call runs under its own timeout (WithLoadTimeout, default 30s), not the
// caller's context, so a caller that gives up does not fail the others; a caller still stops waiting when
// its own context ends. Errors are never cached.
//
// # Invalidation
//
// InvalidateCache(ctx, symbol) deletes every cached kind of one symbol in the Cache's keyspace
// (Cache.ClearSymbol). InvalidateCache(ctx, "") clears the whole keyspace (Cache.ClearAll): a bot's
// namespace holds its exchange data, and clearing "all" of it is what the Python original did. Give other
// data its own namespace if it must survive. Neither ever touches another namespace.
//
// # Sources
//
// MEXC (NewMEXC) calls the public Spot v3 endpoints over net/http with typed errors (*APIError,
// ErrRateLimited, ErrBadSymbol, ...), Retry-After-aware bounded retries and timeouts. Synthetic
// (NewSynthetic) is a seeded random walk per symbol with configurable latency that counts its calls, for
// demos and tests; Counted wraps any Source with the same per-kind counters.
package exchange
