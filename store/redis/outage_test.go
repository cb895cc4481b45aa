package redis

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// namedCall is one Store call to run while Redis is down.
type namedCall struct {
	name string
	call func(ctx context.Context) error
}

func everyCall(s *Store, k string) []namedCall {
	return []namedCall{
		{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, k); return err }},
		{"GetMany", func(ctx context.Context) error { _, err := s.GetMany(ctx, []string{k, k + "2"}); return err }},
		{"Set", func(ctx context.Context) error { return s.Set(ctx, k, []byte("v"), time.Hour) }},
		{"SetMany", func(ctx context.Context) error {
			return s.SetMany(ctx, []store.Item{{Key: k, Value: []byte("v"), TTL: time.Hour}})
		}},
		{"Add", func(ctx context.Context) error { _, err := s.Add(ctx, k, []byte("v"), time.Hour); return err }},
		{"Delete", func(ctx context.Context) error { _, err := s.Delete(ctx, k); return err }},
		{"TTL", func(ctx context.Context) error { _, err := s.TTL(ctx, k); return err }},
		{"GetWithTTL", func(ctx context.Context) error { _, _, err := s.GetWithTTL(ctx, k); return err }},
		{"DeletePattern", func(ctx context.Context) error { _, err := s.DeletePattern(ctx, k+"*"); return err }},
		{"Scan", func(ctx context.Context) error { return s.Scan(ctx, k+"*", func(string) bool { return true }) }},
		{"Stats", func(ctx context.Context) error { _, err := s.Stats(ctx); return err }},
		{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
	}
}

// TestOutageAndRecovery stops Redis under a Store: every call fails with ErrUnavailable naming the
// address (once the breaker has opened, ErrCircuitOpen carrying the failure that opened it), within the configured timeout plus a loose margin, nothing panics, and the same Store works
// again once Redis is back. With auto_pipeline the single-key calls take the auto-pipeliner's path.
func TestOutageAndRecovery(t *testing.T) {
	t.Run("plain", func(t *testing.T) { testOutageAndRecovery(t, "") })
	t.Run("auto_pipeline", func(t *testing.T) { testOutageAndRecovery(t, "&auto_pipeline=true") })
	t.Run("no_breaker", func(t *testing.T) { testOutageAndRecovery(t, "&breaker_failures=0") })
}

func testOutageAndRecovery(t *testing.T, extra string) {
	srv := redistest.Dedicated(t)
	const timeout = 200 * time.Millisecond
	s := openT(t, srv.URL+"?dial_timeout=200ms&read_timeout=200ms&write_timeout=200ms"+extra)
	ctx := context.Background()
	k := "outage:v1:k"
	if err := s.Set(ctx, k, []byte("before"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, k); err != nil || string(v) != "before" {
		t.Fatalf("Get before the outage = %q, %v", v, err)
	}

	// Background load across the outage: errors must be ErrUnavailable (or a miss), never anything else.
	stopLoad := make(chan struct{})
	var load sync.WaitGroup
	var loadMu sync.Mutex
	var loadErrs []error
	for range 4 {
		load.Go(func() {
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				err := s.Set(ctx, k, []byte("load"), time.Hour)
				if err == nil {
					_, err = s.Get(ctx, k)
				}
				if err != nil && !errors.Is(err, store.ErrUnavailable) && !errors.Is(err, store.ErrNotFound) {
					loadMu.Lock()
					loadErrs = append(loadErrs, err)
					loadMu.Unlock()
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}

	srv.Stop(t)
	bound := 4*timeout + time.Second // liveness, not speed: a call must not hang on a dead server
	var slowest time.Duration
	for round := range 3 { // first round meets pooled connections, later ones fresh dials
		for _, c := range everyCall(s, k) {
			began := time.Now()
			err := c.call(ctx)
			took := time.Since(began)
			slowest = max(slowest, took)
			if round == 0 && c.name == "Get" {
				t.Logf("Get with Redis stopped: %v (after %v)", err, took)
			}
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("round %d: %s with Redis stopped: %v, want ErrUnavailable", round, c.name, err)
				continue
			}
			if !strings.Contains(err.Error(), srv.Addr) {
				t.Errorf("round %d: %s error %q does not name the address %s", round, c.name, err, srv.Addr)
			}
			var ue *UnavailableError
			var open *CircuitOpenError
			switch {
			case errors.As(err, &open): // the breaker opened after the first failures
				if !errors.As(open.Cause, &ue) || ue.Cause == nil || !errors.Is(err, store.ErrCircuitOpen) {
					t.Errorf("round %d: %s: %v: a *CircuitOpenError without the *UnavailableError that opened it", round, c.name, err)
				}
			case !errors.As(err, &ue) || ue.Cause == nil:
				t.Errorf("round %d: %s error carries no *UnavailableError with a cause", round, c.name)
			}
			if took > bound {
				t.Errorf("round %d: %s took %v with Redis stopped, want under %v", round, c.name, took, bound)
			}
		}
	}

	t.Logf("slowest call with Redis stopped: %v", slowest)

	srv.Start(t)
	deadline := time.Now().Add(5 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = s.Set(ctx, k, []byte("after"), time.Hour); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stopLoad)
	load.Wait()
	if err != nil {
		t.Fatalf("the Store did not recover within 5s of Redis restarting: %v", err)
	}
	// Without the breaker go-redis' own dial back-off still applies (store/redis doc, "what remains"): a
	// call that needs a new connection may fail with the last dial error for up to a second after Redis
	// answers, more often since the default pipelining opens connections on both of its paths.
	settle := time.Now()
	if strings.Contains(extra, "breaker_failures=0") {
		settle = settle.Add(1500 * time.Millisecond)
	}
	for {
		err := s.Set(ctx, k+"2", []byte("after"), time.Hour)
		if err == nil {
			break
		}
		if time.Now().After(settle) {
			t.Fatalf("Set after recovery: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v, err := s.Get(ctx, k+"2"); err != nil || string(v) != "after" {
		t.Errorf("Get after recovery = %q, %v; want the value written after the restart", v, err)
	}
	for _, err := range loadErrs {
		t.Errorf("call during the outage failed with neither ErrUnavailable nor ErrNotFound: %v", err)
	}
}
