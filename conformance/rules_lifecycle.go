package conformance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

func copyRules() []rule {
	return []rule{
		{
			name: "Copies/Returned",
			says: "slices returned by Get and GetMany are the caller's: changing or appending to them changes no stored value or key",
			run: func(t testing.TB, e *env) {
				k, next := e.key("k"), e.key("l")
				e.requireSet(t, k, []byte("hello"), hour)
				e.requireSet(t, next, []byte("world"), hour)
				v := e.get(t, k)
				if len(v) > 0 {
					v[0] = 'X'
				}
				_ = append(v, "garbage that would overwrite bytes stored after the value"...)
				e.wantValue(t, k, []byte("hello"))
				m, err := e.s.GetMany(e.ctx, []string{k, next})
				if err != nil {
					t.Fatalf("GetMany: %v", err)
				}
				for _, mv := range m {
					if len(mv) > 0 {
						mv[0] = 'Y'
					}
					_ = append(mv, "more garbage"...)
				}
				e.wantValue(t, k, []byte("hello"))
				e.wantValue(t, next, []byte("world"))
				wantKeySet(t, "Scan after changing returned slices", e.scanAll(t, e.pattern("*")), []string{k, next})
			},
		},
		{
			name: "Copies/Input",
			says: "a slice passed to Set, SetMany or Add may be reused once the call returns: changing it changes no stored value",
			run: func(t testing.TB, e *env) {
				check := func(op, key string, stored bool, buf []byte) {
					t.Helper()
					copy(buf, "XXXXX")
					if stored {
						e.wantValue(t, key, []byte("value of "+op))
					}
				}
				buf := []byte("value of set")
				check("set", e.key("set"), e.mustSet(t, e.key("set"), buf, hour), buf)

				buf = []byte("value of setmany")
				err := e.s.SetMany(e.ctx, []store.Item{{Key: e.key("setmany"), Value: buf, TTL: hour}})
				check("setmany", e.key("setmany"), e.accepted(t, err, "SetMany"), buf)

				buf = []byte("value of add")
				ok, err := e.s.Add(e.ctx, e.key("add"), buf, hour)
				if e.accepted(t, err, "Add") && !ok {
					t.Fatal("Add of an absent key reported false")
				}
				check("add", e.key("add"), ok, buf)
			},
		},
	}
}

// everyMethod calls each Store method once with ctx (Close excluded) and returns the errors by method.
// fnCalls counts the calls of the Scan callback.
func everyMethod(ctx context.Context, s store.Store, key, pattern string, fnCalls *int) map[string]error {
	errs := map[string]error{}
	_, errs["Get"] = s.Get(ctx, key)
	_, errs["GetMany"] = s.GetMany(ctx, []string{key})
	errs["Set"] = s.Set(ctx, key, []byte("v"), hour)
	errs["SetMany"] = s.SetMany(ctx, []store.Item{{Key: key, Value: []byte("v"), TTL: hour}})
	_, errs["Add"] = s.Add(ctx, key+"-add", []byte("v"), hour)
	_, errs["Delete"] = s.Delete(ctx, key)
	_, errs["TTL"] = s.TTL(ctx, key)
	_, errs["DeletePattern"] = s.DeletePattern(ctx, pattern)
	errs["Scan"] = s.Scan(ctx, pattern, func(string) bool { *fnCalls++; return true })
	_, errs["Stats"] = s.Stats(ctx)
	return errs
}

var methodNames = []string{"Get", "GetMany", "Set", "SetMany", "Add", "Delete", "TTL", "DeletePattern", "Scan", "Stats"}

func contextRules() []rule {
	return []rule{
		{
			name: "Context/Cancelled",
			says: "every method called with a cancelled context fails with an *store.OpError wrapping context.Canceled, even when the key exists",
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				e.mustSet(t, k, []byte("v"), hour)
				ctx, cancel := context.WithCancel(e.ctx)
				cancel()
				calls := 0
				errs := everyMethod(ctx, e.s, k, e.pattern("*"), &calls)
				for _, name := range methodNames {
					wantErr(t, errs[name], context.Canceled, name+" with a cancelled context")
				}
			},
		},
		{
			name: "Context/DeadlineExceeded",
			says: "every method called with an expired deadline fails with an *store.OpError wrapping context.DeadlineExceeded",
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				e.mustSet(t, k, []byte("v"), hour)
				ctx, cancel := context.WithDeadline(e.ctx, time.Now().Add(-time.Second))
				defer cancel()
				calls := 0
				errs := everyMethod(ctx, e.s, k, e.pattern("*"), &calls)
				for _, name := range methodNames {
					wantErr(t, errs[name], context.DeadlineExceeded, name+" with an expired deadline")
				}
			},
		},
		{
			name: "Context/CancelDuringScan",
			says: "a Scan whose context is cancelled while it runs fails with an error wrapping context.Canceled",
			run: func(t testing.TB, e *env) {
				e.requireSetMany(t, relItems(e, "k", 2000))
				ctx, cancel := context.WithCancel(e.ctx)
				defer cancel()
				calls := 0
				err := e.s.Scan(ctx, e.pattern("*"), func(string) bool {
					calls++
					cancel()
					return true
				})
				if calls == 0 {
					t.Fatal("Scan never called fn over 2000 matching keys")
				}
				wantErr(t, err, context.Canceled, "Scan cancelled from its callback")
			},
		},
	}
}

func closeRules() []rule {
	return []rule{
		{
			name: "Close/ThenUse",
			says: "after Close every method fails with an *store.OpError wrapping ErrClosed, and Scan calls fn no more",
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				e.mustSet(t, k, []byte("v"), hour)
				if err := e.s.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				calls := 0
				errs := everyMethod(e.ctx, e.s, k, e.pattern("*"), &calls)
				for _, name := range methodNames {
					wantErr(t, errs[name], store.ErrClosed, name+" after Close")
				}
				if calls != 0 {
					t.Errorf("Scan after Close called fn %d times", calls)
				}
			},
		},
		{
			name: "Close/Twice",
			says: "Close is idempotent: a second Close returns nil",
			run: func(t testing.TB, e *env) {
				if err := e.s.Close(); err != nil {
					t.Fatalf("first Close: %v", err)
				}
				if err := e.s.Close(); err != nil {
					t.Errorf("second Close: %v, want nil", err)
				}
				_, err := e.s.Get(e.ctx, e.key("k"))
				wantErr(t, err, store.ErrClosed, "Get after two Closes")
			},
		},
	}
}

func statsRules() []rule {
	return []rule{
		{
			name: "Stats/Counters",
			says: "Stats names its backend, Get and GetMany hits and misses each raise Hits and Misses, and Keys (when known) counts the keys written",
			run: func(t testing.TB, e *env) {
				before, err := e.s.Stats(e.ctx)
				if err != nil {
					t.Fatalf("Stats: %v", err)
				}
				if before.Backend == "" {
					t.Error("Stats.Backend is empty")
				}
				if before.Hits < 0 || before.Misses < 0 {
					t.Errorf("Stats Hits = %d, Misses = %d; a store counts its own lookups, so they are known (>= 0)", before.Hits, before.Misses)
				}
				items := relItems(e, "k", 3)
				e.requireSetMany(t, items)
				hit, miss := items[0].Key, e.key("missing")
				e.get(t, hit)
				e.wantMissing(t, miss)
				if _, err := e.s.GetMany(e.ctx, []string{hit, miss}); err != nil {
					t.Fatalf("GetMany: %v", err)
				}
				after, err := e.s.Stats(e.ctx)
				if err != nil {
					t.Fatalf("Stats: %v", err)
				}
				if after.Hits < before.Hits+2 {
					t.Errorf("Hits went from %d to %d after a Get hit and a GetMany hit, want +2 or more", before.Hits, after.Hits)
				}
				if after.Misses < before.Misses+2 {
					t.Errorf("Misses went from %d to %d after a Get miss and a GetMany miss, want +2 or more", before.Misses, after.Misses)
				}
				if after.Keys != -1 && after.Keys < int64(len(items)) {
					t.Errorf("Stats.Keys = %d after writing %d keys", after.Keys, len(items))
				}
			},
		},
	}
}

func sharedRules() []rule {
	notShared := func(c Caps) string {
		if !c.Shared {
			return "Caps.Shared is false: Stores from separate Opens are independent"
		}
		return ""
	}
	return []rule{
		{
			name: "Shared/SecondOpenSeesWrites",
			says: "a Store from a second Open sees the first Store's writes through Get, GetMany, TTL and Scan, and its DeletePattern removes them",
			skip: notShared,
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				e.requireSet(t, k, []byte("shared"), hour)
				other := &env{ctx: e.ctx, s: e.open(), caps: e.caps, prefix: e.prefix}
				other.wantValue(t, k, []byte("shared"))
				m, err := other.s.GetMany(e.ctx, []string{k})
				if err != nil || string(m[k]) != "shared" {
					t.Errorf("second Store's GetMany = %q, %v", m, err)
				}
				if d := other.ttl(t, k); d <= 30*time.Minute {
					t.Errorf("second Store's TTL = %v, want about 1h", d)
				}
				wantKeySet(t, "second Store's Scan", other.scanAll(t, e.pattern("*")), []string{k})
				if n, err := other.s.DeletePattern(e.ctx, e.pattern("*")); err != nil || n != 1 {
					t.Errorf("second Store's DeletePattern = %d, %v; want 1, nil", n, err)
				}
				if _, err := other.s.Get(e.ctx, k); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("second Store's Get after its DeletePattern: %v, want ErrNotFound", err)
				}
			},
		},
	}
}
