package redis

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// queuedWrites tracks, by key, the writes whose caller gave up while they were still queued on the
// auto-pipeliner (see Store.abandon). They may still execute, in the auto-pipeliner's order. A later
// single-key call of such a key keeps to that ordered stream (adaptive.enter); a write that goes
// around it (SetMany, a multi-key Delete, DeletePattern, the Lua scripts) first waits for them
// (waitKeys, waitMatching), or the older value could land after the newer one. Seen in the chaos suite
// under packet loss: a SetMany acknowledged, then overwritten by a Set abandoned 200 ms earlier.
type queuedWrites struct {
	n     atomic.Int64 // writes tracked: the common case (none) takes no lock
	mu    sync.Mutex
	byKey map[string][]chan struct{} // one channel per write, closed when it completed
}

// add tracks one abandoned write of key; the caller calls the returned function once it completed.
func (q *queuedWrites) add(key string) (completed func()) {
	done := make(chan struct{})
	q.mu.Lock()
	if q.byKey == nil {
		q.byKey = map[string][]chan struct{}{}
	}
	q.byKey[key] = append(q.byKey[key], done)
	q.mu.Unlock()
	q.n.Add(1)
	return func() {
		q.mu.Lock()
		rest := slices.DeleteFunc(q.byKey[key], func(ch chan struct{}) bool { return ch == done })
		if len(rest) == 0 {
			delete(q.byKey, key)
		} else {
			q.byKey[key] = rest
		}
		q.mu.Unlock()
		close(done)
		q.n.Add(-1)
	}
}

// pending reports whether any abandoned write is queued. A nil q tracks nothing.
func (q *queuedWrites) pending() bool {
	return q != nil && q.n.Load() > 0
}

// has reports whether key has an abandoned write still queued. A nil q tracks nothing.
func (q *queuedWrites) has(key string) bool {
	if !q.pending() {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.byKey[key]) > 0
}

// waitKeys waits until the writes of keys abandoned so far have completed (not those abandoned while
// it waits: a busy key would keep it waiting), or returns ctx's error (nothing has been sent then). A
// nil q tracks nothing.
func (q *queuedWrites) waitKeys(ctx context.Context, keys ...string) error {
	if !q.pending() {
		return nil
	}
	return awaitClosed(ctx, q.queuedNow(keys))
}

// queuedNow returns the completion channels of the writes of keys abandoned so far.
func (q *queuedWrites) queuedNow(keys []string) []chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	var pending []chan struct{}
	for _, k := range keys {
		pending = append(pending, q.byKey[k]...)
	}
	return pending
}

// waitMatching is waitKeys for the keys that match, for a write whose keys are found as it goes
// (DeletePattern): a key it will not find, because the abandoned write creates it, is waited for too.
func (q *queuedWrites) waitMatching(ctx context.Context, match func(key string) bool) error {
	if !q.pending() {
		return nil
	}
	q.mu.Lock()
	var pending []chan struct{}
	for k, chs := range q.byKey {
		if match(k) {
			pending = append(pending, chs...)
		}
	}
	q.mu.Unlock()
	return awaitClosed(ctx, pending)
}

// awaitClosed waits for every channel to close, or returns ctx's error.
func awaitClosed(ctx context.Context, pending []chan struct{}) error {
	for _, ch := range pending {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctxErr(ctx)
		}
	}
	return nil
}
