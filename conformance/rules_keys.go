package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

// keyRules check the one key rule every backend shares (store.CheckKey): the empty key is refused.
func keyRules() []rule {
	return []rule{
		{
			name: "Keys/EmptyRejected",
			says: "Get, Set, Add, Delete, TTL, GetMany and SetMany given the empty key fail with an *store.OpError wrapping ErrInvalidKey, and nothing is stored under the empty key",
			run: func(t testing.TB, e *env) {
				v := []byte("must not be stored")
				for _, c := range emptyKeyCalls(e.s, v) {
					wantErr(t, c.call(e.ctx), store.ErrInvalidKey, c.name+` with the key ""`)
				}
				if e.holdsEmptyKey(t) {
					t.Errorf(`after the refused calls, Scan("*") reports the empty key: something stored it`)
				}
			},
		},
		{
			name: "Keys/EmptyRejectsWholeBatch",
			says: "a SetMany, Delete or GetMany whose keys include the empty one fails with ErrInvalidKey before touching any key: none of that SetMany's items is stored and none of that Delete's keys is removed",
			run: func(t testing.TB, e *env) {
				a, b := e.key("a"), e.key("b")
				err := e.s.SetMany(e.ctx, []store.Item{
					{Key: a, Value: []byte("va"), TTL: hour},
					{Key: "", Value: []byte("v"), TTL: hour},
					{Key: b, Value: []byte("vb"), TTL: hour},
				})
				wantErr(t, err, store.ErrInvalidKey, `SetMany with an item keyed ""`)
				e.wantMissing(t, a)
				e.wantMissing(t, b)

				e.requireSet(t, a, []byte("va"), hour)
				n, err := e.s.Delete(e.ctx, a, "")
				wantErr(t, err, store.ErrInvalidKey, `Delete(a, "")`)
				if n != 0 {
					t.Errorf(`Delete(a, "") reported %d deleted, want 0`, n)
				}
				e.wantValue(t, a, []byte("va"))

				m, err := e.s.GetMany(e.ctx, []string{a, ""})
				wantErr(t, err, store.ErrInvalidKey, `GetMany(a, "")`)
				if len(m) != 0 {
					t.Errorf(`GetMany(a, "") returned %q along with its error`, m)
				}
			},
		},
	}
}

// keyCall is one keyed Store call, made with the empty key.
type keyCall struct {
	name string
	call func(ctx context.Context) error
}

// emptyKeyCalls lists every keyed call of the Store interface, each given the empty key (and value v).
func emptyKeyCalls(s store.Store, v []byte) []keyCall {
	return []keyCall{
		{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, ""); return err }},
		{"Set", func(ctx context.Context) error { return s.Set(ctx, "", v, time.Hour) }},
		{"Add", func(ctx context.Context) error { _, err := s.Add(ctx, "", v, time.Hour); return err }},
		{"Delete", func(ctx context.Context) error { _, err := s.Delete(ctx, ""); return err }},
		{"TTL", func(ctx context.Context) error { _, err := s.TTL(ctx, ""); return err }},
		{"GetMany", func(ctx context.Context) error { _, err := s.GetMany(ctx, []string{""}); return err }},
		{"SetMany", func(ctx context.Context) error {
			return s.SetMany(ctx, []store.Item{{Key: "", Value: v, TTL: time.Hour}})
		}},
	}
}

// holdsEmptyKey reports whether Scan("*") reports the empty key (only "" and "*" match it; see
// store.Match). It reads every key of the backend, stopping at the empty one, and writes nothing.
func (e *env) holdsEmptyKey(t testing.TB) bool {
	t.Helper()
	found := false
	err := e.s.Scan(e.ctx, "*", func(k string) bool {
		found = k == ""
		return !found
	})
	if err != nil {
		t.Fatalf(`Scan("*"): %v`, err)
	}
	return found
}
