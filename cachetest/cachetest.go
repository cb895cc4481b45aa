// Package cachetest is the portable-layer suite: the rules the Cache (package cachekit) adds above a
// store — corrupt bytes deleted and counted, type mismatches kept, invalidation that never leaves the
// namespace, View and Fetch never older than the last write, TTL 0 resolution, private Fetch results,
// Ping — run through cachekit.New over any store.Store, as gocloud's drivertest runs through the
// portable type. Package conformance checks the store contract itself; a store passing both behaves
// the same under the Cache as every built-in backend.
//
// Run it from a test of the store's package:
//
//	func TestPortableLayer(t *testing.T) {
//		cachetest.Run(t, func(t *testing.T) store.Store { return newMyStore(t) })
//	}
//
// open must return a store that stays usable until the test ends; the suite closes it in t.Cleanup. Shared stores (several rules on one Redis) are fine: every rule works under a
// fresh random namespace.
package cachetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store"
)

// rule is one named promise of the portable layer.
type rule struct {
	name string // "Decode/CorruptDeletedAndCounted"
	says string // the rule in one sentence, printed when it fails
	run  func(t testing.TB, s store.Store, ns string)
}

// Run runs every rule against a fresh store from open, each under its own random namespace.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	for _, r := range rules() {
		t.Run(r.name, func(t *testing.T) {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("rule %s: %s", r.name, r.says)
				}
			})
			s := open(t)
			t.Cleanup(func() { _ = s.Close() }) // last: after every Cache's own cleanup
			r.run(t, s, namespace(t))
		})
	}
}

func rules() []rule {
	var all []rule
	for _, group := range [][]rule{decodeRules, namespaceRules, freshnessRules, ttlRules, fetchRules} {
		all = append(all, group...)
	}
	return all
}

// namespace returns a fresh namespace, so rules sharing one Redis never see each other's keys.
func namespace(t testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "ct" + hex.EncodeToString(b[:])
}

// newCache returns a Cache over s in namespace ns whose keys are cleared when the test ends. Several
// Caches may share s; Run closes s after them.
func newCache(t testing.TB, s store.Store, ns string, opts ...cachekit.Option) *cachekit.Cache {
	t.Helper()
	c, err := cachekit.New(s, append([]cachekit.Option{cachekit.WithNamespace(ns)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.ClearAll(context.Background()) // t.Context() is done by now
	})
	return c
}
