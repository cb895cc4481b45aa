package redis

import (
	"context"
	"sync"
	"sync/atomic"
)

// queuedWrites tracks, by key, the writes whose caller gave up while they were still queued on the
// auto-pipeliner (see Store.abandon). They may still execute, in the auto-pipeliner's order. A later
// single-key call of such a key keeps to that ordered stream (adaptive.enter); a write that goes
// around it (SetMany, a multi-key Delete, DeletePattern, the Lua scripts) first waits for them
// (waitKeys), or the older value could land after the newer one. Seen in the chaos suite
// under packet loss: a SetMany acknowledged, then overwritten by a Set abandoned 200 ms earlier.
type queuedWrites struct {
	n     atomic.Int64 // writes tracked: the common case (none) takes no lock
	mu    sync.Mutex
	byKey map[string]*queuedKey
}

// queuedKey is one key's abandoned writes: how many, and a channel closed once none remains.
type queuedKey struct {
	n       int
	drained chan struct{}
}

// add tracks one abandoned write of key; the caller calls the returned function once it completed.
func (q *queuedWrites) add(key string) (completed func()) {
	q.mu.Lock()
	if q.byKey == nil {
		q.byKey = map[string]*queuedKey{}
	}
	qk := q.byKey[key]
	if qk == nil {
		qk = &queuedKey{drained: make(chan struct{})}
		q.byKey[key] = qk
	}
	qk.n++
	q.mu.Unlock()
	q.n.Add(1)
	return func() {
		q.mu.Lock()
		if qk.n--; qk.n == 0 {
			delete(q.byKey, key)
			close(qk.drained)
		}
		q.mu.Unlock()
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
	return q.byKey[key] != nil
}

// waitKeys waits until no key of keys has an abandoned write queued, or returns ctx's error (nothing
// has been sent then). A nil q tracks nothing.
func (q *queuedWrites) waitKeys(ctx context.Context, keys ...string) error {
	if !q.pending() {
		return nil
	}
	q.mu.Lock()
	var pending []chan struct{}
	for _, k := range keys {
		if qk := q.byKey[k]; qk != nil {
			pending = append(pending, qk.drained)
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
