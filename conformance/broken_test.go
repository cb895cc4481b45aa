package conformance

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
	_ "github.com/cachekit/cachekit/store/redis" // the redis:// scheme, for the Broadcaster rules
)

// recorder is a testing.TB that records a failure (or a skip) instead of reporting it to the test it
// wraps, so that a rule can be run against a store that breaks it and be seen to fail. Fatal and Skip
// end the rule's goroutine with runtime.Goexit, as the testing package does.
type recorder struct {
	*testing.T
	mu      sync.Mutex
	failed  bool
	skipped string
	msgs    []string
}

func (r *recorder) record(fail bool, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fail {
		r.failed = true
	}
	r.msgs = append(r.msgs, msg)
}

func (r *recorder) Errorf(format string, args ...any) { r.record(true, fmt.Sprintf(format, args...)) }
func (r *recorder) Error(args ...any)                 { r.record(true, fmt.Sprint(args...)) }
func (r *recorder) Fail()                             { r.record(true, "Fail") }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }
func (r *recorder) Logf(format string, args ...any)   { r.record(false, fmt.Sprintf(format, args...)) }
func (r *recorder) Log(args ...any)                   { r.record(false, fmt.Sprint(args...)) }
func (r *recorder) Skipf(format string, args ...any)  { r.skip(fmt.Sprintf(format, args...)) }
func (r *recorder) Skip(args ...any)                  { r.skip(fmt.Sprint(args...)) }
func (r *recorder) SkipNow()                          { r.skip("SkipNow") }
func (r *recorder) Failed() bool                      { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }

func (r *recorder) skip(msg string) {
	r.mu.Lock()
	r.skipped = msg
	r.mu.Unlock()
	runtime.Goexit()
}

// outcome runs rule r as Run would, on a Store from h, under a recorder, and says how it ended.
func outcome(t *testing.T, r rule, h Harness) (failed bool, skipped string, msgs []string) {
	caps := h.Caps()
	if caps.TTLResolution <= 0 {
		caps.TTLResolution = DefaultTTLResolution
	}
	if r.skip != nil {
		if why := r.skip(caps); why != "" {
			return false, why, nil
		}
	}
	rec := &recorder{T: t}
	tag := randomHex()
	e := &env{ctx: t.Context(), caps: caps, ns: "cf" + tag, tag: tag, t: t, h: h}
	e.prefix = e.ns + ":v1:"
	e.s = e.open()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(rec, e)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.failed, rec.skipped, rec.msgs
}

// brokenHarness opens a real store (memory, or the Redis server of the test) wrapped by wrap.
type brokenHarness struct {
	open func(ctx context.Context, t *testing.T) store.Store
	caps Caps
	kill func(t testing.TB) // drops the harness's pub/sub connections, for Broadcaster/ResyncAnnounced
}

func (h brokenHarness) Open(ctx context.Context, t *testing.T) store.Store { return h.open(ctx, t) }
func (h brokenHarness) Caps() Caps                                         { return h.caps }

// breakingHarness is a brokenHarness that is also a SubscriptionBreaker.
type breakingHarness struct{ brokenHarness }

func (h breakingHarness) BreakSubscriptions(_ context.Context, t testing.TB, _ store.Store) {
	h.kill(t)
}

func memoryHarness(wrap func(store.Store) store.Store) Harness {
	return brokenHarness{
		caps: Caps{MayRejectSets: true},
		open: func(_ context.Context, t *testing.T) store.Store {
			s, err := memory.New(memory.Options{MaxBytes: 64 << 20})
			if err != nil {
				t.Fatal(err)
			}
			return wrap(s)
		},
	}
}

// redisHarness opens Stores on srv whose connections are named, so that kill drops only theirs.
func redisHarness(t *testing.T, srv *redistest.Server, wrap func(store.Store) store.Store) Harness {
	name := "cachekit-broken-" + redistest.Namespace(t)
	url := srv.URL + "?client_name=" + name
	return breakingHarness{brokenHarness{
		caps: Caps{Shared: true, TTLResolution: 500 * time.Millisecond},
		open: func(ctx context.Context, t *testing.T) store.Store {
			s, err := store.Open(ctx, url)
			if err != nil {
				t.Fatalf("store.Open(%s): %v", store.Redact(url), err)
			}
			return wrap(s)
		},
		kill: func(t testing.TB) {
			if n := redistest.KillPubSub(t, name, srv.Addr); n == 0 {
				t.Fatalf("no pub/sub connection named %s to drop", name)
			}
		},
	}}
}

func plain(s store.Store) store.Store { return s }

// Broken stores. Each wraps a working store and breaks exactly one promise of one optional interface;
// embedding store.Store hides every other optional interface of the store it wraps.
type (
	// truncatingView lends fn the value without its last byte.
	truncatingView struct{ store.Store }
	// missCallsFn calls fn (with nil) on a miss before reporting it.
	missCallsFn struct{ store.Store }
	// wrapsFnError wraps fn's error instead of returning it as it is.
	wrapsFnError struct{ store.Store }
	// memo keeps the last key it served, as given, with its value, and answers that key from it: the
	// retention the key-lending rules forbid (it serves both View and GetDecoded).
	memo struct {
		store.Store
		mu       sync.Mutex
		key      string
		val      []byte
		hasEntry bool
	}
	// missDecodes calls DecodeValue on a miss.
	missDecodes struct{ store.Store }
	// wrapsDecodeError wraps DecodeValue's error.
	wrapsDecodeError struct{ store.Store }
	// formMap keeps forms in a map keyed by the Decoder itself, without checking it first: an
	// uncomparable Decoder panics, a nil one is called.
	formMap struct {
		store.Store
		mu    sync.Mutex
		forms map[string]map[store.Decoder]any
	}
	// firstForm keeps the first form decoded for a key forever, whatever is written later.
	firstForm struct {
		store.Store
		mu    sync.Mutex
		forms map[string]any
	}
	// fixedTTL reports every lifetime as an hour.
	fixedTTL struct{ store.Store }
	// deafPing answers Ping even after Close.
	deafPing struct{ store.Store }
	// blindRelease deletes the key whatever value it holds.
	blindRelease struct{ store.Store }
	// firstSubscriber delivers only to the first subscription of each channel made through any of
	// the Stores sharing it; later ones receive nothing.
	firstSubscriber struct {
		store.Store
		seen *sync.Map
	}
	// hidesResync drops Resync events from its subscriptions.
	hidesResync struct{ store.Store }
	// lastWins stores every versioned write, whatever the stored version.
	lastWins struct{ store.Store }
	// readThenWrite compares versions with a Get and then Sets: not atomic.
	readThenWrite struct{ store.Store }
)

func (s lastWins) SetIfNewer(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := store.CheckVersioned("lastWins", "set_if_newer", key, value, ttl); err != nil {
		return false, err
	}
	return true, s.Set(ctx, key, value, ttl)
}

func (s readThenWrite) SetIfNewer(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := store.CheckVersioned("readThenWrite", "set_if_newer", key, value, ttl); err != nil {
		return false, err
	}
	old, err := s.Get(ctx, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	if !store.NewerThanStored(value, old) {
		return false, nil
	}
	time.Sleep(50 * time.Microsecond) // the window another writer slips through
	return true, s.Set(ctx, key, value, ttl)
}

func (s truncatingView) View(ctx context.Context, key string, fn func([]byte) error) error {
	return store.View(ctx, s.Store, key, func(v []byte) error {
		if len(v) > 0 {
			v = v[:len(v)-1]
		}
		return fn(v)
	})
}

func (s missCallsFn) View(ctx context.Context, key string, fn func([]byte) error) error {
	err := store.View(ctx, s.Store, key, fn)
	if errors.Is(err, store.ErrNotFound) {
		_ = fn(nil)
	}
	return err
}

func (s wrapsFnError) View(ctx context.Context, key string, fn func([]byte) error) error {
	if err := store.View(ctx, s.Store, key, fn); err != nil {
		return fmt.Errorf("view: %w", err)
	}
	return nil
}

func (s *memo) remembered(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.val, s.hasEntry && key == s.key
}

func (s *memo) remember(key string, v []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key, s.val, s.hasEntry = key, v, true
}

func (s *memo) Get(ctx context.Context, key string) ([]byte, error) {
	if v, ok := s.remembered(key); ok {
		return append([]byte(nil), v...), nil
	}
	return s.Store.Get(ctx, key)
}

// memoView is memo as a Viewer; memoDecoded as a DecodedCache.
type (
	memoView    struct{ *memo }
	memoDecoded struct{ *memo }
)

func (s memoView) View(ctx context.Context, key string, fn func([]byte) error) error {
	if v, ok := s.remembered(key); ok {
		return fn(v)
	}
	v, err := s.Store.Get(ctx, key)
	if err != nil {
		return err
	}
	s.remember(key, v)
	return fn(v)
}

func (s memoDecoded) GetDecoded(ctx context.Context, key string, d store.Decoder) (any, error) {
	if v, ok := s.remembered(key); ok {
		return d.DecodeValue(v)
	}
	v, err := s.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	s.remember(key, v)
	return d.DecodeValue(v)
}

func (s missDecodes) GetDecoded(ctx context.Context, key string, d store.Decoder) (any, error) {
	v, err := store.GetDecoded(ctx, s.Store, key, d)
	if errors.Is(err, store.ErrNotFound) {
		_, _ = d.DecodeValue(nil)
	}
	return v, err
}

func (s wrapsDecodeError) GetDecoded(ctx context.Context, key string, d store.Decoder) (any, error) {
	v, err := store.GetDecoded(ctx, s.Store, key, d)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("decode %q: %w", key, err)
	}
	return v, err
}

func (s *formMap) GetDecoded(ctx context.Context, key string, d store.Decoder) (any, error) {
	if v, ok := s.kept(key, d); ok {
		return v, nil
	}
	b, err := s.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return d.DecodeValue(b) // panics on a nil d
}

// kept looks d up among key's forms; it panics on an uncomparable d (after unlocking).
func (s *formMap) kept(key string, d store.Decoder) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.forms[key][d]
	return v, ok
}

func (s *firstForm) GetDecoded(ctx context.Context, key string, d store.Decoder) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.forms[key]; ok {
		return v, nil
	}
	v, err := store.GetDecoded(ctx, s.Store, key, d)
	if err == nil {
		s.forms[key] = v
	}
	return v, err
}

func (s fixedTTL) GetWithTTL(ctx context.Context, key string) ([]byte, time.Duration, error) {
	v, err := s.Get(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	return v, time.Hour, nil
}

func (s fixedTTL) GetManyWithTTL(ctx context.Context, keys []string) (map[string]store.ValueTTL, error) {
	m, err := s.GetMany(ctx, keys)
	out := make(map[string]store.ValueTTL, len(m))
	for k, v := range m {
		out[k] = store.ValueTTL{Value: v, TTL: time.Hour}
	}
	return out, err
}

func (deafPing) Ping(context.Context) error { return nil }

func (b blindRelease) DeleteIfValue(ctx context.Context, key string, _ []byte) (bool, error) {
	n, err := b.Delete(ctx, key)
	return n == 1, err
}

func (s firstSubscriber) Publish(ctx context.Context, ch string, p []byte) error {
	return s.Store.(store.Broadcaster).Publish(ctx, ch, p)
}

func (s firstSubscriber) Subscribe(ctx context.Context, ch string) (store.Subscription, error) {
	sub, err := s.Store.(store.Broadcaster).Subscribe(ctx, ch)
	if err != nil {
		return nil, err
	}
	if _, taken := s.seen.LoadOrStore(ch, true); taken {
		return deafSubscription{sub, make(chan store.Event)}, nil
	}
	return sub, nil
}

// deafSubscription holds a real subscription open but delivers none of its events.
type deafSubscription struct {
	store.Subscription
	never chan store.Event
}

func (s deafSubscription) Events() <-chan store.Event { return s.never }

func (s hidesResync) Publish(ctx context.Context, ch string, p []byte) error {
	return s.Store.(store.Broadcaster).Publish(ctx, ch, p)
}

func (s hidesResync) Subscribe(ctx context.Context, ch string) (store.Subscription, error) {
	sub, err := s.Store.(store.Broadcaster).Subscribe(ctx, ch)
	if err != nil {
		return nil, err
	}
	f := &filtered{Subscription: sub, out: make(chan store.Event), done: make(chan struct{})}
	go func() {
		defer close(f.out)
		for ev := range sub.Events() {
			if ev.Resync {
				continue
			}
			select {
			case f.out <- ev:
			case <-f.done:
				return
			}
		}
	}()
	return f, nil
}

// filtered is a subscription whose events pass through a filter goroutine.
type filtered struct {
	store.Subscription
	out       chan store.Event
	done      chan struct{}
	closeOnce sync.Once
}

func (s *filtered) Events() <-chan store.Event { return s.out }

func (s *filtered) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	return s.Subscription.Close()
}

// TestEachOptionalRuleFailsOnABrokenStore proves the rules of the optional interfaces can fail: each
// one runs against a store that breaks exactly the promise it checks and must report a failure, and
// against the working store underneath, where it must pass. (The Broadcaster rules run on Redis, the
// one Broadcaster; the others on the memory backend.)
func TestEachOptionalRuleFailsOnABrokenStore(t *testing.T) {
	srv := redistest.Standalone(t)
	onMemory := func(wrap func(store.Store) store.Store) func(*testing.T) Harness {
		return func(*testing.T) Harness { return memoryHarness(wrap) }
	}
	onRedis := func(wrap func(store.Store) store.Store) func(*testing.T) Harness {
		return func(t *testing.T) Harness { return redisHarness(t, srv, wrap) }
	}
	type pair struct {
		broken, working func(*testing.T) Harness
		why             string // what the broken store does
	}
	cases := map[string]pair{
		"Viewer/SeesGetBytes": {onMemory(func(s store.Store) store.Store { return truncatingView{s} }), onMemory(plain),
			"View lends the value without its last byte"},
		"Viewer/MissSkipsFn": {onMemory(func(s store.Store) store.Store { return missCallsFn{s} }), onMemory(plain),
			"View calls fn on a miss"},
		"Viewer/FnErrorUnchanged": {onMemory(func(s store.Store) store.Store { return wrapsFnError{s} }), onMemory(plain),
			"View wraps fn's error"},
		"Viewer/KeyNotRetained": {onMemory(func(s store.Store) store.Store { return memoView{&memo{Store: s}} }), onMemory(plain),
			"View keeps the last key it was lent, as given, and answers it from memory"},
		"DecodedCache/DecodesGetBytes": {onMemory(func(s store.Store) store.Store { return missDecodes{s} }), onMemory(plain),
			"GetDecoded calls DecodeValue on a miss"},
		"DecodedCache/DecoderErrorUnchanged": {onMemory(func(s store.Store) store.Store { return wrapsDecodeError{s} }), onMemory(plain),
			"GetDecoded wraps DecodeValue's error"},
		"DecodedCache/BadDecoderIsAnError": {onMemory(func(s store.Store) store.Store {
			return &formMap{Store: s, forms: map[string]map[store.Decoder]any{}}
		}), onMemory(plain), "GetDecoded uses the Decoder as a map key and calls it unchecked"},
		"DecodedCache/NeverOlderThanLastWrite": {onMemory(func(s store.Store) store.Store { return &firstForm{Store: s, forms: map[string]any{}} }), onMemory(plain),
			"GetDecoded keeps a key's first form through later writes"},
		"DecodedCache/KeyNotRetained": {onMemory(func(s store.Store) store.Store { return memoDecoded{&memo{Store: s}} }), onMemory(plain),
			"GetDecoded keeps the last key it was lent, as given, and answers it from memory"},
		"TTLReader/EqualsGetAndTTL": {onMemory(func(s store.Store) store.Store { return fixedTTL{s} }), onMemory(plain),
			"GetWithTTL reports every lifetime as an hour"},
		"Pinger/AnswersUntilClosed": {onMemory(func(s store.Store) store.Store { return deafPing{s} }), onMemory(plain),
			"Ping answers nil even after Close"},
		"VersionedSetter/NewerWins": {onMemory(func(s store.Store) store.Store { return lastWins{s} }), onMemory(plain),
			"SetIfNewer stores whatever version the key holds"},
		"VersionedSetter/RacingWritersEndWithTheHighest": {onRedis(func(s store.Store) store.Store { return readThenWrite{s} }), onRedis(plain),
			"SetIfNewer reads the stored version, then writes: another writer slips between"},
		"CompareDeleter/OwnerOnly": {onRedis(func(s store.Store) store.Store { return blindRelease{s} }), onRedis(plain),
			"DeleteIfValue deletes whatever value the key holds"},
		"Broadcaster/ReachesSecondSubscriber": {func(t *testing.T) Harness {
			seen := &sync.Map{}
			return redisHarness(t, srv, func(s store.Store) store.Store { return firstSubscriber{s, seen} })
		}, onRedis(plain), "a second subscription of a channel receives nothing"},
		"Broadcaster/ResyncAnnounced": {onRedis(func(s store.Store) store.Store { return hidesResync{s} }), onRedis(plain),
			"subscriptions drop Resync events"},
	}
	optional := []string{"Viewer/", "DecodedCache/", "TTLReader/", "Broadcaster/", "Pinger/", "CompareDeleter/"}
	for _, r := range allRules() {
		c, ok := cases[r.name]
		if !ok {
			if slicesContainsPrefix(optional, r.name) {
				t.Errorf("rule %s has no broken store to prove it can fail", r.name)
			}
			continue
		}
		delete(cases, r.name)
		t.Run(r.name, func(t *testing.T) {
			failed, skipped, msgs := outcome(t, r, c.broken(t))
			switch {
			case skipped != "":
				t.Errorf("skipped on the broken store (%s): %s", c.why, skipped)
			case !failed:
				t.Errorf("passed on a store that breaks it (%s); log: %q", c.why, msgs)
			default:
				t.Logf("failed, as it must, on a store where %s: %s", c.why, firstFailure(msgs))
			}
			failed, skipped, msgs = outcome(t, r, c.working(t))
			if failed || skipped != "" {
				t.Errorf("failed (%v) or skipped (%q) on the working store underneath: %q", failed, skipped, msgs)
			}
		})
	}
	for name := range cases {
		t.Errorf("a broken store is listed for %s, which is not a rule", name)
	}
}

func slicesContainsPrefix(prefixes []string, s string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// firstFailure returns the first message that is not a log line of the rule's "via" helper.
func firstFailure(msgs []string) string {
	for _, m := range msgs {
		if !strings.Contains(m, "checking") {
			return m
		}
	}
	return ""
}
