package redis_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/redis"
)

// Opening by URL: the Store owns its client. Timeouts and retries default to values that keep a dead
// Redis from stalling callers; the eviction policy is applied if the server allows it.
func ExampleOpen() {
	ctx := context.Background()
	s, err := redis.Open(ctx, "redis://localhost:6379/0?read_timeout=250ms&eviction_policy=allkeys-lru")
	if err != nil {
		log.Fatal(err) // wraps store.ErrInvalidURL and names the problem; never shows the password
	}
	defer s.Close()

	if err := s.Set(ctx, "qrl:v1:ticker:QRL/USDT", []byte(`{"last":"0.0021"}`), time.Minute); err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			log.Printf("cache down, carrying on without it: %v", err) // names the address that failed
		}
	}
	st, _ := s.Stats(ctx)
	if st.PolicyNote != "" {
		log.Printf("eviction policy: %s", st.PolicyNote) // e.g. CONFIG refused on a managed Redis
	}
}

// Wrapping a client the application already has. The Store leaves the client to its owner unless
// Options.CloseClient is set.
func ExampleNew() {
	client := goredis.NewClusterClient(&goredis.ClusterOptions{
		Addrs:                 []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"},
		DialTimeout:           redis.DefaultDialTimeout,
		ReadTimeout:           redis.DefaultReadTimeout,
		WriteTimeout:          redis.DefaultWriteTimeout,
		MaxRetries:            redis.DefaultMaxRetries,
		ContextTimeoutEnabled: true,
	})
	defer client.Close()

	s, err := redis.New(client, redis.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	fmt.Println(s) // redis cluster 10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000
}

// Watching the circuit breakers: one per endpoint (per node of a Cluster). The function runs on a
// goroutine of the Store, once per change, in order; while a breaker is open calls fail at once with an
// error matching store.ErrCircuitOpen (and store.ErrUnavailable).
func ExampleStore_WatchBreakers() {
	ctx := context.Background()
	s, err := redis.Open(ctx, "redis://localhost:6379/0?breaker_failures=5&breaker_probe=25ms")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	s.WatchBreakers(func(c store.BreakerChange) {
		log.Printf("redis %s: breaker %v -> %v (cause: %v)", c.Endpoint, c.From, c.To, c.Cause)
	})
	if _, err := s.Get(ctx, "qrl:v1:ticker:QRL/USDT"); errors.Is(err, store.ErrCircuitOpen) {
		log.Printf("skipped without waiting: %v", err) // names the endpoint
	}
}
