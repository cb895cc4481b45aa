package cachekitotel

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"weak"

	"github.com/redis/go-redis/extra/redisotel/v9"
	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/redis"
)

// ErrNoRedis is matched (errors.Is) by the error Instrument returns when the cache holds no Redis
// store (a memory:// cache, or a tiered one over two in-process stores): there is nothing to
// instrument, which is most likely a configuration mistake, so it is reported rather than ignored. A
// program that runs either way can test for it and carry on.
var ErrNoRedis = errors.New("cachekitotel: no Redis store to instrument")

// Instrument installs redisotel tracing and metrics on every Redis client in c: that of c.Store()
// when it is a store/redis Store, and, through store.Composite (the tiered store), that of every tier,
// at any depth. With no options it uses OpenTelemetry's global tracer and meter providers, as redisotel
// does.
//
// A client is instrumented once per process: calling Instrument again, or on another Cache whose store
// shares the client (redis.New over the same *goredis.Client), adds nothing, and the options of the
// first call stay in force. Instrument returns an error wrapping ErrNoRedis, naming the store, when c
// holds no Redis store, and redisotel's error, naming the store, when it refuses a client.
func Instrument(c *cachekit.Cache, opts ...Option) error {
	if c == nil {
		return errors.New("cachekitotel: Instrument with a nil Cache")
	}
	return InstrumentStore(c.Store(), opts...)
}

// InstrumentStore is Instrument for a store.Store used without a Cache (store.Open, redis.New,
// tiered.New): the same walk, the same rules.
func InstrumentStore(s store.Store, opts ...Option) error {
	if s == nil {
		return errors.New("cachekitotel: InstrumentStore with a nil store")
	}
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	found := 0
	var errs []error
	walk(s, func(rs *redis.Store) {
		found++
		if err := instrumentClient(rs.Client(), &cfg); err != nil {
			errs = append(errs, fmt.Errorf("cachekitotel: instrumenting %s: %w", rs, err))
		}
	})
	if found == 0 {
		return fmt.Errorf("%w: %s (%T) holds no store/redis Store", ErrNoRedis, describe(s), s)
	}
	return errors.Join(errs...)
}

// walk calls fn for every *redis.Store in s and its tiers, outermost first.
func walk(s store.Store, fn func(*redis.Store)) {
	switch s := s.(type) {
	case *redis.Store:
		fn(s)
	case store.Composite:
		for _, tier := range s.Tiers() {
			if tier != nil {
				walk(tier, fn)
			}
		}
	}
}

// describe names a store for messages; stores' String methods redact credentials.
func describe(s store.Store) string {
	if str, ok := s.(fmt.Stringer); ok {
		return str.String()
	}
	return "store"
}

// instrumented records the clients already instrumented, by weak pointer so that a closed and
// dropped client is forgotten (a cleanup removes its entry) rather than kept alive by this package.
var instrumented = struct {
	sync.Mutex
	clients map[any]bool
}{clients: map[any]bool{}}

// instrumentClient installs redisotel on client unless it was done before.
func instrumentClient(client goredis.UniversalClient, cfg *config) error {
	instrumented.Lock()
	defer instrumented.Unlock()
	var first bool
	switch c := client.(type) {
	case *goredis.Client:
		first = record(c)
	case *goredis.ClusterClient:
		first = record(c)
	default:
		return fmt.Errorf("unsupported client type %T", client)
	}
	if !first {
		return nil
	}
	var errs []error
	if !cfg.noTracing {
		errs = append(errs, redisotel.InstrumentTracing(client, cfg.tracing...))
	}
	if !cfg.noMetrics {
		errs = append(errs, redisotel.InstrumentMetrics(client, cfg.metrics...))
	}
	return errors.Join(errs...)
}

// record notes c as instrumented and reports whether it is new; its entry leaves when c is collected.
// It is recorded before anything is installed: a hook that went in must never go in twice, even when
// the other part failed. The caller holds instrumented's lock.
func record[T any](c *T) bool {
	key := weak.Make(c)
	if instrumented.clients[key] {
		return false
	}
	instrumented.clients[key] = true
	runtime.AddCleanup(c, func(k weak.Pointer[T]) {
		instrumented.Lock()
		delete(instrumented.clients, k)
		instrumented.Unlock()
	}, key)
	return true
}
