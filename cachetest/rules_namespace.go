package cachetest

import (
	"context"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store"
)

var namespaceRules = []rule{
	{
		name: "Namespace/HostileSymbolsStayInside",
		says: "ClearSymbol (even of a symbol full of glob metacharacters), DeletePattern and ClearAll delete only this namespace's matching keys: a neighbour namespace its unescaped prefix would match, QRL/USDT2, and an un-namespaced key starting with the namespace text survive",
		run: func(t testing.TB, s store.Store, ns string) {
			ctx := context.Background()
			// A namespace with glob metacharacters, and a neighbour that its unescaped prefix would match.
			nsA := ns + "[x]*"
			nsB := ns + "x*"
			a := newCache(t, s, nsA)
			b := newCache(t, s, nsB)
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
			t.Cleanup(func() { _, _ = s.Delete(context.Background(), bare) })

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
		},
	},
}
