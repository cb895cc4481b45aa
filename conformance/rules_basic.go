package conformance

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

// allRules is the suite: every rule, in the order Run runs them.
func allRules() []rule {
	var all []rule
	for _, group := range [][]rule{
		basicRules(), keyRules(), ttlRules(), addRules(), manyRules(), deleteRules(), patternRules(),
		copyRules(), contextRules(), closeRules(), statsRules(), sharedRules(), concurrencyRules(),
		viewerRules(), decodedRules(), ttlReaderRules(), broadcasterRules(), pingerRules(), compareDeleterRules(), versionedRules(),
	} {
		all = append(all, group...)
	}
	return all
}

const hour = time.Hour

func basicRules() []rule {
	return []rule{
		{
			name: "Get/Miss",
			says: "Get of a missing key returns no value and an *store.OpError wrapping ErrNotFound that names the op, backend and key",
			run: func(t testing.TB, e *env) {
				k := e.key("missing")
				v, err := e.s.Get(e.ctx, k)
				wantErr(t, err, store.ErrNotFound, "Get of a missing key")
				if len(v) != 0 {
					t.Errorf("Get of a missing key returned the value %s along with its error", show(v))
				}
				var op *store.OpError
				if errors.As(err, &op) && (op.Key != k || op.Op == "" || op.Backend == "") {
					t.Errorf("OpError{Op: %q, Key: %q, Backend: %q}, want a non-empty Op and Backend and Key %q", op.Op, op.Key, op.Backend, k)
				}
			},
		},
		{
			name: "RoundTrip/Empty",
			says: "an empty value (nil or zero-length) is stored and read back as a hit with zero bytes, not as a miss",
			run: func(t testing.TB, e *env) {
				for rel, v := range map[string][]byte{"empty": {}, "nil": nil} {
					k := e.key(rel)
					if !e.mustSet(t, k, v, hour) {
						continue
					}
					got, err := e.s.Get(e.ctx, k)
					if err != nil || len(got) != 0 {
						t.Errorf("Get(%q) after Set of %s = %s, %v; want zero bytes and no error", k, rel, show(got), err)
					}
				}
			},
		},
		{
			name: "RoundTrip/AllByteValues",
			says: "a value holding every byte value 0..255 (NUL, invalid UTF-8, CR/LF) reads back byte for byte",
			run: func(t testing.TB, e *env) {
				v := make([]byte, 0, 512)
				for i := range 256 {
					v = append(v, byte(i))
				}
				for i := range 256 {
					v = append(v, byte(255-i))
				}
				k := e.key("binary")
				e.requireSet(t, k, v, hour)
				e.wantValue(t, k, v)
			},
		},
		{
			name: "RoundTrip/OneMiB",
			says: "a 1 MiB value reads back byte for byte through Get and GetMany",
			run: func(t testing.TB, e *env) {
				v := make([]byte, 1<<20)
				r := rand.NewChaCha8([32]byte{1})
				_, _ = r.Read(v)
				k := e.key("large")
				e.requireSet(t, k, v, hour)
				e.wantValue(t, k, v)
				m, err := e.s.GetMany(e.ctx, []string{k})
				if err != nil {
					t.Fatalf("GetMany: %v", err)
				}
				if !bytes.Equal(m[k], v) {
					t.Errorf("GetMany[%q] = %s, want the 1 MiB value", k, show(m[k]))
				}
			},
		},
		{
			name: "Set/Overwrite",
			says: "Set of an existing key replaces its value entirely, a shorter value leaving no trailing bytes",
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				long, short := []byte("the first, longer value"), []byte("2nd")
				e.requireSet(t, k, long, hour)
				e.requireSet(t, k, short, hour)
				e.wantValue(t, k, short)
				e.requireSet(t, k, long, hour)
				e.wantValue(t, k, long)
			},
		},
		{
			name: "Set/OverwriteReplacesTTL",
			says: "Set of an existing key replaces its TTL with the new one, shorter or longer",
			run: func(t testing.TB, e *env) {
				k := e.key("k")
				e.requireSet(t, k, []byte("a"), hour)
				e.requireSet(t, k, []byte("b"), 30*time.Second)
				if got := e.ttl(t, k); got > 30*time.Second {
					t.Errorf("TTL after Set(1h) then Set(30s) = %v, want <= 30s", got)
				}
				e.requireSet(t, k, []byte("c"), hour)
				if got := e.ttl(t, k); got <= 30*time.Second {
					t.Errorf("TTL after Set(30s) then Set(1h) = %v, want > 30s", got)
				}
			},
		},
		{
			name: "Set/NonPositiveTTL",
			says: "Set with ttl <= 0 fails with ErrInvalidTTL and changes nothing",
			run: func(t testing.TB, e *env) {
				old := e.key("old")
				keep := e.mustSet(t, old, []byte("kept"), hour)
				for _, ttl := range []time.Duration{0, -time.Second} {
					fresh := e.key("fresh")
					wantErr(t, e.s.Set(e.ctx, fresh, []byte("x"), ttl), store.ErrInvalidTTL, "Set with ttl "+ttl.String())
					e.wantMissing(t, fresh)
					wantErr(t, e.s.Set(e.ctx, old, []byte("replaced"), ttl), store.ErrInvalidTTL, "Set of an existing key with ttl "+ttl.String())
					if keep {
						e.wantValue(t, old, []byte("kept"))
					}
				}
			},
		},
		{
			name: "Keys/MetacharactersAreLiteral",
			says: "keys are opaque bytes: keys holding glob metacharacters, spaces, '/', ':' and unicode are distinct keys, read and deleted exactly",
			run: func(t testing.TB, e *env) {
				rels := []string{"*", "?", "[ab]", "a", "b", `\`, `\*`, "with space", "日本", "x:y/z", "x:y", "x"}
				stored := map[string]bool{}
				for _, rel := range rels {
					stored[rel] = e.mustSet(t, e.key(rel), []byte("v="+rel), hour)
				}
				for _, rel := range rels {
					if stored[rel] {
						e.wantValue(t, e.key(rel), []byte("v="+rel))
					}
				}
				if !stored["*"] {
					return
				}
				n, err := e.s.Delete(e.ctx, e.key("*"))
				if err != nil || n != 1 {
					t.Errorf("Delete(%q) = %d, %v; want 1, nil", e.key("*"), n, err)
				}
				e.wantMissing(t, e.key("*"))
				for _, rel := range rels[1:] {
					if stored[rel] {
						e.wantValue(t, e.key(rel), []byte("v="+rel))
					}
				}
			},
		},
		{
			name: "Keys/Long",
			says: "a 1000-byte key works like any other and differs from its 999-byte prefix",
			run: func(t testing.TB, e *env) {
				long := e.key(strings.Repeat("k", 1000-len(e.prefix)))
				shorter := long[:len(long)-1]
				e.requireSet(t, long, []byte("long"), hour)
				e.wantValue(t, long, []byte("long"))
				e.wantMissing(t, shorter)
			},
		},
	}
}

// ttl returns the remaining TTL of key, failing the rule on any error.
func (e *env) ttl(t testing.TB, key string) time.Duration {
	t.Helper()
	d, err := e.s.TTL(e.ctx, key)
	if err != nil {
		t.Fatalf("TTL(%q): %v", key, err)
	}
	return d
}
