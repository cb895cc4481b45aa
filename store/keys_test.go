package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

// TestCheckKey: the empty key is refused with an *OpError naming backend and op and wrapping
// ErrInvalidKey; any other key passes without allocating; multi-key checks name the position.
func TestCheckKey(t *testing.T) {
	err := store.CheckKey("memory", "get", "")
	var op *store.OpError
	if !errors.Is(err, store.ErrInvalidKey) || !errors.As(err, &op) || op.Backend != "memory" || op.Op != "get" {
		t.Fatalf("CheckKey of the empty key: %v, want an *OpError{memory get} wrapping ErrInvalidKey", err)
	}
	for _, k := range []string{"a", " ", "\x00", "qrl:v1:ticker:QRL/USDT"} {
		if err := store.CheckKey("memory", "get", k); err != nil {
			t.Errorf("CheckKey(%q): %v, want nil", k, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = store.CheckKey("memory", "get", "k") }); n != 0 {
		t.Errorf("CheckKey of a valid key allocates %v times, want 0", n)
	}

	if err := store.CheckKeys("redis", "delete", nil); err != nil {
		t.Errorf("CheckKeys(nil): %v", err)
	}
	err = store.CheckKeys("redis", "delete", []string{"a", "", "c"})
	if !errors.Is(err, store.ErrInvalidKey) || !strings.Contains(err.Error(), "#2 of 3") || !strings.HasPrefix(err.Error(), "redis delete: ") {
		t.Errorf("CheckKeys with an empty second key: %v, want ErrInvalidKey naming #2 of 3", err)
	}
	err = store.CheckItems("tiered", "set_many", []store.Item{{Key: ""}})
	if !errors.Is(err, store.ErrInvalidKey) || !strings.Contains(err.Error(), "#1 of 1") {
		t.Errorf("CheckItems with an empty key: %v, want ErrInvalidKey naming #1 of 1", err)
	}
	if err := store.CheckItems("tiered", "set_many", []store.Item{{Key: "a", TTL: 1}, {Key: "b", TTL: time.Hour}}); err != nil {
		t.Errorf("CheckItems of valid items: %v", err)
	}
	err = store.CheckItems("memory", "set_many", []store.Item{{Key: "a", TTL: time.Hour}, {Key: "b", TTL: 0}})
	if !errors.Is(err, store.ErrInvalidTTL) || !errors.As(err, &op) || op.Key != "b" {
		t.Errorf("CheckItems with a zero TTL: %v, want an *OpError for key b wrapping ErrInvalidTTL", err)
	}
}
