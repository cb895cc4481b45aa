package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// EvictionPolicies are the values Redis accepts for maxmemory-policy.
var EvictionPolicies = []string{
	"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
}

// ErrPolicyRefused is matched (errors.Is) by the error EnsureEvictionPolicy returns when a server refused
// CONFIG SET. It is not fatal: the store works, under the server's own policy.
var ErrPolicyRefused = errors.New("redis: eviction policy not applied")

// PolicyRefusedError says which server refused to change its eviction policy and why (typically a
// managed Redis that forbids CONFIG, or an ACL user without +config). It matches ErrPolicyRefused.
type PolicyRefusedError struct {
	Policy string // the policy asked for
	Addr   string // the node that refused
	Err    error  // the server's reply
}

// Error says what was refused and why.
func (e *PolicyRefusedError) Error() string {
	return fmt.Sprintf("%v: CONFIG SET maxmemory-policy %s refused by %s: %v", ErrPolicyRefused, e.Policy, e.Addr, e.Err)
}

// Unwrap returns ErrPolicyRefused and the server's error.
func (e *PolicyRefusedError) Unwrap() []error { return []error{ErrPolicyRefused, e.Err} }

// validPolicy returns an error naming the valid policies when p is not one.
func validPolicy(p string) error {
	if slices.Contains(EvictionPolicies, p) {
		return nil
	}
	return fmt.Errorf("unknown eviction policy %q (want one of %s)", p, strings.Join(EvictionPolicies, ", "))
}

// EnsureEvictionPolicy sets maxmemory-policy on every master (CONFIG SET; the change is not persisted to
// the server's config file, and a replica promoted later keeps its own setting). An unknown policy name
// is an error before anything is sent. When a server refuses (no CONFIG permission, CONFIG renamed or
// disabled), the refusal is recorded in Stats.PolicyNote and returned as a *PolicyRefusedError matching
// ErrPolicyRefused, which a caller may log and ignore: the store keeps working under the server's policy.
// A server that cannot be reached gives an error wrapping store.ErrUnavailable instead.
func (s *Store) EnsureEvictionPolicy(ctx context.Context, policy string) error {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "ensure_eviction_policy", ""); err != nil {
		return err
	}
	if err := validPolicy(policy); err != nil {
		return fmt.Errorf("redis: EnsureEvictionPolicy: %w", err)
	}
	defer s.invalidateStats()
	bctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.forEachNode(bctx, func(ctx context.Context, node goredis.Cmdable) error {
		err := node.ConfigSet(ctx, "maxmemory-policy", policy).Err()
		var rerr goredis.Error
		if errors.As(err, &rerr) { // the server answered: a refusal, not an outage
			return &PolicyRefusedError{Policy: policy, Addr: nodeAddr(node, s.endpoint), Err: err}
		}
		return err
	})
	var refused *PolicyRefusedError
	switch {
	case errors.As(err, &refused):
		note := refused.Error()
		s.policyNote.Store(&note)
		s.policyRefused(policy) // logs it when a logger is set
		return &store.OpError{Op: "ensure_eviction_policy", Backend: backendName, Err: refused}
	case err != nil:
		return s.opErr(ctx, "ensure_eviction_policy", "", err)
	}
	s.policyNote.Store(nil)
	return nil
}

// nodeAddr names a node client's address for messages, or def when it has none of its own.
func nodeAddr(node goredis.Cmdable, def string) string {
	if c, ok := node.(*goredis.Client); ok {
		if a := c.Options().Addr; a != "" && a != "FailoverClient" {
			return a
		}
	}
	return def
}
