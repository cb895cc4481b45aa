package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/cachekit/cachekit/store"
)

// trackRefusal marks an error of the CLIENT ID or CLIENT TRACKING command run on connect: the server
// answered, and refused tracking.
type trackRefusal struct{ err error }

func (e *trackRefusal) Error() string { return "CLIENT TRACKING refused: " + e.err.Error() }
func (e *trackRefusal) Unwrap() error { return e.err }

// maxOddReplies is how many unreadable replies in a row a tracker reads as FlushAll (the null payload
// of a flush is the one go-redis cannot parse) before it presumes the connection broken.
const maxOddReplies = 3

// nodeTracker tracks one node on a dedicated client whose single PubSub is armed on connect.
type nodeTracker struct {
	t      *tracking
	client *goredis.Client
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu sync.Mutex
	ps *goredis.PubSub

	heard atomic.Int64 // UnixNano of the last reply read
}

// trackingOptions derives the options of a node's tracking client from the Store's: same credentials,
// TLS, dialer (Sentinel's resolves the current master) and timeouts; RESP2, one connection, and an
// OnConnect that arms tracking after the Store's own OnConnect, if any.
func trackingOptions(base *goredis.Options, addr string, prefixes []string) *goredis.Options {
	o := new(goredis.Options)
	*o = *base // Options holds no lock; its one pointer NewClient writes through is copied below
	// Not a copy of base's: go-redis writes its Mode (under a lock of its client) while a connection
	// is set up. The tracking client speaks RESP2, which carries no maintenance notifications.
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	// Client-side caching would refuse a user's CLIENT TRACKING; the connection-pool limiter and the
	// auto-pipeliner belong to the Store's client.
	o.ClientSideCacheConfig, o.ClientSideCache, o.Limiter, o.AutoPipelineOptions = nil, nil, nil, nil
	if addr != "" {
		o.Addr = addr
	}
	o.Protocol = 2
	o.PoolSize, o.MinIdleConns, o.MaxIdleConns, o.MaxActiveConns = 1, 0, 0, 0
	prev := base.OnConnect
	o.OnConnect = func(ctx context.Context, cn *goredis.Conn) error {
		if prev != nil {
			if err := prev(ctx, cn); err != nil {
				return err
			}
		}
		id, err := cn.ClientID(ctx).Result()
		if err != nil {
			return &trackRefusal{err: err}
		}
		args := []any{"client", "tracking", "on", "redirect", id, "bcast"}
		for _, p := range prefixes {
			args = append(args, "prefix", p)
		}
		if err := cn.Do(ctx, args...).Err(); err != nil {
			return &trackRefusal{err: err}
		}
		return nil
	}
	return o
}

// arm starts a tracker on the node at addr ("" for base's own address) and returns once its
// subscription is confirmed, tracking armed.
func (t *tracking) arm(ctx context.Context, base *goredis.Options, addr string) (*nodeTracker, error) {
	n := &nodeTracker{t: t, client: goredis.NewClient(trackingOptions(base, addr, t.prefixes)), done: make(chan struct{})}
	n.ctx, n.cancel = context.WithCancel(t.ctx)
	ps, err := n.subscribe(ctx)
	if err != nil {
		n.cancel()
		_ = n.client.Close()
		return nil, err
	}
	t.wg.Add(1)
	go n.run(ps)
	return n, nil
}

// stop ends the tracker, closes its client and waits for its goroutine.
func (n *nodeTracker) stop() {
	n.cancel()
	n.mu.Lock()
	if n.ps != nil {
		_ = n.ps.Close()
	}
	n.mu.Unlock()
	<-n.done
	_ = n.client.Close()
}

// subscribe opens a PubSub (its connection armed by OnConnect) on the invalidation channel and waits for
// the confirmation.
func (n *nodeTracker) subscribe(ctx context.Context) (*goredis.PubSub, error) {
	s := n.t.s
	ps := n.client.Subscribe(ctx)
	err := ps.Subscribe(ctx, trackChannel)
	if err == nil {
		var msg any
		msg, err = ps.ReceiveTimeout(ctx, s.confirmTimeout())
		if m, ok := msg.(*goredis.Subscription); err == nil && (!ok || m.Kind != "subscribe" || m.Channel != trackChannel) {
			err = fmt.Errorf("unexpected reply %v to SUBSCRIBE", msg)
		}
	}
	if err != nil {
		_ = ps.Close()
		return nil, trackErr(s, ctx, err)
	}
	return ps, nil
}

// trackErr classifies an arming error: a refusal wraps store.ErrTrackingUnsupported (and, for a
// denial, the Store's DeniedError), the rest as any call's error.
func trackErr(s *Store, ctx context.Context, err error) error {
	var ref *trackRefusal
	if errors.As(err, &ref) && !ctxDone(ctx) && !isUnavailable(ref.err) {
		c := s.classify(ctx, ref.err)
		return &store.OpError{Op: "track", Backend: backendName, Err: fmt.Errorf("%w: %w", store.ErrTrackingUnsupported, c)}
	}
	return s.opErr(ctx, "track", "", err)
}

// run receives until the connection fails, then re-arms with backoff and delivers Resync, until stopped.
func (n *nodeTracker) run(ps *goredis.PubSub) {
	defer n.t.wg.Done()
	defer close(n.done)
	for {
		if !n.adopt(ps) {
			return
		}
		n.receive(ps)
		_ = ps.Close()
		if ps = n.rearm(); ps == nil {
			return
		}
		if !n.adopt(ps) || !n.t.deliver(store.TrackEvent{Resync: true}) {
			return
		}
	}
}

// adopt makes ps the current PubSub, or closes it and reports false when the tracker is stopped.
func (n *nodeTracker) adopt(ps *goredis.PubSub) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ctx.Err() != nil {
		_ = ps.Close()
		return false
	}
	n.ps = ps
	return true
}

// receive delivers what ps reads until its connection fails (or the watchdog or stop closes it).
func (n *nodeTracker) receive(ps *goredis.PubSub) {
	n.heard.Store(time.Now().UnixNano())
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		n.watch(ps, stop)
	}()
	defer func() {
		close(stop)
		<-watched
	}()
	odd := 0
	for {
		msg, err := ps.Receive(n.ctx)
		if err != nil {
			// A reply go-redis cannot turn into a message, on a live connection: the null key list of a
			// FLUSHALL/FLUSHDB. Anything else, or too many in a row, means the connection is gone.
			if n.ctx.Err() != nil || n.t.s.closed.Load() || errors.Is(err, goredis.ErrClosed) || isUnavailable(err) || odd >= maxOddReplies {
				return
			}
			odd++
			n.heard.Store(time.Now().UnixNano())
			if !n.t.deliver(store.TrackEvent{FlushAll: true}) {
				return
			}
			continue
		}
		odd = 0
		n.heard.Store(time.Now().UnixNano())
		switch m := msg.(type) {
		case *goredis.Message:
			if m.Channel != trackChannel {
				continue
			}
			ev := store.TrackEvent{Keys: m.PayloadSlice}
			if m.PayloadSlice == nil {
				ev = store.TrackEvent{FlushAll: true}
			}
			if !n.t.deliver(ev) {
				return
			}
		case *goredis.Subscription:
			// go-redis reconnected and re-subscribed by itself (OnConnect re-armed tracking): changes
			// made meanwhile were not reported.
			if m.Kind == "subscribe" && !n.t.deliver(store.TrackEvent{Resync: true}) {
				return
			}
		}
	}
}

// watch pings ps when idle, and closes it when nothing was heard for pubsubDeadAfter or the Store closed.
func (n *nodeTracker) watch(ps *goredis.PubSub, stop <-chan struct{}) {
	tick := time.NewTicker(pubsubPing / 2)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if n.t.s.closed.Load() {
			_ = ps.Close()
			return
		}
		silent := time.Since(time.Unix(0, n.heard.Load()))
		switch {
		case silent >= pubsubDeadAfter:
			_ = ps.Close()
			return
		case silent >= pubsubPing:
			ctx, cancel := context.WithTimeout(n.ctx, pubsubPing)
			err := ps.Ping(ctx)
			cancel()
			if err != nil {
				_ = ps.Close()
				return
			}
		}
	}
}

// rearm subscribes again with backoff (OnConnect re-arms tracking) until it succeeds, or returns nil
// when the tracker is stopped or the Store closed.
func (n *nodeTracker) rearm() *goredis.PubSub {
	wait := pubsubBackoffMin
	for {
		if n.ctx.Err() != nil || n.t.s.closed.Load() {
			return nil
		}
		ctx, cancel := context.WithTimeout(n.ctx, n.t.s.confirmTimeout())
		ps, err := n.subscribe(ctx)
		cancel()
		if err == nil {
			return ps
		}
		if errors.Is(err, store.ErrClosed) {
			return nil
		}
		select {
		case <-time.After(wait):
		case <-n.ctx.Done():
			return nil
		}
		wait = min(2*wait, pubsubBackoffMax)
	}
}

var _ store.Tracker = (*Store)(nil)
