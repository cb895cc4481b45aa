package memory_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

// View lends the stored bytes of a hit (fn called once), reports a miss without calling fn, returns
// fn's error unchanged, and counts hits and misses as Get does.
func TestViewHitMissAndFnError(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	mustSet(t, s, "k", []byte("value"))

	calls := 0
	err := s.View(ctx, "k", func(v []byte) error {
		calls++
		if string(v) != "value" {
			t.Errorf("View lent %q, want %q", v, "value")
		}
		return nil
	})
	if err != nil || calls != 1 {
		t.Fatalf("View hit: err %v, fn called %d times; want nil, 1", err, calls)
	}

	err = s.View(ctx, "missing", func([]byte) error { calls++; return nil })
	if !errors.Is(err, store.ErrNotFound) || calls != 1 {
		t.Fatalf("View miss: err %v, fn calls %d; want ErrNotFound and fn not called", err, calls)
	}

	mine := errors.New("mine")
	if err := s.View(ctx, "k", func([]byte) error { return mine }); err != mine {
		t.Fatalf("View returned %v for fn's error; want it unchanged", err)
	}
	if err := s.View(ctx, "k", nil); err == nil {
		t.Fatal("View with a nil fn: no error")
	}

	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Hits != 2 || st.Misses != 1 {
		t.Fatalf("Stats after 2 View hits and 1 miss: Hits %d, Misses %d", st.Hits, st.Misses)
	}
}

// A Set's value is visible to View at once (read-your-writes through the pending overlay), before and
// after ristretto settles it.
func TestViewSeesWritesAtOnce(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	for i := range 50 {
		want := []byte("v" + strconv.Itoa(i))
		mustSet(t, s, "k", want)
		err := s.View(ctx, "k", func(v []byte) error {
			if !bytes.Equal(v, want) {
				return fmt.Errorf("View after Set #%d lent %q, want %q", i, v, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			settle(t, s)
		}
	}
}

// The bytes View lends belong to one write and never change: overwriting or deleting the key makes a
// new entry and leaves the old bytes as they were (which is what makes lending them without a lock
// safe). The test keeps the lent slice, which a real caller must not do, only to observe this.
func TestViewBytesAreNeverRewritten(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	mustSet(t, s, "k", []byte("aaaa"))
	settle(t, s)
	var lent []byte
	if err := s.View(ctx, "k", func(v []byte) error { lent = v; return nil }); err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "k", []byte("bbbb")) // an in-place update in ristretto: same size, same slot
	settle(t, s)
	mustSet(t, s, "k", []byte("cccc"))
	if _, err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "k", []byte("dddd"))
	settle(t, s)
	if string(lent) != "aaaa" {
		t.Fatalf("lent bytes changed to %q after later writes; want %q", lent, "aaaa")
	}
}

// decoder is a comparable store.Decoder that counts its calls.
type decoder struct {
	calls *atomic.Int64
	tag   string
}

func (d decoder) DecodeValue(v []byte) (any, error) {
	d.calls.Add(1)
	if bytes.HasPrefix(v, []byte("bad")) {
		return nil, errBadValue
	}
	return d.tag + ":" + string(v), nil
}

var errBadValue = errors.New("bad value")

// GetDecoded decodes once per write and Decoder: later calls with an equal Decoder get the kept form
// without decoding; a write replaces it; another Decoder gets its own form; a decode error is returned
// unchanged and nothing is kept; a miss does not decode.
func TestGetDecodedKeepsOneFormPerWrite(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	var calls atomic.Int64
	a := decoder{&calls, "a"}
	get := func(d store.Decoder, want string, wantCalls int64) {
		t.Helper()
		v, err := s.GetDecoded(ctx, "k", d)
		if err != nil || v != want {
			t.Fatalf("GetDecoded = %v, %v; want %q", v, err, want)
		}
		if n := calls.Load(); n != wantCalls {
			t.Fatalf("decode calls = %d; want %d", n, wantCalls)
		}
	}
	mustSet(t, s, "k", []byte("1"))
	get(a, "a:1", 1)
	get(a, "a:1", 1)
	settle(t, s) // the overlay record and ristretto's entry are one entry: the form survives settling
	get(a, "a:1", 1)
	get(decoder{&calls, "a"}, "a:1", 1) // an equal Decoder

	mustSet(t, s, "k", []byte("2"))
	get(a, "a:2", 2)
	get(a, "a:2", 2)

	b := decoder{&calls, "b"}
	get(b, "b:2", 3)
	get(b, "b:2", 3)
	get(a, "a:2", 4) // one form per entry: b's replaced a's

	mustSet(t, s, "k", []byte("bad"))
	for want := int64(5); want <= 6; want++ {
		if _, err := s.GetDecoded(ctx, "k", a); err != errBadValue {
			t.Fatalf("GetDecoded of an undecodable value: %v; want the decode error unchanged", err)
		}
		if n := calls.Load(); n != want {
			t.Fatalf("decode calls = %d; want %d (a failed decode is not kept)", n, want)
		}
	}

	if _, err := s.GetDecoded(ctx, "missing", a); !errors.Is(err, store.ErrNotFound) || calls.Load() != 6 {
		t.Fatalf("GetDecoded miss: %v, decode calls %d; want ErrNotFound and no decode", err, calls.Load())
	}
	if _, err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetDecoded(ctx, "k", a); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetDecoded after Delete: %v; want ErrNotFound", err)
	}
}

// uncomparable is a Decoder whose dynamic type cannot be compared with ==.
type uncomparable struct{ tags []string }

func (uncomparable) DecodeValue(v []byte) (any, error) { return string(v), nil }

// holder is comparable as a type but holds a value that is not.
type holder struct{ x any }

func (holder) DecodeValue(v []byte) (any, error) { return string(v), nil }

// A nil or uncomparable Decoder is an error, never a panic, including after a comparable Decoder's
// form was kept.
func TestGetDecodedRejectsBadDecoders(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	mustSet(t, s, "k", []byte("1"))
	var calls atomic.Int64
	for round := range 2 {
		for _, d := range []store.Decoder{nil, uncomparable{[]string{"x"}}, holder{[]int{1}}} {
			v, err := s.GetDecoded(ctx, "k", d)
			if err == nil || errors.Is(err, store.ErrNotFound) {
				t.Fatalf("round %d: GetDecoded with %T = %v, %v; want an error naming the problem", round, d, v, err)
			}
		}
		if _, err := s.GetDecoded(ctx, "k", holder{1}); err != nil { // comparable after all
			t.Fatalf("GetDecoded with a comparable holder: %v", err)
		}
		if _, err := s.GetDecoded(ctx, "k", decoder{&calls, "a"}); err != nil {
			t.Fatal(err)
		}
	}
}

// View and GetDecoded fail like Get once the store is closed or the context is done.
func TestViewAndGetDecodedAfterCloseAndCancel(t *testing.T) {
	s, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.View(ctx, "k", func([]byte) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("View with a cancelled context: %v", err)
	}
	if _, err := s.GetDecoded(ctx, "k", decoder{&calls, "a"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("GetDecoded with a cancelled context: %v", err)
	}
	_ = s.Close()
	if err := s.View(t.Context(), "k", func([]byte) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("View after Close: %v", err)
	}
	if _, err := s.GetDecoded(t.Context(), "k", decoder{&calls, "a"}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("GetDecoded after Close: %v", err)
	}
}
