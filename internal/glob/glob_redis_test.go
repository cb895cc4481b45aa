package glob_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/glob"
	"github.com/cachekit/cachekit/internal/redistest"
)

// TestMatchAgreesWithRedis checks every row of globCases, and a deterministic sample of random patterns
// over a metacharacter-rich alphabet, against a real server's SCAN MATCH.
//
// Record: every row of globCases (rows 0-117, all of them) was checked this way against redis-server
// 7.0.15 (Debian 5:7.0.15-1~deb12u10, amd64, with the CVE-2024-31228 nesting limit) on 2026-11-26, and all
// agreed with their stated result; so did Match on the 2000 random patterns x 300 random keys.
//
// Rows with a non-empty key are checked as prefix+key against escaped(prefix)+pattern under a random
// prefix: a literal prefix does not change the outcome for a non-empty key. Rows with the empty key are
// checked with the bare pattern against the key "", created only if absent and then removed, because a
// prefix would turn "**" vs "" into "p**" vs "p", which matches.
func TestMatchAgreesWithRedis(t *testing.T) {
	ctx := context.Background()
	rdb := globRedis(t)
	version := redisVersion(ctx, t, rdb)
	t.Run("table", func(t *testing.T) { checkTableWithRedis(ctx, t, rdb, version) })
	t.Run("random", func(t *testing.T) { checkRandomWithRedis(ctx, t, rdb, version) })
}

// checkTableWithRedis checks every row of globCases with SCAN MATCH.
func checkTableWithRedis(ctx context.Context, t *testing.T, rdb *redis.Client, version string) {
	prefix := "cachekit-globtest:" + redistest.Namespace(t) + ":"

	for i, c := range globCases {
		var got bool
		var err error
		if c.key == "" {
			got, err = scanEmptyKey(ctx, rdb, c.pattern)
		} else {
			key := prefix + c.key
			if err = rdb.Set(ctx, key, "1", time.Minute).Err(); err != nil {
				t.Fatalf("SET %q: %v", key, err)
			}
			got, err = scanHas(ctx, rdb, glob.Escape(prefix)+c.pattern, key)
			if derr := rdb.Del(ctx, key).Err(); derr != nil {
				t.Fatalf("DEL %q: %v", key, derr)
			}
		}
		if err != nil {
			t.Fatalf("row %d: SCAN MATCH %q: %v", i, c.pattern, err)
		}
		if got != c.want {
			t.Errorf("row %d: redis-server %s says %q matches %q = %v; table says %v (%s)",
				i, version, c.pattern, c.key, got, c.want, c.why)
		}
		if m := glob.Match(c.pattern, c.key); m != got {
			t.Errorf("row %d: Match(%q, %q) = %v, redis-server %s says %v", i, c.pattern, c.key, m, version, got)
		}
	}
	t.Logf("%d rows checked against redis-server %s", len(globCases), version)
}

// checkRandomWithRedis stores a few hundred random keys under a random prefix, then for each of many random
// patterns compares the keys SCAN MATCH reports with the keys Match accepts.
func checkRandomWithRedis(ctx context.Context, t *testing.T, rdb *redis.Client, version string) {
	const (
		keyAlphabet     = "ab-]^:/A\x80\xff"
		patternAlphabet = "ab*?[]^-\\:/A\x80\xff"
		nKeys, nPats    = 300, 2000
	)
	prefix := "cachekit-globtest:" + redistest.Namespace(t) + ":"
	state := uint64(0x9e3779b97f4a7c15)
	next := func(n int) int {
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		return int(state % uint64(n))
	}
	word := func(alphabet string, minLen, maxLen int) string {
		b := make([]byte, minLen+next(maxLen-minLen+1))
		for i := range b {
			b[i] = alphabet[next(len(alphabet))]
		}
		return string(b)
	}

	keys := map[string]bool{}
	for len(keys) < nKeys {
		keys[word(keyAlphabet, 1, 5)] = true
	}
	pipe := rdb.Pipeline()
	for k := range keys {
		pipe.Set(ctx, prefix+k, "1", time.Minute)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("SET random keys: %v", err)
	}
	t.Cleanup(func() {
		pipe := rdb.Pipeline()
		for k := range keys {
			pipe.Del(ctx, prefix+k)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Errorf("DEL random keys: %v", err)
		}
	})

	selective := 0 // patterns that match some keys but not all: the ones that tell matchers apart
	for range nPats {
		pattern := word(patternAlphabet, 0, 7)
		fromRedis, err := scanAll(ctx, rdb, glob.Escape(prefix)+pattern)
		if err != nil {
			t.Fatalf("SCAN MATCH %q: %v", pattern, err)
		}
		for k := range keys {
			if got, want := glob.Match(pattern, k), fromRedis[prefix+k]; got != want {
				t.Errorf("Match(%q, %q) = %v, redis-server %s says %v", pattern, k, got, version, want)
			}
		}
		if len(fromRedis) > 0 && len(fromRedis) < nKeys {
			selective++
		}
	}
	// Guard against a sample that proves nothing (every pattern matching nothing, say).
	if selective < nPats/4 {
		t.Errorf("only %d of %d random patterns were selective; the sample is too weak", selective, nPats)
	}
	t.Logf("%d patterns x %d keys checked, %d patterns selective", nPats, nKeys, selective)
}

// scanAll returns every key a full SCAN with MATCH pattern reports.
func scanAll(ctx context.Context, rdb *redis.Client, pattern string) (map[string]bool, error) {
	found := map[string]bool{}
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, pattern, 1000).Result()
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			found[k] = true
		}
		if next == 0 {
			return found, nil
		}
		cursor = next
	}
}

// scanHas reports whether a full SCAN with MATCH pattern reports key.
func scanHas(ctx context.Context, rdb *redis.Client, pattern, key string) (bool, error) {
	found, err := scanAll(ctx, rdb, pattern)
	return found[key], err
}

// scanEmptyKey reports whether SCAN MATCH pattern reports the empty key. It creates that key only if it
// is absent and removes it only if it created it, so a shared server keeps its data.
func scanEmptyKey(ctx context.Context, rdb *redis.Client, pattern string) (bool, error) {
	created, err := rdb.SetNX(ctx, "", "1", time.Minute).Result()
	if err != nil {
		return false, err
	}
	if created {
		defer rdb.Del(ctx, "")
	}
	return scanHas(ctx, rdb, pattern, "")
}

func redisVersion(ctx context.Context, t *testing.T, rdb *redis.Client) string {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		t.Fatalf("INFO server: %v", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v
		}
	}
	return "unknown"
}

// globRedis returns a client for the server internal/redistest provides (CACHEKIT_TEST_REDIS_URL, a
// container, or a redis-server process); it skips without one, or fails when CACHEKIT_REQUIRE_REDIS=1.
func globRedis(t *testing.T) *redis.Client {
	t.Helper()
	srv := redistest.Standalone(t)
	opt, err := redis.ParseURL(srv.URL)
	if err != nil {
		t.Fatalf("redistest URL %q: %v", srv.URL, err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() {
		if err := rdb.Close(); err != nil {
			t.Errorf("close redis client: %v", err)
		}
	})
	return rdb
}
