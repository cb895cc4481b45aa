package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// batchHook records the most GET/SET commands one pipeline carried (connection setup pipelines, which
// carry neither, do not count).
type batchHook struct {
	mu       sync.Mutex
	maxBatch int
}

func (h *batchHook) DialHook(next goredis.DialHook) goredis.DialHook          { return next }
func (h *batchHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }
func (h *batchHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		n := 0
		for _, c := range cmds {
			if c.Name() == "get" || c.Name() == "set" {
				n++
			}
		}
		h.mu.Lock()
		h.maxBatch = max(h.maxBatch, n)
		h.mu.Unlock()
		return next(ctx, cmds)
	}
}

// With AutoPipeline, concurrent single-key calls share pipelines (the plain path sends them one by
// one), and each caller still reads its own writes.
func TestAutoPipelineBatchesConcurrentCalls(t *testing.T) {
	for _, auto := range []bool{false, true} {
		t.Run(fmt.Sprintf("AutoPipeline=%v", auto), func(t *testing.T) {
			opts := Options{AutoPipeline: auto}
			if !auto {
				opts.Pipeline = PipelineOff
			}
			s, _, prefix := standaloneWithCounter(t, opts)
			h := &batchHook{}
			s.Client().AddHook(h)
			setThenGetConcurrently(t, s, context.Background(), prefix, 50, 20)
			h.mu.Lock()
			defer h.mu.Unlock()
			switch {
			case !auto && h.maxBatch != 0:
				t.Errorf("plain path sent GET/SET in pipelines (up to %d in one), want single commands", h.maxBatch)
			case auto && h.maxBatch < 2:
				t.Errorf("auto-pipelined: at most %d GET/SET per pipeline, want batches of several", h.maxBatch)
			}
		})
	}
}

// A command queued on the auto-pipeliner while Redis does not answer returns the caller's context error
// as soon as the context ends (go-redis alone would wait for the batch, here 2 s), never ErrUnavailable;
// the abandoned command may still execute once Redis answers, as documented.
func TestAutoPipelineHonoursContext(t *testing.T) {
	srv := redistest.Dedicated(t) // CLIENT PAUSE below stalls this server only
	s := openT(t, withQuery(srv.URL, "auto_pipeline=true&read_timeout=10s"))
	ctx := context.Background()
	k, other := "ctx:v1:k", "ctx:v1:other"
	if err := s.Set(ctx, k, []byte("before"), time.Hour); err != nil {
		t.Fatal(err)
	}
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	if err := admin.Do(ctx, "client", "pause", 2000, "all").Err(); err != nil {
		t.Fatal(err)
	}

	bound := time.Second // liveness: well under the 2 s pause, far above the 100 ms deadlines
	calls := []namedCall{
		{"Set", func(ctx context.Context) error { return s.Set(ctx, k, []byte("after"), time.Hour) }},
		{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, k); return err }},
		{"GetWithTTL", func(ctx context.Context) error { _, _, err := s.GetWithTTL(ctx, k); return err }},
		{"TTL", func(ctx context.Context) error { _, err := s.TTL(ctx, k); return err }},
		{"Add", func(ctx context.Context) error { _, err := s.Add(ctx, other, []byte("v"), time.Hour); return err }},
		{"Delete", func(ctx context.Context) error { _, err := s.Delete(ctx, other+"x"); return err }},
	}
	for _, c := range calls {
		dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		began := time.Now()
		err := c.call(dctx)
		took := time.Since(began)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s whose deadline passed while queued: %v, want context.DeadlineExceeded", c.name, err)
		}
		if took > bound {
			t.Errorf("%s returned %v after its 100ms deadline was set, want under %v", c.name, took, bound)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := s.Get(cctx, k); !errors.Is(err, context.Canceled) {
		t.Errorf("Get cancelled while queued: %v, want context.Canceled", err)
	}

	// Once Redis answers again, the abandoned Set has executed.
	var v []byte
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if v, err = s.Get(ctx, k); err == nil && string(v) == "after" {
			return
		}
	}
	t.Errorf("Get after the pause = %q, %v; want the value of the Set whose wait was abandoned", v, err)
}

// Close leaves a caller's client and its shared auto-pipeliner working, and stops an owned one; a
// caller closing its client under the Store gives ErrClosed.
func TestAutoPipelineClose(t *testing.T) {
	srv := redistest.Standalone(t)
	ctx := context.Background()
	k := redistest.Namespace(t) + ":v1:k"

	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer client.Close()
	defer client.Del(ctx, k)
	s, err := New(client, Options{AutoPipeline: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, k, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	shared, err := client.AsyncAutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	if shared != s.ap {
		t.Error("the Store does not use the client's shared auto-pipeliner")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if shared.IsClosed() {
		t.Error("Store.Close closed the auto-pipeliner of a client it does not own")
	}
	if v, err := shared.Get(ctx, k).Result(); err != nil || v != "v" {
		t.Errorf("the client's auto-pipeliner after Store.Close: %q, %v; want it working", v, err)
	}
	if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}

	owned := openT(t, withQuery(srv.URL, "auto_pipeline=true"))
	if _, err := owned.Get(ctx, k); err != nil {
		t.Fatal(err)
	}
	ap := owned.ap
	if err := owned.Close(); err != nil {
		t.Fatal(err)
	}
	if !ap.IsClosed() {
		t.Error("Close of a Store that owns its client left the auto-pipeliner running")
	}

	mine := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	s, err = New(mine, Options{AutoPipeline: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = mine.Close()
	if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Get on a client closed by its owner: %v, want ErrClosed", err)
	}
	if err := s.Set(ctx, k, []byte("v"), time.Minute); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Set on a client closed by its owner: %v, want ErrClosed", err)
	}
	if _, err := New(mine, Options{AutoPipeline: true}); !errors.Is(err, goredis.ErrClosed) {
		t.Errorf("New with AutoPipeline over a closed client: %v, want an error wrapping redis.ErrClosed", err)
	}
}

// GetWithTTL, TTL, Add and Delete keep their results on the auto-pipeliner; returned values are owned.
func TestAutoPipelineSingleKeyResults(t *testing.T) {
	s, _, prefix := standaloneWithCounter(t, Options{AutoPipeline: true})
	ctx := context.Background()
	a, empty, missing := prefix+"a", prefix+"empty", prefix+"missing"
	if err := s.Set(ctx, a, []byte("va"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, empty, nil, 1500*time.Millisecond); err != nil { // PX path (not whole seconds)
		t.Fatal(err)
	}
	if v, ttl, err := s.GetWithTTL(ctx, a); err != nil || string(v) != "va" || ttl <= 50*time.Second || ttl > time.Minute {
		t.Errorf("GetWithTTL(a) = %q, %v, %v; want va, about 1m", v, ttl, err)
	}
	if v, ttl, err := s.GetWithTTL(ctx, empty); err != nil || v == nil || len(v) != 0 || ttl > 1500*time.Millisecond {
		t.Errorf("GetWithTTL(empty) = %#v, %v, %v; want a non-nil empty value, at most 1.5s", v, ttl, err)
	}
	if _, _, err := s.GetWithTTL(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWithTTL(missing): %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(missing): %v, want ErrNotFound", err)
	}
	if _, err := s.TTL(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TTL(missing): %v, want ErrNotFound", err)
	}
	if ok, err := s.Add(ctx, a, []byte("other"), time.Minute); err != nil || ok {
		t.Errorf("Add over an existing key = %v, %v; want false, nil", ok, err)
	}
	if ok, err := s.Add(ctx, missing, []byte("new"), time.Minute); err != nil || !ok {
		t.Errorf("Add of a missing key = %v, %v; want true, nil", ok, err)
	}
	first, err := s.Get(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	copy(first, "XX")
	if again, err := s.Get(ctx, a); err != nil || string(again) != "va" {
		t.Errorf("after modifying a returned slice, Get = %q, %v; want va", again, err)
	}
	if n, err := s.Delete(ctx, a); err != nil || n != 1 {
		t.Errorf("Delete(a) = %d, %v; want 1", n, err)
	}
	if n, err := s.Delete(ctx, a); err != nil || n != 0 {
		t.Errorf("Delete(a) again = %d, %v; want 0", n, err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Hits != 4 || st.Misses != 2 {
		t.Errorf("Stats hits/misses = %d/%d, want 4/2 (GetWithTTL and Get count as reads)", st.Hits, st.Misses)
	}
}

// A Redis that stops answering costs auto-pipelined calls from many goroutines ErrUnavailable naming
// the address, within a bounded multiple of the configured timeouts, and the Store serves again once
// Redis answers.
func TestAutoPipelineUnresponsive(t *testing.T) {
	srv := redistest.Dedicated(t)
	const timeout = 200 * time.Millisecond
	s := openT(t, withQuery(srv.URL, "auto_pipeline=true&dial_timeout=200ms&read_timeout=200ms&write_timeout=200ms"))
	ctx := context.Background()
	k := "unresponsive:v1:k"
	if err := s.Set(ctx, k, []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	if err := admin.Do(ctx, "client", "pause", 3000, "all").Err(); err != nil {
		t.Fatal(err)
	}
	// Liveness, not speed: a call may wait for the batch ahead of its own, and each batch makes
	// 1+max_retries attempts of up to a read timeout plus a reconnect's handshake timeout.
	const maxRetries = DefaultMaxRetries
	bound := 2*(1+maxRetries)*2*timeout + time.Second
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		slowest time.Duration
	)
	for range 20 {
		wg.Go(func() {
			began := time.Now()
			_, err := s.Get(ctx, k)
			took := time.Since(began)
			mu.Lock()
			defer mu.Unlock()
			slowest = max(slowest, took)
			var ue *UnavailableError
			if !errors.Is(err, store.ErrUnavailable) || !errors.As(err, &ue) || ue.Addr != srv.Addr {
				t.Errorf("Get while Redis does not answer: %v, want ErrUnavailable naming %s", err, srv.Addr)
			}
			if took > bound {
				t.Errorf("Get took %v while Redis did not answer, want under %v", took, bound)
			}
		})
	}
	wg.Wait()
	t.Logf("slowest auto-pipelined Get while Redis did not answer: %v", slowest)

	var v []byte
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if v, err = s.Get(ctx, k); err == nil && string(v) == "v" {
			return
		}
	}
	t.Errorf("Get after the pause = %q, %v; want the stored value", v, err)
}

// The auto-pipeliner's own backpressure (AutoPipelineOptions.MaxQueuedCommands reached) is reported as
// ErrUnavailable, like an exhausted connection pool.
func TestAutoPipelineQueueFullIsUnavailable(t *testing.T) {
	srv := redistest.Dedicated(t)
	ctx := context.Background()
	client := goredis.NewClient(&goredis.Options{
		Addr:                srv.Addr,
		ReadTimeout:         5 * time.Second,
		AutoPipelineOptions: &goredis.AutoPipelineOptions{MaxQueuedCommands: 1},
	})
	s, err := New(client, Options{AutoPipeline: true, CloseClient: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k := "queue:v1:k"
	if err := s.Set(ctx, k, []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	if err := admin.Do(ctx, "client", "pause", 1000, "all").Err(); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Get(dctx, k); !errors.Is(err, context.DeadlineExceeded) { // abandoned, still queued
		t.Fatalf("Get while paused: %v, want context.DeadlineExceeded", err)
	}
	_, err = s.Get(ctx, k)
	var ue *UnavailableError
	if !errors.Is(err, store.ErrUnavailable) || !errors.As(err, &ue) || !errors.Is(ue.Cause, goredis.ErrAutoPipelineQueueFull) {
		t.Errorf("Get with the auto-pipeliner's queue full: %v, want ErrUnavailable caused by ErrAutoPipelineQueueFull", err)
	}
	if ue != nil && ue.Addr != srv.Addr {
		t.Errorf("UnavailableError names %q, want %s", ue.Addr, srv.Addr)
	}
}

// setThenGetConcurrently runs callers goroutines that each Set a key of their own and Get it back,
// rounds times, and fails t when a Get does not return the Set just made (read-your-writes).
func setThenGetConcurrently(t *testing.T, s *Store, ctx context.Context, prefix string, callers, rounds int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for g := range callers {
		wg.Go(func() {
			k := fmt.Sprintf("%sg%d", prefix, g)
			for i := range rounds {
				v := fmt.Appendf(nil, "%d-%d", g, i)
				if err := s.Set(ctx, k, v, time.Minute); err != nil {
					errs <- err
					return
				}
				if got, err := s.Get(ctx, k); err != nil || !bytes.Equal(got, v) {
					errs <- fmt.Errorf("Get(%s) right after Set(%q) = %q, %v", k, v, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
