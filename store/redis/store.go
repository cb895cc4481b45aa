package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// Defaults of Options, also those of the URL options scan_count, delete_batch and stats_max_age.
const (
	// DefaultScanCount is the SCAN COUNT hint: keys a node examines per SCAN call.
	DefaultScanCount = 500
	// DefaultDeleteBatch is the most keys one UNLINK carries on a single node.
	DefaultDeleteBatch = 500
	// DefaultStatsMaxAge is how long Stats reuses the INFO figures it read.
	DefaultStatsMaxAge = time.Second
)

// Options tunes a Store built by New. The zero value means "defaults".
type Options struct {
	// CloseClient makes Close also close the client given to New. By default the caller keeps
	// ownership: Close marks the Store closed and leaves the client open. (A Store opened by URL always
	// owns and closes its client.)
	CloseClient bool

	// ScanCount is the COUNT hint sent with SCAN (default DefaultScanCount).
	ScanCount int

	// DeleteBatch caps the keys of one UNLINK on a single node (default DefaultDeleteBatch). On a Cluster
	// keys are deleted with pipelined single-key UNLINKs instead, so no command ever spans slots.
	DeleteBatch int

	// StatsMaxAge is how long Stats reuses the server figures (INFO, DBSIZE) it fetched, so frequent
	// Stats calls stay cheap (default DefaultStatsMaxAge; negative: always fetch). Hits and Misses are
	// always current.
	StatsMaxAge time.Duration

	// AutoPipeline (PipelineAlways) sends every single-key command (Get, GetWithTTL, Set, Add, TTL, and
	// Delete of one key) through the client's auto-pipeliner, which batches concurrent callers'
	// commands into shared pipelines, even a lone caller's, which it makes slower; PipelineAdaptive
	// does so only while calls overlap. The other calls are unchanged. It uses go-redis'
	// experimental deferred face (AsyncAutoPipeline): one instance per client, obtained by New and
	// shared with any other user of that client. See the package documentation for what changes,
	// notably: a call whose context ends returns at once, but its command may still execute.
	AutoPipeline bool

	// Pipeline chooses how the single-key commands are sent (see PipelineMode and the package
	// documentation, "Pipelining"): PipelineAdaptive by default (the zero value), PipelineOff, or
	// PipelineAlways (what AutoPipeline asks for). AutoPipeline means PipelineAlways; with PipelineOff
	// it is an error.
	Pipeline PipelineMode

	// BreakerFailures is how many consecutive failed calls at one endpoint open its circuit breaker
	// (default DefaultBreakerFailures; negative: no breakers, and go-redis' own dial back-off stays as
	// it is). See the package documentation, "Circuit breaker".
	BreakerFailures int

	// BreakerProbe is how often an open breaker checks whether its endpoint answers again (default
	// DefaultBreakerProbe).
	BreakerProbe time.Duration

	// CallTimeout is the time budget of one call: past it the call fails with store.ErrUnavailable,
	// whatever go-redis' retries would still try. Default (0): (1 + MaxRetries) × the longest of the
	// client's dial, read and write timeouts (1 s with the URL defaults); negative: none, only the
	// caller's context and the client's own timeouts bound a call. See the package documentation,
	// "Time budget".
	CallTimeout time.Duration
}

// Store is the Redis implementation of store.Store over a go-redis v9 UniversalClient: a single node, a
// Sentinel-managed master (failover client) or a Cluster. It is safe for concurrent use.
type Store struct {
	client  goredis.UniversalClient
	cluster *goredis.ClusterClient // non-nil when client is a Cluster client
	ap      *goredis.AutoPipeliner // non-nil unless the Pipeline mode is off; closed with the client
	adapt   *adaptive              // non-nil in PipelineAdaptive (autopipeline.go)
	queued  *queuedWrites          // non-nil with ap: writes abandoned on it (queued.go)
	opts    Options
	owns    bool   // Close closes client
	desc    string // String(), credentials redacted
	// endpoint names the configured address(es) in errors when the failing node is not known.
	endpoint string
	// budget bounds each call (see bound); 0: only ctx bounds them.
	budget time.Duration
	// breakers is nil when Options.BreakerFailures is negative.
	breakers *breakerSet

	closed       atomic.Bool
	hits, misses atomic.Int64

	statsMu    sync.Mutex
	statsAt    time.Time   // when serverStats was fetched
	statsCache serverStats // last INFO/DBSIZE figures

	policyNote atomic.Pointer[string] // set by EnsureEvictionPolicy when the server refused
	log        storeLog               // SetLogger's logger and what it logged (logger.go)
}

// New returns a Store over a client the caller already has: a *goredis.Client (standalone or from
// NewFailoverClient) or a *goredis.ClusterClient. It does no I/O. Ownership: the client stays the
// caller's unless opts.CloseClient is set; the caller must not close it while the Store is in use (calls
// would then fail with store.ErrClosed). The client's own timeouts and retries apply; see the package
// documentation for the values cachekit recommends. Unless the mode is PipelineOff, New also
// obtains the client's auto-pipeliner (still no I/O), and fails if its AutoPipelineOptions do not suit
// go-redis' deferred face, or, with PipelineAlways, if the client is closed. A *goredis.Ring is
// rejected: its shards are independent servers, which SCAN-based DeletePattern cannot cover.
//
// Unless opts.BreakerFailures is negative, New adds a hook to the client (to each node client of a
// Cluster, through ClusterClient.OnNewNode: nodes the client created before New get none) that puts the
// circuit breakers in front of every command sent through it, the caller's own included, and works
// around go-redis' dial back-off (see the package documentation). After Close the hook lets every
// command through; it stays on the client.
func New(client goredis.UniversalClient, opts Options) (*Store, error) {
	if client == nil {
		return nil, errors.New("redis: New: nil client")
	}
	desc, endpoint := describe(client)
	if desc == "" {
		return nil, fmt.Errorf("redis: New: unsupported client type %T (want *redis.Client or *redis.ClusterClient)", client)
	}
	return newStore(client, opts, opts.CloseClient, desc, endpoint)
}

func newStore(client goredis.UniversalClient, opts Options, owns bool, desc, endpoint string) (*Store, error) {
	if opts.ScanCount < 0 || opts.DeleteBatch < 0 {
		return nil, fmt.Errorf("redis: ScanCount (%d) and DeleteBatch (%d) must not be negative", opts.ScanCount, opts.DeleteBatch)
	}
	if opts.BreakerProbe < 0 {
		return nil, fmt.Errorf("redis: BreakerProbe (%v) must not be negative", opts.BreakerProbe)
	}
	if opts.BreakerFailures == 0 {
		opts.BreakerFailures = DefaultBreakerFailures
	}
	if opts.BreakerProbe == 0 {
		opts.BreakerProbe = DefaultBreakerProbe
	}
	if opts.ScanCount == 0 {
		opts.ScanCount = DefaultScanCount
	}
	if opts.DeleteBatch == 0 {
		opts.DeleteBatch = DefaultDeleteBatch
	}
	if opts.StatsMaxAge == 0 {
		opts.StatsMaxAge = DefaultStatsMaxAge
	}
	s := &Store{client: client, opts: opts, owns: owns, desc: desc, endpoint: endpoint}
	s.cluster, _ = client.(*goredis.ClusterClient)
	switch {
	case opts.CallTimeout > 0:
		s.budget = opts.CallTimeout
	case opts.CallTimeout == 0:
		s.budget = clientBudget(client)
	}
	mode, err := pipelineMode(opts)
	if err == nil {
		err = s.setPipeline(mode)
	}
	if err != nil {
		return nil, err
	}
	if opts.BreakerFailures > 0 {
		s.breakers = newBreakerSet(opts.BreakerFailures, opts.BreakerProbe)
		s.breakers.install(client, endpoint)
	}
	return s, nil
}

// describe returns a credential-free description and endpoint of a client, or "" for an unsupported type.
func describe(client goredis.UniversalClient) (desc, endpoint string) {
	switch c := client.(type) {
	case *goredis.ClusterClient:
		endpoint = strings.Join(c.Options().Addrs, ",")
		return "redis cluster " + endpoint, endpoint
	case *goredis.Client:
		o := c.Options()
		endpoint = o.Addr
		if endpoint == "FailoverClient" { // what NewFailoverClient puts in Addr; the master is found via Sentinel
			endpoint = "sentinel-managed master"
		}
		return fmt.Sprintf("redis %s db %d", endpoint, o.DB), endpoint
	}
	return "", ""
}

// Client returns the underlying go-redis client, for commands cachekit does not wrap. Closing it is the
// owner's business (see New).
func (s *Store) Client() goredis.UniversalClient { return s.client }

// String describes the store ("redis redis://user:xxxxx@host:6379/0"); it never contains a password.
func (s *Store) String() string { return s.desc }

// Ping checks that every node answers PING (every master of a Cluster, concurrently; the master behind
// Sentinel), as store.Pinger describes. Opening a Store does not contact Redis, so a service can start
// while Redis is down; call Ping to fail fast instead. It honours ctx and is bounded by the client's
// timeouts and retries (about (1+max_retries) dial or read timeouts on a dead server). A failure is an
// *store.OpError with op "ping" wrapping store.ErrUnavailable (unreachable or silent; the message names
// the node) or store.ErrDenied (wrong or missing password, or an ACL user not allowed to PING; see
// DeniedError), store.ErrClosed after Close, or ctx's error.
func (s *Store) Ping(ctx context.Context) error {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "ping", ""); err != nil {
		return err
	}
	bctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.forEachNode(bctx, func(ctx context.Context, node goredis.Cmdable) error {
		return node.Ping(ctx).Err()
	})
	if err != nil {
		return s.opErr(ctx, "ping", "", err)
	}
	return nil
}

// Close marks the store closed (every later call fails with store.ErrClosed) and closes the client when
// the Store owns it (opened by URL, or New with Options.CloseClient); closing the client also flushes
// and stops its auto-pipeliner. A client the caller kept is left open with its auto-pipeliner, which
// go-redis shares among all its users and the client's Close stops. It is idempotent.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if s.breakers != nil {
		s.breakers.close()
	}
	if s.owns {
		if err := s.client.Close(); err != nil && !errors.Is(err, goredis.ErrClosed) {
			return &store.OpError{Op: "close", Backend: backendName, Err: err}
		}
	}
	return nil
}

// WatchBreakers registers fn for every later state change of the Store's circuit breakers
// (store.BreakerWatcher): it is called once per change, in order per breaker, from a goroutine of the
// Store, never inside a caller's call; fn must not block (the changes of every breaker wait for it).
// Changes made before Close are still delivered; after Close, or with the breakers off
// (Options.BreakerFailures < 0), fn is never called.
func (s *Store) WatchBreakers(fn func(store.BreakerChange)) {
	if s.breakers != nil {
		s.breakers.watch(fn)
	}
}

var (
	_ store.Store          = (*Store)(nil)
	_ store.Pinger         = (*Store)(nil)
	_ store.BreakerWatcher = (*Store)(nil)
)
