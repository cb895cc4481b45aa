package cachetest

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

// recorder is a testing.TB that records a failure instead of failing the test it wraps, so a rule can
// be run against a store that breaks it and be seen to fail.
type recorder struct {
	*testing.T
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	r.failed = true
	r.msgs = append(r.msgs, msg)
	r.mu.Unlock()
}
func (r *recorder) Errorf(format string, args ...any) { r.fail(format) }
func (r *recorder) Error(args ...any)                 { r.fail("error") }
func (r *recorder) Fatalf(format string, args ...any) { r.fail(format); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.fail("fatal"); runtime.Goexit() }
func (r *recorder) FailNow()                          { r.fail("FailNow"); runtime.Goexit() }
func (r *recorder) Fail()                             { r.fail("Fail") }
func (r *recorder) Failed() bool                      { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }

// runExpectingFailure runs one rule on s under a recorder and reports whether it failed.
func runExpectingFailure(t *testing.T, r rule, s store.Store) bool {
	rec := &recorder{T: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(rec, s, namespace(t))
	}()
	<-done
	return rec.Failed()
}

func newMemory(t *testing.T) store.Store {
	s, err := memory.New(memory.Options{MaxBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Broken stores, each breaking the promise one rule relies on. They wrap a real memory store and hide
// its optional interfaces.
type (
	noDelete      struct{ store.Store } // Delete deletes nothing
	truncatingGet struct{ store.Store } // Get drops the last byte of every value
	unescaping    struct{ store.Store } // patterns lose their escapes: the glob prefix leaks out
	staleGet      struct {              // Get serves the first value it ever read for a key
		store.Store
		mu   sync.Mutex
		seen map[string][]byte
	}
	fixedTTL struct{ store.Store } // Set ignores the TTL it is given
	deadGet  struct{ store.Store } // Get always fails as unavailable
)

func (noDelete) Delete(context.Context, ...string) (int, error) { return 0, nil }
func (s truncatingGet) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := s.Store.Get(ctx, key)
	if err == nil && len(b) > 0 {
		b = b[:len(b)-1]
	}
	return b, err
}
func (s truncatingGet) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	m, err := s.Store.GetMany(ctx, keys)
	for k, b := range m {
		m[k] = b[:len(b)-1]
	}
	return m, err
}
func (s unescaping) DeletePattern(ctx context.Context, p string) (int, error) {
	return s.Store.DeletePattern(ctx, strings.ReplaceAll(p, `\`, ""))
}
func (s unescaping) Scan(ctx context.Context, p string, fn func(string) bool) error {
	return s.Store.Scan(ctx, strings.ReplaceAll(p, `\`, ""), fn)
}
func (s *staleGet) Get(ctx context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.seen[key]; ok {
		return b, nil
	}
	b, err := s.Store.Get(ctx, key)
	if err == nil {
		s.seen[key] = b
	}
	return b, err
}
func (s fixedTTL) Set(ctx context.Context, key string, v []byte, _ time.Duration) error {
	return s.Store.Set(ctx, key, v, 7*time.Minute)
}
func (deadGet) Get(context.Context, string) ([]byte, error) {
	return nil, &store.OpError{Op: "get", Backend: "dead", Err: store.ErrUnavailable}
}

// TestEachRuleFailsOnABrokenStore proves the rules can fail: each is run against a store that breaks
// what it checks, and must report a failure. Fetch/ResultIsTheCallersOwn checks the Cache itself (no
// store can make a private decode shared); it failed on the Cache before Fetch hits became private.
func TestEachRuleFailsOnABrokenStore(t *testing.T) {
	broken := map[string]func(t *testing.T) store.Store{
		"Decode/CorruptDeletedAndCounted":    func(t *testing.T) store.Store { return noDelete{newMemory(t)} },
		"Decode/TypeMismatchKept":            func(t *testing.T) store.Store { return truncatingGet{newMemory(t)} },
		"Namespace/HostileSymbolsStayInside": func(t *testing.T) store.Store { return unescaping{newMemory(t)} },
		"Freshness/NeverOlderThanTheLastWrite": func(t *testing.T) store.Store {
			return &staleGet{Store: newMemory(t), seen: map[string][]byte{}}
		},
		"TTL/ZeroMeansKindThenDefault": func(t *testing.T) store.Store { return fixedTTL{newMemory(t)} },
		"Ping/AnswersWhileOpen":        func(t *testing.T) store.Store { return deadGet{newMemory(t)} },
	}
	for _, r := range rules() {
		open, ok := broken[r.name]
		if !ok {
			if r.name != "Fetch/ResultIsTheCallersOwn" {
				t.Errorf("rule %s has no broken store to prove it can fail", r.name)
			}
			continue
		}
		if !runExpectingFailure(t, r, open(t)) {
			t.Errorf("rule %s passed on a store that breaks it", r.name)
		}
		if runExpectingFailure(t, r, newMemory(t)) {
			t.Errorf("rule %s failed on a working memory store", r.name)
		}
	}
}
