package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// Defaults of the circuit breaker (URL options breaker_failures and breaker_probe).
const (
	// DefaultBreakerFailures is how many consecutive failed calls at one endpoint open its breaker.
	DefaultBreakerFailures = 5
	// DefaultBreakerProbe is how often an open breaker's probe checks whether its endpoint answers.
	DefaultBreakerProbe = 25 * time.Millisecond
)

// CircuitOpenError is the cause inside an *store.OpError of a call the Store failed at once, without
// network I/O, because the circuit breaker of the endpoint the call needs is open. It matches
// store.ErrCircuitOpen and store.ErrUnavailable with errors.Is, and names the endpoint (never
// credentials). A write failed this way was not sent, so it was not applied.
type CircuitOpenError struct {
	Endpoint string // the address the breaker guards ("127.0.0.1:6379"; a Sentinel master's name)
	Failures int    // the consecutive failures that opened it
	Cause    error  // the last of them (an *UnavailableError)
}

// Error names the endpoint and what opened the breaker.
func (e *CircuitOpenError) Error() string {
	return fmt.Sprintf("%v: redis at %s: open after %d consecutive failures (last: %v)", store.ErrCircuitOpen, e.Endpoint, e.Failures, e.Cause)
}

// Unwrap returns store.ErrCircuitOpen and store.ErrUnavailable: code that handles an unreachable backend
// handles a skipped call alike.
func (e *CircuitOpenError) Unwrap() []error {
	return []error{store.ErrCircuitOpen, store.ErrUnavailable}
}

// partial keeps the write-outcome contract of a call that spans Cluster nodes (spans: more than one
// key, or a pattern): when one node's breaker refused its part, the other nodes' parts may have been
// applied, so the call's outcome is unknown and its error must not match ErrCircuitOpen ("not
// applied"). It then becomes an *UnavailableError naming the refusing endpoint. Other errors, and
// every error of a single-node store, are returned as they are.
func (s *Store) partial(err error, spans bool) error {
	var coe *CircuitOpenError
	if s.cluster == nil || !spans || !errors.As(err, &coe) {
		return err
	}
	return &UnavailableError{Addr: coe.Endpoint, Cause: fmt.Errorf("%w; the other nodes' part of the call may have been applied", coe)}
}

// outcome is what one call tells a breaker about its endpoint.
type outcome int8

const (
	neutral outcome = iota // says nothing: cancelled by the caller, or the client was closed
	success                // the endpoint answered (a value, a miss or an error reply)
	failure                // the endpoint did not answer: unreachable, reset, or out of time
)

// judge classifies the result of one call at an endpoint for its breaker. A failure is what the Store
// reports as store.ErrUnavailable because nothing was answered (refused, reset, EOF, timeouts, a pool
// wait that timed out, no sentinel answering) or a call ended by its context's deadline. Replies are
// successes, whatever they say (redis.Nil, WRONGTYPE, OOM, MOVED, NOAUTH, and also LOADING or
// CLUSTERDOWN: the server answered at once, so skipping it saves no time). Cancellation and a closed
// client are neutral.
func judge(ctx context.Context, err error) outcome {
	switch {
	case err == nil, errors.Is(err, goredis.Nil):
		return success
	case errors.Is(ctx.Err(), context.Canceled), errors.Is(err, context.Canceled),
		errors.Is(err, goredis.ErrClosed), errors.Is(err, store.ErrCircuitOpen):
		return neutral
	case ctxDone(ctx):
		return failure
	case isDenied(err):
		return success
	}
	var netErr net.Error
	if errors.As(err, &netErr) || isUnavailable(err) && !isReply(err) {
		return failure
	}
	return success
}

// answeredWindow is how recently an endpoint must have answered some call for a timeout at it not to
// count against its breaker (judgeCall): well above the gap between answers of a busy server, well below
// Fetch's 100 ms read budget, so a server that stopped answering is still caught within that budget.
const answeredWindow = 50 * time.Millisecond

// monoEpoch anchors monoNow, the monotonic clock of lastAnswer.
var monoEpoch = time.Now()

// monoNow is the monotonic time since monoEpoch.
func monoNow() time.Duration { return time.Since(monoEpoch) }

// judgeCall is judge for a call at b. A call that ran out of time (its deadline, a read or dial timeout,
// a pool wait) while b answered other calls within the last answeredWindow is neutral: the endpoint is
// up, and the time went to waiting for a pooled connection or a place in a pipeline behind other
// callers, or the caller's deadline was shorter than a round trip. Counting such calls opened the
// breaker of a healthy server under a burst of callers (more than the pool holds, with Fetch's 100 ms
// read budget), and then every caller failed and every Fetch called its loader. A hung server answers
// nothing, so its timeouts count once answeredWindow has passed; refused and reset connections always
// count. (Answers to calls sent before a hang may still arrive after a call began, so "answered since
// the call began" would not catch a hang as soon.)
func judgeCall(ctx context.Context, err error, b *breaker) outcome {
	o := judge(ctx, err)
	if o == failure && b.answeredRecently() && isTimeout(ctx, err) {
		return neutral
	}
	return o
}

// answeredRecently reports whether b's endpoint answered a call within the last answeredWindow.
func (b *breaker) answeredRecently() bool {
	last := b.lastAnswer.Load()
	return last != 0 && monoNow()-time.Duration(last) < answeredWindow
}

// isTimeout reports whether a failed call ran out of time rather than being refused or reset.
func isTimeout(ctx context.Context, err error) bool {
	if ctxDone(ctx) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, goredis.ErrPoolTimeout) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// isReply reports whether err is an error reply of the server (as opposed to a failure to get one).
func isReply(err error) bool {
	var re goredis.Error
	return errors.As(err, &re) && !errors.Is(err, goredis.ErrPoolTimeout) && !errors.Is(err, goredis.ErrPoolExhausted) &&
		!errors.Is(err, goredis.ErrAutoPipelineQueueFull) && !errors.Is(err, goredis.ErrAutoPipelineTimeout)
}

// breaker is the circuit breaker of one endpoint. Its hot path (a call while closed) costs a few atomic
// loads; transitions take mu, which also orders the events sent to watchers.
//
// States: closed → open after cfg.failures consecutive failures; open → half-open when the probe's PING
// is answered in time; half-open → closed at the first success (a real call or the probe's next PING),
// half-open → open at the first failure. Calls pass while closed and half-open, and fail at once while
// open. A failure of a call that began before the latest opening is ignored (it tells nothing new), and
// so is a call that ran out of time while the endpoint answered other calls (see judgeCall).
type breaker struct {
	set      *breakerSet
	endpoint string
	dial     func(ctx context.Context) (net.Conn, error) // the probe's dialer, outside the client's pool
	dialTO   time.Duration                               // bound of one probe dial

	state    atomic.Int32 // store.BreakerState
	fails    atomic.Int32 // consecutive failures while closed
	gen      atomic.Uint64
	opens    atomic.Int64
	rejected atomic.Int64
	openErr  atomic.Pointer[CircuitOpenError]
	// lastAnswer is when the endpoint last answered a call (monoNow, to the millisecond: it is stored
	// at most once a millisecond, so busy callers do not all write it), for judgeCall.
	lastAnswer atomic.Int64

	mu      sync.Mutex
	since   time.Time
	probing bool // a probe goroutine runs
}

// allow reports whether a call may go to the endpoint, and the generation it runs in; when it may not,
// it returns the error to fail it with and counts the rejection.
func (b *breaker) allow() (uint64, error) {
	if store.BreakerState(b.state.Load()) != store.BreakerOpen || b.set.off.Load() {
		return b.gen.Load(), nil
	}
	b.rejected.Add(1)
	return 0, b.openErr.Load()
}

// record feeds the outcome of a call that began in generation gen.
func (b *breaker) record(gen uint64, o outcome, err error) {
	switch o {
	case success:
		if now := int64(monoNow()); now-b.lastAnswer.Load() >= int64(time.Millisecond) {
			b.lastAnswer.Store(now)
		}
		if b.fails.Load() != 0 {
			b.fails.Store(0)
		}
		if store.BreakerState(b.state.Load()) == store.BreakerHalfOpen {
			b.transition(store.BreakerHalfOpen, store.BreakerClosed, nil)
		}
	case failure:
		if gen != b.gen.Load() {
			return
		}
		switch store.BreakerState(b.state.Load()) {
		case store.BreakerClosed:
			if n := b.fails.Add(1); int(n) >= b.set.failures {
				b.trip(store.BreakerClosed, int(n), err)
			}
		case store.BreakerHalfOpen:
			b.trip(store.BreakerHalfOpen, 1, err)
		}
	}
}

// trip opens the breaker if it is still in state from.
func (b *breaker) trip(from store.BreakerState, failures int, err error) {
	cause := error(&UnavailableError{Addr: b.endpoint, Cause: err})
	var ue *UnavailableError
	if errors.As(err, &ue) {
		cause = ue
	}
	b.openErr.Store(&CircuitOpenError{Endpoint: b.endpoint, Failures: failures, Cause: cause})
	b.transition(from, store.BreakerOpen, cause)
}

// transition moves the breaker from one state to another (nothing if it is no longer in from), reports
// the change to watchers, and starts the probe on opening.
func (b *breaker) transition(from, to store.BreakerState, cause error) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.state.CompareAndSwap(int32(from), int32(to)) {
		return false
	}
	switch {
	case from == store.BreakerClosed:
		b.set.notClosed.Add(1)
	case to == store.BreakerClosed:
		b.set.notClosed.Add(-1)
	}
	now := time.Now()
	b.since = now
	b.fails.Store(0)
	if to == store.BreakerOpen {
		b.gen.Add(1)
		b.opens.Add(1)
		if !b.probing && b.set.startProbe(b) {
			b.probing = true
		}
	}
	b.set.publish(store.BreakerChange{Endpoint: b.endpoint, From: from, To: to, At: now, Cause: cause})
	return true
}

// stats is the breaker's row in Stats.Breakers.
func (b *breaker) stats() store.BreakerStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return store.BreakerStats{
		Endpoint: b.endpoint,
		State:    store.BreakerState(b.state.Load()),
		Since:    b.since,
		Opens:    b.opens.Load(),
		Rejected: b.rejected.Load(),
	}
}

// probeLoop runs while the breaker is open or half-open: it PINGs the endpoint every probe interval on
// a connection of its own (see prober) and moves the breaker to half-open, then closed, as PINGs are
// answered in time. It ends when the breaker is closed or the Store is closed.
func (b *breaker) probeLoop() {
	p := &prober{dial: b.dial, dialTimeout: b.dialTO, interval: b.set.probe, replyTimeout: probeReplyTimeout(b.set.probe)}
	defer p.close()
	t := time.NewTicker(b.set.probe)
	defer t.Stop()
	for {
		switch store.BreakerState(b.state.Load()) {
		case store.BreakerClosed:
			b.mu.Lock()
			closed := store.BreakerState(b.state.Load()) == store.BreakerClosed
			if closed {
				b.probing = false // under mu: a later trip sees it and starts a new probe
			}
			b.mu.Unlock()
			if closed {
				return
			}
			continue
		case store.BreakerOpen:
			if p.check(b.set.ctx) {
				b.transition(store.BreakerOpen, store.BreakerHalfOpen, nil)
				continue // confirm at once with a second PING
			}
		case store.BreakerHalfOpen:
			switch {
			case p.check(b.set.ctx):
				b.transition(store.BreakerHalfOpen, store.BreakerClosed, nil)
			case p.failed:
				b.trip(store.BreakerHalfOpen, 1, p.lastErr)
			}
			if b.set.ctx.Err() == nil {
				continue // check waited up to one interval for the reply
			}
		}
		select {
		case <-b.set.ctx.Done():
			b.mu.Lock()
			b.probing = false
			b.mu.Unlock()
			return
		case <-t.C:
		}
	}
}

// probeReplyTimeout is how soon a probe's PING must be answered to count: four probe intervals, at
// least 50 ms (a loopback round trip on a loaded machine stays well under it).
func probeReplyTimeout(interval time.Duration) time.Duration {
	return max(4*interval, 50*time.Millisecond)
}
