package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/keyspace"
)

// BatchTickerSource is a Source with a batch ticker endpoint. Client.Tickers uses it, when the Source
// has it, to load every missing ticker in one upstream call.
type BatchTickerSource interface {
	// Tickers returns the tickers of the symbols it knows, keyed by symbol ("QRL/USDT"); a symbol it
	// does not know is absent, not an error.
	Tickers(ctx context.Context, symbols []string) (map[string]Ticker, error)
}

// Tickers returns the tickers of symbols, keyed by the normalized symbol, from the cache or, for those
// missing, from the source: in ONE upstream call when the Source is a BatchTickerSource (MEXC's 24-hour
// ticker without a symbol answers for all of them), else one call per missing symbol. The ticker policy
// applies per key as in Ticker (stale-while-revalidate, fail-safe, back-off). A symbol the exchange does
// not know is absent from the result (and remembered for the policy's negative TTL); the error reports a
// failed load together with what could be served.
func (c *Client) Tickers(ctx context.Context, symbols []string) (map[string]Ticker, error) {
	keys := make([]string, 0, len(symbols))
	symOf := make(map[string]string, len(symbols))
	for _, s := range symbols {
		sym, err := NormalizeSymbol(s)
		if err != nil {
			return nil, err
		}
		key, err := keyspace.Rel(KindTicker, sym)
		if err != nil {
			return nil, err
		}
		if _, dup := symOf[key]; !dup {
			keys = append(keys, key)
			symOf[key] = sym
		}
	}
	c.requests.ticker.Add(int64(len(keys)))
	load := func(ctx context.Context, missing []string) (map[string]Ticker, error) {
		c.loads.ticker.Add(1)
		ctx, cancel := context.WithTimeout(ctx, c.loadTimeout)
		defer cancel()
		syms := make([]string, len(missing))
		for i, k := range missing {
			syms[i] = symOf[k]
		}
		got, err := c.loadTickers(ctx, syms)
		out := make(map[string]Ticker, len(got))
		for _, k := range missing {
			if t, ok := got[symOf[k]]; ok {
				out[k] = t
			}
		}
		return out, err
	}
	byKey, err := cachekit.FetchMany(ctx, c.cache, keys, c.ttl[KindTicker], load)
	out := make(map[string]Ticker, len(byKey))
	for k, t := range byKey {
		out[symOf[k]] = t
	}
	if err != nil {
		return out, fmt.Errorf("exchange: tickers: %w", err)
	}
	return out, nil
}

// loadTickers asks the source for symbols: one batch call, or one call per symbol.
func (c *Client) loadTickers(ctx context.Context, symbols []string) (map[string]Ticker, error) {
	if b, ok := c.src.(BatchTickerSource); ok {
		return b.Tickers(ctx, symbols)
	}
	out := make(map[string]Ticker, len(symbols))
	var errs []error
	for _, sym := range symbols {
		t, err := c.src.Ticker(ctx, sym)
		switch {
		case err == nil:
			out[sym] = t
		case errors.Is(err, ErrInvalidSymbol):
		default:
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// Tickers calls GET /api/v3/ticker/24hr without a symbol (all symbols in one answer) and keeps the
// requested ones.
func (m *MEXC) Tickers(ctx context.Context, symbols []string) (map[string]Ticker, error) {
	want := make(map[string]string, len(symbols)) // MEXC symbol → ours
	for _, s := range symbols {
		sym, msym, err := mexcArgs(s)
		if err != nil {
			return nil, err
		}
		want[msym] = sym
	}
	const ep = "/api/v3/ticker/24hr"
	body, err := m.get(ctx, ep, url.Values{})
	if err != nil {
		return nil, err
	}
	items, err := splitArray(body)
	if err != nil {
		return nil, decodeError(ep, body, err)
	}
	out := make(map[string]Ticker, len(symbols))
	now := m.now()
	for _, item := range items {
		msym := symbolOf(item)
		sym, ok := want[msym]
		if !ok {
			continue
		}
		t, err := decodeTicker(item, sym, msym, now)
		if err != nil {
			return nil, decodeError(ep, item, err)
		}
		out[sym] = t
	}
	return out, nil
}

// Tickers moves each known symbol's walk one step, in one (simulated) upstream call.
func (s *Synthetic) Tickers(ctx context.Context, symbols []string) (map[string]Ticker, error) {
	s.count.ticker.Add(1)
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]Ticker, len(symbols))
	for _, sym := range symbols {
		norm, err := NormalizeSymbol(sym)
		if err != nil {
			continue
		}
		out[norm] = s.step(s.walkOf(norm), norm)
	}
	return out, nil
}

// symbolOf returns the "symbol" field of one raw ticker object, "" when there is none.
func symbolOf(raw []byte) string {
	var v struct {
		Symbol string `json:"symbol"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return ""
	}
	return strings.TrimSpace(v.Symbol)
}

// splitArray splits a JSON array answer into its elements.
func splitArray(body []byte) ([]json.RawMessage, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, fmt.Errorf("want an array of tickers: %w", err)
	}
	return items, nil
}
