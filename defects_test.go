package cachekit_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
)

// TestHardeningDefects reproduces, with the API as it was, seven defects of the hardening issue; it was
// run against the commit before the fixes (0a6b59a), where every subtest failed, and passes now. The
// panics run in a child process so that the old behaviour (a crash) fails the subtest, not the binary.
func TestHardeningDefects(t *testing.T) {
	ctx := context.Background()
	t.Run("1-loader-panic", func(t *testing.T) {
		if os.Getenv("OLD_PANIC_CHILD") == "1" {
			c := newCache(t)
			_, err := cachekit.Fetch(ctx, c, "ticker:P", 0, func(context.Context) (int, error) { panic("boom") })
			t.Logf("returned: %v", err)
			return
		}
		cmd := exec.Command(os.Args[0], "-test.run=TestHardeningDefects/1-loader-panic")
		cmd.Env = append(os.Environ(), "OLD_PANIC_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the process died: %v\n%s", err, strings.Split(string(out), "\n")[0])
		}
	})
	t.Run("2-two-types", func(t *testing.T) {
		if os.Getenv("OLD_TYPES_CHILD") == "1" {
			c := newCache(t)
			in := make(chan struct{})
			rel := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				cachekit.Fetch(ctx, c, "d:T", 0, func(context.Context) (map[string]int, error) { close(in); <-rel; return map[string]int{"a": 1}, nil })
			}()
			<-in
			go func() { time.Sleep(20 * time.Millisecond); close(rel) }()
			cachekit.Fetch(ctx, c, "d:T", 0, func(context.Context) (string, error) { return "b", nil })
			wg.Wait()
			return
		}
		cmd := exec.Command(os.Args[0], "-test.run=TestHardeningDefects/2-two-types")
		cmd.Env = append(os.Environ(), "OLD_TYPES_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the process died: %v\n%s", err, firstPanic(string(out)))
		}
	})
	t.Run("3-mismatch-deleted", func(t *testing.T) {
		c := newCache(t)
		c.Set(ctx, "b:Q", 42, 0)
		var s string
		c.Get(ctx, "b:Q", &s)
		if _, err := c.Store().Get(ctx, "qrl:v1:b:Q"); err != nil {
			t.Fatalf("a well-formed value of another type was deleted: %v", err)
		}
	})
	t.Run("4-openenv-url-options", func(t *testing.T) {
		t.Setenv("REDIS_URL", "memory://?namespace=foo")
		t.Setenv("CACHE_DRIVER", "redis") // the store URL is REDIS_URL
		c, err := cachekit.OpenEnv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if ns := c.Keyspace().Namespace(); ns != "foo" {
			t.Fatalf("OpenEnv namespace %q; REDIS_URL says foo", ns)
		}
	})
	t.Run("5-kind-ttl", func(t *testing.T) {
		c := newCache(t)
		c.Set(ctx, "ticker:X", 1, 0)
		if d, _ := c.TTL(ctx, "ticker:X"); d > 5*time.Second {
			t.Fatalf("Set(ticker, 0) TTL = %v; the exchange client gives 5s", d)
		}
	})
	t.Run("8-warm-corrupt", func(t *testing.T) {
		c := newCache(t)
		c.Store().Set(ctx, "qrl:v1:ticker:BAD", []byte("{bad"), time.Minute)
		res, _ := c.Warm(ctx, []cachekit.WarmItem{{Key: "ticker:BAD", Load: func(context.Context) (any, error) { return 1, nil }}}, nil)
		if res.Skipped != 0 {
			t.Fatalf("Warm counted a corrupt entry as cached: %+v", res)
		}
	})
	t.Run("10-fetch-shared", func(t *testing.T) {
		c := newCache(t)
		load := func(context.Context) ([]int, error) { return []int{1, 2, 3}, nil }
		cachekit.Fetch(ctx, c, "o:F", 0, load)
		a, _ := cachekit.Fetch(ctx, c, "o:F", 0, load)
		a[0] = -1
		b, _ := cachekit.Fetch(ctx, c, "o:F", 0, load)
		if b[0] == -1 {
			t.Fatal("editing one Fetch result changed the next one")
		}
	})
}

func firstPanic(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "panic:") {
			return l
		}
	}
	return ""
}
