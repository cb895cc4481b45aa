package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/cachekit/cachekit/store"
)

// The optional interfaces of package store, each checked against the base path it accelerates, as
// testing/fstest checks ReadFile against Open. A Store that lacks Viewer, DecodedCache, TTLReader or
// Pinger is checked through the fallback that store.View, store.GetDecoded, store.GetWithTTL and
// store.Ping run for it, which is what every consumer gets from it; each rule logs which path it
// checked, so none of them skips. The Broadcaster rules (rules_broadcast.go) have no fallback to check.

// via logs whether a rule checks s's own implementation of the optional interface I (named iface) or
// the fallback.
func via[I any](t testing.TB, s store.Store, iface, fallback string) {
	t.Helper()
	if _, ok := s.(I); ok {
		t.Logf("%T implements store.%s: checking its methods", s, iface)
	} else {
		t.Logf("%T is not a store.%s: checking the fallback every consumer uses (%s)", s, iface, fallback)
	}
}

func viaViewer(t testing.TB, s store.Store) {
	t.Helper()
	via[store.Viewer](t, s, "Viewer", "store.View: Get, then fn")
}

func viaDecoded(t testing.TB, s store.Store) {
	t.Helper()
	via[store.DecodedCache](t, s, "DecodedCache", "store.GetDecoded: Get, then DecodeValue")
}

// allBytes is a value holding every byte value, NUL and invalid UTF-8 included.
func allBytes() []byte {
	v := make([]byte, 256)
	for i := range v {
		v[i] = byte(i)
	}
	return v
}

func viewerRules() []rule {
	return []rule{
		{
			name: "Viewer/SeesGetBytes",
			says: "View calls fn once with exactly the bytes Get returns (empty, binary and 64 KiB values alike, and the new bytes after an overwrite), and returns nil when fn does",
			run: func(t testing.TB, e *env) {
				viaViewer(t, e.s)
				values := map[string][]byte{
					"text": []byte("hello"), "empty": {}, "binary": allBytes(), "large": bytes.Repeat([]byte("0123456789abcdef"), 4096),
				}
				for rel, want := range values {
					k := e.key(rel)
					if !e.mustSet(t, k, want, hour) {
						continue
					}
					e.wantView(t, k, e.get(t, k))
				}
				k := e.key("text")
				e.requireSet(t, k, []byte("overwritten"), hour)
				e.wantView(t, k, []byte("overwritten"))
			},
		},
		{
			name: "Viewer/MissSkipsFn",
			says: "View of a key never written, or deleted, returns an *store.OpError wrapping ErrNotFound and never calls fn",
			run: func(t testing.TB, e *env) {
				viaViewer(t, e.s)
				deleted := e.key("deleted")
				e.requireSet(t, deleted, []byte("v"), hour)
				if _, err := e.s.Delete(e.ctx, deleted); err != nil {
					t.Fatalf("Delete(%q): %v", deleted, err)
				}
				for _, k := range []string{e.key("missing"), deleted} {
					calls := 0
					err := store.View(e.ctx, e.s, k, func([]byte) error { calls++; return nil })
					wantErr(t, err, store.ErrNotFound, fmt.Sprintf("View(%q) of a missing key", k))
					if calls != 0 {
						t.Errorf("View(%q) of a missing key called fn %d times, want 0", k, calls)
					}
				}
			},
		},
		{
			name: "Viewer/FnErrorUnchanged",
			says: "the error fn returns comes back from View unchanged (the same value, not wrapped), fn having been called once, and it changes nothing stored",
			run: func(t testing.TB, e *env) {
				viaViewer(t, e.s)
				k := e.key("k")
				e.requireSet(t, k, []byte("v"), hour)
				mine := errors.New("the callback's own error")
				calls := 0
				err := store.View(e.ctx, e.s, k, func([]byte) error { calls++; return mine })
				if err != mine {
					t.Errorf("View returned %v (%T) for fn's error; want fn's error itself, unwrapped", err, err)
				}
				if calls != 1 {
					t.Errorf("fn was called %d times, want 1", calls)
				}
				e.wantView(t, k, []byte("v"))
			},
		},
		{
			name: "Viewer/KeyNotRetained",
			says: "a key lent to View as a string over a buffer the caller reuses (as the Cache's pooled keys are) is not retained: after the caller overwrites the buffer, the original key still reads its own value and the overwritten one still reads as missing, through View and Get (with a second Store too, when shared)",
			run: func(t testing.TB, e *env) {
				viaViewer(t, e.s)
				e.checkLentKey(t, func(s store.Store, key string) ([]byte, error) {
					var got []byte
					err := store.View(e.ctx, s, key, func(v []byte) error { got = bytes.Clone(v); return nil })
					return got, err
				})
			},
		},
	}
}

// wantView checks that View of key calls fn once with want and returns nil.
func (e *env) wantView(t testing.TB, key string, want []byte) {
	t.Helper()
	calls := 0
	var lent []byte
	err := store.View(e.ctx, e.s, key, func(v []byte) error {
		calls++
		lent = bytes.Clone(v)
		return nil
	})
	if err != nil || calls != 1 {
		t.Errorf("View(%q): %v with fn called %d times; want nil and one call", key, err, calls)
		return
	}
	if !bytes.Equal(lent, want) {
		t.Errorf("View(%q) lent %s; Get returns %s", key, show(lent), show(want))
	}
}

// lend returns a string that aliases buf, as the root Cache's pooled key buffers do (unsafe.String): a
// store that keeps it sees it change when the caller reuses buf.
func lend(buf []byte) string { return unsafe.String(unsafe.SliceData(buf), len(buf)) }

// checkLentKey is the key-lending rule of Viewer and DecodedCache, read being the optional call: it lends
// the call a key over a buffer (a hit and a miss), overwrites both buffers once the calls have returned,
// and checks that each key still behaves as itself. With Caps.Shared it also reads through a second
// Store, whose first read of the key comes from the backend (a tiered store backfills its L1 then).
func (e *env) checkLentKey(t testing.TB, read func(s store.Store, key string) ([]byte, error)) {
	t.Helper()
	a, b := e.key("lent:aaaa"), e.key("lent:bbbb") // the same length: each buffer can become the other key
	va := []byte("the value of aaaa")
	e.requireSet(t, a, va, hour)
	readers := []store.Store{e.s}
	if e.caps.Shared {
		readers = append(readers, e.open())
	}
	for i, s := range readers {
		hitBuf, missBuf := []byte(a), []byte(b)
		got, err := read(s, lend(hitBuf))
		if err != nil || !bytes.Equal(got, va) {
			t.Fatalf("store #%d: read of %q through a lent key = %s, %v; want %s", i+1, a, show(got), err, show(va))
		}
		_, err = read(s, lend(missBuf))
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("store #%d: read of the missing %q through a lent key: %v, want ErrNotFound", i+1, b, err)
		}
		// The errors may hold the keys (the contract allows it); they are not looked at again once the
		// buffers are reused, as a caller that reuses them must do.
		copy(hitBuf, b) // the caller reuses its buffers: what it lent now reads as the other key
		copy(missBuf, a)

		// b first: a store that kept the lent hit key now holds it as b; reading a first could replace it.
		got, err = read(s, b)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("store #%d: after the caller reused the buffer it lent, the never-written %q reads %s, %v; want ErrNotFound (was the lent key kept?)", i+1, b, show(got), err)
		}
		got, err = read(s, a)
		if err != nil || !bytes.Equal(got, va) {
			t.Errorf("store #%d: after the caller reused the buffer it lent, %q reads %s, %v; want %s (was the lent key kept?)", i+1, a, show(got), err, show(va))
		}
		if g, err := s.Get(e.ctx, b); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("store #%d: Get(%q) after the lent buffer was reused = %s, %v; want ErrNotFound", i+1, b, show(g), err)
		}
		if g, err := s.Get(e.ctx, a); err != nil || !bytes.Equal(g, va) {
			t.Errorf("store #%d: Get(%q) after the lent buffer was reused = %s, %v; want %s", i+1, a, show(g), err, show(va))
		}
	}
}

// textDecoder decodes a value into a string (a private copy); zero-size and comparable, as the root
// Cache's decoders are.
type textDecoder struct{}

func (textDecoder) DecodeValue(v []byte) (any, error) { return string(v), nil }

// seqDecoder decodes "seq=N" into N.
type seqDecoder struct{}

func (seqDecoder) DecodeValue(v []byte) (any, error) {
	n, err := strconv.Atoi(string(bytes.TrimPrefix(v, []byte("seq="))))
	if err != nil || !bytes.HasPrefix(v, []byte("seq=")) {
		return nil, fmt.Errorf("%q is not seq=N", v)
	}
	return n, nil
}

// countingDecoder decodes as textDecoder and counts its calls; a value starting with "bad" fails with
// fail. It is comparable (a pointer and an error), and two with the same fields are equal.
type countingDecoder struct {
	calls *atomic.Int64
	fail  error
}

func (d countingDecoder) DecodeValue(v []byte) (any, error) {
	d.calls.Add(1)
	if bytes.HasPrefix(v, []byte("bad")) {
		return nil, d.fail
	}
	return string(v), nil
}

// uncomparableDecoder and holderDecoder are Decoders GetDecoded must refuse: the first's dynamic type
// cannot be compared with ==; the second's can, but the value it holds cannot.
type (
	uncomparableDecoder struct{ tags []string }
	holderDecoder       struct{ x any }
)

func (uncomparableDecoder) DecodeValue(v []byte) (any, error) { return string(v), nil }
func (holderDecoder) DecodeValue(v []byte) (any, error)       { return string(v), nil }

func decodedRules() []rule {
	return []rule{
		{
			name: "DecodedCache/DecodesGetBytes",
			says: "GetDecoded returns the Decoder's decoding of the bytes Get returns, calling DecodeValue at most once per call, a later write's value after an overwrite, and for a missing or deleted key an *store.OpError wrapping ErrNotFound without calling DecodeValue",
			run: func(t testing.TB, e *env) {
				viaDecoded(t, e.s)
				var calls atomic.Int64
				d := countingDecoder{calls: &calls}
				k := e.key("k")
				for _, v := range []string{"first", "second, longer value", ""} {
					e.requireSet(t, k, []byte(v), hour)
					want := string(e.get(t, k))
					for range 2 {
						before := calls.Load()
						got, err := store.GetDecoded(e.ctx, e.s, k, d)
						if err != nil || got != want {
							t.Errorf("GetDecoded(%q) after Set(%q) = %v, %v; want %q, Get's bytes decoded", k, v, got, err, want)
						}
						if n := calls.Load() - before; n > 1 {
							t.Errorf("one GetDecoded called DecodeValue %d times, want at most once", n)
						}
					}
				}
				if _, err := e.s.Delete(e.ctx, k); err != nil {
					t.Fatalf("Delete(%q): %v", k, err)
				}
				for _, key := range []string{k, e.key("missing")} {
					before := calls.Load()
					v, err := store.GetDecoded(e.ctx, e.s, key, d)
					wantErr(t, err, store.ErrNotFound, fmt.Sprintf("GetDecoded(%q) of a missing key", key))
					if v != nil || calls.Load() != before {
						t.Errorf("GetDecoded(%q) of a missing key returned %v and called DecodeValue %d times; want nil, no call", key, v, calls.Load()-before)
					}
				}
			},
		},
		{
			name: "DecodedCache/DecoderErrorUnchanged",
			says: "DecodeValue's error comes back from GetDecoded unchanged (the same value, not wrapped) and nothing is kept: every later call decodes again, and after a good write returns its form",
			run: func(t testing.TB, e *env) {
				viaDecoded(t, e.s)
				var calls atomic.Int64
				bad := errors.New("the decoder's own error")
				d := countingDecoder{calls: &calls, fail: bad}
				k := e.key("k")
				e.requireSet(t, k, []byte("bad bytes"), hour)
				for i := range 3 {
					before := calls.Load()
					v, err := store.GetDecoded(e.ctx, e.s, k, d)
					if err != bad {
						t.Errorf("GetDecoded #%d of undecodable bytes = %v, %v (%T); want the decoder's error itself, unwrapped", i+1, v, err, err)
					}
					if n := calls.Load() - before; n != 1 {
						t.Errorf("GetDecoded #%d of undecodable bytes called DecodeValue %d times; want exactly once (a failed decode is not kept)", i+1, n)
					}
				}
				e.requireSet(t, k, []byte("good"), hour)
				if v, err := store.GetDecoded(e.ctx, e.s, k, d); err != nil || v != "good" {
					t.Errorf("GetDecoded after a good write = %v, %v; want %q", v, err, "good")
				}
			},
		},
		{
			name: "DecodedCache/BadDecoderIsAnError",
			says: "GetDecoded with a nil Decoder, or one that cannot be compared with ==, returns an error other than ErrNotFound and never panics, before and after a good Decoder's form was kept",
			run: func(t testing.TB, e *env) {
				viaDecoded(t, e.s)
				k := e.key("k")
				e.requireSet(t, k, []byte("v"), hour)
				bad := []store.Decoder{nil, uncomparableDecoder{[]string{"x"}}, holderDecoder{[]int{1}}}
				for round := range 2 {
					for _, d := range bad {
						o := getDecodedRecovering(e.ctx, e.s, k, d)
						switch {
						case o.panicked != nil:
							t.Errorf("round %d: GetDecoded with a %T Decoder panicked: %v", round+1, d, o.panicked)
						case o.err == nil || errors.Is(o.err, store.ErrNotFound):
							t.Errorf("round %d: GetDecoded with a %T Decoder = %v, %v; want an error naming the problem", round+1, d, o.v, o.err)
						}
					}
					if v, err := store.GetDecoded(e.ctx, e.s, k, textDecoder{}); err != nil || v != "v" {
						t.Fatalf("GetDecoded with a good Decoder = %v, %v; want %q", v, err, "v")
					}
					if v, err := store.GetDecoded(e.ctx, e.s, k, holderDecoder{1}); err != nil || v != "v" {
						t.Errorf("GetDecoded with a comparable holderDecoder{1} = %v, %v; want %q", v, err, "v")
					}
				}
			},
		},
		{
			name: "DecodedCache/NeverOlderThanLastWrite",
			says: "under one writer and four concurrent readers of one key, GetDecoded never returns a form older than the last write that returned before the read began, every form is the decoding of a written value, and the writer reads its own write's form",
			run:  runNeverOlder,
		},
		{
			name: "DecodedCache/KeyNotRetained",
			says: "a key lent to GetDecoded as a string over a buffer the caller reuses is not retained: after the caller overwrites the buffer, the original key still decodes its own value and the overwritten one still reads as missing, through GetDecoded and Get (with a second Store too, when shared)",
			run: func(t testing.TB, e *env) {
				viaDecoded(t, e.s)
				e.checkLentKey(t, func(s store.Store, key string) ([]byte, error) {
					v, err := store.GetDecoded(e.ctx, s, key, textDecoder{})
					if err != nil {
						return nil, err
					}
					str, ok := v.(string)
					if !ok {
						return nil, fmt.Errorf("GetDecoded returned a %T, want the decoder's string", v)
					}
					return []byte(str), nil
				})
			},
		},
	}
}

// decodeOutcome is what one GetDecoded call did: returned v and err, or panicked with panicked.
type decodeOutcome struct {
	v        any
	err      error
	panicked any
}

// getDecodedRecovering is store.GetDecoded that reports a panic instead of propagating it.
func getDecodedRecovering(ctx context.Context, s store.Store, key string, d store.Decoder) (out decodeOutcome) {
	defer func() { out.panicked = recover() }()
	out.v, out.err = store.GetDecoded(ctx, s, key, d)
	return out
}

// runNeverOlder is the freshness harness: one writer, four readers, never older.
func runNeverOlder(t testing.TB, e *env) {
	viaDecoded(t, e.s)
	const readers, writes = 4, 200
	k := e.key("fresh")
	seq := func(n int) []byte { return fmt.Appendf(nil, "seq=%d", n) }
	e.requireSet(t, k, seq(0), hour)

	var written atomic.Int64 // the last n whose Set returned nil
	var refused atomic.Bool  // a Set was refused (MayRejectSets): the key may then be missing
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	var wg sync.WaitGroup
	defer wg.Wait() // deferred, with halt, so that a failing writer (t.Fatal) still stops the readers
	defer halt()
	for r := range readers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				floor := written.Load()
				v, err := store.GetDecoded(e.ctx, e.s, k, seqDecoder{})
				if errors.Is(err, store.ErrNotFound) && refused.Load() {
					continue
				}
				if err != nil {
					t.Errorf("reader %d: GetDecoded: %v", r, err)
					return
				}
				n, ok := v.(int)
				switch {
				case !ok || n < 0 || n > writes:
					t.Errorf("reader %d: GetDecoded returned %v, which was never written", r, v)
					return
				case int64(n) < floor:
					t.Errorf("reader %d: GetDecoded returned the form of write %d after write %d had returned", r, n, floor)
					return
				}
			}
		})
	}
	for n := 1; n <= writes; n++ {
		if e.rejected(t, e.s.Set(e.ctx, k, seq(n), hour), fmt.Sprintf("Set #%d", n)) {
			refused.Store(true)
			continue
		}
		written.Store(int64(n))
		if v, err := store.GetDecoded(e.ctx, e.s, k, seqDecoder{}); err != nil || v != n {
			t.Errorf("GetDecoded right after write %d returned = %v, %v; want %d (read-your-writes)", n, v, err, n)
			break
		}
	}
	halt()
}

func ttlReaderRules() []rule {
	return []rule{
		{
			name: "TTLReader/EqualsGetAndTTL",
			says: "GetWithTTL returns Get's bytes with the lifetime TTL reports (between TTL read just before and just after), GetManyWithTTL returns GetMany's hits each with its TTL and omits misses, and a miss of GetWithTTL is an *store.OpError wrapping ErrNotFound",
			run: func(t testing.TB, e *env) {
				via[store.TTLReader](t, e.s, "TTLReader", "store.GetWithTTL: Get, then TTL")
				long, short, empty, missing := e.key("long"), e.key("short"), e.key("empty"), e.key("missing")
				e.requireSet(t, long, []byte("lives an hour"), hour)
				e.requireSet(t, short, []byte("lives 30s"), 30*time.Second)
				e.requireSet(t, empty, []byte{}, hour)
				for _, k := range []string{long, short, empty} {
					want := e.get(t, k)
					before := e.ttl(t, k)
					v, d, err := store.GetWithTTL(e.ctx, e.s, k)
					after := e.ttl(t, k)
					if err != nil || !bytes.Equal(v, want) {
						t.Errorf("GetWithTTL(%q) = %s, %v; want Get's %s", k, show(v), err, show(want))
					}
					if d <= 0 || d > before+clockSlack || d < after-clockSlack {
						t.Errorf("GetWithTTL(%q) lifetime %v; want > 0 and between TTL's %v (after) and %v (before)", k, d, after, before)
					}
				}
				v, d, err := store.GetWithTTL(e.ctx, e.s, missing)
				wantErr(t, err, store.ErrNotFound, "GetWithTTL of a missing key")
				if v != nil || d != 0 {
					t.Errorf("GetWithTTL of a missing key returned %s, %v along with its error", show(v), d)
				}

				keys := []string{long, missing, short, empty}
				wantMany, err := e.s.GetMany(e.ctx, keys)
				if err != nil {
					t.Fatalf("GetMany: %v", err)
				}
				before := map[string]time.Duration{long: e.ttl(t, long), short: e.ttl(t, short), empty: e.ttl(t, empty)}
				got, err := store.GetManyWithTTL(e.ctx, e.s, keys)
				if err != nil {
					t.Fatalf("GetManyWithTTL: %v", err)
				}
				if len(got) != len(wantMany) {
					t.Errorf("GetManyWithTTL returned %d entries, GetMany %d", len(got), len(wantMany))
				}
				for k, w := range wantMany {
					g, ok := got[k]
					after := e.ttl(t, k)
					switch {
					case !ok:
						t.Errorf("GetManyWithTTL lacks %q, which GetMany returns", k)
					case !bytes.Equal(g.Value, w):
						t.Errorf("GetManyWithTTL[%q] = %s, GetMany %s", k, show(g.Value), show(w))
					case g.TTL <= 0 || g.TTL > before[k]+clockSlack || g.TTL < after-clockSlack:
						t.Errorf("GetManyWithTTL[%q] lifetime %v; want > 0 and between TTL's %v (after) and %v (before)", k, g.TTL, after, before[k])
					}
				}
				if _, ok := got[missing]; ok {
					t.Errorf("GetManyWithTTL reports the missing key %q", missing)
				}
			},
		},
	}
}

func pingerRules() []rule {
	return []rule{
		{
			name: "Pinger/AnswersUntilClosed",
			says: "Ping succeeds while the store is open, fails with an *store.OpError wrapping context.Canceled under a cancelled context, and with one wrapping ErrClosed after Close",
			run: func(t testing.TB, e *env) {
				via[store.Pinger](t, e.s, "Pinger", "store.Ping: Get of a key that is never written")
				probe := e.key("never-written-ping-probe")
				for i := range 2 {
					if err := store.Ping(e.ctx, e.s, probe); err != nil {
						t.Errorf("Ping #%d of an open store: %v, want nil", i+1, err)
					}
				}
				ctx, cancel := context.WithCancel(e.ctx)
				cancel()
				wantErr(t, store.Ping(ctx, e.s, probe), context.Canceled, "Ping with a cancelled context")
				if err := e.s.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				wantErr(t, store.Ping(e.ctx, e.s, probe), store.ErrClosed, "Ping after Close")
			},
		},
	}
}
