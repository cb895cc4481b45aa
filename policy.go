package cachekit

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Policy is how Fetch serves a key between "fresh" and "gone", and what it does when the loader is slow
// or failing. Every field's zero value turns its behaviour off, so the zero Policy is plain read-through.
// A Cache has a policy per kind (DefaultPolicies, WithPolicy, REDIS_CACHE_POLICY_<KIND>) and a default
// one for other kinds; a Fetch call can replace it (FetchPolicy).
//
// A value's life, measured from when Fetch wrote it with a fresh TTL of ttl:
//
//	[0, ttl)                     fresh: served as it is (an early refresh may start near the end)
//	[ttl, ttl+StaleWhileRevalidate)  stale: served at once, flagged, and refreshed in the background
//	[ttl, ttl+FailSafe)          kept: when a load fails or passes SoftTimeout, served flagged stale
//	after both                   gone (the store's TTL is ttl + the longer of the two windows)
type Policy struct {
	// StaleWhileRevalidate is how long after its fresh TTL a value is served at once (flagged stale)
	// while one background refresh per key replaces it.
	StaleWhileRevalidate time.Duration
	// FailSafe is how long after its fresh TTL a value is kept to be served (flagged stale) when the
	// loader fails or passes SoftTimeout. Without such a value, the loader's error comes back.
	FailSafe time.Duration
	// FailBackoff is how long after a failed load of a key its loader is not called again: callers get
	// the fail-safe value, else the same error, so a dead upstream is not hammered.
	FailBackoff time.Duration
	// NegativeTTL is how long a loader result wrapping ErrNoValue ("no such thing") is remembered and
	// returned without calling the loader.
	NegativeTTL time.Duration
	// SoftTimeout is how long a caller waits for the loader when a fail-safe value exists; past it the
	// stale value is returned and the load goes on in the background, updating the cache when it lands.
	SoftTimeout time.Duration
	// HardTimeout ends a load (its context's deadline); 0 leaves it to the loader.
	HardTimeout time.Duration
	// EarlyRefresh, a fraction in [0, 1): once a fresh value is past (1-EarlyRefresh) of its TTL, each
	// hit starts a background refresh with a probability rising linearly to 1 at expiry (one per key),
	// so hot keys are refreshed before they expire.
	EarlyRefresh float64
	// Lease, when positive, makes a load cross-process: before loading a key that is missing or past
	// its fresh TTL, the loading process takes a lease in the store (SET NX of the key's lease key for
	// Lease) and the other processes wait for its value instead of loading it too (see Fetch). It needs
	// a store that can release a lease by its owner only (store.CompareDeleter: Redis and tiered over
	// Redis); on other stores (memory, tiered over memory) it is ignored, one process's shared load
	// being all there is. On a Redis Cluster the lease key (the key's full name + "::lease") lives in
	// its own slot, not the value's: taking it (SET NX), releasing it (a compare-and-delete script) and
	// the waiters' polls each touch one key, so nothing needs the two in one slot. It should exceed the
	// loader's usual duration: a load that outlasts it may be repeated by another process.
	Lease time.Duration
	// Jitter, a fraction in [0, 1): each fresh TTL is shortened by a random part of up to Jitter×TTL, so
	// keys written together do not expire together.
	Jitter float64
}

// ErrNoValue is what a loader wraps to say "no such thing" (an unknown symbol): Fetch returns it and,
// with Policy.NegativeTTL, remembers it for that long instead of calling the loader again.
var ErrNoValue = errors.New("cachekit: no such value")

// window is the longest a value is kept after its fresh TTL.
func (p Policy) window() time.Duration { return max(p.StaleWhileRevalidate, p.FailSafe) }

// validate reports a field out of range, naming it.
func (p Policy) validate() error {
	for name, d := range map[string]time.Duration{"swr": p.StaleWhileRevalidate, "failsafe": p.FailSafe,
		"backoff": p.FailBackoff, "negative": p.NegativeTTL, "soft": p.SoftTimeout, "hard": p.HardTimeout,
		"lease": p.Lease} {
		if d < 0 {
			return fmt.Errorf("%w: policy %s=%v is negative", ErrInvalidTTL, name, d)
		}
	}
	if p.EarlyRefresh < 0 || p.EarlyRefresh >= 1 || p.Jitter < 0 || p.Jitter >= 1 {
		return fmt.Errorf("cachekit: policy early=%v and jitter=%v must be in [0, 1)", p.EarlyRefresh, p.Jitter)
	}
	return nil
}

// DefaultPolicies returns the built-in policies per kind, for the market data the original bot caches:
//
//	kind       swr   failsafe  backoff  soft    hard  negative  early  jitter
//	ticker     2s    10s       1s       50ms    5s    5s        0.2    0
//	orderbook  1s    5s        1s       50ms    5s    5s        0.2    0
//	deals      5s    30s       1s       100ms   5s    10s       0.2    0
//	ohlcv      0     24h       5s       200ms   10s   1m        0.05   0
//
// A ticker may thus be served up to 2 s past its 5 s TTL while it refreshes, and up to 10 s only while
// the exchange fails or stalls; an OHLCV series, whose fresh TTL ends at the candle's close, is never
// served past it while the exchange answers, and up to a day while it does not. Other kinds get the zero Policy unless WithDefaultPolicy says
// otherwise. The result is a fresh map.
func DefaultPolicies() map[string]Policy {
	market := func(swr, failsafe, backoff, soft, hard, negative time.Duration, early, jitter float64) Policy {
		return Policy{StaleWhileRevalidate: swr, FailSafe: failsafe, FailBackoff: backoff, SoftTimeout: soft,
			HardTimeout: hard, NegativeTTL: negative, EarlyRefresh: early, Jitter: jitter}
	}
	s, ms := time.Second, time.Millisecond
	return map[string]Policy{
		"ticker":    market(2*s, 10*s, s, 50*ms, 5*s, 5*s, 0.2, 0),
		"orderbook": market(s, 5*s, s, 50*ms, 5*s, 5*s, 0.2, 0),
		"deals":     market(5*s, 30*s, s, 100*ms, 5*s, 10*s, 0.2, 0),
		"ohlcv":     market(0, 24*time.Hour, 5*s, 200*ms, 10*s, time.Minute, 0.05, 0),
	}
}

// ParsePolicy parses the text form of a Policy, as REDIS_CACHE_POLICY_<KIND> and the URL option
// policy.<kind> give it: comma-separated name=value pairs, names swr, failsafe, backoff, negative,
// soft, hard, lease (durations, or whole seconds), early, jitter (fractions). Names not given keep base's
// values, so "failsafe=1m" changes only that. An unknown name or a bad value is an error naming it.
func ParsePolicy(text string, base Policy) (Policy, error) {
	p := base
	for _, pair := range strings.Split(text, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, value, ok := strings.Cut(pair, "=")
		if !ok {
			return Policy{}, fmt.Errorf("cachekit: policy %q: want name=value", pair)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		durations := map[string]*time.Duration{"swr": &p.StaleWhileRevalidate, "failsafe": &p.FailSafe,
			"backoff": &p.FailBackoff, "negative": &p.NegativeTTL, "soft": &p.SoftTimeout, "hard": &p.HardTimeout,
			"lease": &p.Lease}
		fractions := map[string]*float64{"early": &p.EarlyRefresh, "jitter": &p.Jitter}
		switch {
		case durations[name] != nil:
			d, err := parseDurationOrZero(value)
			if err != nil {
				return Policy{}, fmt.Errorf("cachekit: policy %s=%q: %w", name, value, err)
			}
			*durations[name] = d
		case fractions[name] != nil:
			f, err := strconv.ParseFloat(value, 64)
			if err != nil {
				return Policy{}, fmt.Errorf("cachekit: policy %s=%q is not a number", name, value)
			}
			*fractions[name] = f
		default:
			return Policy{}, fmt.Errorf("cachekit: unknown policy setting %q (known: swr, failsafe, backoff, negative, soft, hard, lease, early, jitter)", name)
		}
	}
	return p, p.validate()
}

// parseDurationOrZero is ParseTTL that also accepts 0 (off).
func parseDurationOrZero(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	return ParseTTL(s)
}

// String is the policy's text form, as ParsePolicy reads it.
func (p Policy) String() string {
	parts := []string{}
	add := func(name string, d time.Duration) {
		if d != 0 {
			parts = append(parts, name+"="+d.String())
		}
	}
	add("swr", p.StaleWhileRevalidate)
	add("failsafe", p.FailSafe)
	add("backoff", p.FailBackoff)
	add("negative", p.NegativeTTL)
	add("soft", p.SoftTimeout)
	add("hard", p.HardTimeout)
	add("lease", p.Lease)
	if p.EarlyRefresh != 0 {
		parts = append(parts, "early="+strconv.FormatFloat(p.EarlyRefresh, 'g', -1, 64))
	}
	if p.Jitter != 0 {
		parts = append(parts, "jitter="+strconv.FormatFloat(p.Jitter, 'g', -1, 64))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// policyFor returns the policy of the relative key's kind.
func (c *Cache) policyFor(rel string) Policy {
	if p, ok := c.policies[kindOf(rel)]; ok {
		return p
	}
	return c.defaultPolicy
}

// PolicyFor returns the policy Fetch applies to the relative key (its kind's, else the default one).
func (c *Cache) PolicyFor(rel string) Policy { return c.policyFor(rel) }

// kindOf returns the relative key's first segment.
func kindOf(rel string) string {
	if i := strings.IndexByte(rel, ':'); i >= 0 {
		return rel[:i]
	}
	return rel
}
