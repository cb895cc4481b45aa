package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// The Store implements store.Tracker with Redis client tracking in broadcast mode (Redis 6+).
//
// Each master gets a dedicated go-redis client (one connection: a RESP2 PubSub) whose Options.OnConnect
// runs, on every new connection and before go-redis subscribes it, CLIENT ID and then
// CLIENT TRACKING on REDIRECT <its own id> BCAST PREFIX p...; the PubSub then subscribes to
// __redis__:invalidate, where Redis publishes the keys it invalidates (the null payload of a FLUSHALL or
// FLUSHDB becomes TrackEvent.FlushAll). Redirecting to itself needs no second connection, and arming in
// OnConnect makes every reconnect re-arm tracking by itself. RESP2 is deliberate: under RESP3 the
// invalidations would arrive as push messages outside the PubSub. NOLOOP is not used: this process's own
// writes are reported too, so that every other instance of it hears them.
//
// Loss detection follows the pub/sub subscription's rules (pubsub.go): every reply is proof of life, an
// idle connection is pinged after pubsubPing and closed after pubsubDeadAfter of silence, and a connection
// that failed is replaced (with backoff) by a new one — re-armed by OnConnect — whose confirmation is
// delivered as TrackEvent{Resync: true}; a re-subscription go-redis made by itself is one too.
//
// On a Cluster the set of masters is read with CLUSTER SLOTS every trackTopologyEvery: a new master gets
// a tracker (and a Resync is delivered once it is armed: writes it took before were not reported), a node
// that is no longer a master loses its tracker. So a failover is heard within about that period plus
// the time the cluster takes to promote the replica.
const trackTopologyEvery = 500 * time.Millisecond

// trackChannel is where Redis publishes invalidations to a RESP2 client redirected to.
const trackChannel = "__redis__:invalidate"

// Track arms broadcast tracking of prefixes on every master and returns once every one confirmed it (see
// store.Tracker). Errors wrap store.ErrTrackingUnsupported when a server refuses CLIENT TRACKING (Redis
// older than 6, the command renamed or denied; a denial also wraps store.ErrDenied), store.ErrUnavailable
// when a node cannot be reached, store.ErrInvalidKey for overlapping prefixes, store.ErrClosed after Close.
// A *goredis.Client built by NewFailoverClient (Sentinel) tracks the current master: its dialer asks
// Sentinel, and a failover closes the old master's connections (Sentinel kills its clients), so the
// tracker reconnects to the new master, re-arms and delivers a Resync.
func (s *Store) Track(ctx context.Context, prefixes []string) (store.TrackSubscription, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "track", ""); err != nil {
		return nil, err
	}
	prefixes, err := trackPrefixes(prefixes)
	if err != nil {
		return nil, &store.OpError{Op: "track", Backend: backendName, Err: err}
	}
	t := &tracking{
		s:        s,
		prefixes: prefixes,
		events:   make(chan store.TrackEvent, pubsubBuffer),
		nodes:    make(map[string]*nodeTracker),
		done:     make(chan struct{}),
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	if s.cluster == nil {
		c, ok := s.client.(*goredis.Client)
		if !ok {
			return nil, &store.OpError{Op: "track", Backend: backendName, Err: fmt.Errorf("unsupported client type %T", s.client)}
		}
		n, err := t.arm(ctx, c.Options(), "")
		if err != nil {
			return nil, err
		}
		t.nodes[""] = n
		close(t.done)
	} else {
		if err := t.armCluster(ctx); err != nil {
			t.stopNodes()
			return nil, err
		}
		go t.watchTopology()
	}
	return t, nil
}

// trackPrefixes deduplicates and checks prefixes: none may start with another (Redis refuses overlapping
// broadcast prefixes), and "" means every key, so it stands alone.
func trackPrefixes(prefixes []string) ([]string, error) {
	ps := slices.Clone(prefixes)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	if len(ps) > 0 && ps[0] == "" {
		if len(ps) > 1 {
			return nil, fmt.Errorf("%w: track prefix \"\" (every key) overlaps the prefix %q", store.ErrInvalidKey, ps[1])
		}
		return nil, nil
	}
	for i := 1; i < len(ps); i++ {
		if strings.HasPrefix(ps[i], ps[i-1]) {
			return nil, fmt.Errorf("%w: track prefixes %q and %q overlap (one starts with the other)", store.ErrInvalidKey, ps[i-1], ps[i])
		}
	}
	return ps, nil
}

// tracking is a store.TrackSubscription: one nodeTracker per master, all delivering to events.
type tracking struct {
	s        *Store
	prefixes []string
	events   chan store.TrackEvent
	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc
	done     chan struct{} // closed when the topology watcher has returned (at once off a Cluster)

	mu        sync.Mutex
	nodes     map[string]*nodeTracker // by master address ("" off a Cluster)
	closed    bool
	closeOnce sync.Once
	wg        sync.WaitGroup // nodeTracker goroutines
	template  *goredis.Options
}

// Events delivers the invalidated keys, FlushAll and Resync (see store.TrackSubscription).
func (t *tracking) Events() <-chan store.TrackEvent { return t.events }

// Close stops every node's tracking, closes their clients and Events. It is idempotent.
func (t *tracking) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closed = true
		t.mu.Unlock()
		t.cancel()
		<-t.done
		t.stopNodes()
		t.wg.Wait()
		close(t.events)
	})
	return nil
}

// stopNodes stops every node tracker.
func (t *tracking) stopNodes() {
	t.mu.Lock()
	nodes := t.nodes
	t.nodes = make(map[string]*nodeTracker)
	t.mu.Unlock()
	for _, n := range nodes {
		n.stop()
	}
}

// deliver hands ev to the reader, blocking while the buffer is full (a reader far behind makes Redis
// close the connection at its pubsub output limit, which ends in a Resync); false once closed.
func (t *tracking) deliver(ev store.TrackEvent) bool {
	select {
	case t.events <- ev:
		return true
	case <-t.ctx.Done():
		return false
	}
}

// armCluster starts a tracker on every current master.
func (t *tracking) armCluster(ctx context.Context) error {
	addrs, err := t.clusterMasters(ctx)
	if err != nil {
		return err
	}
	for _, addr := range addrs {
		n, err := t.arm(ctx, t.template, addr)
		if err != nil {
			return err
		}
		t.mu.Lock()
		t.nodes[addr] = n
		t.mu.Unlock()
	}
	return nil
}

// clusterMasters returns the masters' addresses from CLUSTER SLOTS (asked of any node), and sets the
// template of the node clients' options on first use.
func (t *tracking) clusterMasters(ctx context.Context) ([]string, error) {
	bctx, cancel := t.s.bound(ctx)
	defer cancel()
	if t.template == nil {
		err := t.s.cluster.ForEachMaster(bctx, func(_ context.Context, c *goredis.Client) error {
			t.mu.Lock()
			if t.template == nil {
				t.template = c.Options()
			}
			t.mu.Unlock()
			return nil
		})
		if err == nil && t.template == nil {
			err = errors.New("the cluster has no master")
		}
		if err != nil {
			return nil, t.s.opErr(ctx, "track", "", err)
		}
	}
	//lint:ignore SA1019 CLUSTER SHARDS needs Redis 7; CLUSTER SLOTS also serves Redis 6 (tracking's minimum).
	slots, err := t.s.cluster.ClusterSlots(bctx).Result()
	if err != nil {
		return nil, t.s.opErr(ctx, "track", "", err)
	}
	var addrs []string
	for _, sl := range slots {
		if len(sl.Nodes) > 0 && sl.Nodes[0].Addr != "" {
			addrs = append(addrs, sl.Nodes[0].Addr)
		}
	}
	slices.Sort(addrs)
	return slices.Compact(addrs), nil
}

// watchTopology re-reads the set of masters every trackTopologyEvery and reconciles the trackers: it
// starts one on every new master (delivering a Resync once it is armed) and stops those of nodes that
// are no longer masters. A failed read or arm is retried at the next tick.
func (t *tracking) watchTopology() {
	defer close(t.done)
	tick := time.NewTicker(trackTopologyEvery)
	defer tick.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-tick.C:
		}
		if t.s.closed.Load() {
			t.stopNodes()
			t.cancel()
			return
		}
		ctx, cancel := context.WithTimeout(t.ctx, t.s.confirmTimeout())
		addrs, err := t.clusterMasters(ctx)
		if err == nil && len(addrs) > 0 && t.reconcile(ctx, addrs) && !t.deliver(store.TrackEvent{Resync: true}) {
			cancel()
			return
		}
		cancel()
	}
}

// reconcile makes the trackers match addrs and reports whether a tracker was started (so changes on that
// master before it was armed were missed). A master that cannot be armed now is tried again next time.
func (t *tracking) reconcile(ctx context.Context, addrs []string) bool {
	t.mu.Lock()
	var stale []*nodeTracker
	for addr, n := range t.nodes {
		if !slices.Contains(addrs, addr) {
			stale = append(stale, n)
			delete(t.nodes, addr)
		}
	}
	var missing []string
	for _, addr := range addrs {
		if _, ok := t.nodes[addr]; !ok {
			missing = append(missing, addr)
		}
	}
	t.mu.Unlock()
	for _, n := range stale {
		n.stop()
	}
	started := false
	for _, addr := range missing {
		n, err := t.arm(ctx, t.template, addr)
		if err != nil {
			continue
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			n.stop()
			return false
		}
		t.nodes[addr] = n
		t.mu.Unlock()
		started = true
	}
	return started
}
