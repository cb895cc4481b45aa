package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
)

// demoReport prints the table: one row per kind in exchange.Kinds() order, then the total, then what is
// cached. The rows and columns are the same on every run; only the numbers change.
func (a *app) demoReport(res demoJSON) error {
	t := newTable("kind", "ttl", "requests", "upstream calls", "without cache", "from cache", "errors", "p50", "p99").
		alignRight(2, 3, 4, 5, 6, 7, 8)
	row := func(k demoKindJSON) {
		t.row(k.Kind, k.TTL, itoa(k.Requests), itoa(k.UpstreamCalls), itoa(k.WithoutCache), fmtPercent(k.FromCache),
			itoa(k.Errors), msText(k.P50Ms), msText(k.P99Ms))
	}
	for _, k := range res.Kinds {
		row(k)
	}
	t.rule()
	total := res.Total
	total.TTL = ""
	row(total)
	if err := t.write(a.stdout); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\nupstream calls: %d with the cache, %d without it (%d saved)\n",
		total.UpstreamCalls, total.Requests, max(total.Requests-total.UpstreamCalls, 0))
	fmt.Fprintf(a.stdout, "cached: %d entries in %s, %s (keys + encoded values)\n", res.Cached.Entries, res.Namespace, fmtBytes(res.Cached.Bytes))
	fmt.Fprintf(a.stdout, "backend: %s, %s keys in total, %s in use\n", res.Cached.Backend, countText(res.Cached.BackendKeys), fmtBytes(res.Cached.BackendUsedMem))
	return nil
}

// msText formats a latency given in milliseconds; "-" for none (-1).
func msText(v float64) string {
	if v < 0 {
		return "-"
	}
	return fmtLatency(time.Duration(v * float64(time.Millisecond)))
}

// servedRatio is the share of requests answered without an upstream call of their own.
func servedRatio(requests, upstream int64) float64 {
	if requests <= 0 {
		return 0
	}
	return float64(max(requests-upstream, 0)) / float64(requests)
}

// kindTTLText is the TTL column: the kind's TTL, and for candles the rule that caps it.
func kindTTLText(client *exchange.Client, kind string) string {
	d := shortDuration(client.KindTTL(kind))
	if kind == exchange.KindOHLCV {
		return "candle close, max " + d
	}
	return d
}

// shortDuration drops zero trailing units: 24h0m0s → 24h, 5m0s → 5m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func countText(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return itoa(n)
}

// namespaceBytes sums the sizes of the keys and stored (encoded) values of the cache's keyspace. Keys are
// collected first (an in-process store's Scan callback must not call the store), then read in batches.
func namespaceBytes(ctx context.Context, cache *cachekit.Cache) (int64, error) {
	var keys []string
	seen := map[string]bool{}
	err := cache.Store().Scan(ctx, cache.Keyspace().All(), func(k string) bool {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	var total int64
	for batch := range slices.Chunk(keys, 500) {
		vals, err := cache.Store().GetMany(ctx, batch)
		if err != nil {
			return 0, err
		}
		for k, v := range vals {
			total += int64(len(k) + len(v))
		}
	}
	return total, nil
}
