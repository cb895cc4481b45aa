package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
)

// clearBatch is how many keys clear deletes per store call.
const clearBatch = 500

// clearPreview is how many keys the confirmation prompt lists.
const clearPreview = 10

func clearCommand() command {
	return command{
		name:    "clear",
		args:    "--symbol SYM | --all",
		summary: "delete every key of a symbol, or of the namespace, after confirmation",
		about: `
--symbol SYM deletes every key of the namespace, of any kind, whose first part after the kind is SYM
(ticker:QRL/USDT, ohlcv:QRL/USDT:1d:120, ...), and nothing else: not ticker:QRL/USDT2, not another
namespace. A BASE/QUOTE symbol is read as exchange.NormalizeSymbol reads it (qrl/usdt is QRL/USDT, the
form the exchange client stores; a note on stderr says so); anything else is matched exactly, and glob
characters in SYM match literally. --all deletes every key of the namespace (and version) and nothing
else: never FLUSHDB. Exactly one of the two is required.

Keys are found with SCAN. Unless --yes is given, clear names the server, database, namespace and how
many keys it found (and the first few) on stderr, and asks for confirmation on stdin: only "y" or "yes"
proceeds; anything else, or end of input, aborts with exit code 4 and deletes nothing. It then prints each
key it deletes on stdout, one per line (not with --quiet), and finally "deleted N", N being how many the
store actually removed (a key that expired in between is listed but not counted). Nothing matching is not
an error: "deleted 0", exit 0.

--json prints one object at the end instead:
  {"target": "redis://127.0.0.1:6379 db 0", "namespace": "qrl:v1:", "symbol": "QRL/USDT",
   "matched": 3, "deleted": 3, "keys": ["deals:QRL/USDT:20", ...]}
symbol is "" for --all; keys is [] with --quiet.`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			cf := cacheFlags{ops: true}
			cf.register(fs)
			var o clearOptions
			fs.StringVar(&o.symbol, "symbol", "", "delete the keys of `SYM` (e.g. QRL/USDT)")
			fs.BoolVar(&o.all, "all", false, "delete every key of the namespace")
			fs.BoolVar(&o.yes, "yes", false, "do not ask for confirmation")
			fs.BoolVar(&o.quiet, "quiet", false, "do not list the deleted keys, print only the count")
			o.asJSON = jsonFlag(fs)
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErrorf("clear takes no arguments, got %q (use --symbol SYM or --all)", args)
				}
				switch {
				case o.symbol != "" && o.all:
					return usageErrorf("give --symbol or --all, not both")
				case o.symbol == "" && !o.all:
					return usageErrorf("give --symbol SYM or --all")
				}
				cache, err := cf.open(ctx, a)
				if err != nil {
					return err
				}
				defer cache.Close()
				return a.clear(ctx, cache, describeTarget(cf.target), o)
			}
		},
	}
}

type clearOptions struct {
	symbol          string
	all, yes, quiet bool
	asJSON          *bool
}

type clearJSON struct {
	Target    string   `json:"target"`
	Namespace string   `json:"namespace"`
	Symbol    string   `json:"symbol"`
	Matched   int      `json:"matched"`
	Deleted   int      `json:"deleted"`
	Keys      []string `json:"keys"`
}

// clear deletes the keys of o.symbol, or of the whole keyspace when o.symbol is "". target names the
// server for the prompt.
func (a *app) clear(ctx context.Context, cache *cachekit.Cache, target string, o clearOptions) error {
	ks := cache.Keyspace()
	symbol := o.symbol
	if symbol != "" {
		if norm, err := exchange.NormalizeSymbol(symbol); err == nil && norm != symbol {
			fmt.Fprintf(a.stderr, "cachekit clear: reading symbol %s as %s (symbols are stored upper case)\n", symbol, norm)
			symbol = norm
		}
	}
	where := fmt.Sprintf("namespace %s on %s", ks.Prefix(), target)
	what := "every key of " + where
	pattern, match := ks.All(), func(string) bool { return true }
	if symbol != "" {
		sel, err := ks.Symbol(symbol)
		if err != nil {
			return usageErrorf("--symbol %q: %v", o.symbol, err)
		}
		pattern, match = sel.Pattern, sel.Match
		what = fmt.Sprintf("the keys of symbol %s in %s", symbol, where)
	}

	// Collected before deleting: an in-process store's Scan callback must not call the store.
	seen := map[string]bool{}
	var full []string
	err := cache.Store().Scan(ctx, pattern, func(k string) bool {
		if match(k) && !seen[k] {
			seen[k] = true
			full = append(full, k)
		}
		return true
	})
	if err != nil {
		return err
	}
	sort.Strings(full)
	rel := make([]string, len(full))
	for i, k := range full {
		rel[i], _ = ks.Relative(k)
	}
	res := clearJSON{Target: target, Namespace: ks.Prefix(), Symbol: symbol, Matched: len(rel), Keys: []string{}}
	if len(rel) == 0 {
		fmt.Fprintf(a.stderr, "cachekit clear: no keys match %s\n", what)
		if hint := symbolHint(symbol); hint != "" {
			fmt.Fprintf(a.stderr, "hint: %s\n", hint)
		}
		return a.clearDone(res, o)
	}
	if !o.yes {
		ok, err := a.confirm(fmt.Sprintf("cachekit clear: about to delete %d keys: %s", len(rel), what), rel)
		if err != nil {
			return err
		}
		if !ok {
			return &exitErr{code: exitAborted, err: errors.New("aborted: nothing deleted")}
		}
	}

	for batch := range slices.Chunk(rel, clearBatch) {
		n, err := cache.Delete(ctx, batch...)
		res.Deleted += n
		if err != nil {
			return fmt.Errorf("after deleting %d keys: %w", res.Deleted, err)
		}
		switch {
		case o.quiet:
		case *o.asJSON:
			res.Keys = append(res.Keys, batch...)
		default:
			if err := writeLines(a.stdout, batch); err != nil {
				return err
			}
		}
	}
	return a.clearDone(res, o)
}

// symbolHint suggests the stored spelling of a symbol given without a slash, which can match nothing:
// symbols are stored BASE/QUOTE, upper case. "" when symbol has one (or is empty).
func symbolHint(symbol string) string {
	if symbol == "" || strings.Contains(symbol, "/") {
		return ""
	}
	for _, sep := range []string{"_", "-"} { // the spellings of other exchanges and APIs
		if base, quote, ok := strings.Cut(symbol, sep); ok {
			if norm, err := exchange.NormalizeSymbol(base + "/" + quote); err == nil {
				return fmt.Sprintf("symbols are stored as BASE/QUOTE: cachekit clear --symbol %s", norm)
			}
		}
	}
	return "symbols are stored as BASE/QUOTE in upper case, e.g. --symbol QRL/USDT"
}

// clearDone prints clear's final line, or its JSON object.
func (a *app) clearDone(res clearJSON, o clearOptions) error {
	if *o.asJSON {
		return writeJSON(a.stdout, res)
	}
	_, err := fmt.Fprintf(a.stdout, "deleted %d\n", res.Deleted)
	return err
}

// confirm shows the question and a preview of keys on stderr and reads one line from stdin: true only for
// "y" or "yes" (any case). End of input is a no.
func (a *app) confirm(question string, keys []string) (bool, error) {
	var b strings.Builder
	b.WriteString(question + "\n")
	for _, k := range keys[:min(len(keys), clearPreview)] {
		b.WriteString("  " + k + "\n")
	}
	if len(keys) > clearPreview {
		fmt.Fprintf(&b, "  ... and %d more\n", len(keys)-clearPreview)
	}
	b.WriteString("Delete them? [y/N] ")
	io.WriteString(a.stderr, b.String())
	if a.stdin == nil {
		fmt.Fprintln(a.stderr)
		return false, nil
	}
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("reading the confirmation: %w", err)
	}
	if errors.Is(err, io.EOF) && line == "" {
		fmt.Fprintln(a.stderr)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
