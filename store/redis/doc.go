// Package redis is cachekit's Redis backend: a store.Store over a go-redis v9 client, for a single
// server, a Sentinel-managed master or a Cluster.
//
// # Opening
//
// Importing the package registers its URL schemes with store.Register, so store.Open (and the root
// package's cachekit.Open) accept:
//
//	redis://[user:pass@]host[:6379][/db]              one server
//	rediss://[user:pass@]host[:6379][/db]             one server over TLS, certificate verified (skip_verify=true to disable)
//	unix://[user:pass@]/path/to/redis.sock[?db=N]     one server over a Unix socket
//	redis+sentinel://[user:pass@]sentinel[:26379]/mastername[/db][?addr=sentinel2:port...]
//	rediss+sentinel://...                             the same over TLS
//	redis+cluster://[user:pass@]host1:port[?addr=host2:port...]
//	rediss+cluster://...                              the same over TLS
//
// On a Sentinel URL the user info authenticates to the master and replicas; add sentinel_auth=true when
// the sentinels require the same credentials. Credentials never appear in an error, in String() or in
// Stats.
//
// A Store built with New uses a client the caller already has, and leaves its ownership with the caller
// unless Options.CloseClient is set. A Store opened by URL owns its client and closes it on Close.
// Opening does not contact Redis (unless eviction_policy is given), so a service can start while Redis is
// down; Ping checks reachability.
//
// # URL options
//
// cachekit reads these options and removes them before the rest of the query goes to go-redis'
// ParseURL / ParseClusterURL / ParseFailoverURL, which accept their documented options (client_name,
// protocol, min_idle_conns, skip_verify, db, ...) and reject unknown ones; every rejection is an error
// wrapping store.ErrInvalidURL that names the option. Every option, ours or go-redis', is given at most
// once (addr, on Cluster and Sentinel URLs, may repeat): go-redis would silently keep the last value, so
// "?db=3&db=4" is an error, and so is a database in the path that the db option contradicts ("/5?db=7";
// "/5?db=5" is accepted). A Cluster URL takes no database at all. A URL that does not parse is reported
// with url.Parse's reason (bad port, invalid escape) and the password redacted (store.ParseURL).
//
//	dial_timeout=500ms    time to establish a connection (DefaultDialTimeout)
//	read_timeout=500ms    time to wait for a reply (DefaultReadTimeout)
//	write_timeout=500ms   time to write a command (DefaultWriteTimeout)
//	pool_timeout=1s       time to wait for a free connection when all are busy (DefaultPoolTimeout)
//	max_retries=1         retries of a failed call, 0 for none (DefaultMaxRetries)
//	pool_size=N           connections per node (default go-redis': 10 per GOMAXPROCS)
//	eviction_policy=P     apply maxmemory-policy P at open (see EnsureEvictionPolicy); a refusal does not
//	                      fail the open, it is reported in Stats.PolicyNote
//	scan_count=500        SCAN COUNT hint (Options.ScanCount)
//	delete_batch=500      keys per UNLINK (Options.DeleteBatch)
//	stats_max_age=1s      how long Stats reuses INFO figures; 0 to always fetch (Options.StatsMaxAge)
//	sentinel_auth=false   Sentinel URLs only: send the user info to the sentinels too
//	auto_pipeline=false   batch concurrent single-key calls (Options.AutoPipeline; see Auto-pipelining)
//
// Durations take a unit ("250ms", "2s"). Context deadlines are always honoured (go-redis'
// ContextTimeoutEnabled), and each retry dials once with a backoff of 8–64 ms, so a stopped Redis costs
// a call about (1+max_retries) failed dials, and an unresponsive one about (1+max_retries) timeouts,
// rather than go-redis' default of seconds.
//
// # Behaviour
//
// Get is GET, Set is SET with PX (EX when the TTL is whole seconds, as go-redis sends it), Add is the
// same with NX, TTL is PTTL and Delete is UNLINK. GetMany is one MGET on a single node and pipelined
// GETs grouped by node on a Cluster (one round trip per node, never CROSSSLOT); SetMany is one pipeline.
// Scan and DeletePattern run SCAN MATCH on every master, never KEYS; the pattern is a Redis glob passed
// as is (escape user text with package keyspace). DeletePattern deletes each SCAN page as it goes with
// UNLINK, in batches that never span slots. Nothing in this package sends KEYS, FLUSHDB or FLUSHALL.
//
// Errors are *store.OpError values: a miss wraps store.ErrNotFound; an unreachable or unresponsive server
// wraps store.ErrUnavailable and names the address (see UnavailableError); a refused password (WRONGPASS,
// NOAUTH) or an ACL denial (NOPERM) wraps store.ErrDenied and names the address, never the password (see
// DeniedError); a cancelled or expired context wraps the context's error; a closed Store wraps
// store.ErrClosed; an OOM refusal under noeviction wraps store.ErrNotStored; the empty key is refused
// with store.ErrInvalidKey before anything is sent (store.CheckKey).
//
// # Logging
//
// The package writes nothing to stderr or anywhere else. go-redis logs pool and connection failures
// through one process-wide logger (stderr by default, with no per-client option in v9.23); importing
// this package replaces it, once, with one that drops those lines. SetLogger routes them to a
// *slog.Logger instead. This applies to every go-redis client of the process.
//
// # Auto-pipelining
//
// With Options.AutoPipeline (URL: auto_pipeline=true) the single-key calls (Get, GetWithTTL, Set, Add,
// TTL, and Delete of one key) go through go-redis' auto-pipeliner, which merges the commands of
// concurrent callers into shared pipelines on its own connection pool. The other calls are unchanged.
// It works on every client type (standalone, Sentinel, Cluster, where batches are split per node).
// It pays off only under concurrency: with many concurrent callers it multiplies throughput, with a few
// or one it makes each call slower, because every batch is handed between goroutines. That cost is
// go-redis' auto-pipeliner's own (used directly it measures the same), not the Store's. The measured
// figures, and where the break-even lay, are in bench/RESULTS.md in the repository ("Recorded by hand:
// Redis auto-pipelining").
//
// What changes, as go-redis (v9.23, where the API is marked experimental) behaves:
//
//   - Contexts. go-redis runs a queued command on its own context and waits for the batch whatever
//     the caller's context says. The Store waits on the caller's context instead (the deferred face,
//     AsyncAutoPipeline, awaited with AutoFuture.WaitContext), so a call returns its context's error
//     as soon as the context ends; but the command stays queued and may still execute: a Set, Add or
//     Delete whose call reported context.Canceled can take effect afterwards.
//   - Timeouts. A stopped Redis fails a call as fast as without auto-pipelining. An unresponsive one
//     costs more, though still a bounded multiple of the configured timeouts: go-redis' default runs
//     one batch at a time, so a call may first wait for the batch ahead of its own, and a batch that
//     times out is retried whole (max_retries) on a new connection, whose handshake can time out
//     too; lowering max_retries shortens it (figures in bench/RESULTS.md). The error is
//     ErrUnavailable naming the address, as always; give calls a context deadline where latency
//     matters, since that is honoured at once.
//   - Retries. A batch broken by a network error is retried whole (max_retries), as pipelines are:
//     Set and Delete are idempotent, but an Add retried after Redis had run it reports false.
//   - Ordering. With go-redis' default (one ordered stream) one goroutine's calls execute in order,
//     an abandoned write included. Options.AutoPipelineOptions with Unordered on the client drops that.
//   - Sharing. go-redis keeps one auto-pipeliner per client, shared by everyone who asks for it; the
//     first configuration wins (the client's Options.AutoPipelineOptions, else go-redis' default).
//     The Store never closes it itself: closing the client does (a Store that owns its client closes
//     it on Close). Closing that shared instance by hand makes the Store's calls fail with ErrClosed.
//   - Hooks see the commands inside pipelines (ProcessPipelineHook), or singly when a batch has one.
package redis
