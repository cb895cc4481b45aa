package cachetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
)

var decodeRules = []rule{
	{
		name: "Decode/CorruptDeletedAndCounted",
		says: "bytes no codec can read are deleted, read as a miss by Get, View and GetMany, and counted as corrupt",
		run: func(t testing.TB, s store.Store, ns string) {
			ctx := context.Background()
			c := newCache(t, s, ns)
			full := c.Keyspace().Prefix() + "ohlcv:BAD"
			garbage := [][]byte{
				{0xC1, 0x01, 0x63, 0x00, 1, 2}, // unknown codec id
				{0xC1, 0x01},                   // truncated header
				[]byte("not json {"),           // plain, malformed
				[]byte(`{"n":`),                // plain, truncated
				{0xC1, 0x01, 0x02, 0x00, 0x92}, // msgpack array missing its items
			}
			reads := map[string]func() error{
				"Get":  func() error { var v map[string]int; return c.Get(ctx, "ohlcv:BAD", &v) },
				"View": func() error { _, err := cachekit.View[map[string]int](ctx, c, "ohlcv:BAD"); return err },
				"GetMany": func() error {
					m, err := cachekit.GetMany[map[string]int](ctx, c, []string{"ohlcv:BAD"})
					if err == nil && len(m) == 0 {
						return cachekit.ErrNotFound
					}
					return err
				},
			}
			want := int64(0)
			for name, read := range reads {
				for i, g := range garbage {
					if err := s.Set(ctx, full, g, time.Minute); err != nil {
						t.Fatal(err)
					}
					if err := read(); !errors.Is(err, cachekit.ErrNotFound) {
						t.Fatalf("%s of garbage #%d = %v; want a miss", name, i, err)
					}
					if _, err := s.Get(ctx, full); !errors.Is(err, store.ErrNotFound) {
						t.Fatalf("%s kept garbage #%d: %v", name, i, err)
					}
					want++
				}
			}
			if got := c.Counters().Corrupt; got != want {
				t.Fatalf("Counters().Corrupt = %d; want %d", got, want)
			}
		},
	},
	{
		name: "Decode/TypeMismatchKept",
		says: "a well-formed value that does not fit the reader's type is ErrTypeMismatch, stays stored, leaves the destination untouched, and is counted",
		run: func(t testing.TB, s store.Store, ns string) {
			ctx := context.Background()
			c := newCache(t, s, ns)
			for i, cd := range []codec.Codec{codec.JSON, codec.Msgpack} {
				key := "balance:" + cd.Name()
				data, err := codec.Encode(cd, 42)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Set(ctx, c.Keyspace().Prefix()+key, data, time.Minute); err != nil {
					t.Fatal(err)
				}
				dst := "untouched"
				if err := c.Get(ctx, key, &dst); !errors.Is(err, cachekit.ErrTypeMismatch) || dst != "untouched" {
					t.Fatalf("%s: Get of 42 into *string = %v, dst %q; want ErrTypeMismatch, dst untouched", cd.Name(), err, dst)
				}
				if _, err := cachekit.View[string](ctx, c, key); !errors.Is(err, cachekit.ErrTypeMismatch) {
					t.Fatalf("%s: View = %v; want ErrTypeMismatch", cd.Name(), err)
				}
				var n int
				if err := c.Get(ctx, key, &n); err != nil || n != 42 {
					t.Fatalf("%s: the owner's Get after mismatches = %d, %v; want 42", cd.Name(), n, err)
				}
				if got := c.Counters(); got.TypeMismatches != int64(2*(i+1)) || got.Corrupt != 0 {
					t.Fatalf("%s: counters %+v; want %d mismatches, 0 corrupt", cd.Name(), got, 2*(i+1))
				}
			}
		},
	},
}
