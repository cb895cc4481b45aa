// Package conformance is the one test suite every store.Store passes, shaped like testing/slogtest and
// gocloud.dev's drivertest. Each of cachekit's backends runs it from a TestConformance in its own package,
// and a third-party backend runs the very same suite.
//
// Run executes a table of named rules, each checking one sentence of the Store contract (the doc comments
// in package store): "Get of a missing key returns ... ErrNotFound", "DeletePattern removes exactly the
// keys its Redis glob matches ...: '\*' matches only a literal '*'", "after Close every method fails with
// ... ErrClosed", and so on. Every rule is its own subtest with a fresh Harness and a fresh Store, and a
// failing rule logs its sentence. The table runs twice: once under a plain random namespace and once
// under a random namespace full of glob metacharacters, so a backend (or a test) that builds a pattern
// from a key without escaping it fails.
//
// # Optional interfaces
//
// The suite also checks each optional interface of package store against the base path it accelerates,
// as testing/fstest checks ReadFile against Open: View sees the bytes Get returns, never calls fn on a
// miss and returns fn's error unchanged; GetDecoded decodes what Get returns, returns the decoder's error
// unchanged and keeps nothing then, and is never older than the last write under one writer and four
// readers; neither keeps a key lent to it over a buffer the caller reuses (the root Cache lends its
// pooled keys so); GetWithTTL equals Get and TTL; a broadcast reaches a second subscriber and a dropped
// subscription is announced by a Resync; Ping answers until Close. A Store that lacks Viewer,
// DecodedCache, TTLReader or Pinger is checked through the fallback that store.View, store.GetDecoded,
// store.GetWithTTL and store.Ping run for it (what every consumer of it gets), so those rules never skip;
// the rule's log says which path it checked. The Broadcaster rules skip on a Store that is not a
// store.Broadcaster, and Broadcaster/ResyncAnnounced on a Harness that is not a SubscriptionBreaker (the
// hook that drops a subscription's connection), each saying so. A harness of a Broadcaster should
// implement SubscriptionBreaker.
//
// Each of those rules was seen to fail: this package's tests run it against a store that breaks exactly
// its promise (rules take a testing.TB, so a recorder can stand in for the test).
//
// The suite only touches keys under its per-rule random namespace (plus, in one isolation rule, a few
// random-named keys it deletes by name) and sweeps that namespace when the rule ends, so it can run
// against a shared Redis. It never flushes.
//
// # Running it for a backend
//
// Implement Harness: Open returns a Store on the backend, Caps says how the backend legitimately differs
// (Shared, MayRejectSets, TTLResolution; each flag names the rules it affects), and a Broadcaster's
// harness also implements SubscriptionBreaker. Run closes every Store that Open returns. Run the suite under the race detector, since some rules are concurrent:
//
//	package mystore_test
//
//	import (
//		"context"
//		"testing"
//
//		"github.com/cachekit/cachekit/conformance"
//		"github.com/cachekit/cachekit/store"
//		"example.com/mystore"
//	)
//
//	type harness struct{ addr string }
//
//	func (h harness) Open(ctx context.Context, t *testing.T) store.Store {
//		s, err := mystore.Dial(ctx, h.addr)
//		if err != nil {
//			t.Fatal(err)
//		}
//		return s // Run closes it
//	}
//
//	// Caps: mystore is a network store, so a second Open sees the first's writes.
//	func (harness) Caps() conformance.Caps { return conformance.Caps{Shared: true} }
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, func(t *testing.T) conformance.Harness {
//			return harness{addr: testServerAddr(t)} // however your tests reach a server
//		})
//	}
//
// Then `go test -race -run TestConformance ./...`. A single rule runs with, for example,
// `-run 'TestConformance/ns=glob/DeletePattern/EscapedStar'`.
//
// A skipped rule names its reason (a Caps flag). Under MayRejectSets a refused write (ErrNotStored) is
// tolerated in rules about something else, and logged; the assertions that depended on it are dropped,
// never passed silently.
package conformance
