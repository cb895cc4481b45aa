package redis

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// pubsubLink is a dedicated pub/sub connection kept alive, as "Loss detection" (pubsub.go) describes:
// the current PubSub, a watchdog that proves it alive, and a new subscription with backoff after it
// failed. A Subscription and each node tracker (client tracking) run one.
type pubsubLink struct {
	s         *Store
	ctx       context.Context                                    // ends the link; cancelled before close
	subscribe func(ctx context.Context) (*goredis.PubSub, error) // a new PubSub, its subscription confirmed

	mu sync.Mutex
	ps *goredis.PubSub // the current PubSub, closed by close

	heard   atomic.Int64 // UnixNano of the last reply read: message, confirmation or pong
	waiting atomic.Bool  // the reader is blocked handing an event on: that is not silence
}

// follow runs the link from ps until it ends: receive reads ps until its connection fails (or the
// watchdog or close closes it); then a new PubSub is subscribed, and resync reports the gap (false: the
// link ended meanwhile).
func (l *pubsubLink) follow(ps *goredis.PubSub, receive func(*goredis.PubSub), resync func() bool) {
	for {
		if !l.adopt(ps) {
			return
		}
		l.watched(ps, receive)
		_ = ps.Close()
		if ps = l.resubscribe(); ps == nil {
			return
		}
		if !l.adopt(ps) || !resync() {
			return
		}
	}
}

// adopt makes ps the current PubSub, or closes it and reports false when the link has ended.
func (l *pubsubLink) adopt(ps *goredis.PubSub) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx.Err() != nil {
		_ = ps.Close()
		return false
	}
	l.ps = ps
	return true
}

// close closes the current PubSub, which ends its receive; the caller has ended l.ctx first, so that
// no new one is adopted.
func (l *pubsubLink) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ps != nil {
		_ = l.ps.Close()
	}
}

// heardNow records a sign of life.
func (l *pubsubLink) heardNow() { l.heard.Store(time.Now().UnixNano()) }

// watched runs receive(ps) with the watchdog watching ps, and returns once both have ended.
func (l *pubsubLink) watched(ps *goredis.PubSub, receive func(*goredis.PubSub)) {
	l.heardNow()
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		l.watch(ps, stop)
	}()
	receive(ps)
	close(stop)
	<-watched
}

// watch pings ps when it has been idle, and closes it when nothing was heard for pubsubDeadAfter, or when
// the Store was closed. Time spent blocked on a slow reader does not count as silence.
func (l *pubsubLink) watch(ps *goredis.PubSub, stop <-chan struct{}) {
	tick := time.NewTicker(pubsubPing / 2)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if l.s.closed.Load() {
			_ = ps.Close()
			return
		}
		if l.waiting.Load() {
			continue
		}
		silent := time.Since(time.Unix(0, l.heard.Load()))
		switch {
		case silent >= pubsubDeadAfter:
			_ = ps.Close()
			return
		case silent >= pubsubPing:
			ctx, cancel := context.WithTimeout(l.ctx, pubsubPing)
			err := ps.Ping(ctx)
			cancel()
			if err != nil {
				_ = ps.Close()
				return
			}
		}
	}
}

// resubscribe subscribes again with backoff until it succeeds (returning the new PubSub), or returns nil
// when the link has ended or the Store (or its client) is closed.
func (l *pubsubLink) resubscribe() *goredis.PubSub {
	wait := pubsubBackoffMin
	for {
		if l.ctx.Err() != nil || l.s.closed.Load() {
			return nil
		}
		ctx, cancel := context.WithTimeout(l.ctx, l.s.confirmTimeout())
		ps, err := l.subscribe(ctx)
		cancel()
		if err == nil {
			return ps
		}
		if errors.Is(err, store.ErrClosed) { // the client itself was closed
			return nil
		}
		select {
		case <-time.After(wait):
		case <-l.ctx.Done():
			return nil
		}
		wait = min(2*wait, pubsubBackoffMax)
	}
}
