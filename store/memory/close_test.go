package memory_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

// Close while other goroutines use the store must not panic (ristretto panics on use after its Close),
// must wait for nothing but calls in flight, and must turn every later call into ErrClosed.
func TestCloseConcurrentWithUse(t *testing.T) {
	for round := range 20 {
		s, err := memory.New(memory.Options{MaxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var closedSeen sync.Map
		for g := range 6 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					k := fmt.Sprintf("c:%d:%d", g, i%50)
					var err error
					switch i % 6 {
					case 0, 1:
						err = s.Set(ctx, k, []byte("value"), time.Hour)
					case 2:
						_, err = s.Get(ctx, k)
					case 3:
						_, err = s.Delete(ctx, k)
					case 4:
						_, err = s.GetMany(ctx, []string{k, "c:0:0"})
					case 5:
						err = s.Scan(ctx, "c:*", func(string) bool { return true })
					}
					if errors.Is(err, store.ErrClosed) {
						closedSeen.Store(g, true)
						return
					}
					if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrNotStored) {
						t.Errorf("round %d: unexpected error %v", round, err)
						return
					}
				}
			})
		}
		time.Sleep(time.Duration(round%5) * time.Millisecond)
		var closers sync.WaitGroup
		for range 2 {
			closers.Go(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
		}
		closers.Wait()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			close(stop)
			t.Fatal("users of the store did not all see ErrClosed within 5s of Close")
		}
		for g := range 6 {
			if _, ok := closedSeen.Load(g); !ok {
				t.Fatalf("round %d: goroutine %d stopped without seeing ErrClosed", round, g)
			}
		}
	}
}

// After Close every method fails with ErrClosed, and Close stays idempotent.
func TestUseAfterClose(t *testing.T) {
	s, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := s.Set(ctx, "k", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	checks := map[string]error{}
	_, checks["Get"] = s.Get(ctx, "k")
	_, checks["GetMany"] = s.GetMany(ctx, []string{"k"})
	checks["Set"] = s.Set(ctx, "k", []byte("v"), time.Hour)
	checks["SetMany"] = s.SetMany(ctx, []store.Item{{Key: "k", Value: []byte("v"), TTL: time.Hour}})
	_, checks["Add"] = s.Add(ctx, "k", []byte("v"), time.Hour)
	_, checks["Delete"] = s.Delete(ctx, "k")
	_, checks["TTL"] = s.TTL(ctx, "k")
	_, checks["DeletePattern"] = s.DeletePattern(ctx, "*")
	checks["Scan"] = s.Scan(ctx, "*", func(string) bool { return true })
	_, checks["Stats"] = s.Stats(ctx)
	for name, err := range checks {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: %v; want ErrClosed", name, err)
		}
	}
}
