package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Bounds of --interval: below the minimum a scrape could not finish between frames.
const (
	topMinInterval = 50 * time.Millisecond
	topMaxScrape   = 10 * time.Second
)

type topOptions struct {
	cache    cacheFlags
	metrics  string
	interval time.Duration
	count    int
	asJSON   *bool
}

func topCommand() command {
	return command{
		name:    "top",
		summary: "live view of an application's cache traffic (--metrics URL) and the store's figures",
		about: `
Shows the cache live, redrawn every --interval on a terminal (Ctrl-C quits, with exit code 0 and the
terminal restored; exit codes below). A CLI's own Cache has no traffic, so the traffic figures come from the
application: --metrics URL scrapes its Prometheus endpoint (the cachekitprom metrics, e.g. served with
cachekit's --metrics-addr or the application's own promhttp handler) every interval and shows, from
the differences between scrapes: requests/s, the hit ratio per kind over the last interval and since
the application started, with a sparkline of up to the last 60 intervals (as many as the width leaves),
L1 and L2 hits/s, stale serves/s, evictions/s, memory per tier, invalidations/s and the circuit
breakers' states. Hit ratios are hits / (hits + misses + stale) of lookups (get, view, get_many,
fetch, fetch_many); requests count every cache operation but loader calls, one per key. Each frame
fits the terminal's current size: with too few rows the details go first (the title, totals, hit
ratio and breakers stay); below 40 columns a frame is one summary line.

Without --metrics it shows what the configured store reports to this CLI (--cache, REDIS_URL or
CACHE_DRIVER; required then): namespace keys, keys, memory, evictions, eviction policy and circuit
breakers, server side. Both may be given.

When stdout is not a terminal, each frame is one line of NAME=VALUE fields separated by spaces, "-"
for a value not known yet (rates need two scrapes):
  time=RFC3339 req/s=R hit=P total_hit=P stale/s=R l1_hits/s=R l2_hits/s=R evictions/s=R mem=BYTES
  inval/s=R breakers=none|closed|ENDPOINT=STATE,... hit[KIND]=P...     (with --metrics)
  store.ns_keys=N store.keys=N store.mem=BYTES store.evictions=N store.policy=P store.breakers=...
                                                                        (with a store)
P is a percentage with one decimal ("75.0%"), R a rate per second with one decimal; a failed scrape
shows error="..." instead of the metrics fields. --count N stops after N frames.

--json prints one JSON object per frame, one per line (JSON Lines):
  {"time", "frame", "interval_ms", "namespace" ("" without a store),
   "metrics": null | {"url", "error", "store_up", "requests_per_s", "hit_ratio", "total_hit_ratio",
               "stale_per_s", "l1_hits_per_s", "l2_hits_per_s", "evictions_per_s", "invalidations_per_s",
               "invalidations_sent_per_s", "memory_bytes", "tiers": [{"tier", "keys", "memory_bytes",
               "max_bytes"}], "kinds": [{"kind", "requests_per_s", "hit_ratio", "total_hit_ratio",
               "stale_per_s", "history": [ratio|null...]}], "breakers": [{"endpoint", "state"}]},
   "store": null | {"target", "error", "backend", "namespace_keys", "keys", "used_bytes", "max_bytes",
             "evictions", "evictions_per_s", "eviction_policy", "breakers": [{"endpoint", "state"}]}}
Rates are null until two scrapes exist, ratios null without lookups. The exit code is 0 after --count
frames or Ctrl-C; 1 when a source was read and never answered (no scrape of --metrics succeeded, or no
read of the store), however top ended; 130 on SIGTERM.`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			o := topOptions{}
			o.cache.register(fs)
			fs.StringVar(&o.metrics, "metrics", "", "`URL` of the application's Prometheus metrics to scrape, e.g. http://127.0.0.1:9091/metrics")
			fs.DurationVar(&o.interval, "interval", time.Second, "time between frames")
			fs.IntVar(&o.count, "count", 0, "stop after `N` frames (0: until Ctrl-C)")
			o.asJSON = jsonFlag(fs)
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErrorf("top takes no arguments, got %q", args)
				}
				return a.top(ctx, o)
			}
		},
	}
}

func (a *app) top(ctx context.Context, o topOptions) error {
	if o.interval < topMinInterval {
		return usageErrorf("--interval %v: want at least %v", o.interval, topMinInterval)
	}
	if o.count < 0 {
		return usageErrorf("--count %d: want 0 (until Ctrl-C) or more", o.count)
	}
	st := &topState{interval: o.interval, url: o.metrics, history: map[string][]*float64{}}
	if o.metrics != "" {
		if err := checkMetricsURL(o.metrics); err != nil {
			return err
		}
		st.client = &http.Client{Timeout: min(max(o.interval, time.Second), topMaxScrape)}
	}
	if o.metrics == "" || o.cache.configured(a) {
		if !o.cache.configured(a) {
			return usageHintf(implicitStoreHint+"; or watch an application's traffic: --metrics http://HOST:PORT/metrics",
				"no cache configured (no --metrics, --cache, REDIS_URL or CACHE_DRIVER): a new in-process store has no traffic to show")
		}
		cache, err := o.cache.open(ctx, a)
		if err != nil {
			return err
		}
		defer cache.Close()
		st.cache, st.target = cache, o.cache.target
	} else if o.cache.metricsAddr != "" {
		return usageErrorf("--metrics-addr serves this CLI's cache, and top has none without --cache, REDIS_URL or CACHE_DRIVER")
	}

	tty := !*o.asJSON && isTerminal(a.stdout)
	draw := func(f topFrame) error {
		switch {
		case *o.asJSON:
			return writeJSONLine(a.stdout, f)
		case tty:
			return writeScreen(a.stdout, f, o.interval, terminalSize(a.stdout))
		}
		return writeLine(a.stdout, f)
	}
	var resized <-chan os.Signal // nil (never ready) unless on a terminal that reports resizes
	if tty {
		var stop func()
		resized, stop = notifyResize()
		defer stop()
		io.WriteString(a.stdout, escAltScreenEnter+escCursorHide)
		// Restored however top ends: Ctrl-C, --count, an error or a panic.
		defer io.WriteString(a.stdout, escCursorShow+escAltScreenLeave)
	} else if st.cache != nil && st.url == "" {
		fmt.Fprintln(a.stderr, "cachekit top: per-kind hit ratios need the application's metrics: --metrics http://HOST:PORT/metrics")
	}

	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	for n := 1; ; n++ {
		f := st.next(ctx, n)
		if ctx.Err() != nil {
			break // interrupted during the reading: the frame is incomplete
		}
		if err := draw(f); err != nil {
			return err
		}
		if o.count > 0 && n >= o.count {
			break
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				break wait
			case <-tick.C:
				break wait
			case <-resized: // the window changed: the same frame again, fitted to the new size
				if err := draw(f); err != nil {
					return err
				}
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	if terminated(ctx) {
		return &exitErr{code: exitInterrupted, err: errors.New("terminated (SIGTERM)")}
	}
	// A source that was read and never answered is an error, however top ended.
	if st.url != "" && !st.scrapedOK && st.lastErr != nil {
		return fmt.Errorf("no scrape of %s succeeded; last error: %w", st.url, st.lastErr)
	}
	if st.cache != nil && !st.storeOK && st.storeErr != nil {
		return fmt.Errorf("no read of the store %s succeeded; last error: %w", describeTarget(st.target), st.storeErr)
	}
	// Ctrl-C is how a live view is stopped: exit 0, not 130.
	return nil
}
