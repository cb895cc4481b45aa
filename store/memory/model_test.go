package memory_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

// Random operations from several goroutines, each on its own keys, checked after every step against a
// map of what the goroutine last wrote, while another goroutine keeps forcing drain passes (Stats).
// The budget is large, so nothing may be evicted or refused and the model is exact.
func TestRandomOperationsMatchModel(t *testing.T) {
	s := newStore(t, memory.Options{MaxBytes: 256 << 20})
	ctx := t.Context()
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Stats(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 42))
			model := map[string][]byte{}
			key := func() string { return fmt.Sprintf("m%d:%02d", g, rng.IntN(24)) }
			check := func(step int, k string) bool {
				got, err := s.Get(ctx, k)
				want, ok := model[k]
				switch {
				case ok && (err != nil || !bytes.Equal(got, want)):
					t.Errorf("g%d step %d: Get(%q) = %q, %v; want %q", g, step, k, got, err, want)
				case !ok && !errors.Is(err, store.ErrNotFound):
					t.Errorf("g%d step %d: Get(%q) = %q, %v; want ErrNotFound", g, step, k, got, err)
				default:
					return true
				}
				return false
			}
			for step := range 4000 {
				k := key()
				v := fmt.Appendf(nil, "%d-%d", g, step)
				switch op := rng.IntN(10); {
				case op < 4:
					if err := s.Set(ctx, k, v, time.Hour); err != nil {
						t.Error(err)
						return
					}
					model[k] = v
				case op < 6:
					n, err := s.Delete(ctx, k)
					_, had := model[k]
					if err != nil || (n == 1) != had {
						t.Errorf("g%d step %d: Delete(%q) = %d, %v; model has it: %v", g, step, k, n, err, had)
						return
					}
					delete(model, k)
				case op < 7:
					ok, err := s.Add(ctx, k, v, time.Hour)
					_, had := model[k]
					if err != nil || ok == had {
						t.Errorf("g%d step %d: Add(%q) = %v, %v; model has it: %v", g, step, k, ok, err, had)
						return
					}
					if ok {
						model[k] = v
					}
				case op < 8:
					k2 := key()
					items := []store.Item{{Key: k, Value: v, TTL: time.Hour}, {Key: k2, Value: v, TTL: time.Hour}}
					if err := s.SetMany(ctx, items); err != nil {
						t.Error(err)
						return
					}
					model[k], model[k2] = v, v
				case op < 9:
					if step%50 == 0 { // clear this goroutine's keys by pattern now and then
						n, err := s.DeletePattern(ctx, fmt.Sprintf("m%d:*", g))
						if err != nil || n != len(model) {
							t.Errorf("g%d step %d: DeletePattern = %d, %v; model holds %d", g, step, n, err, len(model))
							return
						}
						clear(model)
					}
				default:
					if d, err := s.TTL(ctx, k); (err == nil) != (model[k] != nil) || (err == nil && d <= 0) {
						t.Errorf("g%d step %d: TTL(%q) = %v, %v; model has it: %v", g, step, k, d, err, model[k] != nil)
						return
					}
				}
				if !check(step, k) {
					return
				}
			}
			for k := range model {
				if !check(-1, k) {
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	bg.Wait()
}

// Under eviction pressure a key may vanish at any time, and a write may be refused, but a read never
// returns anything other than the last acknowledged write of the key (an older value never resurfaces),
// and a deleted key stays deleted.
func TestEvictionNeverResurrectsOlderValues(t *testing.T) {
	s := newStore(t, memory.Options{MaxBytes: 48 << 10, NumCounters: 2000})
	ctx := t.Context()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			last := map[string][]byte{} // last acknowledged value; nil after a Delete or a refusal
			for step := range 3000 {
				k := fmt.Sprintf("ev%d:%02d", g, rng.IntN(40))
				switch rng.IntN(8) {
				case 0:
					if _, err := s.Delete(ctx, k); err != nil {
						t.Error(err)
						return
					}
					last[k] = nil
				default:
					v := bytes.Repeat(fmt.Appendf(nil, "%d-%d|", g, step), 40+rng.IntN(80))
					switch err := s.Set(ctx, k, v, time.Hour); {
					case err == nil:
						last[k] = v
					case errors.Is(err, store.ErrNotStored):
						last[k] = nil
					default:
						t.Error(err)
						return
					}
				}
				if rng.IntN(4) != 0 {
					continue // fewer reads: TinyLFU then admits newcomers (and evicts) more often
				}
				got, err := s.Get(ctx, k)
				switch {
				case errors.Is(err, store.ErrNotFound):
				case err != nil:
					t.Error(err)
					return
				case last[k] == nil || !bytes.Equal(got, last[k]):
					t.Errorf("g%d step %d: Get(%q) = %.20q...; want a miss or the last acknowledged write %.20q...", g, step, k, got, last[k])
					return
				}
			}
		})
	}
	wg.Wait()
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// (UsedBytes may exceed the budget here: ristretto applies an overwrite that grows a value without
	// evicting, and makes room only at the next admission.)
	if st.Evictions == 0 {
		t.Fatal("Evictions = 0: the test did not run under eviction pressure")
	}
	t.Logf("evictions %d, refused sets %d, evicted while pending %d", st.Evictions, st.RejectedSets, st.Extra["evicted_while_pending"])
}
