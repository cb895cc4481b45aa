package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit/cachekit"
)

// op names one kind of call the workload makes.
type op uint8

const (
	opFetch    op = iota // FetchResult of a key with a 1 s fresh TTL: regular loads
	opHotFetch           // FetchResult of a hot key, cached before the fault
	opGet                // Get of an own key (the owner's writes are checked) or a hot key
	opHotGet
	opSet     // Set of an own key, with the key's next sequence number
	opGetMany // GetMany of the worker's own keys
	opSetMany // SetMany of the worker's own keys (one pipeline)
	opStats   // Stats, by worker 0 now and then
	numOps
)

var opNames = [numOps]string{"fetch", "hot-fetch", "get", "hot-get", "set", "getmany", "setmany", "stats"}

func (o op) String() string { return opNames[o] }

// sample is one call: when it started (since the workload began), how long it took, and its outcome.
type sample struct {
	op     op
	start  time.Duration
	dur    time.Duration
	err    error // nil, or what the caller saw (a miss is not an error)
	stale  bool  // FetchResult flagged the value stale
	cached bool  // FetchResult served it from the cache
	age    time.Duration
	// fresh reports a FetchResult value whose envelope says it was within its fresh TTL when the call
	// began (a stale flag on it comes from the tiered fail-safe, not from the value's age). Judged at the
	// start, not on return: Fetch decides between the two, and a value fresh at that moment may have
	// turned stale by the time the call returns.
	fresh bool
}

// fval is what the workload stores: Seq orders one key's writes; N numbers the loader's calls.
type fval struct {
	Seq int64     `json:"seq"`
	N   int64     `json:"n,omitempty"`
	At  time.Time `json:"at"`
}

// Key counts. Each worker owns ownKeys keys (only it writes them, so their writes are ordered and its
// reads can be checked against its writes); fetch and hot keys are shared.
const (
	ownKeys   = 4
	fetchKeys = 16
	hotKeys   = 8
)

func ownKey(w, j int) string { return fmt.Sprintf("own:w%d:%d", w, j) }
func fetchKey(i int) string  { return fmt.Sprintf("fk:%d", i) }
func hotKey(i int) string    { return fmt.Sprintf("hot:%d", i) }

// workload drives one Cache with workers goroutines until stopped.
type workload struct {
	name  string
	c     *cachekit.Cache
	began time.Time
	loads atomic.Int64

	ledger *ledger

	mu      sync.Mutex
	samples []sample
	panics  []string

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

func newWorkload(name string, c *cachekit.Cache, l *ledger) *workload {
	return &workload{name: name, c: c, ledger: l, stop: make(chan struct{})}
}

// load is the 20 ms loader every Fetch uses.
func (w *workload) load(ctx context.Context) (fval, error) {
	n := w.loads.Add(1)
	select {
	case <-time.After(loaderDelay):
	case <-ctx.Done():
		return fval{}, ctx.Err()
	}
	return fval{N: n, At: time.Now()}, nil
}

// warm caches the hot keys and writes every own key once, before any fault.
func (w *workload) warm(ctx context.Context) error {
	for i := range hotKeys {
		if _, err := cachekit.FetchResult(ctx, w.c, hotKey(i), hotTTL, w.load); err != nil {
			return fmt.Errorf("warm %s: %w", hotKey(i), err)
		}
	}
	for wk := range workers {
		for j := range ownKeys {
			if err := w.set(ctx, wk, j); err != nil {
				return fmt.Errorf("warm %s: %w", ownKey(wk, j), err)
			}
		}
	}
	return nil
}

// start runs the workers.
func (w *workload) start() {
	w.began = time.Now()
	for wk := range workers {
		w.wg.Add(1)
		go w.worker(wk)
	}
}

// halt stops the workers and waits for them. It may be called more than once.
func (w *workload) halt() {
	w.stopOnce.Do(func() { close(w.stop) })
	w.wg.Wait()
}

func (w *workload) worker(wk int) {
	defer w.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			w.mu.Lock()
			w.panics = append(w.panics, fmt.Sprintf("worker %d: %v\n%s", wk, r, debug.Stack()))
			w.mu.Unlock()
		}
	}()
	rng := rand.New(rand.NewPCG(uint64(wk), uint64(time.Now().UnixNano())))
	ctx := context.Background() // no deadline: the store's own budgets and Fetch's read share must bound every call
	var local []sample
	lastStats := time.Now()
	defer func() {
		w.mu.Lock()
		w.samples = append(w.samples, local...)
		w.mu.Unlock()
	}()
	for {
		select {
		case <-w.stop:
			return
		default:
		}
		var s sample
		switch p := rng.IntN(100); {
		case wk == 0 && time.Since(lastStats) > 500*time.Millisecond:
			lastStats = time.Now()
			s = w.timed(opStats, func(s *sample) { _, s.err = w.c.Stats(ctx) })
		case p < 30:
			s = w.fetch(ctx, opFetch, fetchKey(rng.IntN(fetchKeys)), fetchTTL)
		case p < 40:
			s = w.fetch(ctx, opHotFetch, hotKey(rng.IntN(hotKeys)), hotTTL)
		case p < 50:
			j := rng.IntN(ownKeys)
			s = w.timed(opGet, func(s *sample) {
				var v fval
				err := w.c.Get(ctx, ownKey(wk, j), &v)
				s.err = w.ledger.read(ownKey(wk, j), v, err, time.Now())
			})
		case p < 60:
			k := hotKey(rng.IntN(hotKeys))
			s = w.timed(opHotGet, func(s *sample) {
				var v fval
				if err := w.c.Get(ctx, k, &v); !errors.Is(err, cachekit.ErrNotFound) {
					s.err = err
				}
			})
		case p < 80:
			j := rng.IntN(ownKeys)
			s = w.timed(opSet, func(s *sample) { s.err = w.set(ctx, wk, j) })
		case p < 85:
			s = w.timed(opSetMany, func(s *sample) { s.err = w.setMany(ctx, wk) })
		default:
			s = w.timed(opGetMany, func(s *sample) {
				keys := make([]string, ownKeys)
				for j := range keys {
					keys[j] = ownKey(wk, j)
				}
				got, err := cachekit.GetMany[fval](ctx, w.c, keys)
				s.err = err
				if err == nil {
					now := time.Now()
					for _, k := range keys {
						v, ok := got[k]
						var rerr error
						if !ok {
							rerr = cachekit.ErrNotFound
						}
						_ = w.ledger.read(k, v, rerr, now)
					}
				}
			})
		}
		local = append(local, s)
	}
}

// set writes an own key's next sequence number and records the outcome in the ledger.
func (w *workload) set(ctx context.Context, wk, j int) error {
	k := ownKey(wk, j)
	seq := w.ledger.next(k)
	err := w.c.Set(ctx, k, fval{Seq: seq, At: time.Now()}, time.Minute)
	w.ledger.wrote(k, seq, err, time.Now(), "Set")
	return err
}

// setMany writes every own key of worker wk in one SetMany; each write's outcome is the call's.
func (w *workload) setMany(ctx context.Context, wk int) error {
	entries := make([]cachekit.Entry, ownKeys)
	seqs := make([]int64, ownKeys)
	for j := range entries {
		seqs[j] = w.ledger.next(ownKey(wk, j))
		entries[j] = cachekit.Entry{Key: ownKey(wk, j), Value: fval{Seq: seqs[j], At: time.Now()}, TTL: time.Minute}
	}
	err := w.c.SetMany(ctx, entries)
	now := time.Now()
	for j, e := range entries {
		w.ledger.wrote(e.Key, seqs[j], err, now, "SetMany")
	}
	return err
}

func (w *workload) fetch(ctx context.Context, o op, key string, ttl time.Duration) sample {
	return w.timed(o, func(s *sample) {
		began := w.began.Add(s.start)
		r, err := cachekit.FetchResult(ctx, w.c, key, ttl, w.load)
		s.err, s.stale, s.cached, s.age = err, r.Stale, r.Cached, r.Age
		s.fresh = !r.FreshUntil.IsZero() && began.Before(r.FreshUntil)
	})
}

func (w *workload) timed(o op, call func(*sample)) sample {
	s := sample{op: o}
	began := time.Now()
	s.start = began.Sub(w.began)
	call(&s)
	s.dur = time.Since(began)
	return s
}
