package chaos

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store"
)

// ledger tracks the writes of every own key and checks each read against them. An own key has one
// writer, so its writes are ordered by their sequence numbers: a read must return the last acknowledged
// one (Set returned nil) or a later one whose Set failed (its outcome is unknown: it may have landed,
// even after the failure was reported), never an older one, never one never written, and never one that
// a circuit breaker refused (not sent, so not applied).
type ledger struct {
	mu   sync.Mutex
	keys map[string]*keyState
	// mayLose says whether a write acknowledged at that time may be lost by the fault itself: a server
	// restarted empty, an asynchronous replica promoted. Such losses are counted, not failed. nil: never.
	mayLose func(ackAt time.Time) bool

	lost       int      // acknowledged writes lost where mayLose allows it
	late       int      // of the violations: an earlier write that landed after a later acknowledged one
	violations []string // reads that broke the rule, capped
	nviol      int
	checked    int
}

type keyState struct {
	next      int64
	lastAck   int64 // 0: none yet (or lost)
	lastAckAt time.Time
	refused   map[int64]string    // writes a circuit breaker refused, by the call that wrote them
	unknown   map[int64]time.Time // writes that failed otherwise (outcome unknown), by when they failed
	acked     map[int64]time.Time // acknowledged writes, by when
}

func newLedger() *ledger { return &ledger{keys: map[string]*keyState{}} }

func (l *ledger) state(k string) *keyState {
	s := l.keys[k]
	if s == nil {
		s = &keyState{refused: map[int64]string{}, unknown: map[int64]time.Time{}, acked: map[int64]time.Time{}}
		l.keys[k] = s
	}
	return s
}

// next returns the sequence number of k's next write.
func (l *ledger) next(k string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state(k)
	s.next++
	return s.next
}

// wrote records the outcome of the write of seq by the call named by via ("Set", "SetMany").
func (l *ledger) wrote(k string, seq int64, err error, at time.Time, via string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state(k)
	switch {
	case err == nil:
		s.lastAck, s.lastAckAt = seq, at
		s.acked[seq] = at
	case errors.Is(err, store.ErrCircuitOpen):
		s.refused[seq] = via
	default:
		s.unknown[seq] = at
	}
}

// read checks what a read of k returned (v, or err) at time at, and returns the error the caller saw
// (nil for a miss).
func (l *ledger) read(k string, v fval, err error, at time.Time) error {
	miss := errors.Is(err, cachekit.ErrNotFound)
	if err != nil && !miss {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.checked++
	s := l.state(k)
	switch {
	case miss && s.lastAck > 0:
		if l.mayLose != nil && l.mayLose(s.lastAckAt) {
			l.lost++
			s.lastAck = 0
			return nil
		}
		l.violate("%s: a miss after write %d was acknowledged at %s", k, s.lastAck, s.lastAckAt.Format("15:04:05.000"))
	case miss:
	case v.Seq > s.next || v.Seq < 1:
		l.violate("%s: read %d, never written (last write %d)", k, v.Seq, s.next)
	case s.refused[v.Seq] != "":
		l.violate("%s: read %d, written by a %s that failed with ErrCircuitOpen, which the store contract says was not applied", k, v.Seq, s.refused[v.Seq])
	case v.Seq < s.lastAck:
		if l.mayLose != nil && l.mayLose(s.lastAckAt) {
			l.lost++
			s.lastAck = v.Seq
			return nil
		}
		if failed, ok := s.unknown[v.Seq]; ok {
			l.late++
			l.violate("%s: read %d, older than write %d acknowledged at %s: write %d, whose Set failed at %s (outcome unknown), landed after the later write was acknowledged",
				k, v.Seq, s.lastAck, s.lastAckAt.Format("15:04:05.000"), v.Seq, failed.Format("15:04:05.000"))
			break
		}
		if ackedAt, ok := s.acked[v.Seq]; ok {
			l.late++
			l.violate("%s: read %d, older than write %d acknowledged at %s: write %d, acknowledged before (at %s), landed again after it (a timed-out attempt delivered after its retry succeeded), or the later write was lost",
				k, v.Seq, s.lastAck, s.lastAckAt.Format("15:04:05.000"), v.Seq, ackedAt.Format("15:04:05.000"))
			break
		}
		l.violate("%s: read %d, older than write %d acknowledged at %s", k, v.Seq, s.lastAck, s.lastAckAt.Format("15:04:05.000"))
	}
	return nil
}

func (l *ledger) violate(format string, args ...any) {
	l.nviol++
	if len(l.violations) < 10 {
		l.violations = append(l.violations, fmt.Sprintf(format, args...))
	}
}

// keyList returns every key the ledger tracks.
func (l *ledger) keyList() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.keys))
	for k := range l.keys {
		out = append(out, k)
	}
	return out
}
