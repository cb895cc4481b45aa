package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

// These rules are meant for `go test -race`: besides their own checks, they give the race detector
// concurrent Set, Get, GetMany, Delete, Scan, Add and Close to look at.

func concurrencyRules() []rule {
	return []rule{
		{
			name: "Concurrency/OwnKeys",
			says: "concurrent Set/Get/Delete from 16 goroutines, each on its own keys, keep read-your-writes and leave every key as its goroutine last wrote it, while concurrent GetMany and Scan see only whole, correctly keyed values",
			run:  runOwnKeys,
		},
		{
			name: "Concurrency/OneKey",
			says: "concurrent Sets of one key never expose a torn or mixed value: every Get returns one whole written value, and so does the final Get",
			run:  runOneKey,
		},
		{
			name: "Concurrency/Add",
			says: "of 16 concurrent Adds of one absent key exactly one reports true, and its value is the one stored",
			run:  runConcurrentAdd,
		},
		{
			name: "Concurrency/Close",
			says: "Close while other goroutines use the store does not panic or race; calls that overlap it succeed or fail with ErrClosed, and calls begun after it fail with ErrClosed",
			run:  runConcurrentClose,
		},
	}
}

// keyState is what one goroutine knows about its key: the value last written (nil: absent), and whether
// a refused Set (ErrNotStored, allowed by MayRejectSets) may have removed it.
type keyState struct {
	val       []byte
	uncertain bool
}

func runOwnKeys(t testing.TB, e *env) {
	const workers, keysPer, rounds = 16, 4, 200
	rel := func(g, j int) string { return fmt.Sprintf("w%d:k%d", g, j) }
	var all []string
	for g := range workers {
		for j := range keysPer {
			all = append(all, e.key(rel(g, j)))
		}
	}
	// A value "w3:k1=17" names its key, so a reader can tell a misplaced value.
	checkValue := func(what, key string, v []byte) {
		if !bytes.HasPrefix(v, []byte(strings.TrimPrefix(key, e.prefix)+"=")) {
			t.Errorf("%s: %q holds %s, which was never written to it", what, key, show(v))
		}
	}

	done := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			m, err := e.s.GetMany(e.ctx, all)
			if err != nil {
				t.Errorf("concurrent GetMany: %v", err)
				return
			}
			for k, v := range m {
				checkValue("concurrent GetMany", k, v)
			}
		}
	})
	readers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			var stray []string
			err := e.s.Scan(e.ctx, e.pattern("*"), func(k string) bool {
				if !strings.HasPrefix(k, e.prefix+"w") {
					stray = append(stray, k)
				}
				return true
			})
			if err != nil || len(stray) > 0 {
				t.Errorf("concurrent Scan: %v, stray keys %q", err, stray)
				return
			}
		}
	})

	states := make([][]keyState, workers)
	var writers sync.WaitGroup
	for g := range workers {
		writers.Go(func() {
			st := make([]keyState, keysPer)
			defer func() { states[g] = st }()
			for i := range rounds {
				j := i % keysPer
				k := e.key(rel(g, j))
				if i%5 == 4 {
					n, err := e.s.Delete(e.ctx, k)
					if err != nil {
						t.Errorf("Delete(%q): %v", k, err)
						return
					}
					if want := btoi(st[j].val != nil); !st[j].uncertain && n != want {
						t.Errorf("Delete(%q) = %d, want %d", k, n, want)
					}
					st[j] = keyState{}
					continue
				}
				v := fmt.Appendf(nil, "%s=%d", rel(g, j), i)
				if e.rejected(t, e.s.Set(e.ctx, k, v, hour), fmt.Sprintf("Set(%q)", k)) {
					st[j].uncertain = true
					continue
				}
				st[j] = keyState{val: v}
				got, err := e.s.Get(e.ctx, k)
				if err != nil || !bytes.Equal(got, v) {
					t.Errorf("Get(%q) right after Set = %s, %v; want %s (read-your-writes)", k, show(got), err, show(v))
				}
			}
		})
	}
	writers.Wait()
	close(done)
	readers.Wait()

	for g, st := range states {
		for j, s := range st {
			k := e.key(rel(g, j))
			got, err := e.s.Get(e.ctx, k)
			switch {
			case err == nil && s.val != nil && bytes.Equal(got, s.val):
			case errors.Is(err, store.ErrNotFound) && (s.val == nil || s.uncertain):
			default:
				t.Errorf("final Get(%q) = %s, %v; want %s (uncertain after a refused Set: %v)", k, show(got), err, show(s.val), s.uncertain)
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func runOneKey(t testing.TB, e *env) {
	const writers, readers, rounds, size = 8, 4, 100, 4096
	k := e.key("contended")
	value := func(w int) []byte { return bytes.Repeat([]byte{byte('a' + w)}, size) }
	whole := func(v []byte) bool {
		return len(v) == size && v[0] >= 'a' && v[0] < 'a'+writers && bytes.Count(v, v[:1]) == size
	}
	e.requireSet(t, k, value(0), hour)

	var rejected atomic.Bool
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for range rounds {
				if e.rejected(t, e.s.Set(e.ctx, k, value(w), hour), "Set") {
					rejected.Store(true)
				}
			}
		})
	}
	var rg sync.WaitGroup
	for range readers {
		rg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				v, err := e.s.Get(e.ctx, k)
				if errors.Is(err, store.ErrNotFound) && e.caps.MayRejectSets {
					continue // a refused Set may remove the previous value
				}
				if err != nil || !whole(v) {
					t.Errorf("concurrent Get = %s, %v; want one whole written value", show(v), err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	rg.Wait()
	v, err := e.s.Get(e.ctx, k)
	if errors.Is(err, store.ErrNotFound) && rejected.Load() {
		return
	}
	if err != nil || !whole(v) {
		t.Errorf("final Get = %s, %v; want one whole written value", show(v), err)
	}
}

func runConcurrentAdd(t testing.TB, e *env) {
	const n = 16
	k := e.key("nx")
	start := make(chan struct{})
	var wins, refusals atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v := fmt.Appendf(nil, "adder %d", i)
			<-start
			ok, err := e.s.Add(e.ctx, k, v, hour)
			if e.rejected(t, err, "Add") {
				refusals.Add(1)
				return
			}
			if ok {
				wins.Add(1)
				winner.Store(v)
			}
		})
	}
	close(start)
	wg.Wait()
	if w := wins.Load(); w > 1 || (w == 0 && refusals.Load() == 0) {
		t.Fatalf("%d of %d concurrent Adds reported true, want exactly 1", w, n)
	}
	if v, ok := winner.Load().([]byte); ok {
		e.wantValue(t, k, v)
	}
}

func runConcurrentClose(t testing.TB, e *env) {
	const workers = 8
	var closed atomic.Bool
	var ops atomic.Int64
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			k := e.key(fmt.Sprintf("w%d", g))
			for i := 0; ; i++ {
				after := closed.Load()
				var err error
				switch i % 3 {
				case 0:
					err = e.s.Set(e.ctx, k, []byte("v"), hour)
				case 1:
					_, err = e.s.Get(e.ctx, k)
				case 2:
					_, err = e.s.Delete(e.ctx, k)
				}
				ops.Add(1)
				ok := err == nil || errors.Is(err, store.ErrClosed) ||
					(i%3 == 1 && errors.Is(err, store.ErrNotFound)) ||
					(i%3 == 0 && errors.Is(err, store.ErrNotStored) && e.caps.MayRejectSets)
				if after && !errors.Is(err, store.ErrClosed) {
					t.Errorf("call begun after Close returned: %v, want ErrClosed", err)
					return
				}
				if !ok {
					t.Errorf("call overlapping Close: %v, want success or ErrClosed", err)
					return
				}
				if after {
					return
				}
			}
		})
	}
	// Let the workers get going, so that Close meets calls in flight (bounded, in case one stopped).
	for deadline := time.Now().Add(10 * time.Second); ops.Load() < 100*workers && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if err := e.s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	closed.Store(true)
	wg.Wait()
}
