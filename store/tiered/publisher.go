package tiered

import (
	"context"
	"sync"
	"time"

	"github.com/cachekit/cachekit/store"
)

// Publisher tuning.
const (
	// maxBacklog is the number of queued entries beyond which the backlog is replaced by one flush
	// (the publisher is far behind: L2 slow or down).
	maxBacklog = 1 << 16
	// retryMin and retryMax bound the wait before a failed publication is retried (as a flush).
	retryMin = 50 * time.Millisecond
	retryMax = 2 * time.Second
)

// publisher sends invalidations from one goroutine, in order, without making writers wait: a writer
// appends to the current batch and wakes the goroutine, which publishes whatever accumulated while the
// previous publication was in flight (so a burst of writes costs few round trips). When a publication
// fails or the backlog overflows, what was lost is replaced by a flush entry, retried with backoff until
// it goes through: receivers then drop their whole L1, which covers anything they missed.
type publisher struct {
	bc      store.Broadcaster
	channel string
	id      [idLen]byte
	timeout time.Duration
	c       *counters

	mu     sync.Mutex
	cur    *batch
	lost   bool      // entries were lost: the next publication is a flush
	lostAt time.Time // the earliest write time among the lost entries

	wake chan struct{} // capacity 1
	stop chan struct{}
	done chan struct{}
}

// batch is the entries queued since the last publication; done is closed once they were attempted. at
// is when its first entry was queued, just after that write completed: the write time its messages
// carry, so that a receiver's lag is that of the batch's oldest write.
type batch struct {
	entries []entry
	at      time.Time
	done    chan struct{}
}

func newBatch() *batch { return &batch{done: make(chan struct{})} }

func newPublisher(bc store.Broadcaster, channel string, id [idLen]byte, timeout time.Duration, c *counters) *publisher {
	p := &publisher{
		bc: bc, channel: channel, id: id, timeout: timeout, c: c,
		cur:  newBatch(),
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go p.run()
	return p
}

// add queues one entry per text and returns a channel closed once they were attempted.
func (p *publisher) add(kind entryKind, texts []string) <-chan struct{} {
	p.mu.Lock()
	if p.cur.at.IsZero() {
		p.cur.at = time.Now()
	}
	switch {
	case p.lost:
		// A flush is already due; it covers these entries.
	case len(p.cur.entries)+len(texts) > maxBacklog:
		p.cur.entries, p.lost = nil, true
		p.lostAt = earliest(p.lostAt, p.cur.at)
	default:
		for _, t := range texts {
			p.cur.entries = append(p.cur.entries, entry{kind: kind, text: t})
		}
	}
	done := p.cur.done
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return done
}

func (p *publisher) run() {
	defer close(p.done)
	var retry *time.Timer
	wait := retryMin
	for {
		var retryC <-chan time.Time
		if retry != nil {
			retryC = retry.C
		}
		select {
		case <-p.wake:
		case <-retryC:
		case <-p.stop:
			p.publishPending() // one last attempt, bounded by the timeout
			return
		}
		if p.publishPending() {
			retry, wait = nil, retryMin
			continue
		}
		retry = time.NewTimer(wait)
		wait = min(2*wait, retryMax)
	}
}

// publishPending publishes the current batch (or the flush that replaces lost entries) and reports
// whether nothing remains to retry.
func (p *publisher) publishPending() bool {
	p.mu.Lock()
	b, lost, at := p.cur, p.lost, p.cur.at
	if lost {
		at = earliest(p.lostAt, at)
	}
	p.cur, p.lost, p.lostAt = newBatch(), false, time.Time{}
	p.mu.Unlock()
	defer close(b.done)

	entries := b.entries
	if lost {
		entries = []entry{{kind: kindFlush}}
	}
	if len(entries) == 0 {
		return true
	}
	for _, msg := range encode(nil, &p.id, at, entries) {
		ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
		err := p.bc.Publish(ctx, p.channel, msg)
		cancel()
		if err != nil {
			p.c.publishFailures.Add(1)
			p.mu.Lock()
			p.lost = true
			p.lostAt = earliest(p.lostAt, at)
			p.mu.Unlock()
			return false
		}
	}
	p.c.invSent.Add(int64(len(entries)))
	return true
}

// earliest returns the earlier of two times, a zero time counting as absent.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// close publishes what is queued (one attempt) and stops the goroutine.
func (p *publisher) close() {
	close(p.stop)
	<-p.done
}
