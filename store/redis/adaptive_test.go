package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/conformance"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// callerMark marks a caller's context. A command sent straight to the client reaches the hooks with
// the caller's context (derived from it); the auto-pipeliner sends its batches on a context of its
// own. So the mark tells the two paths apart without any counter in the Store.
type callerMark struct{}

// pathHook counts data commands (get, set, pttl, unlink) by the path that sent them, and the most of
// them one pipeline carried.
type pathHook struct {
	mu            sync.Mutex
	direct, piped int
	maxBatch      int
}

func isData(c goredis.Cmder) bool {
	switch c.Name() {
	case "get", "set", "pttl", "unlink":
		return true
	}
	return false
}

func (h *pathHook) count(ctx context.Context, cmds []goredis.Cmder) {
	n := 0
	for _, c := range cmds {
		if isData(c) {
			n++
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ctx.Value(callerMark{}) != nil {
		h.direct += n
	} else {
		h.piped += n
	}
	if len(cmds) > 1 {
		h.maxBatch = max(h.maxBatch, n)
	}
}

func (h *pathHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (h *pathHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		h.count(ctx, []goredis.Cmder{cmd})
		return next(ctx, cmd)
	}
}
func (h *pathHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		h.count(ctx, cmds)
		return next(ctx, cmds)
	}
}

func (h *pathHook) read() (direct, pipelined, maxBatch int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.direct, h.piped, h.maxBatch
}

// waitIdle waits until no call of s is counted in flight (abandoned ones complete in the background).
func waitIdle(t *testing.T, s *Store) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if s.adapt.inflight.Load() == 0 {
			return
		}
	}
	t.Fatalf("%d calls still counted in flight", s.adapt.inflight.Load())
}

// In the default mode a lone caller's single-key calls go straight to the client, every one of them;
// PipelineAlways, the control, sends the same calls through the auto-pipeliner.
func TestAdaptiveLoneCallerGoesDirect(t *testing.T) {
	for _, mode := range []PipelineMode{PipelineAdaptive, PipelineAlways} {
		t.Run(mode.String(), func(t *testing.T) {
			s, _, prefix := standaloneWithCounter(t, Options{Pipeline: mode})
			h := &pathHook{}
			s.Client().AddHook(h)
			ctx := context.WithValue(context.Background(), callerMark{}, true)
			for i := range 30 {
				k := fmt.Sprintf("%sk%d", prefix, i)
				v := fmt.Appendf(nil, "v%d", i)
				if err := s.Set(ctx, k, v, time.Minute); err != nil {
					t.Fatal(err)
				}
				if got, err := s.Get(ctx, k); err != nil || !bytes.Equal(got, v) {
					t.Fatalf("Get(%s) = %q, %v; want %q", k, got, err, v)
				}
				if got, ttl, err := s.GetWithTTL(ctx, k); err != nil || !bytes.Equal(got, v) || ttl <= 0 {
					t.Fatalf("GetWithTTL(%s) = %q, %v, %v", k, got, ttl, err)
				}
				if _, err := s.Delete(ctx, k); err != nil {
					t.Fatal(err)
				}
			}
			direct, pipelined, _ := h.read()
			const want = 30 * 5 // SET, GET, GET+PTTL, UNLINK
			switch mode {
			case PipelineAdaptive:
				if direct != want || pipelined != 0 {
					t.Errorf("lone caller: %d commands direct, %d through the auto-pipeliner; want %d direct, 0", direct, pipelined, want)
				}
				if n := s.adapt.inflight.Load(); n != 0 {
					t.Errorf("%d calls counted in flight after they all returned", n)
				}
			case PipelineAlways:
				if pipelined != want || direct != 0 {
					t.Errorf("always: %d commands direct, %d through the auto-pipeliner; want 0, %d", direct, pipelined, want)
				}
			}
		})
	}
}

// In the adaptive mode concurrent callers share the auto-pipeliner's batches, and each still reads its
// own writes (a caller's Set returns before its Get starts, whichever path each takes).
func TestAdaptiveConcurrentCallersArePipelined(t *testing.T) {
	s, _, prefix := standaloneWithCounter(t, Options{Pipeline: PipelineAdaptive})
	h := &pathHook{}
	s.Client().AddHook(h)
	setThenGetConcurrently(t, s, context.WithValue(context.Background(), callerMark{}, true), prefix, 50, 40)
	direct, pipelined, maxBatch := h.read()
	t.Logf("50 callers: %d commands direct, %d pipelined, up to %d in one batch", direct, pipelined, maxBatch)
	if pipelined == 0 || maxBatch < 2 {
		t.Errorf("50 concurrent callers: %d commands pipelined, at most %d per batch; want shared batches", pipelined, maxBatch)
	}
	if direct+pipelined != 50*40*2 {
		t.Errorf("%d commands sent in all, want %d", direct+pipelined, 50*40*2)
	}
	if n := s.adapt.inflight.Load(); n != 0 {
		t.Errorf("%d calls counted in flight after they all returned", n)
	}
}

// A pipelined write whose caller gave up while Redis did not answer stays counted until it completes,
// so the caller's next write queues behind it on the ordered auto-pipeliner instead of overtaking it
// on the direct path: the later write lands last.
func TestAdaptiveAbandonedWriteKeepsOrder(t *testing.T) {
	srv := redistest.Dedicated(t) // CLIENT PAUSE below stalls this server only
	s := openT(t, withQuery(srv.URL, "read_timeout=10s&pipeline=adaptive"))
	ctx := context.Background()
	k := "order:v1:k"
	if err := s.Set(ctx, k, []byte("before"), time.Hour); err != nil {
		t.Fatal(err)
	}
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	if err := admin.Do(ctx, "client", "pause", 1000, "all").Err(); err != nil {
		t.Fatal(err)
	}
	s.adapt.inflight.Add(1) // another call in flight: the next one is pipelined
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	err := s.Set(dctx, k, []byte("abandoned"), time.Hour)
	cancel()
	s.adapt.inflight.Add(-1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("pipelined Set whose deadline passed while Redis was paused: %v, want context.DeadlineExceeded", err)
	}
	if n := s.adapt.inflight.Load(); n != 1 {
		t.Fatalf("abandoned Set still queued: %d calls counted in flight, want 1", n)
	}
	if err := s.Set(ctx, k, []byte("later"), time.Hour); err != nil { // waits for the pause to end
		t.Fatal(err)
	}
	waitIdle(t, s)
	if v, err := s.Get(ctx, k); err != nil || string(v) != "later" {
		t.Errorf("after an abandoned Set and a later one: %q, %v; want later", v, err)
	}
}

// While Redis does not answer, concurrent default-mode calls (some direct, some pipelined) fail with
// ErrUnavailable naming the address within a bounded multiple of the timeouts, then serve again.
func TestAdaptiveUnresponsive(t *testing.T) {
	srv := redistest.Dedicated(t)
	const timeout = 200 * time.Millisecond
	s := openT(t, withQuery(srv.URL, "dial_timeout=200ms&read_timeout=200ms&write_timeout=200ms&pipeline=adaptive"))
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
	bound := 2*(1+DefaultMaxRetries)*2*timeout + time.Second // liveness, as TestAutoPipelineUnresponsive
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			began := time.Now()
			_, err := s.Get(ctx, k)
			took := time.Since(began)
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
	waitIdle(t, s)
	var v []byte
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if v, err = s.Get(ctx, k); err == nil && string(v) == "v" {
			return
		}
	}
	t.Errorf("Get after the pause = %q, %v; want the stored value", v, err)
}

// Calls queued behind a hung batch that run out of their caller's budget open the endpoint's breaker,
// and the cause it reports names that endpoint (it once read "redis at : queued ...").
func TestQueuedTimeoutsOpenTheBreakerNamingItsEndpoint(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, withQuery(srv.URL, "read_timeout=2s&write_timeout=2s&pipeline=always&breaker_failures=3"))
	changes := watchT(s)
	ctx := context.Background()
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	if err := admin.Do(ctx, "client", "pause", 3000, "all").Err(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			_, _ = s.Get(cctx, fmt.Sprintf("queued:v1:k%d", i))
		})
	}
	wg.Wait()
	changes.waitFor(t, srv.Addr, store.BreakerOpen, 2*time.Second)
	for _, c := range changes.snapshot() {
		if c.To != store.BreakerOpen {
			continue
		}
		var ue *UnavailableError
		if !errors.As(c.Cause, &ue) || ue.Addr != srv.Addr || !strings.Contains(c.Cause.Error(), "redis at "+srv.Addr+":") {
			t.Errorf("breaker opened by %v; want an UnavailableError naming %s", c.Cause, srv.Addr)
		}
		return
	}
}

// pipeline= selects the mode; auto_pipeline=true|false is always|off; both must agree.
func TestPipelineURLOption(t *testing.T) {
	for _, c := range []struct {
		query string
		want  PipelineMode
	}{
		{"", PipelineAdaptive},
		{"pipeline=adaptive", PipelineAdaptive},
		{"pipeline=always", PipelineAlways},
		{"pipeline=off", PipelineOff},
		{"auto_pipeline=true", PipelineAlways},
		{"auto_pipeline=false", PipelineOff},
		{"auto_pipeline=true&pipeline=always", PipelineAlways},
		{"auto_pipeline=false&pipeline=off", PipelineOff},
	} {
		cfg := mustParse(t, "redis://localhost?"+c.query)
		if cfg.opts.Pipeline != c.want || cfg.opts.AutoPipeline != (c.want == PipelineAlways) {
			t.Errorf("%q: Pipeline=%v AutoPipeline=%v, want %v", c.query, cfg.opts.Pipeline, cfg.opts.AutoPipeline, c.want)
		}
	}
	for _, c := range []struct{ query, names string }{
		{"pipeline=sometimes", "pipeline="},
		{"pipeline=always&pipeline=off", "pipeline"},
		{"auto_pipeline=true&pipeline=off", "disagree"},
		{"auto_pipeline=false&pipeline=always", "disagree"},
		{"auto_pipeline=true&pipeline=adaptive", "disagree"},
	} {
		u, _ := url.Parse("redis://localhost?" + c.query)
		_, err := parseURL(u)
		if !errors.Is(err, store.ErrInvalidURL) || !strings.Contains(err.Error(), c.names) {
			t.Errorf("%q: %v, want ErrInvalidURL mentioning %q", c.query, err, c.names)
		}
	}
}

// New rejects a mode that does not exist and AutoPipeline with PipelineOff; zero Options mean the
// adaptive mode, PipelineOff the plain path; the adaptive mode accepts a closed client (its calls fail with ErrClosed), as New always
// has.
func TestPipelineOptionsNew(t *testing.T) {
	srv := redistest.Standalone(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer client.Close()
	if _, err := New(client, Options{Pipeline: PipelineAlways + 1}); err == nil || !strings.Contains(err.Error(), "Pipeline") {
		t.Errorf("New with an unknown Pipeline mode: %v, want an error naming Pipeline", err)
	}
	if _, err := New(client, Options{AutoPipeline: true, Pipeline: PipelineOff}); err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Errorf("New with AutoPipeline and PipelineOff: %v, want an error saying they disagree", err)
	}
	if s, err := New(client, Options{AutoPipeline: true}); err != nil || s.ap == nil || s.adapt != nil {
		t.Errorf("New with AutoPipeline: %v; want PipelineAlways", err)
	}
	s, err := New(client, Options{Pipeline: PipelineAdaptive})
	if err != nil || s.adapt == nil || s.ap == nil {
		t.Fatalf("New with PipelineAdaptive: %v (adaptive state %v); want the adaptive mode", err, s != nil && s.adapt != nil)
	}
	if s, err := New(client, Options{}); err != nil || s.ap == nil || s.adapt == nil {
		t.Errorf("New with zero Options: %v; want the adaptive mode (the default)", err)
	}
	if s, err := New(client, Options{Pipeline: PipelineOff}); err != nil || s.ap != nil || s.adapt != nil {
		t.Errorf("New with PipelineOff: %v; want the plain path, no auto-pipeliner", err)
	}

	closed := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	_ = closed.Close()
	s, err = New(closed, Options{Pipeline: PipelineAdaptive})
	if err != nil {
		t.Fatalf("New (adaptive) over a closed client: %v, want a Store", err)
	}
	if _, err := s.Get(context.Background(), "closed:v1:k"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Get over a closed client: %v, want ErrClosed", err)
	}
}

// The conformance suite for pipeline=adaptive, on standalone and Cluster (the default, off, runs in
// TestConformance, and always as its auto_pipeline cases).
func TestConformancePipelineAdaptive(t *testing.T) {
	t.Run("standalone", func(t *testing.T) {
		srv := redistest.Standalone(t)
		conformance.Run(t, func(t *testing.T) conformance.Harness {
			return newHarness(t, srv.URL, []string{srv.Addr}, "pipeline=adaptive")
		})
	})
	t.Run("cluster", func(t *testing.T) {
		cs := redistest.Cluster(t, 3)
		conformance.Run(t, func(t *testing.T) conformance.Harness { return newHarness(t, cs.URL, cs.Addrs, "pipeline=adaptive") })
	})
}
