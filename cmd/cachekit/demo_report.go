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
func (a *app) demoReport(ctx context.Context, client *exchange.Client, upstream exchange.Calls, rec *recorder) error {
	t := newTable("kind", "ttl", "requests", "upstream calls", "without cache", "from cache", "errors", "p50", "p99").
		alignRight(2, 3, 4, 5, 6, 7, 8)
	var totReq, totUp, totErr int64
	var all []time.Duration
	for _, kind := range exchange.Kinds() {
		r := rec.snapshot(kind)
		up := upstream.Of(kind)
		t.row(kind, kindTTLText(client, kind), itoa(r.requests), itoa(up), itoa(r.requests),
			fmtPercent(servedRatio(r.requests, up)), itoa(r.errors),
			latencyText(r.latencies, 0.50), latencyText(r.latencies, 0.99))
		totReq, totUp, totErr = totReq+r.requests, totUp+up, totErr+r.errors
		all = append(all, r.latencies...)
	}
	slices.Sort(all)
	t.rule()
	t.row("total", "", itoa(totReq), itoa(totUp), itoa(totReq), fmtPercent(servedRatio(totReq, totUp)), itoa(totErr),
		latencyText(all, 0.50), latencyText(all, 0.99))
	if err := t.write(a.stdout); err != nil {
		return err
	}

	fmt.Fprintf(a.stdout, "\nupstream calls: %d with the cache, %d without it (%d saved)\n", totUp, totReq, max(totReq-totUp, 0))
	cache := client.Cache()
	st, err := cache.Stats(ctx)
	if err != nil {
		return fmt.Errorf("reading cache stats: %w", err)
	}
	nsBytes, err := namespaceBytes(ctx, cache)
	if err != nil {
		return fmt.Errorf("measuring the cached entries: %w", err)
	}
	fmt.Fprintf(a.stdout, "cached: %d entries in %s, %s (keys + encoded values)\n", st.NamespaceKeys, st.Namespace, fmtBytes(nsBytes))
	fmt.Fprintf(a.stdout, "backend: %s, %s keys in total, %s in use\n", st.Store.Backend, countText(st.Store.Keys), fmtBytes(st.Store.UsedBytes))
	return nil
}

// servedRatio is the share of requests answered without an upstream call of their own.
func servedRatio(requests, upstream int64) float64 {
	if requests <= 0 {
		return 0
	}
	return float64(max(requests-upstream, 0)) / float64(requests)
}

func latencyText(sorted []time.Duration, p float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	return fmtLatency(percentile(sorted, p))
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
