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
//	pipeline=adaptive     how single-key calls are sent: adaptive (pipelined only while calls overlap),
//	                      always or off (Options.Pipeline; see Pipelining)
//	auto_pipeline=BOOL    older spelling: true is pipeline=always, false is pipeline=off; given with
//	                      pipeline, the two must agree
//	call_timeout=D        time budget of one call (Options.CallTimeout; default (1+max_retries) × the
//	                      longest of dial_timeout, read_timeout, write_timeout: 1s; see Time budget)
//	breaker_failures=5    consecutive failures that open an endpoint's circuit breaker; 0 turns the
//	                      breakers off (Options.BreakerFailures; see Circuit breaker)
//	breaker_probe=25ms    how often an open breaker checks its endpoint (Options.BreakerProbe)
//
// Durations take a unit ("250ms", "2s"). Context deadlines are always honoured (go-redis'
// ContextTimeoutEnabled), and each retry dials once with a backoff of 8–64 ms, so a stopped Redis costs
// a call about (1+max_retries) failed dials, and an unresponsive one at most its time budget, rather
// than go-redis' default of seconds.
//
// # Time budget
//
// Every call is bounded by one budget, Options.CallTimeout: by default (1 + max_retries) × the longest
// of the dial, read and write timeouts (1 s with the URL defaults: 500 ms timeouts, max_retries=1), the
// whole of go-redis' work for the call included: waiting for a pooled connection, dialing and its
// handshake, retries and their backoff, and on a Cluster the redirects and the node retries. The Store
// gives the call a context deadline that far ahead (unless the caller's context ends sooner); past it
// the call fails with an error wrapping store.ErrUnavailable (not the caller's
// context.DeadlineExceeded, which is reported only when the caller's own deadline ran out). This holds
// for single commands and pipelines alike (GetWithTTL, GetMany, GetManyWithTTL, SetMany, Stats, Ping,
// Delete): without it go-redis retries a timed-out pipeline on a new connection whose handshake times
// out too, about four read timeouts in all. Scan, DeletePattern and a Delete of more than
// Options.DeleteBatch keys on one node make one round trip per page or batch: each round trip has the
// budget (a Cluster's first slot-map load too), the call as a whole only the caller's context. Budget
// reports the figure.
//
// A client given to New: the budget derives from its options the same way (0, no budget of its own,
// when it has no read or write timeout). go-redis applies a context deadline to its sockets only with
// ContextTimeoutEnabled: without it a read already waiting runs to its ReadTimeout, so a call may
// overrun the budget by one read timeout; its pool wait, dials and retries still stop at the deadline.
//
// # Circuit breaker
//
// The Store keeps one circuit breaker per Redis endpoint: the server of a single-node client; the
// master of a Sentinel-managed client (named "master NAME via sentinel ...": it follows failovers, since
// every connection, the probe's included, asks the sentinels for the current master); each node of a
// Cluster, named by its address (so keys on the other masters keep being served while one master's
// breaker is open). It is a go-redis hook on the node's client, so it guards every command sent through
// the client, Client() included, and sees each call once around go-redis' own retries (on a Cluster the
// cluster client's retries and redirects reach the node again and count each).
//
//   - Closed: calls go through. breaker_failures (default 5) consecutive failed calls open it. A
//     failure is a call that got no answer: refused, reset or broken connection, EOF, a timeout, a pool
//     wait that timed out, no sentinel answering, or a call ended by its context's deadline (the
//     budget's or the caller's). Any reply is a success, error replies included (redis.Nil, WRONGTYPE,
//     OOM, MOVED, NOAUTH/NOPERM, LOADING): the server answered at once, so skipping it would save no
//     time. A cancelled call and a closed client count as neither.
//   - Open: every call that needs the endpoint fails at once, without network I/O, with an
//     *store.OpError wrapping a *CircuitOpenError: it matches store.ErrCircuitOpen and
//     store.ErrUnavailable, names the endpoint and carries the failure that opened the breaker. A
//     write refused this way was not sent. Calls already in flight finish within their budget. A
//     probe checks the endpoint every breaker_probe (25 ms): a PING on a connection of its own, dialed
//     as the client dials but outside its pool, kept across checks with one PING outstanding (a
//     paused server answers it the moment it runs again). A reply within four probe intervals (at
//     least 50 ms) moves the breaker to half-open; no caller ever waits for a probe.
//   - Half-open: calls go through; the first success, a caller's or the probe's next PING (sent at
//     once), closes the breaker; the first failure opens it again. A failure of a call that began
//     before the breaker last opened is ignored.
//
// So a breaker closes within about one probe interval plus two round trips of Redis answering again
// (measured: a few ms after a SIGSTOP pause ends, ~20 ms after a restart). Every change is reported to
// the functions registered with WatchBreakers (store.BreakerWatcher) in order, from a goroutine of the
// Store, and Stats.Breakers shows each breaker's state, since when, how often it opened and how many
// calls it refused; Stats answers while breakers are open (the breaker rows come from memory, the server
// figures fail at once).
//
// Why not sony/gobreaker: its open state turns half-open only when its timeout has passed and a real
// request arrives, and that request is the probe: a caller pays the timeout of a still-dead server,
// and each such probe is one more failed dial for go-redis' pool (below). It has no way to report an
// outside probe's result, calls its state-change callback inside the request that caused the change,
// under its mutex, and takes that mutex twice per request. The breaker here costs a few atomic
// operations and one small allocation (the context mark that keeps a connection's handshake from
// counting twice) per call: about 100 ns (BenchmarkBreakerHook), against a GET round trip of tens of
// microseconds (BenchmarkGetBreaker shows no difference beyond the noise).
//
// Pub/sub connections (Subscribe, used by store/tiered's invalidation) stay outside the breaker: they
// have their own loss detection and re-subscribe with backoff. Publish is an ordinary command and goes
// through it.
//
// # go-redis' dial back-off, and what remains
//
// go-redis v9.23's pool has a dial breaker of its own: after PoolSize failed dials (in total: a
// successful dial does not reset the count) every dial fails at once with the last error, until a
// background dial, tried once a second, succeeds. After a Redis restart calls would go on failing for
// up to a second after the server answers. With the breaker on, the hook hands the pool a failed dial
// as a connection whose reads and writes fail with the dial's error: the pool never counts it, the
// caller sees the same error (go-redis retries it as a dial error), and the breaker, which stops calls
// to a dead endpoint, limits the dial rate instead. Measured (TestRecoveryAfterRestart): the first call
// is served ~20 ms after a restarted Redis answers, against ~0.5–0.8 s through go-redis' back-off
// (breaker_failures=0). What remains: dials that go-redis makes outside a call (min_idle_conns
// refilling the pool) fail into the pool as such connections and are dropped at their first use; pub/sub
// connections are dialed the same way and re-subscribe on their own schedule; with the breakers off,
// go-redis' back-off applies as before. A Cluster node that leaves the cluster while its breaker is
// open keeps being probed (one connection, a PING at a time) until the Store is closed. The hook stays on a client given to New after Close (letting
// every command through), so that client keeps the workaround.
//
// # Outcome of a failed write
//
// A Set, SetMany, Add or Delete that failed with store.ErrUnavailable (a timeout, a broken connection)
// may still have been applied, or may be applied later: Redis runs a command it has read even when the
// reply never reaches the caller, and a paused server runs the commands queued on its connections when
// it resumes, after the call has returned its error. The caller must treat the outcome of such a
// write as unknown (read it back, or write again). A write that failed with store.ErrCircuitOpen was
// not sent and was not applied. A write whose call returned the caller's context error is unknown
// likewise.
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
// DeniedError); a call skipped by an open circuit breaker wraps store.ErrCircuitOpen and
// store.ErrUnavailable and names the endpoint (see CircuitOpenError); a cancelled or expired context
// wraps the context's error; a closed Store wraps
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
// (*Store).SetLogger (which cachekit's WithLogger calls on every store and tier) sends the Store's own
// warnings to a *slog.Logger, at Warn, once each: today an eviction policy that was not applied (CONFIG
// SET refused, or the server unreachable at open), logged when SetLogger is called if it happened
// before. It also routes go-redis' lines there; that route is process-wide, so the last SetLogger, of
// any Store or of the package, wins. Credentials never appear in a record.
//
// # Client tracking
//
// Track (store.Tracker) arms Redis client tracking in broadcast mode (Redis 6+) on every master. Each
// master gets a dedicated one-connection RESP2 client derived from the Store's options; its OnConnect
// runs CLIENT ID and CLIENT TRACKING on REDIRECT <its own id> BCAST PREFIX p... before go-redis
// subscribes it to __redis__:invalidate, so every reconnect re-arms by itself. Every write, delete,
// expiry or eviction of a tracked key, by any client, arrives as TrackEvent.Keys; FLUSHALL and FLUSHDB
// arrive as FlushAll. Any re-arm (a reconnect, a silent connection caught by the ping watchdog, a new
// Cluster master found by re-reading CLUSTER SLOTS every 500 ms) arrives as Resync. NOLOOP is not used.
// Behind Sentinel the current master is tracked (Sentinel kills the old master's clients on failover,
// which forces a re-arm; not tested yet). A refused CLIENT TRACKING wraps store.ErrTrackingUnsupported,
// and store.ErrDenied for an ACL denial.
//
// # Pipelining
//
// The single-key calls (Get, GetWithTTL, Set, Add, TTL, and Delete of one key) can go through go-redis'
// auto-pipeliner, which merges the commands of concurrent callers into shared pipelines on its own
// connections; the other calls (GetMany, SetMany, scripts, scans) are sent as without it, only the
// writes among them first wait for abandoned writes of their keys (see Ordering below). Options.Pipeline
// (URL: pipeline=) chooses:
//
//   - PipelineAdaptive, the default (pipeline=adaptive, or no option): a call goes straight to the
//     client when no other single-key call of the Store is in flight, and through the auto-pipeliner
//     while some are (an atomic count of the calls in flight decides). A lone caller pays no hand-off
//     between goroutines and keeps go-redis' plain latency; concurrent callers share batches and get
//     the auto-pipeliner's throughput. Each call takes one path whole (GetWithTTL's GET and PTTL share
//     it), and neither path waits for the other, so no caller is held back by the choice. While any
//     breaker of the Store is open or half-open, calls go straight to the client (except calls of a key
//     with an abandoned write still queued, see Ordering): queued behind a batch that cannot
//     complete, a call would wait out its whole budget before any breaker is asked, while sent
//     directly it is refused at once, as with PipelineOff. A queued call that runs out of its budget
//     counts as a failure of its endpoint's breaker, as a direct call does, so a hung server opens it
//     as fast (about 0.1 s in the chaos suite's pause, against 2.1 s when only batches counted).
//   - PipelineOff (pipeline=off, auto_pipeline=false): every call is a plain command, one round trip
//     each.
//   - PipelineAlways (pipeline=always, Options.AutoPipeline, auto_pipeline=true): every such call is
//     pipelined, even a lone caller's, which makes it slower.
//
// It works on every client type (standalone, Sentinel, Cluster, where batches are split per node).
// Measured side by side at 1, 8 and 50 goroutines in bench (BenchmarkRedisGetGoroutines; figures in
// bench/RESULTS.md). The chaos suite (internal/chaos) runs on the default.
//
// A write the breaker refused was not applied (store.ErrCircuitOpen) on every mode, retries
// included: go-redis' Cluster client retries a command (and a pipelined batch) through the node's
// hooks, so a Set whose first attempt timed out on a paused master can be refused on the retry
// although Redis runs the first attempt when it resumes. Such a refusal is reported as an
// *UnavailableError (outcome unknown), never as ErrCircuitOpen (found by the chaos suite, which then
// read back values written by Sets reported ErrCircuitOpen).
//
// Ordering, in the adaptive mode. A caller's calls made one after another stay in order whatever path
// each takes, because a call returns only once its command has executed: a Set followed by a Get from
// the same goroutine reads its own write. The exception is a call abandoned when its context ended
// while its command was still queued on the auto-pipeliner (see Contexts below): it stays counted in
// flight until the command completes, so the caller's next calls are pipelined too, queued behind it
// on the ordered stream, rather than overtaking it on the direct path; an abandoned write also keeps
// later calls of its key on that stream while a breaker is open. Calls that overlap in time
// have no order between them, on any path, as without pipelining.
//
// Both paths run through the client's hooks, so the circuit breakers see every command (on the
// pipelined path, per batch: ProcessPipelineHook, or ProcessHook when a batch has one command), and
// each call is bounded by its time budget on either path. The adaptive mode obtains the auto-pipeliner
// in New, as PipelineAlways does; over a client that is already closed it stays on the direct path
// (every call fails with store.ErrClosed anyway) instead of failing New.
//
// What changes for a pipelined call, as go-redis (v9.23, where the API is marked experimental) behaves:
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
//     an abandoned write included: a later single-key call of its key queues behind it. A write that
//     goes around the auto-pipeliner (SetMany, a multi-key Delete, DeletePattern, SetIfNewer,
//     DeleteIfValue) first waits, within its own budget, until the writes of its keys abandoned before
//     it began have completed (DeletePattern: of every key its pattern matches, also ones they would
//     create). With Options.AutoPipelineOptions Unordered on the client, the single-key calls of one
//     goroutine may execute out of order; the waits still hold.
//   - Sharing. go-redis keeps one auto-pipeliner per client, shared by everyone who asks for it; the
//     first configuration wins (the client's Options.AutoPipelineOptions, else go-redis' default).
//     The Store never closes it itself: closing the client does (a Store that owns its client closes
//     it on Close). Closing that shared instance by hand makes the Store's calls fail with ErrClosed.
//   - Hooks see the commands inside pipelines (ProcessPipelineHook), or singly when a batch has one.
package redis
