package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

// withoutPing hides every optional interface of the Store it wraps, Pinger included.
type withoutPing struct{ store.Store }

// TestPingFallback: store.Ping uses a Pinger's Ping, and otherwise reads the probe key: its miss means
// the store answered; any other error (here ErrClosed) is returned.
func TestPingFallback(t *testing.T) {
	ctx := context.Background()
	m, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bare := withoutPing{m}
	if _, ok := store.Store(bare).(store.Pinger); ok {
		t.Fatal("the wrapper still exposes Ping")
	}
	if err := store.Ping(ctx, m, "probe"); err != nil {
		t.Errorf("Ping of an open memory store: %v", err)
	}
	if err := store.Ping(ctx, bare, "probe"); err != nil {
		t.Errorf("fallback Ping of an open store: %v", err)
	}
	if st, _ := m.Stats(ctx); st.Misses != 1 {
		t.Errorf("the fallback read counted %d misses, want 1 (the probe)", st.Misses)
	}
	_ = m.Close()
	for name, s := range map[string]store.Store{"Pinger": m, "fallback": bare} {
		if err := store.Ping(ctx, s, "probe"); !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s Ping of a closed store: %v, want ErrClosed", name, err)
		}
	}
}
