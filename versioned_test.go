package cachekit_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/tiered"
)

// book is a Versioned value: its update id orders its writes.
type book struct {
	UpdateID uint64
	Bids     []string
}

func (b book) CacheVersion() uint64 { return b.UpdateID }

// SetVersioned stores a newer version, refuses an older or equal one (counted, reported to the
// Observer, not an error) and rejects version 0 and a plain-JSON Cache.
func TestSetVersioned(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	rec := newRecorder()
	c.SetObserver(rec)
	for _, tc := range []struct {
		version uint64
		stored  bool
	}{{5, true}, {3, false}, {5, false}, {8, true}} {
		stored, err := c.SetVersioned(ctx, "book:QRL", book{UpdateID: tc.version}, 0, tc.version)
		if err != nil || stored != tc.stored {
			t.Fatalf("SetVersioned(v%d) = %v, %v; want %v, nil", tc.version, stored, err, tc.stored)
		}
	}
	var got book
	if err := c.Get(ctx, "book:QRL", &got); err != nil || got.UpdateID != 8 {
		t.Fatalf("Get = %+v, %v; want update 8", got, err)
	}
	if n := c.Counters().VersionsRefused; n != 2 {
		t.Errorf("VersionsRefused = %d, want 2", n)
	}
	if s := rec.snapshot(); s != "get/book/hit=1 set/book/ok=2 set/book/refused=2" {
		t.Errorf("observer heard %q", s)
	}
	if _, err := c.SetVersioned(ctx, "book:QRL", book{}, 0, 0); !errors.Is(err, store.ErrInvalidValue) {
		t.Errorf("SetVersioned with version 0: %v, want ErrInvalidValue", err)
	}
	plain := newCache(t, cachekit.WithPlainJSON())
	if _, err := plain.SetVersioned(ctx, "book:QRL", book{UpdateID: 1}, 0, 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("SetVersioned on a plain-JSON Cache: %v, want ErrUnsupported", err)
	}
}

// A slow Fetch load of a Versioned value that lands after another writer (another Cache on the same
// store, as another instance would be) stored a newer version does not replace it: the loaded value
// is returned to its caller, and the store keeps the newer one. (A write through the same Cache would
// drop the pending load's write anyway: see Set.)
func TestFetchOfVersionedValueNeverReplacesNewer(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c := newCacheOver(t, s)
	other, err := cachekit.New(s) // shares c's store; c's Close closes it
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		b, err := cachekit.Fetch(ctx, c, "book:ETH", time.Minute, func(context.Context) (book, error) {
			close(started)
			<-release
			return book{UpdateID: 5, Bids: []string{"slow"}}, nil
		})
		if err == nil && b.UpdateID != 5 {
			err = fmt.Errorf("the caller got update %d, want its own load (5)", b.UpdateID)
		}
		done <- err
	}()
	<-started
	if stored, err := other.SetVersioned(ctx, "book:ETH", book{UpdateID: 9, Bids: []string{"fresh"}}, time.Minute, 9); err != nil || !stored {
		t.Fatalf("SetVersioned(v9) = %v, %v", stored, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The load's write happens behind its caller: it is refused, and counted, once it lands.
	waitFor(t, 5*time.Second, func() bool { return c.Counters().VersionsRefused == 1 })
	var got book
	if err := c.Get(ctx, "book:ETH", &got); err != nil {
		t.Fatal(err)
	}
	if got.UpdateID != 9 {
		t.Errorf("after the slow load landed the key holds update %d; want 9, the newer write", got.UpdateID)
	}
}

// Two writers racing with interleaved versions through two tiered instances over one Redis: every
// instance ends reading the highest version, from L1 and L2 alike.
func TestVersionedRaceAcrossTieredInstances(t *testing.T) {
	srv := redistest.Dedicated(t)
	ns := redistest.Namespace(t)
	raw := "tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape(srv.URL)
	ctx := context.Background()
	var caches []*cachekit.Cache
	for range 2 {
		c, err := cachekit.Open(ctx, raw, cachekit.WithNamespace(ns))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.Store().(*tiered.Store).Ready(ctx); err != nil {
			t.Fatal(err)
		}
		caches = append(caches, c)
	}
	const top = 300
	var wg sync.WaitGroup
	for w, c := range caches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b book
			for v := uint64(w + 1); v <= top; v += 2 {
				if _, err := c.SetVersioned(ctx, "book:BTC", book{UpdateID: v}, time.Minute, v); err != nil {
					t.Errorf("SetVersioned(v%d): %v", v, err)
					return
				}
				_ = c.Get(ctx, "book:BTC", &b) // fill L1 between writes, so stale copies could linger
			}
		}()
	}
	wg.Wait()
	for i, c := range caches {
		deadline := time.Now().Add(5 * time.Second) // the other writer's last invalidation is in flight
		for {
			var b book
			err := c.Get(ctx, "book:BTC", &b)
			if err == nil && b.UpdateID == top {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance %d reads update %d (err %v); want %d", i, b.UpdateID, err, top)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	l2 := caches[0].Store().(store.Composite).Tiers()[1]
	data, err := l2.Get(ctx, ns+":v1:book:BTC")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := store.ValueVersion(data); !ok || v != top {
		t.Errorf("Redis holds version %d (%v); want %d", v, ok, top)
	}
}
