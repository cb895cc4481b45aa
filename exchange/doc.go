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
// its own context ends. Each kind follows the Cache's policy for it (cachekit.DefaultPolicies): a ticker is
// served up to 2 s past its TTL while it refreshes in the background, a last good value is served while
// the exchange fails (flagged stale in cachekit.FetchResult), and after an error the exchange is not asked
// again for that key for a short back-off (1 s for a ticker), which answers with the same error.
//
// # Invalidation
//
// InvalidateCache(ctx, symbol) deletes every cached kind of one symbol in the Cache's keyspace
// (Cache.ClearSymbol); an empty symbol is an error, never "everything". InvalidateAll(ctx) clears the
// whole keyspace (Cache.ClearAll): a bot's namespace holds its exchange data, and clearing "all" of it is
// what the Python original did. Give other data its own namespace if it must survive. Neither ever
// touches another namespace.
//
// # Python interop
//
// The Go service and the Python bot can share one Redis. The JSON form of Ticker, Candle, Deal,
// OrderBook and Level is exactly the CCXT unified shape that the Python bot stores with json.dumps (and
// an encoder turning Decimal into float, datetime into isoformat() and bytes into text):
//
//	ticker     {"symbol", "timestamp", "datetime", "high", "low", "bid", "ask", "last", "open", "close",
//	            "baseVolume", "quoteVolume", "change", "percentage", "info"}
//	ohlcv      [[timestamp, open, high, low, close, volume], ...]
//	deals      [{"id", "timestamp", "datetime", "symbol", "side", "price", "amount", "cost"}, ...]
//	orderbook  {"symbol", "bids": [[price, amount], ...], "asks": [...], "timestamp", "datetime", "nonce"}
//
// A value the Python bot wrote is read as written (the Cache reads envelope-less JSON as such), and what
// Go writes with codec.EncodePlainJSON (the Cache's plain-JSON migration mode) is read by Python's
// json.loads. The rules, for every JSON writer and reader (codec.JSON, codec.EncodePlainJSON,
// encoding/json):
//
//   - Decimals are written as JSON numbers with the decimal's exact digits, never quoted and never
//     through a float: Python reads them as floats, or exactly with parse_float=decimal.Decimal. They are
//     read from JSON numbers or strings, exactly from their text: 0.01234567 is exactly that decimal.
//     null is zero.
//   - A time is written twice, as CCXT does: "timestamp", integer epoch milliseconds (rounded down), and
//     "datetime", the UTC instant as Python's isoformat() writes it ("2024-01-02T03:04:05.123456+00:00",
//     no fraction for a whole second), with nine fraction digits when the time has sub-microsecond
//     digits, so Go loses nothing. In an OHLCV row it is the milliseconds alone. The zero time is null.
//   - A time is read from epoch milliseconds (a JSON number, a fraction giving sub-millisecond digits,
//     or a string of one) or from ISO 8601 text: aware or naive isoformat(), str(datetime) with a space
//     for the "T", CCXT's "…Z". A naive time is UTC; every time is returned in UTC. null, "" and an
//     absent key are the zero time. When both "timestamp" and "datetime" are given, timestamp (CCXT's
//     primary field) wins; datetime only refines it when both name the same millisecond, which keeps the
//     sub-millisecond digits Go wrote. A time that is neither, or outside the years 1 to 9999, is an
//     error, as is an unreadable datetime beside a valid timestamp.
//   - An empty Deal.ID or Side and a zero OrderBook.Nonce are written as null, and read back from null
//     (a numeric id is kept as its text). Nil or empty bids and asks are written as []. Ticker.Info is
//     written as its JSON value (null when nil) and read as compact JSON text (nil for null).
//   - Keys are matched as encoding/json matches them; other keys (CCXT's vwap, previousClose, fee, ...)
//     are ignored, and so are OHLCV row elements after the sixth and level elements after the second.
//   - A value of another shape (an object where a row is expected, a price that is not a decimal) is an
//     error from UnmarshalJSON, which the codec reports as codec.ErrTypeMismatch: the Cache keeps such
//     an entry for the reader that owns it. On error the target is left unchanged.
//
// The msgpack form is the struct form, keyed by the fields' tags, for Go readers only.
//
// # Sources
//
// MEXC (NewMEXC) calls the public Spot v3 endpoints over net/http with typed errors (*APIError,
// ErrRateLimited, ErrBadSymbol, ...), Retry-After-aware bounded retries and timeouts. Synthetic
// (NewSynthetic) is a seeded random walk per symbol with configurable latency that counts its calls, for
// demos and tests; Counted wraps any Source with the same per-kind counters.
package exchange
