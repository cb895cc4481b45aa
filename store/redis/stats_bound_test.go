package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// TestStatsBoundedOnSilentServer: against a server that accepts connections but answers nothing (CLIENT
// PAUSE ... ALL, what an overloaded or half-open server looks like), Stats gives up within its documented
// bound, (1+max_retries) × read_timeout (plus a margin for scheduling), with ErrUnavailable naming the
// address and Hits/Misses still reported. Without the bound, go-redis' retries of the INFO pipeline, each
// on a new connection whose handshake times out as well, took about twice as long (1.6 s here).
func TestStatsBoundedOnSilentServer(t *testing.T) {
	srv := redistest.Dedicated(t)
	const timeout = 200 * time.Millisecond
	s := openT(t, srv.URL+"?dial_timeout=200ms&read_timeout=200ms&write_timeout=200ms&max_retries=3&stats_max_age=0")
	ctx := context.Background()
	if _, err := s.Stats(ctx); err != nil {
		t.Fatalf("Stats of a running server: %v", err)
	}
	if _, err := s.Get(ctx, "stats:v1:missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v", err)
	}
	bound := callBudget(timeout, timeout, timeout, 3)
	if bound != 4*timeout || s.Budget() != bound {
		t.Fatalf("callBudget(200ms ×3, 3 retries) = %v, the Store's budget %v; want 800ms both", bound, s.Budget())
	}

	pause := 2 * time.Second // longer than any Stats here may take
	srv.Do(t, "CLIENT", "PAUSE", pause.Milliseconds(), "ALL")
	t.Cleanup(func() { srv.Do(t, "CLIENT", "UNPAUSE") })
	began := time.Now()
	st, err := s.Stats(ctx)
	took := time.Since(began)
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), srv.Addr) {
		t.Fatalf("Stats of a silent server: %v, want ErrUnavailable naming %s", err, srv.Addr)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stats of a silent server: %v matches context.DeadlineExceeded, which the caller's context did not reach", err)
	}
	if st.Misses != 1 || st.Keys != -1 {
		t.Errorf("Stats of a silent server: Misses %d Keys %d, want 1 and -1 (unknown)", st.Misses, st.Keys)
	}
	if margin := 300 * time.Millisecond; took > bound+margin {
		t.Errorf("Stats of a silent server took %v, want within its bound %v + %v", took, bound, margin)
	}
	t.Logf("Stats of a silent server failed after %v (bound %v)", took.Round(time.Millisecond), bound)
}

// TestStatsBudget pins the documented call budget for clients given to New: go-redis' defaults, no read
// timeout (only ctx then bounds a call), and Options.CallTimeout.
func TestStatsBudget(t *testing.T) {
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	s, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := c.Options()
	if want := time.Duration(1+o.MaxRetries) * max(o.DialTimeout, o.ReadTimeout, o.WriteTimeout); s.Budget() != want {
		t.Errorf("budget for go-redis defaults = %v, want (1+MaxRetries) × max(dial, read, write timeouts) = %v", s.Budget(), want)
	}
	if got := callBudget(time.Second, -1, -1, 3); got != 0 {
		t.Errorf("callBudget without a read timeout = %v, want 0 (ctx only)", got)
	}
	if got := callBudget(200*time.Millisecond, time.Second, time.Second, 0); got != time.Second {
		t.Errorf("callBudget(1s, no retries) = %v, want 1s", got)
	}
	s2, err := New(c, Options{CallTimeout: 300 * time.Millisecond, BreakerFailures: -1})
	if err != nil || s2.Budget() != 300*time.Millisecond {
		t.Errorf("Options.CallTimeout=300ms: budget %v, %v", s2.Budget(), err)
	}
	s3, err := New(c, Options{CallTimeout: -1, BreakerFailures: -1})
	if err != nil || s3.Budget() != 0 {
		t.Errorf("Options.CallTimeout<0: budget %v, %v; want 0 (none)", s3.Budget(), err)
	}
}
