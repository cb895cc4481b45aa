package redis

import (
	"context"
	"fmt"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// breakerSet holds a Store's breakers, one per endpoint, and delivers their state changes to watchers
// from one goroutine of its own, in order.
type breakerSet struct {
	failures int
	probe    time.Duration
	ctx      context.Context // cancelled by close: ends probes and the dispatcher
	cancel   context.CancelFunc

	off       atomic.Bool  // set by close: the hooks, which stay on a caller's client, let everything through
	notClosed atomic.Int32 // breakers open or half-open (see troubled)

	mu       sync.Mutex
	closed   bool
	byAddr   map[string]*breaker
	list     []*breaker // sorted by endpoint
	watchers []func(store.BreakerChange)
	queue    []store.BreakerChange
	wake     chan struct{} // capacity 1: the dispatcher has work
	running  sync.WaitGroup
}

func newBreakerSet(failures int, probe time.Duration) *breakerSet {
	ctx, cancel := context.WithCancel(context.Background())
	return &breakerSet{failures: failures, probe: probe, ctx: ctx, cancel: cancel,
		byAddr: map[string]*breaker{}, wake: make(chan struct{}, 1)}
}

// install puts a breaker on the client: one for a single server or the Sentinel-managed master (named
// endpoint), one per node of a Cluster (each node client go-redis creates gets its own hook, named by
// its address; a node re-created for the same address keeps its breaker).
func (bs *breakerSet) install(client goredis.UniversalClient, endpoint string) {
	switch c := client.(type) {
	case *goredis.ClusterClient:
		c.OnNewNode(func(node *goredis.Client) {
			o := node.Options()
			node.AddHook(breakerHook{bs.breakerFor(o.Addr, o)})
		})
	case *goredis.Client:
		c.AddHook(breakerHook{bs.breakerFor(endpoint, c.Options())})
	}
}

// breakerFor returns the breaker of endpoint, creating it with a probe that dials as o does.
func (bs *breakerSet) breakerFor(endpoint string, o *goredis.Options) *breaker {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if b := bs.byAddr[endpoint]; b != nil {
		return b
	}
	dialer, network, addr := o.Dialer, o.Network, o.Addr
	b := &breaker{
		set:      bs,
		endpoint: endpoint,
		dial:     func(ctx context.Context) (net.Conn, error) { return dialer(ctx, network, addr) },
		dialTO:   o.DialTimeout,
		since:    time.Now(),
	}
	if b.dialTO <= 0 {
		b.dialTO = DefaultDialTimeout
	}
	bs.byAddr[endpoint] = b
	bs.list = append(bs.list, b)
	sort.Slice(bs.list, func(i, j int) bool { return bs.list[i].endpoint < bs.list[j].endpoint })
	return b
}

// lookup returns the breaker of addr, or with addr "" the only breaker of a single-endpoint Store; nil
// when there is none.
func (bs *breakerSet) lookup(addr string) *breaker {
	if bs == nil {
		return nil
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if addr == "" && len(bs.list) == 1 {
		return bs.list[0]
	}
	return bs.byAddr[addr]
}

// startProbe runs b's probe loop unless the set is closed; called with b.mu held.
func (bs *breakerSet) startProbe(b *breaker) bool {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.closed {
		return false
	}
	bs.running.Add(1)
	go func() {
		defer bs.running.Done()
		b.probeLoop()
	}()
	return true
}

// stats returns every breaker's row, in endpoint order; it does no I/O.
func (bs *breakerSet) stats() []store.BreakerStats {
	bs.mu.Lock()
	list := append([]*breaker(nil), bs.list...)
	bs.mu.Unlock()
	out := make([]store.BreakerStats, len(list))
	for i, b := range list {
		out[i] = b.stats()
	}
	return out
}

// watch registers fn and starts the dispatcher with the first watcher.
func (bs *breakerSet) watch(fn func(store.BreakerChange)) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.closed || fn == nil {
		return
	}
	bs.watchers = append(bs.watchers, fn)
	if len(bs.watchers) == 1 {
		bs.running.Add(1)
		go bs.dispatch()
	}
}

// publish queues a change for the watchers; called with the changing breaker's mu held, so the queue
// order is the order of that breaker's changes.
func (bs *breakerSet) publish(ev store.BreakerChange) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if len(bs.watchers) == 0 || bs.closed {
		return
	}
	bs.queue = append(bs.queue, ev)
	select {
	case bs.wake <- struct{}{}:
	default:
	}
}

// dispatch calls the watchers with every queued change, one at a time, until the set is closed; changes
// queued before close are still delivered.
func (bs *breakerSet) dispatch() {
	defer bs.running.Done()
	for {
		select {
		case <-bs.wake:
		case <-bs.ctx.Done():
		}
		bs.mu.Lock()
		queue, watchers, closed := bs.queue, bs.watchers, bs.closed
		bs.queue = nil
		bs.mu.Unlock()
		for _, ev := range queue {
			for _, fn := range watchers {
				fn(ev)
			}
		}
		if closed {
			return
		}
	}
}

// close stops the probes and the dispatcher and waits for them.
func (bs *breakerSet) close() {
	bs.mu.Lock()
	bs.closed = true
	bs.mu.Unlock()
	bs.off.Store(true)
	bs.cancel()
	bs.running.Wait()
}

// troubled reports whether any breaker of the set is open or half-open: some endpoint is failing. It is
// one atomic load, so the adaptive pipelining mode can ask it on every call (nil: no breakers).
func (bs *breakerSet) troubled() bool { return bs != nil && bs.notClosed.Load() > 0 }

// queuedTimeout tells b, the breaker of the endpoint a call queued on the auto-pipeliner was for, that
// the call ran out of its budget. The hook sees a pipelined batch once, on the auto-pipeliner's own
// context, and a hung batch only after the read timeout: without this, a hung endpoint would open its
// breaker one batch at a time while every queued call waits out its budget (Fetch's 100 ms), where the
// direct path counts each call that ran out of time. As there (judgeCall), a call that timed out while b
// answered others tells of a queue, not of a hung endpoint, and is not counted. Only a closed breaker
// counts it: in half-open the probe and real calls decide, and a call that began before an opening
// tells nothing new.
func (bs *breakerSet) queuedTimeout(b *breaker) {
	if b == nil || store.BreakerState(b.state.Load()) != store.BreakerClosed || b.answeredRecently() {
		return
	}
	cause := &UnavailableError{Addr: b.endpoint, Cause: fmt.Errorf("queued on the auto-pipeliner: %w", context.DeadlineExceeded)}
	b.record(b.gen.Load(), failure, cause)
}
