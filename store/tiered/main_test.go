package tiered

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
	"github.com/cachekit/cachekit/store/redis"
)

// TestMain shares one standalone Redis among the package's tests (keys isolated by namespace).
func TestMain(m *testing.M) { redistest.Main(m) }

// newMemory returns a private memory store for an L1 or L2.
func newMemory(t testing.TB) *memory.Store {
	t.Helper()
	m, err := memory.New(memory.Options{MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tieredURL builds a tiered:// URL with escaped nested URLs and extra options.
func tieredURL(l1, l2 string, extra url.Values) string {
	q := url.Values{"l1": {l1}, "l2": {l2}}
	for k, v := range extra {
		q[k] = v
	}
	return "tiered://?" + q.Encode()
}

// openRedisTiered opens a tiered(memory, redis at redisURL) store, waits for its invalidation
// subscription and closes it when the test ends.
func openRedisTiered(t testing.TB, redisURL string, opts Options) *Store {
	t.Helper()
	l2, err := redis.Open(context.Background(), redisURL)
	if err != nil {
		t.Fatalf("redis.Open: %v", err)
	}
	s, err := New(newMemory(t), l2, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	return s
}

// extra returns one Extra counter of s.
func extra(t testing.TB, s *Store, name string) int64 {
	t.Helper()
	st, err := s.Stats(context.Background())
	if err != nil && !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Stats: %v", err)
	}
	v, ok := st.Extra[name]
	if !ok {
		t.Fatalf("Stats.Extra has no %q: %v", name, st.Extra)
	}
	return v
}

// waitFor polls cond every millisecond until it holds, failing t after d. It returns how long it took.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	began := time.Now()
	for !cond() {
		if time.Since(began) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(began)
}

// cmdCounter is a go-redis hook counting the commands a client sends to L2, leaving out PUBLISH
// (invalidations go out in the background, at times a test does not control) and what go-redis sends to
// set up a new connection.
type cmdCounter struct {
	mu                     sync.Mutex
	single, pipes, inPipes int
}

func (c *cmdCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (c *cmdCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if !connSetup[cmd.Name()] {
			c.mu.Lock()
			c.single++
			c.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

func (c *cmdCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if len(cmds) > 0 && !connSetup[cmds[0].Name()] {
			c.mu.Lock()
			c.pipes++
			c.inPipes += len(cmds)
			c.mu.Unlock()
		}
		return next(ctx, cmds)
	}
}

var connSetup = map[string]bool{"publish": true, "hello": true, "client": true, "auth": true, "select": true}

func (c *cmdCounter) reset() {
	c.mu.Lock()
	c.single, c.pipes, c.inPipes = 0, 0, 0
	c.mu.Unlock()
}

// get returns the single commands, the pipelines and the commands inside them counted since reset.
func (c *cmdCounter) get() (single, pipes, inPipes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.single, c.pipes, c.inPipes
}

// settle waits, on the tracking path, until s has applied the server's reports of every write made
// before the call (a barrier key written to L2 directly comes back after them: reports arrive in order
// from one server) and finished the refills they queued, so that L1 holds what s's own writes leave
// there for good. It returns at once on the pub/sub path. Standalone Redis only.
func settle(t testing.TB, s *Store) {
	t.Helper()
	if !s.tracking.Load() {
		return
	}
	key := s.opts.TrackPrefix + "settle~" + rand.Text()
	seen := make(chan struct{})
	var once sync.Once
	prev := s.testHookApplied.Load()
	hook := func(kind entryKind, text string) {
		if prev != nil {
			(*prev)(kind, text)
		}
		if text == key {
			once.Do(func() { close(seen) })
		}
	}
	s.testHookApplied.Store(&hook)
	defer s.testHookApplied.Store(prev)
	ctx := context.Background()
	if err := s.l2.Set(ctx, key, []byte("x"), time.Minute); err != nil {
		t.Fatalf("settle: %v", err)
	}
	defer func() { _, _ = s.l2.Delete(ctx, key) }()
	select {
	case <-seen:
	case <-time.After(5 * time.Second):
		t.Fatal("settle: the barrier's report did not arrive within 5s")
	}
	waitFor(t, 5*time.Second, "settle: refills done", s.rf.idle)
}
