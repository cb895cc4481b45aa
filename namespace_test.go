package cachekit_test

import (
	"context"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
	_ "github.com/cachekit/cachekit/store/redis"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// backends opens each store the namespace rules must hold on; shared ones are real Redis servers.
func backends(t *testing.T) map[string]func(t *testing.T) store.Store {
	open := func(url string) func(t *testing.T) store.Store {
		return func(t *testing.T) store.Store {
			s, err := store.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
	return map[string]func(t *testing.T) store.Store{
		"memory":  func(t *testing.T) store.Store { return newStore(t) },
		"redis":   func(t *testing.T) store.Store { return open(redistest.Standalone(t).URL)(t) },
		"cluster": func(t *testing.T) store.Store { return open(redistest.Cluster(t, 3).URL)(t) },
	}
}

// TestInvalidationStaysInsideTheNamespace: keys of another namespace and un-namespaced keys survive
// ClearSymbol (also with a symbol full of glob metacharacters), DeletePattern and ClearAll, on every backend.
func TestInvalidationStaysInsideTheNamespace(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			// A namespace with glob metacharacters, and a neighbour that its unescaped prefix would match.
			nsA := redistest.Namespace(t) + "[x]*"
			nsB := nsA[:len(nsA)-4] + "x*"
			a, err := cachekit.New(s, cachekit.WithNamespace(nsA))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := cachekit.New(s, cachekit.WithNamespace(nsB))
			sym := `*[QRL]?\`
			keys := []string{"ticker:QRL/USDT", "ohlcv:QRL/USDT:1d:120", "ticker:QRL/USDT2", "ticker:" + sym, "ohlcv:" + sym + ":1m:5", "deals:BTC/USDT:20"}
			for _, k := range keys {
				for _, c := range []*cachekit.Cache{a, b} {
					if err := c.Set(ctx, k, 1, time.Minute); err != nil {
						t.Fatal(err)
					}
				}
			}
			bare := nsA + "-bare:ticker:QRL/USDT" // un-namespaced, but starting with A's namespace text
			if err := s.Set(ctx, bare, []byte("raw"), time.Minute); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Delete(context.Background(), bare); b.ClearAll(context.Background()) })

			expect := func(what string, n int, err error, want int) {
				t.Helper()
				if err != nil || n != want {
					t.Fatalf("%s = %d, %v; want %d", what, n, err, want)
				}
			}
			n, err := a.ClearSymbol(ctx, sym)
			expect("ClearSymbol(metacharacters)", n, err, 2)
			n, err = a.ClearSymbol(ctx, "QRL/USDT")
			expect("ClearSymbol(QRL/USDT)", n, err, 2)
			if ok, _ := a.Exists(ctx, "ticker:QRL/USDT2"); !ok {
				t.Fatal("ClearSymbol(QRL/USDT) deleted QRL/USDT2")
			}
			n, err = a.DeletePattern(ctx, "deals:*")
			expect("DeletePattern(deals:*)", n, err, 1)
			n, err = a.ClearAll(ctx)
			expect("ClearAll", n, err, 1)

			for _, k := range keys {
				if ok, err := b.Exists(ctx, k); !ok || err != nil {
					t.Errorf("namespace %q lost %s (%v)", nsB, k, err)
				}
			}
			if raw, err := s.Get(ctx, bare); err != nil || string(raw) != "raw" {
				t.Fatalf("un-namespaced key %q: %q, %v", bare, raw, err)
			}
		})
	}
}
