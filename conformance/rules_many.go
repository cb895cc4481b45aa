package conformance

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

func manyRules() []rule {
	return []rule{
		{
			name: "GetMany/PartialHits",
			says: "GetMany returns exactly the hits among its keys, each with its own value; misses are absent from the map",
			run: func(t testing.TB, e *env) {
				a, b, c := e.key("a"), e.key("b"), e.key("c")
				e.requireSet(t, a, []byte("value a"), hour)
				e.requireSet(t, c, []byte{}, hour)
				m, err := e.s.GetMany(e.ctx, []string{a, b, c, e.key("d")})
				if err != nil {
					t.Fatalf("GetMany: %v", err)
				}
				if len(m) != 2 || !bytes.Equal(m[a], []byte("value a")) {
					t.Errorf("GetMany = %q, want exactly %q and %q (empty)", m, a, c)
				}
				if v, ok := m[c]; !ok || len(v) != 0 {
					t.Errorf("GetMany[%q] = %s, %v; want present with zero bytes", c, show(v), ok)
				}
			},
		},
		{
			name: "GetMany/NoKeys",
			says: "GetMany of an empty key list returns an empty map and no error",
			run: func(t testing.TB, e *env) {
				e.mustSet(t, e.key("a"), []byte("a"), hour) // a non-empty store must not leak into the result
				for _, keys := range [][]string{nil, {}} {
					m, err := e.s.GetMany(e.ctx, keys)
					if err != nil || len(m) != 0 {
						t.Errorf("GetMany(%#v) = %q, %v; want an empty map and no error", keys, m, err)
					}
				}
			},
		},
		{
			name: "GetMany/DuplicateKeys",
			says: "GetMany with a key listed twice returns it once, with its value",
			run: func(t testing.TB, e *env) {
				a := e.key("a")
				e.requireSet(t, a, []byte("va"), hour)
				m, err := e.s.GetMany(e.ctx, []string{a, e.key("missing"), a})
				if err != nil {
					t.Fatalf("GetMany: %v", err)
				}
				if len(m) != 1 || !bytes.Equal(m[a], []byte("va")) {
					t.Errorf("GetMany = %q, want only %q = \"va\"", m, a)
				}
			},
		},
		{
			name: "GetMany/ThousandKeys",
			says: "GetMany of 1000 keys, half of them present, returns exactly the 500 hits with their values",
			run: func(t testing.TB, e *env) {
				var items []store.Item
				keys := make([]string, 1000)
				for i := range keys {
					keys[i] = e.key(fmt.Sprintf("k%04d", i))
					if i%2 == 0 {
						items = append(items, store.Item{Key: keys[i], Value: []byte(fmt.Sprint("v", i)), TTL: hour})
					}
				}
				e.requireSetMany(t, items)
				m, err := e.s.GetMany(e.ctx, keys)
				if err != nil {
					t.Fatalf("GetMany: %v", err)
				}
				if len(m) != len(items) {
					t.Errorf("GetMany returned %d entries, want %d", len(m), len(items))
				}
				for _, it := range items {
					if !bytes.Equal(m[it.Key], it.Value) {
						t.Errorf("GetMany[%q] = %s, want %s", it.Key, show(m[it.Key]), show(it.Value))
					}
				}
			},
		},
		{
			name: "SetMany/PerItemTTL",
			says: "SetMany stores every item with its own TTL: each reads back with its value and TTL, and a short-lived item expires while the others stay",
			run: func(t testing.TB, e *env) {
				items := []store.Item{
					{Key: e.key("hour"), Value: []byte("h"), TTL: hour},
					{Key: e.key("half"), Value: []byte("m"), TTL: 30 * time.Second},
					{Key: e.key("short"), Value: []byte("s"), TTL: shortTTL},
				}
				start := time.Now()
				e.requireSetMany(t, items)
				for _, it := range items {
					e.wantValue(t, it.Key, it.Value)
					d := e.ttl(t, it.Key)
					if elapsed := time.Since(start); d > it.TTL || d < it.TTL-elapsed-clockSlack {
						t.Errorf("TTL(%q) = %v, want within [%v - %v, %v]", it.Key, d, it.TTL, elapsed, it.TTL)
					}
				}
				e.waitGone(t, items[2].Key, start, shortTTL, shortTTL+e.caps.TTLResolution)
				e.wantValue(t, items[0].Key, items[0].Value)
				e.wantValue(t, items[1].Key, items[1].Value)
			},
		},
		{
			name: "SetMany/NonPositiveTTL",
			says: "SetMany with an item whose ttl <= 0 fails with ErrInvalidTTL and does not store that item",
			run: func(t testing.TB, e *env) {
				bad := e.key("bad")
				err := e.s.SetMany(e.ctx, []store.Item{
					{Key: e.key("good"), Value: []byte("g"), TTL: hour},
					{Key: bad, Value: []byte("b"), TTL: 0},
				})
				wantErr(t, err, store.ErrInvalidTTL, "SetMany with a zero TTL")
				e.wantMissing(t, bad)
				err = e.s.SetMany(e.ctx, []store.Item{{Key: bad, Value: []byte("b"), TTL: -time.Second}})
				wantErr(t, err, store.ErrInvalidTTL, "SetMany with a negative TTL")
				e.wantMissing(t, bad)
			},
		},
	}
}

func deleteRules() []rule {
	return []rule{
		{
			name: "Delete/CountsExisting",
			says: "Delete removes the given keys, reports how many of them existed, and leaves other keys alone",
			run: func(t testing.TB, e *env) {
				a, b, c := e.key("a"), e.key("b"), e.key("c")
				for _, k := range []string{a, b, c} {
					e.requireSet(t, k, []byte(k), hour)
				}
				n, err := e.s.Delete(e.ctx, a, e.key("missing"), b)
				if err != nil || n != 2 {
					t.Errorf("Delete(a, missing, b) = %d, %v; want 2, nil", n, err)
				}
				e.wantMissing(t, a)
				e.wantMissing(t, b)
				e.wantValue(t, c, []byte(c))
				_, err = e.s.TTL(e.ctx, a)
				wantErr(t, err, store.ErrNotFound, "TTL of a deleted key")
			},
		},
		{
			name: "Delete/Idempotent",
			says: "Delete of missing keys, of a key deleted before, or of no keys at all reports 0 and no error",
			run: func(t testing.TB, e *env) {
				a := e.key("a")
				e.requireSet(t, a, []byte("v"), hour)
				if n, err := e.s.Delete(e.ctx, a); err != nil || n != 1 {
					t.Errorf("first Delete = %d, %v; want 1, nil", n, err)
				}
				for _, keys := range [][]string{{a}, {a, e.key("never")}, nil} {
					if n, err := e.s.Delete(e.ctx, keys...); err != nil || n != 0 {
						t.Errorf("Delete(%q) = %d, %v; want 0, nil", keys, n, err)
					}
				}
			},
		},
		{
			name: "Delete/DuplicateKeys",
			says: "a key listed twice in one Delete counts once",
			run: func(t testing.TB, e *env) {
				a := e.key("a")
				e.requireSet(t, a, []byte("v"), hour)
				if n, err := e.s.Delete(e.ctx, a, a); err != nil || n != 1 {
					t.Errorf("Delete(a, a) = %d, %v; want 1, nil", n, err)
				}
				e.wantMissing(t, a)
			},
		},
	}
}
