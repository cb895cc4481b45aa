package tiered

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/keyspace"
	"github.com/cachekit/cachekit/store"
)

// countingDecoder is a comparable store.Decoder that counts its calls.
type countingDecoder struct{ calls *atomic.Int64 }

func (d countingDecoder) DecodeValue(v []byte) (any, error) {
	d.calls.Add(1)
	return "decoded:" + string(v), nil
}

// plainStore hides a store's optional interfaces (Viewer, DecodedCache), as a third-party L1 would.
type plainStore struct{ store.Store }

// newMemTiered is tiered(memory, memory) with a long L1 lifetime; l1 is wrapped by wrapL1.
func newMemTiered(t *testing.T, wrapL1 func(store.Store) store.Store) (*Store, store.Store, store.Store) {
	t.Helper()
	var l1 store.Store = newMemory(t)
	if wrapL1 != nil {
		l1 = wrapL1(l1)
	}
	l2 := newMemory(t)
	s, err := New(l1, l2, Options{L1MaxTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, l1, l2
}

// View serves an L1 hit from L1, an L1 miss from L2 (backfilling L1), and a key in neither tier as a
// miss without calling fn; fn's error comes back unchanged. The same holds with an L1 that is not a
// store.Viewer.
func TestViewL1HitL2HitAndMiss(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(store.Store) store.Store
	}{{"l1=memory", nil}, {"l1=plain", func(s store.Store) store.Store { return plainStore{s} }}} {
		t.Run(tc.name, func(t *testing.T) {
			s, l1, l2 := newMemTiered(t, tc.wrap)
			ctx := t.Context()
			view := func(key string) (string, error) {
				var got string
				calls := 0
				err := s.View(ctx, key, func(v []byte) error { calls++; got = string(v); return nil })
				if calls > 1 || (err != nil && calls != 0) {
					t.Fatalf("View(%q): fn called %d times, err %v", key, calls, err)
				}
				return got, err
			}
			if err := s.Set(ctx, "a", []byte("va"), time.Hour); err != nil {
				t.Fatal(err)
			}
			if v, err := view("a"); err != nil || v != "va" {
				t.Fatalf("View L1 hit = %q, %v", v, err)
			}
			if err := l2.Set(ctx, "b", []byte("vb"), time.Hour); err != nil { // in L2 only
				t.Fatal(err)
			}
			if v, err := view("b"); err != nil || v != "vb" {
				t.Fatalf("View L2 hit = %q, %v", v, err)
			}
			if v, err := l1.Get(ctx, "b"); err != nil || string(v) != "vb" {
				t.Fatalf("L1 after View's L2 hit: %q, %v; want the backfilled value", v, err)
			}
			if _, err := view("none"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("View of a key in neither tier: %v; want ErrNotFound", err)
			}
			mine := errors.New("mine")
			if err := s.View(ctx, "a", func([]byte) error { return mine }); err != mine {
				t.Fatalf("View returned %v for fn's error; want it unchanged", err)
			}
			if err := s.View(ctx, "a", nil); err == nil {
				t.Fatal("View with a nil fn: no error")
			}
			if got := extra(t, s, "l1_hits"); tc.wrap == nil && got != 3 {
				t.Fatalf("l1_hits = %d after 3 L1 hits through View", got)
			}
		})
	}
}

// GetDecoded keeps L1's form across L1 hits (one decode per write), decodes L2's bytes on an L1 miss
// (and keeps nothing then: the backfilled L1 entry decodes on its first hit), replaces the form on a
// write or delete through the Store, and with an L1 that is not a DecodedCache decodes on every call.
func TestGetDecodedThroughL1(t *testing.T) {
	ctx := context.Background()
	t.Run("l1=memory", func(t *testing.T) {
		s, _, l2 := newMemTiered(t, nil)
		var calls atomic.Int64
		d := countingDecoder{&calls}
		get := func(key, want string, wantCalls int64) {
			t.Helper()
			v, err := s.GetDecoded(ctx, key, d)
			if err != nil || v != want || calls.Load() != wantCalls {
				t.Fatalf("GetDecoded(%q) = %v, %v with %d decodes; want %q with %d", key, v, err, calls.Load(), want, wantCalls)
			}
		}
		if err := s.Set(ctx, "a", []byte("1"), time.Hour); err != nil {
			t.Fatal(err)
		}
		get("a", "decoded:1", 1)
		get("a", "decoded:1", 1)
		if err := s.Set(ctx, "a", []byte("2"), time.Hour); err != nil {
			t.Fatal(err)
		}
		get("a", "decoded:2", 2)
		get("a", "decoded:2", 2)
		if _, err := s.Delete(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetDecoded(ctx, "a", d); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetDecoded after Delete: %v; want ErrNotFound", err)
		}
		if err := l2.Set(ctx, "b", []byte("3"), time.Hour); err != nil {
			t.Fatal(err)
		}
		get("b", "decoded:3", 3) // L2 hit, decoded, backfilled
		get("b", "decoded:3", 4) // L1 hit: the first one decodes
		get("b", "decoded:3", 4)
		if _, err := s.GetDecoded(ctx, "b", nil); err == nil {
			t.Fatal("GetDecoded with a nil Decoder: no error")
		}
	})
	t.Run("l1=plain", func(t *testing.T) {
		s, _, _ := newMemTiered(t, func(s store.Store) store.Store { return plainStore{s} })
		var calls atomic.Int64
		d := countingDecoder{&calls}
		if err := s.Set(ctx, "a", []byte("1"), time.Hour); err != nil {
			t.Fatal(err)
		}
		for want := int64(1); want <= 2; want++ {
			if v, err := s.GetDecoded(ctx, "a", d); err != nil || v != "decoded:1" || calls.Load() != want {
				t.Fatalf("GetDecoded = %v, %v with %d decodes; want %d", v, err, calls.Load(), want)
			}
		}
		if _, err := s.GetDecoded(ctx, "a", nil); err == nil {
			t.Fatal("GetDecoded with a nil Decoder: no error")
		}
	})
	t.Run("closed", func(t *testing.T) {
		s, _, _ := newMemTiered(t, nil)
		_ = s.Close()
		var calls atomic.Int64
		if _, err := s.GetDecoded(ctx, "a", countingDecoder{&calls}); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("GetDecoded after Close: %v", err)
		}
		if err := s.View(ctx, "a", func([]byte) error { return nil }); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("View after Close: %v", err)
		}
	})
}

// An invalidation from another instance replaces B's decoded form along with its L1 entry: once it has
// arrived, B's GetDecoded never returns the old form.
func TestGetDecodedFollowsInvalidations(t *testing.T) {
	srv := redistest.Standalone(t)
	opts := Options{L1MaxTTL: time.Hour}
	a := openRedisTiered(t, srv.URL, opts)
	b := openRedisTiered(t, srv.URL, opts)
	ns := redistest.Namespace(t) + ":v1:"
	t.Cleanup(func() { _, _ = a.DeletePattern(context.Background(), keyspace.EscapeGlob(ns)+"*") })
	ctx := t.Context()
	arr := watchArrivals(b)
	key := ns + "ticker:QRL/USDT"
	var calls atomic.Int64
	d := countingDecoder{&calls}

	if err := a.Set(ctx, key, []byte("old"), time.Hour); err != nil {
		t.Fatal(err)
	}
	arr.wait(t, key, 2*time.Second)
	arr.forget()
	for range 3 { // an L2 hit, then L1 hits sharing one form
		if v, err := b.GetDecoded(ctx, key, d); err != nil || v != "decoded:old" {
			t.Fatalf("B GetDecoded = %v, %v", v, err)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("decodes = %d; want 2 (L2 hit, first L1 hit)", n)
	}
	if err := a.Set(ctx, key, []byte("new"), time.Hour); err != nil {
		t.Fatal(err)
	}
	arr.wait(t, key, 2*time.Second)
	if v, err := b.GetDecoded(ctx, key, d); err != nil || v != "decoded:new" {
		t.Fatalf("B GetDecoded after the invalidation arrived = %v, %v; want the new value", v, err)
	}
}

// View and GetDecoded hand L2 a copy of the key, never the caller's string: a caller may pass a key
// that aliases a buffer it reuses once the call has returned without error.
func TestViewPassesL2ACopyOfTheKey(t *testing.T) {
	rec := &keyRecorder{Store: newMemory(t)}
	s, err := New(newMemory(t), rec, Options{L1MaxTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	if err := rec.Set(ctx, "k1", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	buf := []byte("k1")
	if err := s.View(ctx, unsafe.String(&buf[0], len(buf)), func([]byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	copy(buf, "zz")
	got := rec.last.Load()
	if got == nil {
		t.Fatal("View did not ask L2")
	}
	if *got != "k1" {
		t.Fatalf("the key L2 kept reads %q after the caller reused its buffer; want %q", *got, "k1")
	}
}

// keyRecorder is an L2 that keeps the last key it was asked to Get, as a network client's hook might.
type keyRecorder struct {
	store.Store
	last atomic.Pointer[string]
}

func (r *keyRecorder) Get(ctx context.Context, key string) ([]byte, error) {
	r.last.Store(&key)
	return r.Store.Get(ctx, key)
}
