package store

import "time"

// BreakerState is the state of a circuit breaker guarding one backend endpoint.
type BreakerState int

// Circuit breaker states.
const (
	// BreakerClosed: calls go to the endpoint; consecutive failures are counted.
	BreakerClosed BreakerState = iota
	// BreakerOpen: calls fail at once with an error wrapping ErrCircuitOpen and ErrUnavailable, without
	// contacting the endpoint, until a probe finds it answering again.
	BreakerOpen
	// BreakerHalfOpen: a probe is checking whether the endpoint answers again.
	BreakerHalfOpen
)

// String returns "closed", "open" or "half-open".
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return "unknown"
}

// BreakerStats is one circuit breaker's state in Stats.
type BreakerStats struct {
	Endpoint string       // the address it guards, never credentials
	State    BreakerState // its state when Stats was taken
	Since    time.Time    // when it entered State
	Opens    int64        // times it opened since the store was opened
	Rejected int64        // calls it failed at once while open
}

// BreakerChange is one state change of a circuit breaker, as a BreakerWatcher reports it.
type BreakerChange struct {
	Endpoint string
	From, To BreakerState
	At       time.Time
	// Cause is the failure that opened the breaker (nil for other changes); it never contains
	// credentials.
	Cause error
}

// BreakerWatcher is an optional interface of a Store with circuit breakers. WatchBreakers registers fn,
// which is then called once for every later state change of any of the store's breakers, in order per
// breaker, from a goroutine of the store (never inside the call that caused the change); fn must not
// block. A composite store forwards its tiers' changes. Consumed by the root Cache's logger hook.
type BreakerWatcher interface {
	WatchBreakers(fn func(BreakerChange))
}
