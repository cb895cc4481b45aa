package redis

import (
	"context"
	"errors"
	"fmt"

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

	link pubsubLink
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
	n.link = pubsubLink{s: t.s, ctx: n.ctx, subscribe: n.subscribe}
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
	n.link.close()
	<-n.done
	_ = n.client.Close()
}

// subscribe opens a PubSub (its connection armed by OnConnect) on the invalidation channel and waits for
// the confirmation.
func (n *nodeTracker) subscribe(ctx context.Context) (*goredis.PubSub, error) {
	ps := n.client.Subscribe(ctx)
	if err := n.t.s.confirmSubscribe(ctx, ps, trackChannel); err != nil {
		return nil, trackErr(n.t.s, ctx, err)
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

// run receives until the connection fails, then re-arms with backoff (OnConnect re-arms tracking on
// the new connection) and delivers Resync, until stopped.
func (n *nodeTracker) run(ps *goredis.PubSub) {
	defer n.t.wg.Done()
	defer close(n.done)
	n.link.follow(ps, n.receive, func() bool { return n.t.deliver(store.TrackEvent{Resync: true}) })
}

// receive delivers what ps reads until its connection fails (or the watchdog or stop closes it).
func (n *nodeTracker) receive(ps *goredis.PubSub) {
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
			n.link.heardNow()
			if !n.t.deliver(store.TrackEvent{FlushAll: true}) {
				return
			}
			continue
		}
		odd = 0
		n.link.heardNow()
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

var _ store.Tracker = (*Store)(nil)
