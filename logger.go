package cachekit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cachekit/cachekit/store"
)

// WithLogger makes the Cache report what an operator should know to l, and hands l to its store and
// every tier of it that takes one (a Redis store logs a refused CONFIG SET there and routes go-redis's
// own log lines to it; see store/redis). Without it the Cache logs nothing.
//
// Logged, at Warn unless said otherwise:
//   - an undecodable entry deleted, a value that did not fit the reader's type, a loader that panicked
//     (Error): the first of each kind of key at once, with its key; later ones of that kind are counted
//     and summarised in one line at most every WarnEvery ("N more ... in the last 1m0s"), so a flood of
//     bad entries costs one line a minute, never one per key;
//   - every circuit breaker change of the store (opened at Warn with its cause, half-open and closed at
//     Info), from the store's goroutine;
//   - the tiered store's invalidation subscription lost (Warn, with why) and restored (Info: the L1 was
//     flushed, since invalidations may have been missed).
//
// Keys are logged as they are given (relative keys); values, credentials and encryption keys never.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		o.logger = l
		return nil
	}
}

// WarnEvery is how often, at most, a repeated per-key warning of one kind is summarised.
const WarnEvery = time.Minute

// maxWarnKinds bounds the kinds the logger keeps state for: kinds come from keys, which come from users.
const maxWarnKinds = 256

// logSetter is what a store implements to take the Cache's logger.
type logSetter interface{ SetLogger(*slog.Logger) }

// warnLog is the Cache's logger with per-event, per-kind rate limits.
type warnLog struct {
	l     *slog.Logger
	mu    sync.Mutex
	limit map[warnKey]*warnState
}

type warnKey struct{ event, kind string }

type warnState struct {
	window     time.Time // start of the current summary window
	suppressed int
	lastKey    string
}

func newWarnLog(l *slog.Logger) *warnLog {
	return &warnLog{l: l, limit: map[warnKey]*warnState{}}
}

// keyEvent logs one per-key event (msg names it), or counts it when one of its kind was logged less than
// WarnEvery ago.
func (w *warnLog) keyEvent(level slog.Level, event, msg, key string, err error) {
	if w == nil {
		return
	}
	k := warnKey{event, kindOf(key)}
	now := time.Now()
	w.mu.Lock()
	st := w.limit[k]
	if st == nil {
		if len(w.limit) >= maxWarnKinds {
			k.kind = "(other kinds)"
			st = w.limit[k]
		}
		if st == nil {
			st = &warnState{}
			w.limit[k] = st
		}
	}
	if !st.window.IsZero() && now.Sub(st.window) < WarnEvery {
		st.suppressed++
		st.lastKey = key
		w.mu.Unlock()
		return
	}
	suppressed, since := st.suppressed, st.window
	st.window, st.suppressed, st.lastKey = now, 0, ""
	w.mu.Unlock()

	attrs := []any{slog.String("event", event), slog.String("key", key), slog.String("kind", k.kind)}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("more_since_last_line", suppressed), slog.Duration("over", now.Sub(since)))
	}
	w.l.Log(context.Background(), level, msg, attrs...)
}

// flush logs the counts still suppressed (at Close).
func (w *warnLog) flush() {
	if w == nil {
		return
	}
	w.mu.Lock()
	type pending struct {
		k  warnKey
		st warnState
	}
	var out []pending
	for k, st := range w.limit {
		if st.suppressed > 0 {
			out = append(out, pending{k, *st})
			st.suppressed = 0
		}
	}
	w.mu.Unlock()
	for _, p := range out {
		w.l.Warn("cachekit: repeated warnings not logged one by one", slog.String("event", p.k.event), slog.String("kind", p.k.kind),
			slog.Int("count", p.st.suppressed), slog.String("last_key", p.st.lastKey), slog.Duration("over", time.Since(p.st.window)))
	}
}

// breakerChanged logs a circuit breaker change.
func (w *warnLog) breakerChanged(ch store.BreakerChange) {
	attrs := []any{slog.String("endpoint", ch.Endpoint), slog.String("from", ch.From.String()), slog.String("to", ch.To.String())}
	if ch.To == store.BreakerOpen {
		if ch.Cause != nil {
			attrs = append(attrs, slog.String("cause", ch.Cause.Error()))
		}
		w.l.Warn("cachekit: circuit breaker opened: calls to this endpoint fail fast until a probe succeeds", attrs...)
		return
	}
	w.l.Info("cachekit: circuit breaker "+ch.To.String(), attrs...)
}

// invalidationEvent logs a subscription change of an invalidation stream (not every message).
func (w *warnLog) invalidationEvent(ev store.InvalidationEvent) {
	switch ev.Kind {
	case store.SubscriptionLost:
		attrs := []any{}
		if ev.Err != nil {
			attrs = append(attrs, slog.String("error", ev.Err.Error()))
		}
		w.l.Warn("cachekit: invalidation subscription lost: other instances' writes are not heard until it is restored", attrs...)
	case store.SubscriptionRestored:
		w.l.Info("cachekit: invalidation subscription restored; L1 flushed (invalidations may have been missed)")
	}
}

// installLogger hands l to s and its tiers, and watches s's breakers and invalidation stream.
func (c *Cache) installLogger(l *slog.Logger) {
	c.log = newWarnLog(l)
	var walk func(s store.Store)
	walk = func(s store.Store) {
		if ls, ok := s.(logSetter); ok {
			ls.SetLogger(l)
		}
		if cs, ok := s.(store.Composite); ok {
			for _, t := range cs.Tiers() {
				walk(t)
			}
		}
	}
	walk(c.st)
	if bw, ok := c.st.(store.BreakerWatcher); ok {
		bw.WatchBreakers(c.log.breakerChanged)
	}
	if iw, ok := c.st.(store.InvalidationWatcher); ok {
		iw.WatchInvalidations(c.log.invalidationEvent)
	}
}
