package chaos

import (
	"time"

	"github.com/cachekit/cachekit"
)

// The workload's shape: issue 12's table was measured with 12 goroutines of mixed Get/Set/Fetch with a
// 20 ms loader and GetMany, over default URL options.
const (
	workers     = 12
	loaderDelay = 20 * time.Millisecond
)

// The Redis budgets, written out in the URL (redisOptions) with store/redis's default values, so that
// every bound below follows from what the URL says (store/redis/doc.go: "an unresponsive [server costs
// a call] about (1+max_retries) timeouts", each retry dialling once after an 8–64 ms backoff).
const (
	dialTimeout  = 500 * time.Millisecond
	readTimeout  = 500 * time.Millisecond
	writeTimeout = 500 * time.Millisecond
	maxRetries   = 1
	retryBackoff = 64 * time.Millisecond // the most one retry waits before dialling

	redisOptions = "dial_timeout=500ms&read_timeout=500ms&write_timeout=500ms&max_retries=1"
)

// The tiered backend: a memory L1 with a short lifetime (so the fault outlasts it) and the fail-safe
// window that lets L1 serve its copies while L2 fails.
const (
	l1TTL      = time.Second
	l1FailSafe = 10 * time.Second
)

// Fetch's policy for the workload's keys: fresh for fetchTTL, then served stale for up to fetchSWR while
// one background refresh replaces it. hotTTL is the fresh TTL of the hot keys, long enough that only a
// fault (not expiry) can make them miss.
const (
	fetchTTL = time.Second
	fetchSWR = 500 * time.Millisecond
	hotTTL   = time.Minute
)

// Margins for a shared 2-core machine under -race: the bounds are budgets plus these. They are
// generous on purpose: a bound catches a call waiting for a budget it should not wait for (a second
// timeout, a dial back-off of seconds), not scheduling jitter.
const (
	callMargin  = 500 * time.Millisecond
	fetchMargin = 250 * time.Millisecond
	// p99Margin is what the Fetch p99 may exceed its goal by (the 20 ms sleep itself overshoots under
	// load).
	p99Margin = 40 * time.Millisecond
	// normalMargin is what the time to normal may exceed its goal by.
	normalMargin = 200 * time.Millisecond
	// staleSlack is how far past its window a stale value may be judged (clock reads and scheduling
	// between the store's check and ours).
	staleSlack = 150 * time.Millisecond
)

// Goals and bounds. A goal is the target; a bound is what every single call must meet.
var (
	// fetchGoal is issue 12's "Fetch p99 ≤ loader latency + 50 ms". (A single Fetch may wait up to
	// cachekit.DefaultFetchReadTimeout for the store, 100 ms now; the p99 meets the goal because the
	// breaker soon makes the store fail at once.)
	fetchGoal = loaderDelay + 50*time.Millisecond
	// fetchBound is what every single Fetch must meet: its store read (≤ the read share), then, when
	// that read was a miss, the load's double-check of the store (≤ the read share again, cachekit's
	// fetch.go: "bounded like that read"), then the loader; or a join of a load already running.
	fetchBound = loaderDelay + 2*cachekit.DefaultFetchReadTimeout + fetchMargin
	// callGoal: "any call through a pipeline ≤ (1 + retries) × timeout, as documented", for a server
	// that accepts connections but does not answer (paused, sleeping).
	callGoal = (1+maxRetries)*readTimeout + maxRetries*retryBackoff
	// callBound is what every Get, Set and GetMany must meet under every fault: each attempt may also
	// spend a dial timeout (lost SYNs, a restarting server).
	callBound = (1+maxRetries)*(dialTimeout+readTimeout) + maxRetries*retryBackoff + callMargin
	// statsBound: Stats bounds its server part by cachekit.DefaultStatsTimeout.
	statsBound = cachekit.DefaultStatsTimeout + callMargin
	// normalGoal: "normal within 100 ms of Redis answering".
	normalGoal = 100 * time.Millisecond
)
