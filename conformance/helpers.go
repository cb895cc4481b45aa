package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

// pollEvery is how often expiry rules look again.
const pollEvery = 10 * time.Millisecond

// clockSlack absorbs the rounding of a backend's clock (Redis keeps expiries in whole milliseconds).
const clockSlack = 10 * time.Millisecond

// mustSet stores value under key and reports whether the store kept it. A refusal (ErrNotStored) is
// accepted only under Caps.MayRejectSets, and logged, so the caller skips just the assertions that
// depended on this write; any other error, or a refusal without the flag, fails the rule.
func (e *env) mustSet(t testing.TB, key string, value []byte, ttl time.Duration) bool {
	t.Helper()
	return e.accepted(t, e.s.Set(e.ctx, key, value, ttl), fmt.Sprintf("Set(%q)", key))
}

// requireSet is mustSet for a write the rule cannot do without: a tolerated refusal skips the rule.
func (e *env) requireSet(t testing.TB, key string, value []byte, ttl time.Duration) {
	t.Helper()
	if !e.mustSet(t, key, value, ttl) {
		t.Skipf("the store refused Set(%q), which this rule needs (allowed by Caps.MayRejectSets)", key)
	}
}

// requireSetMany stores items or skips the rule on a tolerated refusal (see mustSet).
func (e *env) requireSetMany(t testing.TB, items []store.Item) {
	t.Helper()
	if !e.accepted(t, e.s.SetMany(e.ctx, items), fmt.Sprintf("SetMany(%d items)", len(items))) {
		t.Skip("the store refused part of a SetMany this rule needs (allowed by Caps.MayRejectSets)")
	}
}

// accepted reports whether err is nil; it tolerates ErrNotStored under MayRejectSets and fails t otherwise.
func (e *env) accepted(t testing.TB, err error, what string) bool {
	t.Helper()
	switch {
	case err == nil:
		return true
	case errors.Is(err, store.ErrNotStored) && e.caps.MayRejectSets:
		t.Logf("%s refused: %v (allowed by Caps.MayRejectSets; dependent assertions skipped)", what, err)
		return false
	default:
		t.Fatalf("%s: %v", what, err)
		return false
	}
}

// rejected reports whether err is a refusal the caps allow; it is for goroutines, which may not call
// t.Fatal, so any other error is reported with t.Errorf and also reported as not stored.
func (e *env) rejected(t testing.TB, err error, what string) bool {
	if err == nil {
		return false
	}
	if !errors.Is(err, store.ErrNotStored) || !e.caps.MayRejectSets {
		t.Errorf("%s: %v", what, err)
	}
	return true
}

// get returns the value under key, failing the rule on any error.
func (e *env) get(t testing.TB, key string) []byte {
	t.Helper()
	v, err := e.s.Get(e.ctx, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

// wantValue checks that key holds want.
func (e *env) wantValue(t testing.TB, key string, want []byte) {
	t.Helper()
	got, err := e.s.Get(e.ctx, key)
	if err != nil {
		t.Errorf("Get(%q): %v, want the value %s", key, err, show(want))
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%q) = %s, want %s", key, show(got), show(want))
	}
}

// wantMissing checks that Get of key reports ErrNotFound.
func (e *env) wantMissing(t testing.TB, key string) {
	t.Helper()
	v, err := e.s.Get(e.ctx, key)
	if err == nil {
		t.Errorf("Get(%q) = %s, want an error wrapping ErrNotFound", key, show(v))
		return
	}
	wantErr(t, err, store.ErrNotFound, fmt.Sprintf("Get(%q)", key))
}

// wantErr checks that err wraps target and is a *store.OpError, as the Store contract requires.
func wantErr(t testing.TB, err, target error, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one wrapping %v", what, target)
		return
	}
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want one wrapping %v", what, err, target)
		return
	}
	var op *store.OpError
	if !errors.As(err, &op) {
		t.Errorf("%s: error %v (%T) wraps %v but is not a *store.OpError", what, err, err, target)
	}
}

// waitGone polls Get until key reads as ErrNotFound, failing if that takes longer than within. It also
// fails if the key disappears before notBefore (measured from the caller's start), i.e. expires early.
func (e *env) waitGone(t testing.TB, key string, start time.Time, notBefore, within time.Duration) {
	t.Helper()
	for {
		_, err := e.s.Get(e.ctx, key)
		elapsed := time.Since(start)
		if errors.Is(err, store.ErrNotFound) {
			if elapsed < notBefore-clockSlack {
				t.Errorf("%q expired %v after Set began, before its TTL of %v", key, elapsed, notBefore)
			}
			return
		}
		if err != nil {
			t.Fatalf("Get(%q) while waiting for expiry: %v", key, err)
		}
		if elapsed > within {
			t.Fatalf("%q still served %v after Set began, want gone within TTL + TTLResolution = %v", key, elapsed, within)
		}
		time.Sleep(pollEvery)
	}
}

// scanAll returns the set of keys Scan reports for pattern (Redis SCAN may report a key twice).
func (e *env) scanAll(t testing.TB, pattern string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	err := e.s.Scan(e.ctx, pattern, func(k string) bool {
		seen[k] = true
		return true
	})
	if err != nil {
		t.Fatalf("Scan(%q): %v", pattern, err)
	}
	return seen
}

// wantKeySet compares a set of keys with the expected list, naming the differences.
func wantKeySet(t testing.TB, what string, got map[string]bool, want []string) {
	t.Helper()
	wantSet := map[string]bool{}
	for _, k := range want {
		wantSet[k] = true
		if !got[k] {
			t.Errorf("%s: missing %q", what, k)
		}
	}
	for k := range got {
		if !wantSet[k] {
			t.Errorf("%s: unexpected %q", what, k)
		}
	}
}

// show formats a value for a failure message, abbreviating long ones.
func show(b []byte) string {
	if b == nil {
		return "nil"
	}
	if len(b) <= 48 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%d bytes starting %q", len(b), b[:32])
}
