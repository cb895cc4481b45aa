package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
)

type warmOptions struct {
	cache                 cacheFlags
	quiet                 bool
	asJSON                *bool
	source                sourceFlags
	symbols, timeframes   string
	candles, deals, depth int
}

func warmCommand() command {
	return command{
		name:    "warm",
		args:    "--symbols SYM,SYM",
		summary: "pre-load ticker, candles, deals and order book of symbols into the cache",
		about: `
Pre-loads, for each symbol, the entries a bot reads: ticker:SYM, ohlcv:SYM:TF:N for each timeframe,
deals:SYM:N and orderbook:SYM:N, through the cache's Warm: keys already cached are skipped without an
upstream call, the others are loaded (a few at a time) and stored with the kind's TTL (candles until the
close of the newest candle). A progress line runs on stderr; stdout gets "success S failed F skipped K".
Failed items are listed on stderr and make the exit code 1. When the run itself aborts (the store
fails, Ctrl-C), stdout gets nothing: the error is on stderr and the exit code is not 0. --quiet drops the
progress line.

--json prints {"success": S, "failed": F, "skipped": K, "errors": {"KEY": "message", ...}} instead
("errors" is {} when nothing failed).

The upstream is the synthetic market unless --live (MEXC). Use the same sizes as the bot (--candles,
--deals, --depth), or the warmed keys are not the ones it reads.`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			o := warmOptions{cache: cacheFlags{ops: true}}
			o.cache.register(fs)
			fs.BoolVar(&o.quiet, "quiet", false, "do not show progress on stderr")
			o.asJSON = jsonFlag(fs)
			o.source.register(fs)
			fs.StringVar(&o.symbols, "symbols", "", "comma-separated `symbols` to warm (required), e.g. QRL/USDT,BTC/USDT")
			fs.StringVar(&o.timeframes, "timeframes", "1m,1d", "comma-separated candle `timeframes` (1m 5m 15m 30m 1h 4h 1d 1w 1M)")
			fs.IntVar(&o.candles, "candles", 120, "candles per series (the N of ohlcv:SYM:TF:N)")
			fs.IntVar(&o.deals, "deals", 20, "recent deals (the N of deals:SYM:N)")
			fs.IntVar(&o.depth, "depth", 20, "order book depth (the N of orderbook:SYM:N)")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErrorf("warm takes no arguments, got %q (use --symbols)", args)
				}
				if o.symbols == "" {
					return usageErrorf("--symbols is required")
				}
				return a.warm(ctx, o)
			}
		},
	}
}

func (a *app) warm(ctx context.Context, o warmOptions) error {
	symbols, err := parseSymbols("symbols", o.symbols)
	if err != nil {
		return err
	}
	var tfs []exchange.Timeframe
	for _, s := range strings.Split(o.timeframes, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		tf, err := exchange.ParseTimeframe(s)
		if err != nil {
			return usageErrorf("--timeframes: %v", err)
		}
		tfs = append(tfs, tf)
	}
	src, _, srcDesc, err := o.source.build(nil)
	if err != nil {
		return err
	}
	cache, err := o.cache.open(ctx, a)
	if err != nil {
		return err
	}
	defer cache.Close()
	// The client is used for its TTL rules only; Warm does the loading and storing.
	client, err := exchange.NewClient(src, cache)
	if err != nil {
		return err
	}
	items, err := warmItems(client, src, symbols, tfs, o)
	if err != nil {
		return err
	}

	if !o.quiet {
		fmt.Fprintf(a.stderr, "cachekit warm: %d entries for %s into %s on %s from %s\n",
			len(items), strings.Join(symbols, ", "), cache.Keyspace().Prefix(), describeTarget(o.cache.target), srcDesc)
	}
	var prog *progress
	if !o.quiet {
		prog = newProgress(a.stderr, a.stderrTTY, "warm", 0)
	}
	done := 0
	res, err := cache.Warm(ctx, items, func(key string, outcome cachekit.WarmOutcome) {
		done++
		if prog != nil {
			prog.update(float64(done)/float64(len(items)), fmt.Sprintf("%d/%d %s %s", done, len(items), key, outcome))
		}
	})
	if prog != nil {
		prog.close()
	}
	if err != nil {
		// Aborted: the counts describe a partial run, so stdout (what a script reads) gets nothing.
		return fmt.Errorf("aborted after %d of %d entries: %w", done, len(items), err)
	}
	keys := make([]string, 0, len(res.Errors))
	for k := range res.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if *o.asJSON {
		out := warmJSON{Success: res.Success, Failed: res.Failed, Skipped: res.Skipped, Errors: map[string]string{}}
		for _, k := range keys {
			out.Errors[k] = res.Errors[k].Error()
		}
		if err := writeJSON(a.stdout, out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.stdout, "success %d failed %d skipped %d\n", res.Success, res.Failed, res.Skipped)
	}
	if res.Failed > 0 {
		for _, k := range keys {
			fmt.Fprintf(a.stderr, "failed %s: %v\n", k, res.Errors[k])
		}
		return &exitErr{code: exitError, err: fmt.Errorf("%d of %d entries failed", res.Failed, len(items))}
	}
	return nil
}

type warmJSON struct {
	Success int               `json:"success"`
	Failed  int               `json:"failed"`
	Skipped int               `json:"skipped"`
	Errors  map[string]string `json:"errors"`
}

// warmItems builds the items for every symbol: ticker, candles per timeframe, deals and order book, each
// with the TTL the client would give it. Invalid sizes are usage errors.
func warmItems(client *exchange.Client, src exchange.Source, symbols []string, tfs []exchange.Timeframe, o warmOptions) ([]cachekit.WarmItem, error) {
	var items []cachekit.WarmItem
	add := func(key string, err error, ttl time.Duration, load func(context.Context) (any, error)) error {
		if err != nil {
			return usageErrorf("%v", err)
		}
		items = append(items, cachekit.WarmItem{Key: key, TTL: ttl, Load: load})
		return nil
	}
	for _, sym := range symbols {
		k, err := exchange.TickerKey(sym)
		if err := add(k, err, client.KindTTL(exchange.KindTicker), func(ctx context.Context) (any, error) {
			return src.Ticker(ctx, sym)
		}); err != nil {
			return nil, err
		}
		for _, tf := range tfs {
			k, err := exchange.OHLCVKey(sym, string(tf), o.candles)
			ttl, _ := client.OHLCVTTL(string(tf)) // tf was parsed
			if err := add(k, err, ttl, func(ctx context.Context) (any, error) {
				return src.OHLCV(ctx, sym, tf, o.candles)
			}); err != nil {
				return nil, err
			}
		}
		k, err = exchange.DealsKey(sym, o.deals)
		if err := add(k, err, client.KindTTL(exchange.KindDeals), func(ctx context.Context) (any, error) {
			return src.Deals(ctx, sym, o.deals)
		}); err != nil {
			return nil, err
		}
		k, err = exchange.OrderBookKey(sym, o.depth)
		if err := add(k, err, client.KindTTL(exchange.KindOrderBook), func(ctx context.Context) (any, error) {
			return src.OrderBook(ctx, sym, o.depth)
		}); err != nil {
			return nil, err
		}
	}
	return items, nil
}
