package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
)

// demoNamespace keeps the demo's synthetic data away from a bot's keys.
const demoNamespace = "demo"

// cleanupTimeout bounds the report and cleanup after an interrupt.
const cleanupTimeout = 10 * time.Second

type demoOptions struct {
	cache      cacheFlags
	source     sourceFlags
	symbols    string
	duration   time.Duration
	keep       bool
	noProgress bool
	fault      string
	report     string // --report FILE.html
	asJSON     *bool
}

func demoCommand() command {
	return command{
		name:    "demo",
		summary: "simulate a trading bot polling market data through the cache, then print a report",
		about: `
Simulates a trading bot polling several symbols through exchange.Client over the cache: ticker every
200ms, order book (depth 20) every 250ms, deals (20) every second, 1m candles (60) every 3s and 1d
candles (120) every 5s, per symbol. The upstream is a synthetic market with realistic latency (--latency,
--jitter), or MEXC with --live. A progress bar runs on stderr; at the end a table on stdout shows per
kind: requests, upstream calls with the cache and without it (one per request), the share served from the
cache, errors and p50/p99 request latency, then the entries and bytes cached.

The cache is the in-process memory backend unless --cache or the environment (CACHE_DRIVER, REDIS_URL)
selects another. Entries go to the namespace "demo" (--namespace), never a bot's, and the demo removes
exactly the keys it wrote when it ends, unless --keep. Per-kind TTLs follow REDIS_CACHE_TTL_<KIND>.
Interrupting (Ctrl-C) ends the run early; the report is still printed and the exit code is 130.

--fault injects an upstream fault for a window of the run: fail@3s+4s makes every upstream call fail from
3 s to 7 s, slow=2s@3s+4s makes each 2 s slower. A second table then shows, before, during and after the
fault: requests, errors the bot saw, values served stale (the fail-safe and stale-while-revalidate
policies), upstream calls and p99 per kind. With a fault, errors the bot saw do not fail the run.

--report FILE.html also writes the run as a self-contained page (inline SVG and CSS, nothing loaded
from elsewhere): per second, the share served from the cache and the p99 latency per kind, and upstream
calls with and without the cache, with the fault window shaded.

--json prints one object instead of the text (progress stays on stderr):
  {"symbols", "duration_ms", "upstream", "cache", "namespace",
   "kinds": [{"kind", "ttl", "requests", "upstream_calls", "without_cache", "from_cache" (0..1),
              "errors", "p50_ms", "p99_ms"}...], "total": {the same},
   "cached": {"entries", "bytes", "backend", "backend_keys", "backend_used_bytes"},
   "fault": {"mode", "extra_ms", "start_ms", "duration_ms", "text",
             "phases": [{"phase", "requests", "errors_seen", "served_stale", "upstream_calls", "p99_ms": {kind: ms}}]},
   "seconds": [{"second", "requests", "upstream_calls", "served_stale",
                "kinds": {kind: {"requests", "upstream_calls", "from_cache", "p99_ms"}}}...],
   "removed", "kept"}
Latencies are in milliseconds, -1 when there was no request; "fault" is there with --fault only.`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			o := demoOptions{cache: cacheFlags{fixedNamespace: demoNamespace}}
			o.cache.register(fs)
			o.source.register(fs)
			fs.StringVar(&o.symbols, "symbols", "QRL/USDT,BTC/USDT,ETH/USDT", "comma-separated `symbols` to poll")
			fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long the bot polls")
			fs.BoolVar(&o.keep, "keep", false, "keep the demo's cache entries instead of removing them at the end")
			fs.BoolVar(&o.noProgress, "no-progress", false, "do not show progress on stderr")
			fs.StringVar(&o.fault, "fault", "", "inject an upstream `fault`: fail@START+DURATION or slow=EXTRA@START+DURATION (e.g. fail@3s+4s)")
			fs.StringVar(&o.report, "report", "", "also write the run as a self-contained HTML page to `FILE`")
			o.asJSON = jsonFlag(fs)
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErrorf("demo takes no arguments, got %q", args)
				}
				return a.demo(ctx, o)
			}
		},
	}
}

func (a *app) demo(ctx context.Context, o demoOptions) error {
	symbols, err := parseSymbols("symbols", o.symbols)
	if err != nil {
		return err
	}
	if o.duration <= 0 {
		return usageErrorf("--duration %v must be > 0", o.duration)
	}
	if o.report != "" && !strings.HasSuffix(strings.ToLower(o.report), ".html") {
		return usageErrorf("--report %q: want a file name ending in .html", o.report)
	}
	flt, err := parseFault(o.fault)
	if err != nil {
		return err
	}
	var report *reportFile
	if o.report != "" {
		if report, err = createReport(o.report); err != nil {
			return usageHintf("give --report the name of a page (FILE.html) that can be written, in a directory that exists", "--report %s: %v", o.report, err)
		}
		defer report.discard()
	}
	src, faulty, srcDesc, err := o.source.build(flt)
	if err != nil {
		return err
	}
	cache, err := o.cache.open(ctx, a)
	if err != nil {
		return err
	}
	defer cache.Close()
	client, err := exchange.NewClient(src, cache)
	if err != nil {
		return err
	}

	target := describeTarget(o.cache.target)
	if !*o.asJSON {
		fmt.Fprintf(a.stdout, "cachekit demo: a bot polling %s for %v\n", strings.Join(symbols, ", "), o.duration)
		fmt.Fprintf(a.stdout, "  upstream: %s\n", srcDesc)
		fmt.Fprintf(a.stdout, "  cache:    %s, namespace %s\n\n", target, cache.Keyspace().Prefix())
	}

	rec := newRecorder()
	started := time.Now()
	if faulty != nil {
		faulty.started.Store(started.UnixNano())
	}
	rec.start = started
	rec.phaseOf = func() int { return flt.phase(time.Since(started)) }
	marks := newPhaseMarks(flt, started, src, cache)
	samples := newSampler(marks.take, started)
	stop, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var prog *progress
	if !o.noProgress {
		prog = newProgress(a.stderr, a.stderrTTY, "demo", max(time.Second, o.duration/10))
	}
	status := func() (float64, string) {
		el := time.Since(started)
		req, errs := rec.totals()
		s := fmt.Sprintf("%5.1fs/%v  %d requests, %d upstream calls", min(el, o.duration).Seconds(), o.duration, req, src.Calls().Total())
		if errs > 0 {
			s += fmt.Sprintf(", %d errors", errs)
		}
		return float64(el) / float64(o.duration), s
	}
	progDone := make(chan struct{})
	if prog != nil {
		go func() {
			t := time.NewTicker(demoProgressTic)
			defer t.Stop()
			for {
				select {
				case <-progDone:
					return
				case <-t.C:
					prog.update(status())
				}
			}
		}()
	}
	runPolls(ctx, stop, client, symbols, rec)
	marks.end()
	samples.end()
	close(progDone)
	if prog != nil {
		frac, s := status()
		if ctx.Err() == nil {
			frac = 1
		}
		prog.finish(frac, s)
	}
	elapsed := time.Since(started)

	// Report and clean up even after an interrupt, within a bound.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer rcancel()
	run := demoRun{symbols: symbols, duration: o.duration, srcDesc: srcDesc, target: target, client: client,
		upstream: src.Calls(), rec: rec, fault: flt, marks: marks, samples: samples}
	res, err := run.result(rctx)
	if err != nil {
		return err
	}
	if !*o.asJSON {
		if err := a.demoReport(res); err != nil {
			return err
		}
		if res.Fault != nil {
			if err := a.demoFaultReport(res.Fault); err != nil {
				return err
			}
		}
	}
	if res.Removed, err = a.demoCleanup(rctx, cache, symbols, o.keep, !*o.asJSON); err != nil {
		return err
	}
	res.Kept = o.keep
	if report != nil {
		if err := report.write(res); err != nil {
			return fmt.Errorf("--report %s: %w", o.report, err)
		}
		fmt.Fprintf(a.stderr, "cachekit demo: report written to %s\n", o.report)
	}
	if *o.asJSON {
		if err := writeJSON(a.stdout, res); err != nil {
			return err
		}
	}

	if ctx.Err() != nil {
		return &exitErr{code: exitInterrupted, err: fmt.Errorf("interrupted after %v; the report covers that time", elapsed.Round(time.Millisecond))}
	}
	if req, errs := rec.totals(); errs > 0 && flt == nil {
		return fmt.Errorf("%d of %d requests failed; first error: %w", errs, req, rec.firstErr)
	}
	return nil
}

// demoCleanup removes exactly the keys the demo writes, unless keep, and returns how many it removed.
// say prints what it did on stdout.
func (a *app) demoCleanup(ctx context.Context, cache *cachekit.Cache, symbols []string, keep, say bool) (int, error) {
	ns := cache.Keyspace().Namespace()
	keys, err := demoKeys(symbols)
	if err != nil {
		return 0, err
	}
	if keep {
		if say {
			fmt.Fprintf(a.stdout, "kept the demo's entries: cachekit keys --namespace %s; remove them with cachekit clear --all --namespace %s\n", ns, ns)
		}
		return 0, nil
	}
	n, err := cache.Delete(ctx, keys...)
	if err != nil {
		return n, fmt.Errorf("removing the demo's entries: %w", err)
	}
	if say {
		fmt.Fprintf(a.stdout, "removed the demo's %d entries from %s (--keep keeps them)\n", n, cache.Keyspace().Prefix())
	}
	return n, nil
}
