package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

// vanishing is a Store without optional interfaces whose TTL always reports a miss, as when a key is
// deleted between the Get and the TTL of a fallback.
type vanishing struct{ store.Store }

func (vanishing) TTL(context.Context, string) (time.Duration, error) {
	return 0, &store.OpError{Op: "ttl", Backend: "test", Err: store.ErrNotFound}
}

type upper struct{}

func (upper) DecodeValue(v []byte) (any, error) { return strings.ToUpper(string(v)), nil }

// TestFallbacks: store.View, GetDecoded, GetWithTTL and GetManyWithTTL on a Store that lacks the
// interfaces behave as the interfaces promise (conformance checks them in depth through each backend);
// a key gone between Get and TTL keeps the smallest lifetime.
func TestFallbacks(t *testing.T) {
	ctx := context.Background()
	m, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	bare := withoutPing{m}
	if err := m.Set(ctx, "k", []byte("value"), time.Minute); err != nil {
		t.Fatal(err)
	}

	calls := 0
	if err := store.View(ctx, bare, "k", func(v []byte) error { calls++; return nil }); err != nil || calls != 1 {
		t.Errorf("View hit: %v, fn called %d times", err, calls)
	}
	if err := store.View(ctx, bare, "missing", func([]byte) error { calls++; return nil }); !errors.Is(err, store.ErrNotFound) || calls != 1 {
		t.Errorf("View miss: %v, fn called %d times; want ErrNotFound and no call", err, calls)
	}

	if v, err := store.GetDecoded(ctx, bare, "k", upper{}); err != nil || v != "VALUE" {
		t.Errorf("GetDecoded = %v, %v", v, err)
	}
	var op *store.OpError
	if _, err := store.GetDecoded(ctx, bare, "k", nil); !errors.As(err, &op) || !strings.Contains(op.Backend, "withoutPing") {
		t.Errorf("GetDecoded with a nil Decoder: %v, want an *OpError naming the store's type", err)
	}

	if v, ttl, err := store.GetWithTTL(ctx, bare, "k"); err != nil || !bytes.Equal(v, []byte("value")) || ttl <= 50*time.Second || ttl > time.Minute {
		t.Errorf("GetWithTTL = %q, %v, %v; want the value and about a minute", v, ttl, err)
	}
	if v, ttl, err := store.GetWithTTL(ctx, vanishing{bare}, "k"); err != nil || string(v) != "value" || ttl != time.Millisecond {
		t.Errorf("GetWithTTL of a key gone before its TTL was read = %q, %v, %v; want the value and 1ms", v, ttl, err)
	}
	m2, err := store.GetManyWithTTL(ctx, vanishing{bare}, []string{"k", "missing"})
	if err != nil || len(m2) != 1 || m2["k"].TTL != time.Millisecond || string(m2["k"].Value) != "value" {
		t.Errorf("GetManyWithTTL of a key gone before its TTL was read = %v, %v; want k with 1ms", m2, err)
	}
}
