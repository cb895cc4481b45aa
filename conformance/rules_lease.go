package conformance

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cachekit/cachekit/store"
)

// compareDeleterRules check store.CompareDeleter, the owner-only release of a Fetch lease. A Store
// without it has no fallback (a Get then a Delete is not atomic): the rule then checks that
// store.DeleteIfValue says so with errors.ErrUnsupported and changes nothing.
func compareDeleterRules() []rule {
	return []rule{
		{
			name: "CompareDeleter/OwnerOnly",
			says: "DeleteIfValue deletes the key only while it holds exactly the given value (true), leaves another value or a missing key alone (false, no error), and of racing calls with the holder's value exactly one deletes; a store without it reports errors.ErrUnsupported and changes nothing",
			run: func(t testing.TB, e *env) {
				via[store.CompareDeleter](t, e.s, "CompareDeleter", "none: store.DeleteIfValue reports errors.ErrUnsupported")
				k := e.key("lease:owner")
				e.requireSet(t, k, []byte("token-A"), hour)
				// A composite may have the method and still lack it (tiered over a store without one): it
				// then says so with errors.ErrUnsupported, exactly as the fallback does.
				_, has := e.s.(store.CompareDeleter)
				if _, err := store.DeleteIfValue(e.ctx, e.s, k, []byte("token-other")); !has || errors.Is(err, errors.ErrUnsupported) {
					wantErr(t, err, errors.ErrUnsupported, "DeleteIfValue on a store without it")
					e.wantValue(t, k, []byte("token-A"))
					return
				}
				for _, other := range [][]byte{[]byte("token-B"), []byte("token-"), []byte("token-AA"), nil} {
					if ok, err := store.DeleteIfValue(e.ctx, e.s, k, other); ok || err != nil {
						t.Errorf("DeleteIfValue(%q) of a key holding %q = %v, %v; want false, nil", other, "token-A", ok, err)
					}
				}
				e.wantValue(t, k, []byte("token-A"))
				if ok, err := store.DeleteIfValue(e.ctx, e.s, e.key("lease:never-set"), []byte("x")); ok || err != nil {
					t.Errorf("DeleteIfValue of a missing key = %v, %v; want false, nil", ok, err)
				}
				var wins atomic.Int64
				var wg sync.WaitGroup
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						ok, err := store.DeleteIfValue(e.ctx, e.s, k, []byte("token-A"))
						if err != nil {
							t.Errorf("DeleteIfValue: %v", err)
						}
						if ok {
							wins.Add(1)
						}
					}()
				}
				wg.Wait()
				if n := wins.Load(); n != 1 {
					t.Errorf("%d of 8 racing DeleteIfValue calls with the holder's value reported a delete; want exactly 1", n)
				}
				e.wantMissing(t, k)
			},
		},
	}
}
