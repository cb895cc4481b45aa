package redis

import (
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

// budgetMargin absorbs scheduling and the race detector on a loaded 2-core machine (CI once saw a
// pipelined call end 172 ms past its budget while the machine ran other suites; without the budget the
// same calls take 900 ms and more, so the margin still tells the two apart).
const budgetMargin = 300 * time.Millisecond

// TestCallBudgetOnPausedServer: against a paused Redis (SIGSTOP: connections are accepted by the
// kernel, nothing is answered), every call, single or pipelined, fails with ErrUnavailable (not the
// caller's context.DeadlineExceeded) within its budget, (1 + max_retries) × max(dial, read, write
// timeouts) = 400 ms here, plus a margin. The breaker is off so that every call pays the full budget.
// The same calls with the budget lifted (call_timeout=10s: what go-redis' retries alone cost, e.g.
// four timeouts for a pipeline) are logged for comparison.
func TestCallBudgetOnPausedServer(t *testing.T) {
	srv := redistest.Dedicated(t)
	const q = "?dial_timeout=200ms&read_timeout=200ms&write_timeout=200ms&max_retries=1&breaker_failures=0&stats_max_age=0"
	s := openT(t, srv.URL+q)
	loose := openT(t, srv.URL+q+"&call_timeout=10s")
	ctx := context.Background()
	k := "budget:v1:k"
	for _, st := range []*Store{s, loose} { // warm both pools: the pause then meets open connections
		if err := st.Set(ctx, k, []byte("v"), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if s.Budget() != 400*time.Millisecond {
		t.Fatalf("budget %v, want 400ms", s.Budget())
	}
	srv.Pause(t)
	for _, c := range budgetCalls(s, k) {
		began := time.Now()
		err := c.call(ctx)
		took := time.Since(began)
		if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s on a paused server: %v, want ErrUnavailable (not DeadlineExceeded)", c.name, err)
		}
		if took > s.Budget()+budgetMargin {
			t.Errorf("%s on a paused server took %v, want within its budget %v + %v", c.name, took, s.Budget(), budgetMargin)
		}
		t.Logf("%-14s failed after %v (budget %v)", c.name, took.Round(time.Millisecond), s.Budget())
	}
	// A store.WithReadBudget hint caps a read's budget (Fetch's share), not a write's.
	hinted := store.WithReadBudget(ctx, 60*time.Millisecond)
	for _, c := range budgetCalls(s, k)[:5] {
		began := time.Now()
		err := c.call(hinted)
		took := time.Since(began)
		read := c.name != "Set"
		switch {
		case !errors.Is(err, store.ErrUnavailable):
			t.Errorf("%s with a read budget of 60ms on a paused server: %v, want ErrUnavailable", c.name, err)
		case read && took > 60*time.Millisecond+budgetMargin:
			t.Errorf("%s with a read budget of 60ms took %v", c.name, took)
		case !read && took < 100*time.Millisecond:
			t.Errorf("Set with a read budget hint gave up after %v: the hint is for reads only", took)
		}
		t.Logf("with a 60ms read budget: %-14s failed after %v", c.name, took.Round(time.Millisecond))
	}
	for _, c := range budgetCalls(loose, k) {
		if c.name != "GetWithTTL" && c.name != "SetMany" && c.name != "Get" {
			continue
		}
		began := time.Now()
		_ = c.call(ctx)
		t.Logf("without the budget: %-10s failed after %v", c.name, time.Since(began).Round(time.Millisecond))
	}
}

// budgetCalls are the calls whose budget is checked: single commands, pipelines, the multi-node ones.
func budgetCalls(s *Store, k string) []namedCall {
	return []namedCall{
		{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, k); return err }},
		{"Set", func(ctx context.Context) error { return s.Set(ctx, k, []byte("v"), time.Hour) }},
		{"GetWithTTL", func(ctx context.Context) error { _, _, err := s.GetWithTTL(ctx, k); return err }},
		{"GetMany", func(ctx context.Context) error { _, err := s.GetMany(ctx, []string{k, k + "2"}); return err }},
		{"GetManyWithTTL", func(ctx context.Context) error { _, err := s.GetManyWithTTL(ctx, []string{k, k + "2"}); return err }},
		{"SetMany", func(ctx context.Context) error {
			return s.SetMany(ctx, []store.Item{{Key: k, Value: []byte("v"), TTL: time.Hour}, {Key: k + "2", Value: []byte("v"), TTL: time.Hour}})
		}},
		{"Delete", func(ctx context.Context) error { _, err := s.Delete(ctx, k+"3", k+"4"); return err }},
		{"DeletePattern", func(ctx context.Context) error { _, err := s.DeletePattern(ctx, k+"x*"); return err }},
		{"Stats", func(ctx context.Context) error { _, err := s.Stats(ctx); return err }},
		{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
	}
}

// TestCallBudgetOnClusterWithOneSleepingMaster: on a Cluster with one master held by DEBUG SLEEP, a
// GetMany spanning every master, SetMany, Stats and DeletePattern fail within one budget (redirects and
// retries of the cluster client included), and the callers' own deadlines still win when sooner.
func TestCallBudgetOnClusterWithOneSleepingMaster(t *testing.T) {
	cs := redistest.Cluster(t, 3)
	s := openT(t, cs.URL+"&dial_timeout=150ms&read_timeout=150ms&write_timeout=150ms&max_retries=1&breaker_failures=0&stats_max_age=0")
	ctx := context.Background()
	ns := redistest.Namespace(t)
	keys := keysPerMaster(t, s, ns, cs.Addrs)
	var all []string
	for _, ks := range keys {
		all = append(all, ks...)
	}
	items := make([]store.Item, len(all))
	for i, k := range all {
		items[i] = store.Item{Key: k, Value: []byte("v"), TTL: time.Hour}
	}
	if err := s.SetMany(ctx, items); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = s.DeletePattern(context.Background(), ns+":*") })

	slept := cs.Addrs[1]
	done := debugSleep(t, slept, 3*time.Second)
	calls := []namedCall{
		{"GetMany", func(ctx context.Context) error { _, err := s.GetMany(ctx, all); return err }},
		{"SetMany", func(ctx context.Context) error { return s.SetMany(ctx, items) }},
		{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, keys[slept][0]); return err }},
		{"Stats", func(ctx context.Context) error { _, err := s.Stats(ctx); return err }},
		{"DeletePattern", func(ctx context.Context) error { _, err := s.DeletePattern(ctx, ns+":nothing*"); return err }},
	}
	for _, c := range calls {
		began := time.Now()
		err := c.call(ctx)
		took := time.Since(began)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s with master %s asleep: %v, want ErrUnavailable", c.name, slept, err)
		}
		if took > s.Budget()+budgetMargin {
			t.Errorf("%s with a master asleep took %v, want within its budget %v + %v", c.name, took, s.Budget(), budgetMargin)
		}
		t.Logf("cluster %-13s failed after %v (budget %v)", c.name, took.Round(time.Millisecond), s.Budget())
	}
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	began := time.Now()
	_, err := s.GetMany(dctx, all)
	cancel()
	if took := time.Since(began); !errors.Is(err, context.DeadlineExceeded) || took > 50*time.Millisecond+budgetMargin {
		t.Errorf("GetMany with a 50ms deadline: %v after %v, want the caller's DeadlineExceeded at its deadline", err, took)
	}
	<-done
}

// keysPerMaster returns, for each master address, three keys under ns whose slot it serves.
func keysPerMaster(t *testing.T, s *Store, ns string, addrs []string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	for i := 0; len(out) < len(addrs) || !full(out, addrs, 3); i++ {
		if i > 10000 {
			t.Fatalf("no keys found for every master: %v", out)
		}
		k := fmt.Sprintf("%s:k%d", ns, i)
		m, err := s.cluster.MasterForKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if a := m.Options().Addr; len(out[a]) < 3 {
			out[a] = append(out[a], k)
		}
	}
	return out
}

func full(m map[string][]string, addrs []string, n int) bool {
	for _, a := range addrs {
		if len(m[a]) < n {
			return false
		}
	}
	return true
}

// debugSleep holds the server at addr with DEBUG SLEEP for d (the server answers nothing meanwhile,
// as a paused one); the channel is closed when the sleep has ended.
func debugSleep(t *testing.T, addr string, d time.Duration) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	var started sync.WaitGroup
	started.Add(1)
	go func() {
		defer close(done)
		c := goredis.NewClient(&goredis.Options{Addr: addr, ReadTimeout: d + 5*time.Second})
		defer c.Close()
		if err := c.Ping(context.Background()).Err(); err != nil {
			started.Done()
			t.Errorf("debugSleep: PING %s: %v", addr, err)
			return
		}
		started.Done()
		if err := c.Do(context.Background(), "DEBUG", "SLEEP", fmt.Sprintf("%.3f", d.Seconds())).Err(); err != nil {
			t.Errorf("debugSleep: DEBUG SLEEP on %s: %v", addr, err)
		}
	}()
	started.Wait()
	waitBusy(t, addr) // the DEBUG SLEEP has reached the server
	t.Cleanup(func() { <-done })
	return done
}

// waitBusy returns once the server at addr no longer answers a PING within 20 ms (a DEBUG SLEEP sent
// just before has reached it), probing from a client of its own; it fails the test after 5 s.
func waitBusy(t *testing.T, addr string) {
	t.Helper()
	probe := goredis.NewClient(&goredis.Options{Addr: addr, ReadTimeout: 20 * time.Millisecond, MaxRetries: -1})
	defer probe.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if err := probe.Ping(context.Background()).Err(); err != nil {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("the server at %s still answers PING 5s after DEBUG SLEEP was sent", addr)
}
