package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/cachekit/cachekit/exchange"
)

// sourceFlags select the upstream market data: the synthetic market (default) or MEXC (--live).
type sourceFlags struct {
	live            bool
	seed            uint64
	latency, jitter time.Duration
	mexcURL         string
	timeout         time.Duration
}

func (sf *sourceFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&sf.live, "live", false, "read the real MEXC Spot v3 API instead of the synthetic market (needs network)")
	fs.Uint64Var(&sf.seed, "seed", 1, "seed of the synthetic market")
	fs.DurationVar(&sf.latency, "latency", 30*time.Millisecond, "synthetic upstream latency per call")
	fs.DurationVar(&sf.jitter, "jitter", 50*time.Millisecond, "extra random synthetic latency, in [0, jitter)")
	fs.StringVar(&sf.mexcURL, "mexc-url", exchange.DefaultMEXCBaseURL, "MEXC API base `URL` (with --live)")
	fs.DurationVar(&sf.timeout, "timeout", 10*time.Second, "timeout of one MEXC request (with --live)")
}

// build returns the selected source, under the fault f when one is given (nil otherwise), wrapped in a
// call counter, and a one-line description of it.
func (sf *sourceFlags) build(f *fault) (*exchange.CountedSource, *faultySource, string, error) {
	src, desc, err := sf.source()
	if err != nil {
		return nil, nil, "", err
	}
	if f == nil {
		return exchange.Counted(src), nil, desc, nil
	}
	fs := &faultySource{Source: src, f: f}
	fs.started.Store(time.Now().UnixNano())
	return exchange.Counted(fs), fs, desc + "; " + f.String(), nil
}

// source returns the selected source and its description.
func (sf *sourceFlags) source() (exchange.Source, string, error) {
	if sf.live {
		if sf.timeout <= 0 {
			return nil, "", usageErrorf("--timeout %v must be > 0", sf.timeout)
		}
		m, err := exchange.NewMEXC(exchange.MEXCOptions{BaseURL: sf.mexcURL, Timeout: sf.timeout})
		if err != nil {
			return nil, "", usageErrorf("%v", err)
		}
		return m, "MEXC Spot v3 at " + sf.mexcURL, nil
	}
	if sf.latency < 0 || sf.jitter < 0 {
		return nil, "", usageErrorf("--latency %v and --jitter %v must be >= 0", sf.latency, sf.jitter)
	}
	s, err := exchange.NewSynthetic(exchange.SyntheticOptions{Seed: sf.seed, Latency: sf.latency, Jitter: sf.jitter})
	if err != nil {
		return nil, "", usageErrorf("%v", err)
	}
	desc := fmt.Sprintf("synthetic market (seed %d, latency %v", sf.seed, sf.latency)
	if sf.jitter > 0 {
		desc = fmt.Sprintf("synthetic market (seed %d, latency %v-%v", sf.seed, sf.latency, sf.latency+sf.jitter)
	}
	return s, desc + ")", nil
}

// parseSymbols splits a comma-separated list of symbols, normalizes each ("qrl/usdt" → "QRL/USDT") and
// drops duplicates, keeping the order. An empty list or an invalid symbol is a usage error.
func parseSymbols(flagName, list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		sym, err := exchange.NormalizeSymbol(s)
		if err != nil {
			return nil, usageErrorf("--%s: %v", flagName, err)
		}
		if !seen[sym] {
			seen[sym] = true
			out = append(out, sym)
		}
	}
	if len(out) == 0 {
		return nil, usageErrorf("--%s: no symbols given (want e.g. QRL/USDT,BTC/USDT)", flagName)
	}
	return out, nil
}
