package conformance

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
)

// versioned returns an enveloped value of payload carrying version v.
func versioned(t testing.TB, payload string, v uint64) []byte {
	t.Helper()
	data, err := codec.EncodeMeta(codec.JSON, payload, codec.Meta{Version: v})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// storedVersion returns the version of the value under key, failing the rule when there is none.
func (e *env) storedVersion(t testing.TB, key string) uint64 {
	t.Helper()
	v, ok := store.ValueVersion(e.get(t, key))
	if !ok {
		t.Fatalf("the value under %q carries no version", key)
	}
	return v
}

// versionedRules check store.VersionedSetter, the write that never replaces a newer value. A Store
// without it has no fallback (a Get then a Set is not atomic): store.SetIfNewer then reports
// errors.ErrUnsupported and stores nothing.
func versionedRules() []rule {
	return []rule{
		{
			name: "VersionedSetter/NewerWins",
			says: "SetIfNewer stores over nothing, over an unversioned value and over a lower version (true), refuses an equal or lower version (false, no error, the stored value unchanged), and refuses a value without a version as ErrInvalidValue; a store without it reports errors.ErrUnsupported and stores nothing",
			run: func(t testing.TB, e *env) {
				via[store.VersionedSetter](t, e.s, "VersionedSetter", "none: store.SetIfNewer reports errors.ErrUnsupported")
				k := e.key("book:versioned")
				v5 := versioned(t, "five", 5)
				stored, err := store.SetIfNewer(e.ctx, e.s, k, v5, hour)
				if _, has := e.s.(store.VersionedSetter); !has || errors.Is(err, errors.ErrUnsupported) {
					wantErr(t, err, errors.ErrUnsupported, "SetIfNewer on a store without it")
					e.wantMissing(t, k)
					return
				}
				if !e.accepted(t, err, "SetIfNewer(v5) of a new key") {
					t.Skip("the store refused the first write this rule needs (allowed by Caps.MayRejectSets)")
				}
				if !stored {
					t.Fatalf("SetIfNewer(v5) of a new key = false; want true")
				}
				e.wantValue(t, k, v5)
				for _, late := range [][]byte{versioned(t, "three", 3), versioned(t, "five again", 5)} {
					if ok, err := store.SetIfNewer(e.ctx, e.s, k, late, hour); ok || err != nil {
						v, _ := store.ValueVersion(late)
						t.Errorf("SetIfNewer(v%d) over v5 = %v, %v; want false, nil", v, ok, err)
					}
				}
				e.wantValue(t, k, v5)
				v7 := versioned(t, "seven", 7)
				if ok, err := store.SetIfNewer(e.ctx, e.s, k, v7, hour); e.accepted(t, err, "SetIfNewer(v7)") {
					if !ok {
						t.Errorf("SetIfNewer(v7) over v5 = false; want true")
					}
					e.wantValue(t, k, v7)
				}

				plain := e.key("book:plain")
				e.requireSet(t, plain, []byte(`{"python":"wrote this"}`), hour)
				v1 := versioned(t, "one", 1)
				if ok, err := store.SetIfNewer(e.ctx, e.s, plain, v1, hour); e.accepted(t, err, "SetIfNewer over an unversioned value") {
					if !ok {
						t.Errorf("SetIfNewer(v1) over an unversioned value = false; want true")
					}
					e.wantValue(t, plain, v1)
				}
				unversioned, err := codec.Encode(codec.JSON, "no version")
				if err != nil {
					t.Fatal(err)
				}
				_, err = store.SetIfNewer(e.ctx, e.s, k, unversioned, hour)
				wantErr(t, err, store.ErrInvalidValue, "SetIfNewer of a value without a version")
				if _, err := store.SetIfNewer(e.ctx, e.s, k, versioned(t, "x", 9), 0); !errors.Is(err, store.ErrInvalidTTL) {
					t.Errorf("SetIfNewer with ttl 0: %v; want ErrInvalidTTL", err)
				}
				e.wantValue(t, k, v7)
			},
		},
		{
			name: "VersionedSetter/RacingWritersEndWithTheHighest",
			says: "two writers racing with interleaved versions (odd and even, 1 to 200) leave the highest version stored, and the version a reader sees while they race never goes down",
			run: func(t testing.TB, e *env) {
				if _, ok := e.s.(store.VersionedSetter); !ok {
					t.Logf("%T is not a store.VersionedSetter: nothing to race (NewerWins checks the ErrUnsupported report)", e.s)
					return
				}
				k := e.key("book:race")
				const top = 200
				var mu sync.Mutex
				var highest uint64
				refused := false
				var writers, reader sync.WaitGroup
				done := make(chan struct{})
				var seen, wentDown uint64 // the reader's last version, and the first decrease it saw
				var downFrom uint64
				reader.Add(1)
				go func() {
					defer reader.Done()
					for {
						select {
						case <-done:
							return
						default:
						}
						data, err := e.s.Get(e.ctx, k)
						if err != nil {
							continue // not written yet, or refused under MayRejectSets
						}
						if v, ok := store.ValueVersion(data); ok {
							if v < seen && wentDown == 0 {
								wentDown, downFrom = v, seen
							}
							seen = max(seen, v)
						}
					}
				}()
				for w := uint64(1); w <= 2; w++ {
					writers.Add(1)
					go func() {
						defer writers.Done()
						for v := w; v <= top; v += 2 {
							ok, err := store.SetIfNewer(e.ctx, e.s, k, versioned(t, fmt.Sprint(v), v), hour)
							if e.rejected(t, err, fmt.Sprintf("SetIfNewer(v%d)", v)) {
								mu.Lock()
								refused = true
								mu.Unlock()
								continue
							}
							if ok {
								mu.Lock()
								highest = max(highest, v)
								mu.Unlock()
							}
						}
					}()
				}
				writers.Wait()
				close(done)
				reader.Wait()
				if refused {
					t.Skip("the store refused some writes (allowed by Caps.MayRejectSets): the versions are not determined")
				}
				if wentDown != 0 {
					t.Errorf("while the writers raced a reader saw version %d after %d: a late write replaced a newer one", wentDown, downFrom)
				}
				if highest != top {
					t.Errorf("the highest version reported stored is %d; want %d (a write of the highest version can only be refused by an equal one)", highest, top)
				}
				if got := e.storedVersion(t, k); got != top {
					t.Errorf("after the race the key holds version %d; want %d", got, top)
				}
			},
		},
	}
}
