package cachekit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
)

// WriteThrough: a successful source write updates the cache; a refused one leaves the cache as it was;
// one whose outcome is unknown (or that panics) leaves no cached value behind. On every policy backend.
func TestWriteThrough(t *testing.T) {
	ctx := context.Background()
	forEachPolicyStore(t, cachekit.Policy{}, func(t *testing.T, c *cachekit.Cache, clock *fakeClock) {
		source := map[string]int{}
		ok := func(_ context.Context, v int) error { source["balance:X"] = v; return nil }
		if err := cachekit.WriteThrough(ctx, c, "balance:X", 1, time.Minute, ok); err != nil {
			t.Fatal(err)
		}
		var got int
		if err := c.Get(ctx, "balance:X", &got); err != nil || got != 1 || source["balance:X"] != 1 {
			t.Fatalf("after a successful write-through: cache %d (%v), source %d", got, err, source["balance:X"])
		}
		refused := errors.New("insufficient funds")
		err := cachekit.WriteThrough(ctx, c, "balance:X", 2, time.Minute, func(context.Context, int) error { return refused })
		if !errors.Is(err, refused) {
			t.Fatalf("refused write = %v", err)
		}
		if err := c.Get(ctx, "balance:X", &got); err != nil || got != 1 {
			t.Fatalf("after a refused write the cache holds %d (%v); want it as it was (1)", got, err)
		}
		for name, write := range map[string]func(context.Context, int) error{
			"unknown": func(context.Context, int) error {
				return fmt.Errorf("timeout after send: %w", cachekit.ErrOutcomeUnknown)
			},
			"deadline": func(context.Context, int) error { return context.DeadlineExceeded },
			"panic":    func(context.Context, int) error { panic("driver bug") },
		} {
			if err := c.Set(ctx, "balance:X", 1, time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := cachekit.WriteThrough(ctx, c, "balance:X", 3, time.Minute, write); err == nil {
				t.Fatalf("%s: write-through reported success", name)
			}
			if ok, _ := c.Exists(ctx, "balance:X"); ok {
				t.Fatalf("%s: a value stayed cached after a write of unknown outcome", name)
			}
		}
		if err := cachekit.WriteThrough(ctx, c, "balance:X", 1, -time.Second, ok); !errors.Is(err, cachekit.ErrInvalidTTL) {
			t.Fatalf("negative TTL: %v", err)
		}
	})
}
