// Package cachekitotel installs go-redis' own OpenTelemetry instrumentation (redisotel) on the Redis
// clients inside a cachekit Cache: the client of a redis:// (Sentinel, Cluster) store, and the L2
// client of a tiered:// store. cachekit adds no tracing layer of its own: the spans and metrics are
// redisotel's: one span per Redis command or pipeline, named after the command ("get", "set",
// "redis.pipeline get pttl"), and metrics after the database semantic conventions: the connection pool
// (db.client.connections.usage, .idle.max, .waits, ...) and each command's time
// (db.client.connections.use_time, a histogram in milliseconds).
//
// Only this package imports OpenTelemetry; a program that does not import it pays nothing.
//
//	c, err := cachekit.Open(ctx, "tiered://?l1=memory%3A%2F%2F&l2=redis%3A%2F%2Flocalhost%3A6379%2F0")
//	...
//	err = cachekitotel.Instrument(c,
//		cachekitotel.WithTracerProvider(tp), cachekitotel.WithMeterProvider(mp))
//
// What redisotel records by default: every command's arguments as the span attribute db.statement
// (keys and the encoded values cachekit writes; AUTH and HELLO ... AUTH are left out), and the caller's
// file and line. Pass WithTracingOptions(redisotel.WithDBStatement(false)) to leave arguments out.
//
// Instrument at startup, right after opening the Cache: a Cluster client is instrumented through
// go-redis' OnNewNode, so node clients it created before (by traffic, or eviction_policy at open) are
// not covered, as with redisotel used directly.
package cachekitotel
