package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/cachekit/cachekit"
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
not necessarily the first N in order) and says so on stderr.`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			var cf cacheFlags
			cf.register(fs)
			limit := fs.Int("limit", 0, "stop after `N` keys (0 = no limit)")
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
				cache, err := cf.open(ctx, a)
				if err != nil {
					return err
				}
				defer cache.Close()
				keys, truncated, err := listKeys(ctx, cache, pattern, *limit)
				if err != nil {
					return err
				}
				if err := writeLines(a.stdout, keys); err != nil {
					return err
				}
				if truncated {
					fmt.Fprintf(a.stderr, "cachekit keys: stopped at --limit %d; more keys match\n", *limit)
				}
				return nil
			}
		},
	}
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
