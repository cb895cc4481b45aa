package memory_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

type lenDecoder struct{}

func (lenDecoder) DecodeValue(v []byte) (any, error) { return len(v), nil }

// TestFreshReads checks the reserve rule of GetFresh, ViewFresh, GetDecodedFresh and GetManyFresh,
// before and after ristretto settles the write: an entry with more than reserve left reads as the plain
// read does; with no more than reserve left it is a miss (counted), while the plain reads still return
// it; a negative reserve is an error that is not a miss.
func TestFreshReads(t *testing.T) {
	for _, settled := range []bool{false, true} {
		name := "pending"
		if settled {
			name = "settled"
		}
		t.Run(name, func(t *testing.T) {
			s := newStore(t, memory.Options{})
			ctx := t.Context()
			if err := s.Set(ctx, "k", []byte("value"), time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := s.Set(ctx, "j", []byte("other"), time.Hour); err != nil {
				t.Fatal(err)
			}
			if settled {
				settle(t, s)
			}
			before, err := s.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				reserve time.Duration
				hit     bool
			}{{0, true}, {59 * time.Minute, true}, {time.Hour, false}, {2 * time.Hour, false}} {
				v, err := s.GetFresh(ctx, "k", tc.reserve)
				if tc.hit != (err == nil) || (tc.hit && string(v) != "value") || (!tc.hit && !errors.Is(err, store.ErrNotFound)) {
					t.Errorf("GetFresh(reserve %v) = %q, %v; want hit %v", tc.reserve, v, err, tc.hit)
				}
				called := false
				err = s.ViewFresh(ctx, "k", tc.reserve, func(b []byte) error { called = string(b) == "value"; return nil })
				if tc.hit != (err == nil && called) || (!tc.hit && (called || !errors.Is(err, store.ErrNotFound))) {
					t.Errorf("ViewFresh(reserve %v) = %v, fn called %v; want hit %v", tc.reserve, err, called, tc.hit)
				}
				form, err := s.GetDecodedFresh(ctx, "k", tc.reserve, lenDecoder{})
				if tc.hit != (err == nil && form == 5) || (!tc.hit && !errors.Is(err, store.ErrNotFound)) {
					t.Errorf("GetDecodedFresh(reserve %v) = %v, %v; want hit %v", tc.reserve, form, err, tc.hit)
				}
				m, err := s.GetManyFresh(ctx, []string{"k", "j", "none"}, tc.reserve)
				if err != nil || (len(m) == 2) != tc.hit || (tc.hit && string(m["k"]) != "value") {
					t.Errorf("GetManyFresh(reserve %v) = %q, %v; want hit %v", tc.reserve, m, err, tc.hit)
				}
			}
			after, err := s.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// Per reserve: 3 single reads and GetMany of k and j (hits or misses together), and "none" (a miss).
			if hits, misses := after.Hits-before.Hits, after.Misses-before.Misses; hits != 2*5 || misses != 2*5+4 {
				t.Errorf("hits %d, misses %d; want 10 and 14 (reads within the reserve count as misses)", hits, misses)
			}
			if v, err := s.Get(ctx, "k"); err != nil || string(v) != "value" {
				t.Errorf("plain Get after the fresh reads = %q, %v; want the entry, untouched", v, err)
			}

			for name, call := range map[string]func() error{
				"GetFresh":        func() error { _, err := s.GetFresh(ctx, "k", -time.Second); return err },
				"ViewFresh":       func() error { return s.ViewFresh(ctx, "k", -time.Second, func([]byte) error { return nil }) },
				"GetDecodedFresh": func() error { _, err := s.GetDecodedFresh(ctx, "k", -time.Second, lenDecoder{}); return err },
				"GetManyFresh":    func() error { _, err := s.GetManyFresh(ctx, []string{"k"}, -time.Second); return err },
			} {
				if err := call(); err == nil || errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "reserve") {
					t.Errorf("%s with a negative reserve = %v; want an error naming the reserve, not a miss", name, err)
				}
			}
		})
	}
}
