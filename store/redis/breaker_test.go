package redis

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// changeLog records what a BreakerWatcher reports.
type changeLog struct {
	mu      sync.Mutex
	changes []store.BreakerChange
	notify  chan struct{}
}

func watchT(s *Store) *changeLog {
	l := &changeLog{notify: make(chan struct{}, 64)}
	s.WatchBreakers(func(c store.BreakerChange) {
		l.mu.Lock()
		l.changes = append(l.changes, c)
		l.mu.Unlock()
		select {
		case l.notify <- struct{}{}:
		default:
		}
	})
	return l
}

// snapshot returns the changes so far.
func (l *changeLog) snapshot() []store.BreakerChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]store.BreakerChange(nil), l.changes...)
}

// waitFor waits until the last change of endpoint is to state, or fails the test after timeout.
func (l *changeLog) waitFor(t *testing.T, endpoint string, to store.BreakerState, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for _, c := range slicesReverse(l.snapshot()) {
			if c.Endpoint == endpoint {
				if c.To == to {
					return
				}
				break
			}
		}
		select {
		case <-l.notify:
		case <-deadline:
			t.Fatalf("breaker of %s did not become %v within %v; changes: %v", endpoint, to, timeout, l.snapshot())
		}
	}
}

func slicesReverse(cs []store.BreakerChange) []store.BreakerChange {
	for i, j := 0, len(cs)-1; i < j; i, j = i+1, j-1 {
		cs[i], cs[j] = cs[j], cs[i]
	}
	return cs
}

// path renders the transitions of one endpoint: "closed>open>half-open>closed".
func path(cs []store.BreakerChange, endpoint string) string {
	var parts []string
	for _, c := range cs {
		if c.Endpoint != endpoint {
			continue
		}
		if len(parts) == 0 {
			parts = append(parts, c.From.String())
		} else if parts[len(parts)-1] != c.From.String() {
			parts = append(parts, "?"+c.From.String()) // a gap: a change was lost or reordered
		}
		parts = append(parts, c.To.String())
	}
	return strings.Join(parts, ">")
}

// breakerRow returns the Stats row of endpoint.
func breakerRow(t *testing.T, st store.Stats, endpoint string) store.BreakerStats {
	t.Helper()
	for _, b := range st.Breakers {
		if b.Endpoint == endpoint {
			return b
		}
	}
	t.Fatalf("Stats.Breakers %+v has no row for %s", st.Breakers, endpoint)
	return store.BreakerStats{}
}

// TestBreakerOpensUnderPauseFailsFastAndCloses: with Redis paused (SIGSTOP), breaker_failures=3
// consecutive timed-out calls open the breaker; then every call fails at once (each under 50 ms, a
// generous bound for a call that does no I/O) with an *store.OpError wrapping ErrCircuitOpen and
// ErrUnavailable that names the address, counted in Stats.Breakers.Rejected, and Stats still answers
// (breaker rows from memory). After Resume the probe closes the breaker within a short time (goal
// ~100 ms, asserted under 1 s) without a caller paying for it, watchers see closed>open>half-open>closed
// in order, and the value written before the pause is read back.
func TestBreakerOpensUnderPauseFailsFastAndCloses(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, srv.URL+"?dial_timeout=100ms&read_timeout=100ms&write_timeout=100ms&breaker_failures=3")
	ctx := context.Background()
	log := watchT(s)
	k := "breaker:v1:k"
	if err := s.Set(ctx, k, []byte("before"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Stats(ctx); err != nil || breakerRow(t, st, srv.Addr).State != store.BreakerClosed {
		t.Fatalf("Stats before the pause: %+v, %v; want the breaker closed", st.Breakers, err)
	}

	srv.Pause(t)
	var failures int
	for failures = 1; failures <= 10; failures++ {
		began := time.Now()
		_, err := s.Get(ctx, k)
		took := time.Since(began)
		if errors.Is(err, store.ErrCircuitOpen) {
			break
		}
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Get %d with Redis paused: %v, want ErrUnavailable", failures, err)
		}
		if limit := s.Budget() + 300*time.Millisecond; took > limit {
			t.Errorf("Get %d with Redis paused took %v, want within its budget %v (+300ms)", failures, took, s.Budget())
		}
	}
	if failures != 4 {
		t.Fatalf("the breaker refused call %d; want it open after exactly 3 failures", failures)
	}
	log.waitFor(t, srv.Addr, store.BreakerOpen, time.Second)

	var slowest time.Duration
	for i := range 20 {
		began := time.Now()
		var err error
		switch i % 4 {
		case 0:
			_, err = s.Get(ctx, k)
		case 1:
			err = s.Set(ctx, k, []byte("dropped"), time.Hour)
		case 2:
			_, _, err = s.GetWithTTL(ctx, k)
		case 3:
			err = s.SetMany(ctx, []store.Item{{Key: k, Value: []byte("dropped"), TTL: time.Hour}})
		}
		took := time.Since(began)
		slowest = max(slowest, took)
		var op *store.OpError
		var open *CircuitOpenError
		switch {
		case !errors.As(err, &op), !errors.Is(err, store.ErrCircuitOpen), !errors.Is(err, store.ErrUnavailable):
			t.Fatalf("call %d while open: %v, want an *OpError matching ErrCircuitOpen and ErrUnavailable", i, err)
		case !errors.As(err, &open) || open.Endpoint != srv.Addr || !strings.Contains(err.Error(), srv.Addr):
			t.Errorf("call %d while open: %v does not name the endpoint %s", i, err, srv.Addr)
		}
		if took > 50*time.Millisecond {
			t.Errorf("call %d while open took %v, want under 50ms (no I/O)", i, took)
		}
	}
	t.Logf("slowest of 20 calls with the breaker open: %v", slowest)

	began := time.Now()
	st, err := s.Stats(ctx)
	if took := time.Since(began); !errors.Is(err, store.ErrCircuitOpen) || took > 50*time.Millisecond {
		t.Errorf("Stats while open: %v after %v; want ErrCircuitOpen at once", err, took)
	}
	row := breakerRow(t, st, srv.Addr)
	if row.State != store.BreakerOpen || row.Opens != 1 || row.Rejected < 20 || row.Since.IsZero() {
		t.Errorf("Stats.Breakers while open: %+v; want open, Opens 1, Rejected >= 20", row)
	}

	time.Sleep(200 * time.Millisecond) // the probe keeps failing meanwhile
	resumed := time.Now()
	srv.Resume(t)
	log.waitFor(t, srv.Addr, store.BreakerClosed, 2*time.Second)
	closedAfter := time.Since(resumed)
	t.Logf("breaker closed %v after Resume", closedAfter.Round(time.Millisecond))
	if closedAfter > time.Second {
		t.Errorf("breaker closed %v after Resume, want well under 1s (goal ~100ms)", closedAfter)
	}
	if v, err := s.Get(ctx, k); err != nil || string(v) != "before" {
		t.Errorf("Get after recovery = %q, %v; want the value written before the pause", v, err)
	}
	if got, want := path(log.snapshot(), srv.Addr), "closed>open>half-open>closed"; got != want {
		t.Errorf("watcher saw %s, want %s", got, want)
	}
	cs := log.snapshot()
	if cs[0].Cause == nil || !errors.Is(cs[0].Cause, store.ErrUnavailable) || cs[0].At.IsZero() {
		t.Errorf("opening change %+v: want a Cause wrapping ErrUnavailable and a time", cs[0])
	}
	for i := 1; i < len(cs); i++ {
		if cs[i].At.Before(cs[i-1].At) {
			t.Errorf("changes out of order: %+v before %+v", cs[i-1], cs[i])
		}
	}
	st, err = s.Stats(ctx)
	if row := breakerRow(t, st, srv.Addr); err != nil || row.State != store.BreakerClosed || row.Opens != 1 {
		t.Errorf("Stats after recovery: %+v, %v; want closed with Opens 1", row, err)
	}
}

// TestBreakerIgnoresAnswersAndCancellation: misses, error replies (WRONGTYPE), a refused password
// (ErrDenied) and cancelled calls never open the breaker, even with breaker_failures=1: the server
// answered, or the caller gave up.
func TestBreakerIgnoresAnswersAndCancellation(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, srv.URL+"?breaker_failures=1")
	ctx := context.Background()
	log := watchT(s)
	k := "breaker:v1:list"
	if err := s.Client().LPush(ctx, k, "x").Err(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := s.Get(ctx, "breaker:v1:missing"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get of a missing key: %v", err)
		}
		if _, err := s.Get(ctx, k); err == nil || errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Get of a list: %v, want a WRONGTYPE reply", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Client().Get(cctx, k).Err(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Get with a cancelled context: %v", err)
		}
	}
	srv.Do(t, "ACL", "SETUSER", "breakreader", "on", ">readerpw", "~*", "&*", "+@all", "-get")
	denied := openT(t, strings.Replace(srv.URL, "redis://", "redis://breakreader:readerpw@", 1)+"?breaker_failures=1")
	for range 3 {
		if _, err := denied.Get(ctx, k); !errors.Is(err, store.ErrDenied) {
			t.Fatalf("Get by a user without GET: %v, want ErrDenied", err)
		}
	}
	if st, _ := denied.Stats(ctx); breakerRow(t, st, srv.Addr).Opens != 0 {
		t.Errorf("breaker after ErrDenied replies: %+v, want never opened", st.Breakers)
	}
	st, _ := s.Stats(ctx)
	if row := breakerRow(t, st, srv.Addr); row.State != store.BreakerClosed || row.Opens != 0 {
		t.Errorf("breaker after answers and cancellations: %+v, want closed, never opened", row)
	}
	time.Sleep(20 * time.Millisecond) // a change, had there been one, reaches the watcher
	if cs := log.snapshot(); len(cs) != 0 {
		t.Errorf("watcher saw %v, want no change", cs)
	}
}

// TestBreakerContextDeadlineCounts: calls ended by their context's deadline (DEBUG SLEEP holds the
// server) count as failures, and the caller still gets its own context.DeadlineExceeded.
func TestBreakerContextDeadlineCounts(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, srv.URL+"?breaker_failures=2")
	ctx := context.Background()
	log := watchT(s)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	sleep := make(chan error, 1)
	go func() {
		admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr, ReadTimeout: 5 * time.Second})
		defer admin.Close()
		sleep <- admin.Do(ctx, "DEBUG", "SLEEP", "0.6").Err()
	}()
	waitBusy(t, srv.Addr)
	for i := range 2 {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		_, err := s.Get(dctx, "breaker:v1:k")
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Get %d past its deadline: %v, want context.DeadlineExceeded", i, err)
		}
	}
	log.waitFor(t, srv.Addr, store.BreakerOpen, time.Second)
	if err := <-sleep; err != nil {
		t.Fatalf("DEBUG SLEEP: %v", err)
	}
	log.waitFor(t, srv.Addr, store.BreakerClosed, 2*time.Second)
}

// judgeCall: a call that ran out of time counts as a failure only when the endpoint answered nothing
// within answeredWindow; a refused connection counts either way, and answers stay answers.
func TestJudgeCallTimeoutWhileOthersAnswered(t *testing.T) {
	b := &breaker{set: newBreakerSet(3, time.Second)}
	b.lastAnswer.Store(int64(monoNow() - 2*answeredWindow))
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Millisecond))
	defer cancel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	if o := judgeCall(expired, context.DeadlineExceeded, b); o != failure {
		t.Errorf("timeout with no recent answer: %v, want failure", o)
	}
	b.set.queuedTimeout(b)
	if n := b.fails.Load(); n != 1 {
		t.Errorf("queued timeout with no recent answer: %d failures, want 1", n)
	}
	b.record(b.gen.Load(), success, nil) // an answer now
	for _, err := range []error{context.DeadlineExceeded, goredis.ErrPoolTimeout, timeoutErr{}} {
		ctx := context.Background()
		if errors.Is(err, context.DeadlineExceeded) {
			ctx = expired
		}
		if o := judgeCall(ctx, err, b); o != neutral {
			t.Errorf("%v just after another call was answered: %v, want neutral", err, o)
		}
	}
	if o := judgeCall(context.Background(), refused, b); o != failure {
		t.Errorf("refused just after another call was answered: %v, want failure", o)
	}
	if o := judgeCall(context.Background(), nil, b); o != success {
		t.Errorf("an answer: %v, want success", o)
	}
	b.set.queuedTimeout(b)
	if n := b.fails.Load(); n != 0 {
		t.Errorf("queued timeout just after an answer counted (%d failures), want none", n)
	}
}

// timeoutErr is a net.Error that timed out (a read deadline passed).
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestBreakerHealthyServerUnderABurst: calls that run out of their deadline while they wait for a place
// in a pipeline on the one pooled connection do not open the breaker of a server that goes on
// answering (here the connection is busy with slow commands, each answered within 20 ms). They did: a
// burst of Fetches, each with its 100 ms read budget, opened the breaker of a healthy server, and then
// every caller failed and every Fetch called its loader. A burst is repeated (at most 5 times) until
// calls did wait out their deadline; the breaker must not open in any.
func TestBreakerHealthyServerUnderABurst(t *testing.T) {
	srv := redistest.Dedicated(t)
	// Concurrent callers share the auto-pipeliner in both modes (adaptive is the default), where a
	// caller's deadline never cuts the shared connection. With pipeline=off a call whose deadline passes
	// on the wire closes its connection, and a redial cut short by the next caller's deadline can keep a
	// one-connection pool from answering anything for a while: that still counts (TestJudgeCall* covers
	// the rule on that path).
	for _, mode := range []string{"adaptive", "always"} {
		sleep := "0.02" // one batch carries every waiting Get: a long sleep makes them wait
		t.Run("pipeline="+mode, func(t *testing.T) {
			s := openT(t, withQuery(srv.URL, "pool_size=1&breaker_failures=3&pipeline="+mode))
			ctx := context.Background()
			if err := s.Set(ctx, "burst:v1:k", []byte("v"), time.Minute); err != nil {
				t.Fatal(err)
			}
			var answered, timedOut int64
			for try := 0; try < 5 && timedOut < 10; try++ {
				a, to := burst(t, s, "burst:v1:k", sleep)
				answered, timedOut = answered+a, timedOut+to
			}
			if timedOut < 10 {
				t.Fatalf("%d calls answered, %d timed out in 5 bursts: no burst made calls wait out their deadline", answered, timedOut)
			}
			st, err := s.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range st.Breakers {
				if b.Opens != 0 {
					t.Errorf("breaker %s opened %d times (%d rejected) on a healthy server (%d answered, %d timed out waiting)",
						b.Endpoint, b.Opens, b.Rejected, answered, timedOut)
				}
			}
			t.Logf("%d answered, %d timed out waiting", answered, timedOut)
		})
	}
}

// burst runs 40 callers of Get(key) with a 30 ms deadline for a second while the Store's connection is
// kept busy by DEBUG SLEEP sleep (seconds) in a loop, and returns how many were answered and how many timed out.
// Any other error fails the test.
func burst(t *testing.T, s *Store, key, sleep string) (answered, timedOut int64) {
	ctx := context.Background()
	stop := make(chan struct{})
	var slow sync.WaitGroup
	slow.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.client.Do(ctx, "DEBUG", "SLEEP", sleep).Err(); err != nil {
				t.Errorf("DEBUG SLEEP: %v", err)
				return
			}
		}
	})
	var a, to, other atomic.Int64
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			for end := time.Now().Add(time.Second); time.Now().Before(end); {
				dctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
				_, err := s.Get(dctx, key)
				cancel()
				switch {
				case err == nil:
					a.Add(1)
				case errors.Is(err, context.DeadlineExceeded):
					to.Add(1)
				default:
					if other.Add(1) == 1 {
						t.Errorf("Get of a healthy server: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	slow.Wait()
	return a.Load(), to.Load()
}

// TestBreakerOff: breaker_failures=0 turns the breakers off: no rows in Stats, and a stopped server
// fails every call with the failure itself, never ErrCircuitOpen.
func TestBreakerOff(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, srv.URL+"?breaker_failures=0&dial_timeout=100ms")
	ctx := context.Background()
	st, err := s.Stats(ctx)
	if err != nil || len(st.Breakers) != 0 {
		t.Fatalf("Stats with breakers off: %+v, %v; want no breaker rows", st.Breakers, err)
	}
	srv.Stop(t)
	for i := range 10 {
		_, err := s.Get(ctx, "breaker:v1:k")
		if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrCircuitOpen) {
			t.Fatalf("Get %d with Redis stopped and breakers off: %v", i, err)
		}
	}
}

// TestBreakerURLOptions: breaker_failures, breaker_probe and call_timeout reach Options; bad values
// (negative, zero where a positive value is needed, garbage) are errors wrapping ErrInvalidURL that
// name the option.
func TestBreakerURLOptions(t *testing.T) {
	good := []struct {
		query    string
		failures int
		probe    time.Duration
		budget   time.Duration
	}{
		{"", DefaultBreakerFailures, DefaultBreakerProbe, 2 * DefaultReadTimeout},
		{"breaker_failures=9&breaker_probe=10ms", 9, 10 * time.Millisecond, 2 * DefaultReadTimeout},
		{"breaker_failures=0", -1, DefaultBreakerProbe, 2 * DefaultReadTimeout},
		{"call_timeout=250ms", DefaultBreakerFailures, DefaultBreakerProbe, 250 * time.Millisecond},
		{"read_timeout=300ms&dial_timeout=100ms&max_retries=2", DefaultBreakerFailures, DefaultBreakerProbe, 3 * 500 * time.Millisecond},
		{"read_timeout=300ms&write_timeout=300ms&dial_timeout=100ms&max_retries=0", DefaultBreakerFailures, DefaultBreakerProbe, 300 * time.Millisecond},
	}
	for _, c := range good {
		s, err := Open(context.Background(), "redis://127.0.0.1:1/0?"+c.query)
		if err != nil {
			t.Errorf("Open(?%s): %v", c.query, err)
			continue
		}
		if s.opts.BreakerFailures != c.failures || s.opts.BreakerProbe != c.probe || s.Budget() != c.budget {
			t.Errorf("?%s: failures %d probe %v budget %v; want %d %v %v", c.query, s.opts.BreakerFailures, s.opts.BreakerProbe, s.Budget(), c.failures, c.probe, c.budget)
		}
		if (s.breakers == nil) != (c.failures < 0) {
			t.Errorf("?%s: breakers installed = %v", c.query, s.breakers != nil)
		}
		_ = s.Close()
	}
	for _, q := range []string{
		"breaker_failures=-1", "breaker_failures=abc", "breaker_failures=1.5", "breaker_failures=99999999",
		"breaker_probe=0", "breaker_probe=-5ms", "breaker_probe=xyz", "breaker_probe=10",
		"call_timeout=0", "call_timeout=-1s", "call_timeout=soon",
		"breaker_failures=3&breaker_failures=4",
	} {
		name, _, _ := strings.Cut(q, "=")
		s, err := Open(context.Background(), "redis://127.0.0.1:1/0?"+q)
		if err == nil {
			_ = s.Close()
			t.Errorf("Open(?%s) succeeded, want an error naming %s", q, name)
			continue
		}
		if !errors.Is(err, store.ErrInvalidURL) || !strings.Contains(err.Error(), name) {
			t.Errorf("Open(?%s): %v; want ErrInvalidURL naming %s", q, err, name)
		}
	}
	if _, err := New(goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"}), Options{BreakerProbe: -time.Millisecond}); err == nil || !strings.Contains(err.Error(), "BreakerProbe") {
		t.Errorf("New with a negative BreakerProbe: %v, want an error naming it", err)
	}
}

// TestBreakerWatchersAfterClose: Close stops the probe and the watchers; a client kept by the caller
// lets every command through afterwards, even though its breaker was open at Close.
func TestBreakerWatchersAfterClose(t *testing.T) {
	srv := redistest.Dedicated(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr, DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer client.Close()
	s, err := New(client, Options{BreakerFailures: 1})
	if err != nil {
		t.Fatal(err)
	}
	log := watchT(s)
	ctx := context.Background()
	srv.Stop(t)
	if _, err := s.Get(ctx, "breaker:v1:k"); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Get with Redis stopped: %v", err)
	}
	log.waitFor(t, srv.Addr, store.BreakerOpen, time.Second)
	if err := client.Get(ctx, "breaker:v1:k").Err(); !errors.Is(err, store.ErrCircuitOpen) {
		t.Fatalf("the caller's own command while open: %v, want the breaker's error", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	srv.Start(t)
	if err := client.Set(ctx, "breaker:v1:k", "v", time.Minute).Err(); err != nil {
		t.Errorf("the caller's client after Close: %v, want it served", err)
	}
	n := len(log.snapshot())
	time.Sleep(100 * time.Millisecond)
	if got := log.snapshot(); len(got) != n {
		t.Errorf("watcher called after Close: %v", got[n:])
	}
}

// TestProbeReplyServing: which replies to the probe's PING prove a serving server. A server that
// answers but is loading its dataset, running a long script, or refusing clients is not serving yet.
func TestProbeReplyServing(t *testing.T) {
	for line, want := range map[string]bool{
		"+PONG": true, "-NOAUTH Authentication required.": true, "-WRONGPASS invalid": true,
		"-LOADING Redis is loading the dataset in memory": false, "-BUSY Redis is busy running a script": false,
		"-MASTERDOWN Link with MASTER is down": false, "-ERR max number of clients reached": false,
		"": false, ":1": false,
	} {
		if got := serving(line); got != want {
			t.Errorf("serving(%q) = %v, want %v", line, got, want)
		}
	}
}
