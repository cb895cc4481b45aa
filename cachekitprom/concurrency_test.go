package cachekitprom_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/cachekitprom"
)

// Concurrent counts over new and known kinds, while scrapes run, lose nothing: the copy-on-write
// insert keeps every count, and the bound holds (4 kinds of their own, the rest under "other").
func TestConcurrentCounts(t *testing.T) {
	c := openMemory(t)
	col := cachekitprom.New(c, cachekitprom.WithMaxKinds(4))
	reg := prometheus.NewRegistry()
	reg.MustRegister(col)
	const goroutines, perG, kinds = 4, 2000, 10
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				col.Count(cachekit.OpGet, fmt.Sprintf("k%d", (i+g)%kinds), cachekit.OutcomeHit, 1)
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			scrape(t, reg)
		}
	})
	wg.Wait()
	got := scrape(t, reg)
	var total float64
	keys := got.withPrefix("cachekit_operations_total")
	for _, k := range keys {
		total += got.value(t, k)
	}
	if total != goroutines*perG {
		t.Errorf("counted %v, want %d", total, goroutines*perG)
	}
	if len(keys) != 5 {
		t.Errorf("series %v, want 4 kinds and other", keys)
	}
}
