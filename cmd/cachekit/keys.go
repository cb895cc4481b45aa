package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store"
)

func keysCommand() command {
	return command{
		name:    "keys",
		args:    "[PATTERN]",
		summary: "list the namespace's keys matching a glob, sorted, one per line",
		about: `
Lists the keys of the namespace matching PATTERN, a Redis glob relative to the namespace ("ohlcv:*",
"ticker:QRL/*"; default "*"), without the namespace prefix, sorted, one per line. Keys are found with
SCAN, never KEYS. Quote the pattern so the shell does not expand it.

--limit N stops the scan after N distinct keys (which are then sorted: they are N of the matching keys,
not necessarily the first N in order) and says so on stderr. --long adds each key's remaining TTL and
the size of its stored (encoded) value; a key without an expiry shows "no expiry", one that expired
while listed "-". --quiet prints only the number of matching keys. A pattern that matches nothing and
looks like a full key (qrl:v1:ticker:*) gets a hint on stderr.

--json prints one object:
  {"namespace": "qrl:v1:", "count": N, "truncated": false,
   "keys": [{"key": "ticker:QRL/USDT", "ttl_ms": 4200, "size": 312}, ...]}
ttl_ms and size are there with --long only (ttl_ms -1 for a key without an expiry, -2 and size -1 for
one that expired meanwhile: Redis's PTTL conventions); "keys" is [] with --quiet.`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			cf := cacheFlags{ops: true}
			cf.register(fs)
			limit := fs.Int("limit", 0, "stop after `N` keys (0 = no limit)")
			long := fs.Bool("long", false, "show each key's TTL and stored size")
			quiet := fs.Bool("quiet", false, "print only the number of matching keys")
			asJSON := jsonFlag(fs)
			return func(ctx context.Context, args []string) error {
				pattern := "*"
				switch len(args) {
				case 0:
				case 1:
					pattern = args[0]
				default:
					return usageErrorf("keys takes at most one PATTERN, got %d arguments", len(args))
				}
				if *limit < 0 {
					return usageErrorf("--limit %d must be >= 0", *limit)
				}
				if *long && *quiet {
					return usageErrorf("give --long or --quiet, not both")
				}
				cache, err := cf.open(ctx, a)
				if err != nil {
					return err
				}
				defer cache.Close()
				keys, truncated, err := listKeys(ctx, cache, pattern, *limit)
				if err != nil {
					return err
				}
				var details []keyDetail
				if *long {
					if details, err = keyDetails(ctx, cache, keys); err != nil {
						return err
					}
				}
				if truncated {
					defer fmt.Fprintf(a.stderr, "cachekit keys: stopped at --limit %d; more keys match\n", *limit)
				}
				if len(keys) == 0 {
					if hint := fullKeyHint(ctx, cache, "keys", pattern); hint != "" {
						defer fmt.Fprintf(a.stderr, "hint: %s\n", hint)
					}
				}
				switch {
				case *asJSON:
					return writeJSON(a.stdout, toKeysJSON(cache, keys, details, truncated, *quiet))
				case *quiet:
					_, err = fmt.Fprintln(a.stdout, len(keys))
					return err
				case *long:
					return writeKeyDetails(a.stdout, details)
				}
				return writeLines(a.stdout, keys)
			}
		},
	}
}

// keyDetail is one line of keys --long. ttl is ttlGone and size -1 for a key that expired while listed;
// ttl is store.NoExpiry for a key without an expiry.
type keyDetail struct {
	key  string
	ttl  time.Duration
	size int64
}

// keyDetails reads the TTL and stored size of each relative key: sizes in batches (one GetMany each),
// TTLs one call per key (a Store has no batched TTL).
func keyDetails(ctx context.Context, cache *cachekit.Cache, keys []string) ([]keyDetail, error) {
	ks := cache.Keyspace()
	out := make([]keyDetail, len(keys))
	for i, rel := range keys {
		out[i] = keyDetail{key: rel, ttl: ttlGone, size: -1}
	}
	for start := 0; start < len(keys); start += clearBatch {
		batch := keys[start:min(start+clearBatch, len(keys))]
		full := make([]string, len(batch))
		for i, rel := range batch {
			full[i] = ks.Prefix() + rel
		}
		vals, err := cache.Store().GetMany(ctx, full)
		if err != nil {
			return nil, err
		}
		for i, k := range full {
			d := &out[start+i]
			if v, ok := vals[k]; ok {
				d.size = int64(len(v))
			}
			ttl, err := cache.Store().TTL(ctx, k)
			switch {
			case err == nil:
				d.ttl = ttl
			case !isNotFound(err):
				return nil, err
			}
		}
	}
	return out, nil
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, store.ErrNotFound) }

func writeKeyDetails(w io.Writer, details []keyDetail) error {
	t := newTable("key", "ttl", "size").alignRight(1, 2)
	for _, d := range details {
		ttl, size := ttlText(d.ttl, "-"), "-"
		if d.size >= 0 {
			size = fmtBytes(d.size)
		}
		t.row(d.key, ttl, size)
	}
	if len(details) == 0 {
		return nil
	}
	return t.write(w)
}

// fmtTTL formats a remaining lifetime to a tenth of a second below a minute, else to the second.
func fmtTTL(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return shortDuration(d.Round(time.Second))
}

type keysJSON struct {
	Namespace string        `json:"namespace"`
	Count     int           `json:"count"`
	Truncated bool          `json:"truncated"`
	Keys      []keyJSONItem `json:"keys"`
}

type keyJSONItem struct {
	Key   string `json:"key"`
	TTLMs *int64 `json:"ttl_ms,omitempty"`
	Size  *int64 `json:"size,omitempty"`
}

func toKeysJSON(cache *cachekit.Cache, keys []string, details []keyDetail, truncated, quiet bool) keysJSON {
	out := keysJSON{Namespace: cache.Keyspace().Prefix(), Count: len(keys), Truncated: truncated, Keys: []keyJSONItem{}}
	if quiet {
		return out
	}
	for i, k := range keys {
		item := keyJSONItem{Key: k}
		if details != nil {
			ms, size := ttlMs(details[i].ttl), details[i].size
			item.TTLMs, item.Size = &ms, &size
		}
		out.Keys = append(out.Keys, item)
	}
	return out
}

// listKeys returns the distinct relative keys matching pattern, sorted. With limit > 0 it stops after
// limit keys and reports whether more matched.
func listKeys(ctx context.Context, cache *cachekit.Cache, pattern string, limit int) ([]string, bool, error) {
	seen := map[string]bool{}
	var keys []string
	truncated := false
	err := cache.Keys(ctx, pattern, func(k string) bool {
		if seen[k] {
			return true // SCAN may report a key twice
		}
		if limit > 0 && len(keys) == limit {
			truncated = true
			return false
		}
		seen[k] = true
		keys = append(keys, k)
		return true
	})
	if err != nil {
		return nil, false, err
	}
	sort.Strings(keys)
	return keys, truncated, nil
}

func writeLines(w io.Writer, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}
