package conformance

import (
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

// shortTTL is the TTL of entries that expiry rules wait for.
const shortTTL = time.Second

func ttlRules() []rule {
	return []rule{
		{
			name: "TTL/Readback",
			says: "TTL right after Set(ttl) lies in [ttl - elapsed, ttl]: positive, never above what was set",
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				start := time.Now()
				e.requireSet(t, k, []byte("v"), hour)
				got := e.ttl(t, k)
				elapsed := time.Since(start)
				if got <= 0 || got > hour || got < hour-elapsed-clockSlack {
					t.Errorf("TTL after Set(1h) = %v (%v after Set began), want within [1h - %v, 1h]", got, elapsed, elapsed)
				}
			},
		},
		{
			name: "TTL/Precision",
			says: "TTL has sub-second precision: a 1500ms TTL does not read back as a whole second",
			run: func(t testing.TB, e *env) {
				const ttl = 1500 * time.Millisecond
				k := e.key("k")
				start := time.Now()
				e.requireSet(t, k, []byte("v"), ttl)
				got := e.ttl(t, k)
				elapsed := time.Since(start)
				if got > ttl || got < ttl-elapsed-clockSlack {
					t.Errorf("TTL after Set(1.5s) = %v (%v after Set began), want within [1.5s - %v, 1.5s]", got, elapsed, elapsed)
				}
			},
		},
		{
			name: "TTL/Missing",
			says: "TTL of a missing key fails with an *store.OpError wrapping ErrNotFound",
			run: func(t testing.TB, e *env) {
				d, err := e.s.TTL(e.ctx, e.key("missing"))
				wantErr(t, err, store.ErrNotFound, "TTL of a missing key")
				if err == nil {
					t.Errorf("TTL of a missing key = %v", d)
				}
			},
		},
		{
			name: "TTL/Expiry",
			says: "an entry is served until its TTL has passed and reads as ErrNotFound no later than TTL + TTLResolution after Set",
			run: func(t testing.TB, e *env) {
				k := e.key("short")
				start := time.Now()
				e.requireSet(t, k, []byte("v"), shortTTL)
				e.wantValue(t, k, []byte("v"))
				e.waitGone(t, k, start, shortTTL, shortTTL+e.caps.TTLResolution)
			},
		},
		{
			name: "TTL/ExpiredIsGoneEverywhere",
			says: "an expired entry is absent from Get, GetMany, TTL and Scan, and Delete and DeletePattern do not count it",
			run: func(t testing.TB, e *env) {
				k, live := e.key("short"), e.key("live")
				start := time.Now()
				e.requireSet(t, k, []byte("v"), shortTTL)
				e.requireSet(t, live, []byte("w"), hour)
				e.waitGone(t, k, start, shortTTL, shortTTL+e.caps.TTLResolution)
				m, err := e.s.GetMany(e.ctx, []string{k, live})
				if err != nil {
					t.Fatalf("GetMany: %v", err)
				}
				if v, ok := m[k]; ok {
					t.Errorf("GetMany returned the expired key with %s", show(v))
				}
				_, err = e.s.TTL(e.ctx, k)
				wantErr(t, err, store.ErrNotFound, "TTL of an expired key")
				wantKeySet(t, "Scan after expiry", e.scanAll(t, e.pattern("*")), []string{live})
				if n, err := e.s.DeletePattern(e.ctx, e.pattern("sh*")); err != nil || n != 0 {
					t.Errorf("DeletePattern matching only the expired key = %d, %v; want 0, nil", n, err)
				}
				if n, err := e.s.Delete(e.ctx, k); err != nil || n != 0 {
					t.Errorf("Delete of the expired key = %d, %v; want 0, nil", n, err)
				}
			},
		},
	}
}

func addRules() []rule {
	return []rule{
		{
			name: "Add/Absent",
			says: "Add of an absent key stores the value with its TTL and reports true",
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				ok, err := e.s.Add(e.ctx, k, []byte("added"), hour)
				if !e.accepted(t, err, "Add") {
					t.Skip("Add refused (allowed by Caps.MayRejectSets)")
				}
				if !ok {
					t.Fatal("Add of an absent key reported false")
				}
				e.wantValue(t, k, []byte("added"))
				if d := e.ttl(t, k); d <= 30*time.Minute || d > hour {
					t.Errorf("TTL after Add(1h) = %v", d)
				}
			},
		},
		{
			name: "Add/Present",
			says: "Add of a present key reports false and leaves its value and TTL unchanged",
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				e.requireSet(t, k, []byte("first"), hour)
				ok, err := e.s.Add(e.ctx, k, []byte("second"), 30*time.Second)
				if err != nil || ok {
					t.Errorf("Add of a present key = %v, %v; want false, nil", ok, err)
				}
				e.wantValue(t, k, []byte("first"))
				if d := e.ttl(t, k); d <= 30*time.Second {
					t.Errorf("TTL after a refused Add(30s) over Set(1h) = %v, want the 1h TTL kept", d)
				}
			},
		},
		{
			name: "Add/AfterExpiry",
			says: "Add of a key whose entry has expired stores the new value and reports true",
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				start := time.Now()
				e.requireSet(t, k, []byte("old"), shortTTL)
				e.waitGone(t, k, start, shortTTL, shortTTL+e.caps.TTLResolution)
				ok, err := e.s.Add(e.ctx, k, []byte("new"), hour)
				if !e.accepted(t, err, "Add") {
					return
				}
				if !ok {
					t.Fatal("Add after expiry reported false")
				}
				e.wantValue(t, k, []byte("new"))
			},
		},
		{
			name: "Add/AfterDelete",
			says: "Add of a key that was deleted stores the new value and reports true",
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				e.requireSet(t, k, []byte("old"), hour)
				if n, err := e.s.Delete(e.ctx, k); err != nil || n != 1 {
					t.Fatalf("Delete = %d, %v; want 1, nil", n, err)
				}
				ok, err := e.s.Add(e.ctx, k, []byte("new"), hour)
				if !e.accepted(t, err, "Add") {
					return
				}
				if !ok {
					t.Fatal("Add after Delete reported false")
				}
				e.wantValue(t, k, []byte("new"))
			},
		},
		{
			name: "Add/NonPositiveTTL",
			says: "Add with ttl <= 0 fails with ErrInvalidTTL, reports false and stores nothing",
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				for _, ttl := range []time.Duration{0, -time.Second} {
					ok, err := e.s.Add(e.ctx, k, []byte("x"), ttl)
					wantErr(t, err, store.ErrInvalidTTL, "Add with ttl "+ttl.String())
					if ok {
						t.Errorf("Add with ttl %v reported true", ttl)
					}
					e.wantMissing(t, k)
				}
			},
		},
	}
}
