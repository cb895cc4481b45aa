package tiered

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/cachekit/cachekit/store"
)

// On the tracking path the server reports this Store's own writes too, and such a report (an "echo")
// cannot be told apart from an external write of the same key: Redis merges the writes of one key made
// in one event-loop iteration into one report. So an echo is applied like any report (the key leaves L1,
// through the guard), and then, when this Store wrote the key within ownWindow, the key is refilled from
// L2 by the worker below, through the same guarded backfill as a read: the snapshot is taken after the
// drop and before the L2 read, so a change reported later still wins, and a refill is exactly as safe
// as a caller's read of the key would have been.
const (
	// ownWindow is how long a recorded own write waits for its echo (about one round trip) before it
	// is forgotten: a report after that is taken for an external write and refills nothing.
	ownWindow = 2 * time.Second
	// ownMax bounds the own writes remembered; past it, a write is not recorded (its L1 copy is then
	// dropped by its echo and the next read backfills it, as without refills).
	ownMax = 8192
	// refillBatch is the most keys one refill reads from L2 in one call.
	refillBatch = 256
	// refillAttempts bounds the reads of one key per echo: a refill refused because the guard moved
	// (typically the write-through of the very write being echoed, when the echo overtook the write's
	// own reply) is tried again, each time with a fresh snapshot.
	refillAttempts = 3
)

type ownWrite struct {
	n    int       // recorded writes whose report has not arrived (a merged report leaves some over)
	last time.Time // when the latest was recorded
}

// refiller holds the own writes awaiting their echo and the keys waiting for a refill. One worker
// goroutine (refillLoop) serves the queue, so refills cost at most one L2 call in flight per Store.
type refiller struct {
	mu    sync.Mutex
	own   map[string]ownWrite
	queue map[string]int // key → refill attempts already made
	busy  bool           // a batch taken from queue is being refilled
	wake  chan struct{}  // capacity 1: the queue is not empty
	done  chan struct{}  // closed when refillLoop returns
}

func newRefiller() *refiller {
	return &refiller{own: map[string]ownWrite{}, queue: map[string]int{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// recordOwn notes that this Store is about to write keys through to L1, so that their echo refills
// them. It is called before the L2 call, since the echo may overtake the write's own reply. Nothing is
// recorded unless the tracking path is in use, nor for keys outside Options.TrackPrefix (no echo comes).
func (s *Store) recordOwn(keys ...string) {
	if s.rf == nil || !s.tracking.Load() {
		return
	}
	now := time.Now()
	r := s.rf
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		if !strings.HasPrefix(k, s.opts.TrackPrefix) {
			continue
		}
		w, ok := r.own[k]
		if !ok && len(r.own) >= ownMax {
			r.pruneLocked(now)
			if len(r.own) >= ownMax {
				continue
			}
		}
		if ok && now.Sub(w.last) > ownWindow {
			w.n = 0
		}
		r.own[k] = ownWrite{n: w.n + 1, last: now}
	}
}

// pruneLocked forgets the own writes whose echo did not come within ownWindow.
func (r *refiller) pruneLocked(now time.Time) {
	for k, w := range r.own {
		if now.Sub(w.last) > ownWindow {
			delete(r.own, k)
		}
	}
}

// echoed is called after a tracking report dropped keys from L1: those this Store wrote within
// ownWindow are queued for a refill.
func (s *Store) echoed(keys []string) {
	if s.rf == nil {
		return
	}
	now := time.Now()
	r := s.rf
	queued := false
	r.mu.Lock()
	for _, k := range keys {
		w, ok := r.own[k]
		if !ok {
			continue
		}
		if w.n--; w.n <= 0 || now.Sub(w.last) > ownWindow {
			delete(r.own, k)
		} else {
			r.own[k] = w
		}
		if now.Sub(w.last) > ownWindow {
			continue
		}
		if _, dup := r.queue[k]; !dup && len(r.queue) < ownMax {
			r.queue[k] = 0
			queued = true
		}
	}
	r.mu.Unlock()
	if queued {
		r.signal()
	}
}

// refillRaced queues a refill of key, on the tracking path, after its write-through was refused because
// a change was recorded during the L2 write: typically the write's own echo, which overtook its reply
// and may have been refilled already, before the write-through then dropped the copy. A refill takes a
// fresh snapshot, so it is as safe as a read whatever the change was.
func (s *Store) refillRaced(key string) {
	if s.rf == nil || !s.tracking.Load() || !strings.HasPrefix(key, s.opts.TrackPrefix) {
		return
	}
	r := s.rf
	r.mu.Lock()
	_, dup := r.queue[key]
	add := !dup && len(r.queue) < ownMax
	if add {
		r.queue[key] = 0
	}
	r.mu.Unlock()
	if add {
		r.signal()
	}
}

func (r *refiller) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// take removes up to refillBatch keys from the queue.
func (r *refiller) take() (keys []string, attempts []int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, a := range r.queue {
		if len(keys) == refillBatch {
			break
		}
		keys = append(keys, k)
		attempts = append(attempts, a)
		delete(r.queue, k)
	}
	r.busy = len(keys) > 0
	return keys, attempts
}

// idle reports whether no refill is queued or running.
func (r *refiller) idle() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue) == 0 && !r.busy
}

// requeue puts keys back for another attempt.
func (r *refiller) requeue(keys []string, attempts []int) {
	if len(keys) == 0 {
		return
	}
	r.mu.Lock()
	for i, k := range keys {
		if a, ok := r.queue[k]; !ok || a > attempts[i] {
			r.queue[k] = attempts[i]
		}
	}
	r.mu.Unlock()
	r.signal()
}

// refillLoop serves the refill queue until ctx ends (Close).
func (s *Store) refillLoop(ctx context.Context) {
	defer close(s.rf.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.rf.wake:
		}
		for ctx.Err() == nil {
			keys, attempts := s.rf.take() // marks the refiller busy until the next take finds nothing
			if len(keys) == 0 {
				break
			}
			s.refill(ctx, keys, attempts)
		}
	}
}

// refill reads keys from L2 in one call and backfills them into L1 under the guard, exactly as GetMany
// backfills its L1 misses (L2's remaining lifetime, capped by L1MaxTTL). A key L2 misses stays out of
// L1; a failed L2 call refills nothing (the next read of those keys goes to L2).
func (s *Store) refill(ctx context.Context, keys []string, attempts []int) {
	sns := make([]snapshot, len(keys))
	for i, k := range keys {
		sns[i] = s.snap(k)
	}
	timeout := s.opts.L2Timeout
	if timeout == 0 {
		timeout = defaultPublishTimeout
	}
	l2ctx, cancel := context.WithTimeout(ctx, timeout)
	start := time.Now()
	found, err := store.GetManyWithTTL(l2ctx, s.l2, keys)
	cancel()
	if err != nil {
		return
	}
	elapsed := time.Since(start)
	var again []string
	var againAttempts []int
	for i, k := range keys {
		e, ok := found[k]
		if !ok {
			continue
		}
		ttl := min(e.TTL-elapsed-expirySlack, s.opts.L1MaxTTL)
		if s.backfill(k, e.Value, ttl, sns[i]) {
			s.c.refills.Add(1)
			continue
		}
		s.c.refillsDiscarded.Add(1)
		// Try again only when a change raced it (not when L1 refused the value or its lifetime is up).
		if raced := s.g.snap(k) != sns[i]; raced && ttl > 0 && attempts[i]+1 < refillAttempts {
			again = append(again, k)
			againAttempts = append(againAttempts, attempts[i]+1)
		}
	}
	s.rf.requeue(again, againAttempts)
}
