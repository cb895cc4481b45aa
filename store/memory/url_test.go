package memory_test

import (
	"errors"
	"testing"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

func TestOpenURL(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		url      string
		maxBytes int64
	}{
		{"memory://", memory.DefaultMaxBytes},
		{"memory:///", memory.DefaultMaxBytes},
		{"memory://?max_bytes=1MiB", 1 << 20},
		{"memory://?max_bytes=512KB&num_counters=5000&buffer_items=128", 512000},
		{"memory://?max_bytes=1048576", 1 << 20},
	} {
		s, err := store.Open(ctx, tc.url)
		if err != nil {
			t.Errorf("Open(%q): %v", tc.url, err)
			continue
		}
		st, err := s.Stats(ctx)
		if err != nil || st.MaxBytes != tc.maxBytes || st.Backend != "memory" {
			t.Errorf("Open(%q): Stats = %+v, %v; want MaxBytes %d", tc.url, st, err, tc.maxBytes)
		}
		_ = s.Close()
	}
}

func TestOpenURLRejectsBadOptions(t *testing.T) {
	ctx := t.Context()
	for _, u := range []string{
		"memory://?max_byte=1MiB",           // misspelt option
		"memory://?max_bytes=64XB",          // bad size unit
		"memory://?max_bytes=-1",            // negative size
		"memory://?max_bytes=1.5MiB",        // fractional size
		"memory://?num_counters=ten",        // not an integer
		"memory://?num_counters=-5",         // negative
		"memory://?buffer_items=-1",         // negative
		"memory://?max_bytes=1&max_bytes=2", // repeated
		"memory://somehost",                 // host
		"memory://user@/",                   // user
	} {
		s, err := store.Open(ctx, u)
		if !errors.Is(err, store.ErrInvalidURL) {
			t.Errorf("Open(%q) = %v, %v; want ErrInvalidURL", u, s, err)
			if s != nil {
				_ = s.Close()
			}
		}
	}
	// A negative count is reported as both a bad URL and bad options.
	if _, err := store.Open(ctx, "memory://?num_counters=-5"); !errors.Is(err, memory.ErrInvalidOptions) {
		t.Errorf("num_counters=-5: %v; want it to wrap ErrInvalidOptions too", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []memory.Options{
		{MaxBytes: -1},
		{NumCounters: -1},
		{BufferItems: -1},
	} {
		s, err := memory.New(o)
		if !errors.Is(err, memory.ErrInvalidOptions) {
			t.Errorf("New(%+v) = %v, %v; want ErrInvalidOptions", o, s, err)
		}
	}
}
