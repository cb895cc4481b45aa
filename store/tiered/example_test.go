package tiered_test

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory" // also registers memory://
	"github.com/cachekit/cachekit/store/tiered"
)

// Opening by URL: the nested store URLs are percent-escaped.
func Example_url() {
	l1 := "memory://?max_bytes=64MiB"
	l2 := "memory://" // in production: redis://host:6379/0 (import store/redis)
	s, err := store.Open(context.Background(),
		"tiered://?l1="+url.QueryEscape(l1)+"&l2="+url.QueryEscape(l2)+"&l1_ttl=2s")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ctx := context.Background()
	_ = s.Set(ctx, "qrl:v1:ticker:QRL/USDT", []byte(`{"last":"0.0041"}`), time.Minute)
	v, _ := s.Get(ctx, "qrl:v1:ticker:QRL/USDT")
	fmt.Println(string(v))
	// Output: {"last":"0.0041"}
}

// Composing two stores directly. With a Redis L2 (redis.New or redis.Open), invalidation is on and
// Ready waits for its subscription.
func ExampleNew() {
	l1, _ := memory.New(memory.Options{MaxBytes: 64 << 20})
	l2, _ := memory.New(memory.Options{})
	s, err := tiered.New(l1, l2, tiered.Options{L1MaxTTL: 2 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Println(s.Invalidating()) // a memory L2 is not a store.Broadcaster
	// Output: false
}
