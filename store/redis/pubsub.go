package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// The Store implements store.Broadcaster with Redis pub/sub: PUBLISH on the Store's client, and one
// dedicated SUBSCRIBE connection per Subscription.
//
// On a Cluster it uses plain PUBLISH/SUBSCRIBE, not the sharded SPUBLISH/SSUBSCRIBE: a plain message
// reaches subscribers on every node through the cluster bus, so a subscription survives resharding and
// failover of whichever node it is connected to, at the cost of bus traffic per message. Invalidation
// traffic is small (one short message per write), and the sharded form would pin every message of one
// channel to one shard anyway while requiring Redis 7 and handling of slot migration.
//
// Loss detection. go-redis's PubSub re-subscribes by itself after a dropped connection, and its
// ChannelWithSubscriptions surfaces each re-subscription as a *redis.Subscription (checked against a real
// server: CLIENT KILL TYPE pubsub and a server restart both produce one within milliseconds of the new
// connection). A Subscription does not use that channel, though, for three reasons: its goroutine
// silently drops a message when the Go channel stays full for a minute, it hides the pongs of its health
// check so a connection that went silent without a reset (a half-open TCP connection) is noticed only
// when a write fails, minutes later, and it hides errors. Instead each Subscription runs its own receive
// loop on PubSub.Receive: every reply (message, confirmation or pong) is proof of life; a watchdog pings
// the server when the connection has been idle for pubsubPing and closes the connection when nothing at
// all was heard for pubsubDeadAfter; any receive error discards the PubSub, and a new one is subscribed
// (with backoff) whose confirmation is delivered as Event{Resync: true}. Delivery to Events blocks
// rather than drops: a reader that falls far behind makes Redis close the connection when it reaches
// client-output-buffer-limit for pubsub, which again ends in a Resync, never in a silent loss.
const (
	pubsubPing       = time.Second           // idle time after which the watchdog pings
	pubsubDeadAfter  = 3 * pubsubPing        // silence after which the connection is presumed dead
	pubsubBackoffMin = 20 * time.Millisecond // first wait between re-subscription attempts
	pubsubBackoffMax = time.Second           // longest wait between re-subscription attempts
	pubsubBuffer     = 256                   // events buffered between the receive loop and the reader
)

var errEmptyChannel = fmt.Errorf("%w: empty channel name", store.ErrInvalidKey)

// Publish sends payload to every subscriber of channel (PUBLISH; this process's subscribers included). On
// a Cluster the message reaches subscribers connected to any node. Errors wrap the store sentinels
// (store.ErrUnavailable when Redis cannot be reached).
func (s *Store) Publish(ctx context.Context, channel string, payload []byte) error {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "publish", channel); err != nil {
		return err
	}
	if channel == "" {
		return &store.OpError{Op: "publish", Backend: backendName, Err: errEmptyChannel}
	}
	bctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.client.Publish(bctx, channel, payload).Err(); err != nil {
		return s.opErr(ctx, "publish", channel, err)
	}
	return nil
}

// Subscribe subscribes to channel on a connection of its own and returns once Redis has confirmed the
// subscription (bounded by ctx and by the client's dial and read timeouts). The Subscription's first event
// is a message; after a lost connection it re-subscribes with backoff and delivers Event{Resync: true}
// before any later message. It ends, closing Events, when closed or when this Store is closed.
func (s *Store) Subscribe(ctx context.Context, channel string) (store.Subscription, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "subscribe", channel); err != nil {
		return nil, err
	}
	if channel == "" {
		return nil, &store.OpError{Op: "subscribe", Backend: backendName, Err: errEmptyChannel}
	}
	ps, err := s.subscribeConfirmed(ctx, channel)
	if err != nil {
		return nil, err
	}
	sub := &subscription{
		channel: channel,
		events:  make(chan store.Event, pubsubBuffer),
		done:    make(chan struct{}),
	}
	sub.ctx, sub.cancel = context.WithCancel(context.Background())
	sub.link = pubsubLink{s: s, ctx: sub.ctx, subscribe: func(ctx context.Context) (*goredis.PubSub, error) {
		return s.subscribeConfirmed(ctx, channel)
	}}
	go sub.run(ps)
	return sub, nil
}

// subscribeConfirmed opens a PubSub subscribed to channel and waits for the server's confirmation.
func (s *Store) subscribeConfirmed(ctx context.Context, channel string) (*goredis.PubSub, error) {
	ps := s.client.Subscribe(ctx) // no channel yet: no I/O, and the error of the next call is not swallowed
	if err := s.confirmSubscribe(ctx, ps, channel); err != nil {
		return nil, s.opErr(ctx, "subscribe", channel, err)
	}
	return ps, nil
}

// confirmSubscribe subscribes ps to channel and waits for the server's confirmation (within ctx and
// confirmTimeout); on an error it closes ps.
func (s *Store) confirmSubscribe(ctx context.Context, ps *goredis.PubSub, channel string) error {
	err := ps.Subscribe(ctx, channel)
	if err == nil {
		var msg any
		msg, err = ps.ReceiveTimeout(ctx, s.confirmTimeout())
		if m, ok := msg.(*goredis.Subscription); err == nil && (!ok || m.Kind != "subscribe" || m.Channel != channel) {
			err = fmt.Errorf("unexpected reply %v to SUBSCRIBE", msg)
		}
	}
	if err != nil {
		_ = ps.Close()
	}
	return err
}

// confirmTimeout bounds the wait for a SUBSCRIBE confirmation: the client's dial plus read timeout.
func (s *Store) confirmTimeout() time.Duration {
	var dial, read time.Duration
	switch c := s.client.(type) {
	case *goredis.Client:
		dial, read = c.Options().DialTimeout, c.Options().ReadTimeout
	case *goredis.ClusterClient:
		dial, read = c.Options().DialTimeout, c.Options().ReadTimeout
	}
	if d := max(dial, 0) + max(read, 0); d > 0 {
		return d
	}
	return 5 * time.Second
}

// subscription is a store.Subscription over a sequence of go-redis PubSubs: one per connection.
type subscription struct {
	channel string
	events  chan store.Event
	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc
	done    chan struct{} // closed when run has returned
	link    pubsubLink
}

// Events delivers the messages, and Resync after a re-established connection. It is closed after Close.
func (sub *subscription) Events() <-chan store.Event { return sub.events }

// Close ends the subscription and waits for its goroutines. It is idempotent.
func (sub *subscription) Close() error {
	sub.cancel()
	sub.link.close()
	<-sub.done
	return nil
}

// run receives on ps until its connection fails, then re-subscribes and delivers Resync, until Close.
func (sub *subscription) run(ps *goredis.PubSub) {
	defer close(sub.done)
	defer close(sub.events)
	sub.link.follow(ps, sub.receive, func() bool { return sub.deliver(store.Event{Resync: true}) })
}

// receive reads replies from ps and delivers its messages until an error (the connection failed, the
// watchdog or Close closed it).
func (sub *subscription) receive(ps *goredis.PubSub) {
	for {
		msg, err := ps.Receive(sub.ctx)
		if err != nil {
			return
		}
		sub.link.heardNow()
		switch m := msg.(type) {
		case *goredis.Message:
			if !sub.deliver(store.Event{Payload: []byte(m.Payload)}) {
				return
			}
		case *goredis.Subscription:
			// go-redis re-subscribed on a new connection by itself: what was published meanwhile is lost.
			if m.Kind == "subscribe" && !sub.deliver(store.Event{Resync: true}) {
				return
			}
		}
	}
}

// deliver hands ev to the reader, blocking while the buffer is full; false means the subscription closed.
func (sub *subscription) deliver(ev store.Event) bool {
	select {
	case sub.events <- ev:
		return true
	default:
	}
	sub.link.waiting.Store(true)
	defer func() {
		sub.link.heardNow()
		sub.link.waiting.Store(false)
	}()
	select {
	case sub.events <- ev:
		return true
	case <-sub.ctx.Done():
		return false
	}
}

var _ store.Broadcaster = (*Store)(nil)
