package tiered

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/redis"
)

// bare hides the optional interfaces (Pinger, TTLReader, ...) of the Store it wraps.
type bare struct{ store.Store }

// TestPingRedisL2: Ping of tiered(memory, redis) forwards to L2's Ping: nil while Redis answers,
// ErrUnavailable naming the address once it is stopped, ErrDenied when L2's password is refused,
// ErrClosed after Close.
func TestPingRedisL2(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Dedicated(t)
	s := openRedisTiered(t, srv.URL+"?dial_timeout=200ms&read_timeout=200ms", Options{DisableInvalidation: true})
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping with Redis up: %v", err)
	}
	srv.Stop(t)
	if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), srv.Addr) {
		t.Errorf("Ping with Redis stopped: %v, want ErrUnavailable naming %s", err, srv.Addr)
	}
	srv.Start(t)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after the restart: %v", err)
	}

	srv.RequirePass(t, "right-password")
	l2, err := redis.Open(ctx, "redis://:wrong-password@"+srv.Addr+"/0")
	if err != nil {
		t.Fatal(err)
	}
	denied, err := New(newMemory(t), l2, Options{DisableInvalidation: true})
	if err != nil {
		t.Fatal(err)
	}
	defer denied.Close()
	if err := denied.Ping(ctx); !errors.Is(err, store.ErrDenied) || strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("Ping with a wrong L2 password: %v, want ErrDenied without the password", err)
	}

	_ = s.Close()
	if err := s.Ping(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Ping after Close: %v, want ErrClosed", err)
	}
}

// TestPingFallback: with tiers that do not implement store.Pinger, Ping skips L1 and reads a key that is
// never written from L2, whose miss counts as an answer; an L2 that fails that read fails Ping; an L1
// that has Ping is pinged.
func TestPingFallback(t *testing.T) {
	ctx := context.Background()
	l1, l2 := newMemory(t), newMemory(t)
	s, err := New(bare{l1}, bare{l2}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping over tiers without Ping: %v", err)
	}
	if st, _ := l2.Stats(ctx); st.Misses != 1 {
		t.Errorf("L2 counted %d misses, want 1 (the probe read)", st.Misses)
	}
	_ = l2.Close()
	if err := s.Ping(ctx); !errors.Is(err, store.ErrClosed) || !strings.Contains(err.Error(), "l2") {
		t.Errorf("Ping with L2 closed: %v, want ErrClosed naming l2", err)
	}

	m1, m2 := newMemory(t), newMemory(t)
	s2, err := New(m1, bare{m2}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	_ = m1.Close()
	if err := s2.Ping(ctx); !errors.Is(err, store.ErrClosed) || !strings.Contains(err.Error(), "l1") {
		t.Errorf("Ping with L1 (a Pinger) closed: %v, want ErrClosed naming l1", err)
	}
}
