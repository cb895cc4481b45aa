package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/cachekit/cachekit/internal/glob"
	"github.com/cachekit/cachekit/store"
)

// Harness gives the suite Stores of the backend under test. Run asks newHarness for a fresh Harness for
// every rule, so a harness may hold per-rule resources and release them with t.Cleanup.
type Harness interface {
	// Open returns a Store on the backend under test, or fails t. Unless Caps().Shared is true, each call
	// returns a new, empty store. Run closes every Store that Open returns (after removing the rule's keys
	// from it) via t.Cleanup; the harness may close it as well, since Close is idempotent. Open may be
	// called again from a cleanup function, to sweep a Shared backend after a rule closed its first Store.
	Open(ctx context.Context, t *testing.T) store.Store

	// Caps reports what the backend may do differently; see Caps.
	Caps() Caps
}

// SubscriptionBreaker is an optional interface of a Harness whose Stores are store.Broadcasters. The rule
// Broadcaster/ResyncAnnounced needs it to drop a subscription's connection; without it that rule skips,
// saying so. (store/redis's harness implements it with CLIENT KILL of its own pub/sub connections.)
type SubscriptionBreaker interface {
	// BreakSubscriptions drops the connection behind every live Subscription of s, as a network failure
	// or a server-side kill would, and returns once they are dropped; it fails t when it cannot. s was
	// returned by the Harness's Open.
	BreakSubscriptions(ctx context.Context, t testing.TB, s store.Store)
}

// Caps declares the ways a backend legitimately differs. Each flag enables or relaxes named rules, never
// silently: a rule that cannot apply is skipped with a message naming the flag.
type Caps struct {
	// Shared means Stores from separate Open calls see each other's writes (Redis, tiered over Redis).
	// It enables the Shared/* rules, and lets Run open a second Store to sweep a rule's keys after the
	// rule closed its first one.
	Shared bool

	// MayRejectSets means the store's admission policy may refuse a write, reported as an error wrapping
	// store.ErrNotStored (an in-process cache such as ristretto refuses when its buffers are full or its
	// TinyLFU policy declines). A rule about something else then drops the assertion that depended on the
	// refused write and logs it, or skips when nothing is left to check; without the flag ErrNotStored
	// fails the rule.
	MayRejectSets bool

	// TTLResolution is how late after its TTL an entry may still be served. Expiry rules wait at most
	// TTL + TTLResolution. Zero (or negative) means DefaultTTLResolution.
	TTLResolution time.Duration
}

// DefaultTTLResolution is the expiry lateness allowed when Caps.TTLResolution is zero.
const DefaultTTLResolution = time.Second

// Run runs every rule of the suite against the backend, twice: under "ns=plain/" with keys under a random
// namespace such as "cf3f09a1c2d4e5f6a7:v1:", and under "ns=glob/" with a random namespace holding glob
// metacharacters, `c*f?[x]\` followed by random hex, so that a backend that builds patterns from keys
// without escaping fails. Each rule is a subtest "ns=.../Rule/Name" with a fresh Harness and a fresh Store;
// a failing rule logs the sentence it checks. The suite writes only under its rule's namespace (plus, in
// Namespace/Isolation, a few random-named keys it deletes by name), and removes the namespace's keys when
// the rule ends, so it is safe to run against a shared Redis.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	if newHarness == nil {
		t.Fatal("conformance.Run: newHarness is nil")
	}
	for _, m := range nsModes {
		t.Run("ns="+m.name, func(t *testing.T) {
			for _, r := range allRules() {
				t.Run(r.name, func(t *testing.T) { runRule(t, r, m, newHarness) })
			}
		})
	}
}

// nsMode is one way of naming the random namespace a rule's keys live under.
type nsMode struct {
	name  string
	start string // the namespace is start + random hex
	decoy string // a namespace start that the unescaped pattern of start also matches; "" if none
}

// nsModes: the glob namespace holds every metacharacter. Its decoy is what `*`, `?` and `[x]` would match
// if a backend used the namespace as a pattern without escaping it (the `\` then escapes the first hex
// digit, a literal either way).
var nsModes = []nsMode{
	{name: "plain", start: "cf"},
	{name: "glob", start: `c*f?[x]\`, decoy: "cZZfQx"},
}

// rule is one named check of the Store contract.
type rule struct {
	name string                     // "DeletePattern/EscapedStar": the subtest name
	says string                     // the one-sentence rule, logged when the subtest fails
	skip func(Caps) string          // non-empty: why the rule does not apply to this backend
	run  func(t testing.TB, e *env) // the check; e holds the Store, the caps and the key namespace
}

// env is what a rule works with: the Store under test, its caps and the rule's namespace. (The Store and
// Caps of the design sketch, plus the namespace every key must live under and a way to open a second
// Store for the Shared rules.)
type env struct {
	ctx    context.Context // the rule subtest's context
	s      store.Store
	caps   Caps
	ns     string // the namespace segment, e.g. "cf3f09a1c2d4e5f6a7"
	prefix string // ns + ":v1:"
	decoy  string // a namespace the unescaped prefix would also match; "" in the plain mode
	tag    string // the random hex inside ns, for random-named keys outside the namespace

	t *testing.T
	h Harness
}

// key returns the full key for rel under the rule's namespace.
func (e *env) key(rel string) string { return e.prefix + rel }

// pattern returns the glob for rel (itself a glob) under the rule's namespace, the namespace escaped.
func (e *env) pattern(rel string) string { return glob.Escape(e.prefix) + rel }

func runRule(t *testing.T, r rule, m nsMode, newHarness func(t *testing.T) Harness) {
	// Registered first so that it runs last, after cleanups that may fail too.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the rule %s says: %s", r.name, r.says)
		}
	})
	h := newHarness(t)
	if h == nil {
		t.Fatal("newHarness returned a nil Harness")
	}
	caps := h.Caps()
	if caps.TTLResolution <= 0 {
		caps.TTLResolution = DefaultTTLResolution
	}
	if r.skip != nil {
		if why := r.skip(caps); why != "" {
			t.Skip(why)
		}
	}
	tag := randomHex()
	e := &env{ctx: t.Context(), caps: caps, ns: m.start + tag, tag: tag, t: t, h: h}
	e.prefix = e.ns + ":v1:"
	if m.decoy != "" {
		e.decoy = m.decoy + tag
	}
	e.s = e.open()
	r.run(t, e)
}

// open returns a Store from the harness, to be swept of the rule's keys and closed when the rule ends.
func (e *env) open() store.Store {
	e.t.Helper()
	s := e.h.Open(e.ctx, e.t)
	if s == nil {
		e.t.Fatal("Harness.Open returned a nil Store")
	}
	e.t.Cleanup(func() {
		if err := s.Close(); err != nil {
			e.t.Errorf("Close at the end of the rule: %v (Close must be idempotent and succeed)", err)
		}
	})
	e.t.Cleanup(func() { e.sweep(s) })
	return s
}

// sweep removes the rule's namespace from s, or, when the rule closed s and the backend is shared, from a
// second Store. (t.Context is already cancelled when cleanups run, hence a context of its own.)
func (e *env) sweep(s store.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pat := glob.Escape(e.prefix) + "*"
	_, err := s.DeletePattern(ctx, pat)
	if errors.Is(err, store.ErrClosed) {
		if !e.caps.Shared {
			return // an unshared store's keys went with it
		}
		s2 := e.h.Open(ctx, e.t)
		if s2 == nil {
			e.t.Errorf("cleanup: Harness.Open returned a nil Store; keys under %q may remain", e.prefix)
			return
		}
		defer s2.Close()
		_, err = s2.DeletePattern(ctx, pat)
	}
	if err != nil {
		e.t.Errorf("cleanup: DeletePattern(%q): %v", pat, err)
	}
}

// randomHex returns 16 random hex digits, unique enough that concurrent runs on one Redis never meet.
func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
