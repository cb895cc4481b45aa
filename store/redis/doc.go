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
// wrapping store.ErrInvalidURL that names the option.
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
// wraps store.ErrUnavailable and names the address (see UnavailableError); a cancelled or expired context
// wraps the context's error; a closed Store wraps store.ErrClosed; an OOM refusal under noeviction wraps
// store.ErrNotStored.
package redis
