package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store"
)

// stats shows the store's own hit ratio (this client's lookups: here the shared store's, which the
// test's lookups go through), in text and JSON.
func TestStatsShowsTheStoreHitRatio(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	before := c.run("", "stats", "--json").expect(t, exitOK)
	var st0 statsJSON
	if err := json.Unmarshal([]byte(before.stdout), &st0); err != nil {
		t.Fatal(err)
	}
	if st0.Store.HitRatio != nil || !strings.Contains(before.stdout, `"hit_ratio": null`) {
		t.Fatalf("before any lookup: hit_ratio %v, want null\n%s", st0.Store.HitRatio, before.stdout)
	}
	if r := c.run("", "stats").expect(t, exitOK); !strings.Contains(r.stdout, "hit ratio:         no lookups (this client's lookups)\n") {
		t.Errorf("stats text before any lookup:\n%s", r.stdout)
	}

	bot := c.cache("qrl")
	seed(t, bot, "v", "ticker:A")
	ctx := context.Background()
	var v string
	for range 3 {
		if err := bot.Get(ctx, "ticker:A", &v); err != nil {
			t.Fatal(err)
		}
	}
	if err := bot.Get(ctx, "ticker:NONE", &v); !errors.Is(err, cachekit.ErrNotFound) {
		t.Fatalf("get of a missing key: %v", err)
	}
	r := c.run("", "stats", "--json").expect(t, exitOK)
	var st statsJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	hits, misses := st.Store.Hits-st0.Store.Hits, st.Store.Misses-st0.Store.Misses
	if hits != 3 || misses != 1 || st.Store.HitRatio == nil || *st.Store.HitRatio != float64(st.Store.Hits)/float64(st.Store.Hits+st.Store.Misses) {
		t.Fatalf("after 3 hits and 1 miss: hits +%d misses +%d ratio %v", hits, misses, st.Store.HitRatio)
	}
	if st.Store.ServerHitRatio != nil || strings.Contains(r.stdout, "server_hit_ratio") {
		t.Errorf("a memory store has no server hit ratio: %s", r.stdout)
	}
	r = c.run("", "stats").expect(t, exitOK)
	if !strings.Contains(r.stdout, "hit ratio:         75.0% (3 hits, 1 miss) (this client's lookups)\n") || strings.Contains(r.stdout, "server hit ratio") {
		t.Errorf("stats text:\n%s", r.stdout)
	}
}

// When a backend reports the server's keyspace_hits and keyspace_misses, stats shows their ratio.
func TestStatsShowsTheServerHitRatio(t *testing.T) {
	s := store.Stats{Backend: "redis", Hits: -1, Misses: -1, Extra: map[string]int64{extraKeyspaceHits: 90, extraKeyspaceMisses: 10}}
	j := toStoreJSON(s)
	if j.ServerHitRatio == nil || *j.ServerHitRatio != 0.9 || j.HitRatio != nil {
		t.Fatalf("server_hit_ratio %v hit_ratio %v", j.ServerHitRatio, j.HitRatio)
	}
	var b strings.Builder
	writeStoreStats(&b, s, "")
	for _, want := range []string{"hit ratio:         unknown (this client's lookups)\n",
		"server hit ratio:  90.0% (keyspace_hits 90, keyspace_misses 10; all clients)\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("stats text lacks %q:\n%s", want, b.String())
		}
	}
	// No lookups on the server yet: known, but no ratio.
	s.Extra = map[string]int64{extraKeyspaceHits: 0, extraKeyspaceMisses: 0}
	if j := toStoreJSON(s); j.ServerHitRatio != nil {
		t.Errorf("server_hit_ratio without lookups: %v", *j.ServerHitRatio)
	}
}
