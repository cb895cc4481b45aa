package exchange

import (
	"context"
	"sync/atomic"
)

// Data kinds: the first segment of a Client's keys, and the kind names of per-kind TTLs and counters.
const (
	KindTicker    = "ticker"
	KindOHLCV     = "ohlcv"
	KindDeals     = "deals"
	KindOrderBook = "orderbook"
)

// Kinds returns the four data kinds in a fixed order (a new slice each call).
func Kinds() []string { return []string{KindTicker, KindOHLCV, KindDeals, KindOrderBook} }

// Source answers market-data requests from upstream (an exchange API or a simulation). Implementations
// must be safe for concurrent use and honour ctx. Symbols are "BASE/QUOTE"; callers (the Client) pass
// them normalized and validated, but a Source validates them too when it is used on its own.
type Source interface {
	// Ticker returns the symbol's 24-hour statistics.
	Ticker(ctx context.Context, symbol string) (Ticker, error)
	// OHLCV returns up to limit candles of the timeframe, oldest first, the last one being the candle
	// still forming.
	OHLCV(ctx context.Context, symbol string, timeframe Timeframe, limit int) ([]Candle, error)
	// Deals returns up to limit recent public trades.
	Deals(ctx context.Context, symbol string, limit int) ([]Deal, error)
	// OrderBook returns up to depth levels per side.
	OrderBook(ctx context.Context, symbol string, depth int) (OrderBook, error)
}

// Calls counts calls per data kind.
type Calls struct {
	Ticker, OHLCV, Deals, OrderBook int64
}

// Total returns the sum over all kinds.
func (c Calls) Total() int64 { return c.Ticker + c.OHLCV + c.Deals + c.OrderBook }

// Of returns the count for a kind name (KindTicker, ...), 0 for an unknown kind.
func (c Calls) Of(kind string) int64 {
	switch kind {
	case KindTicker:
		return c.Ticker
	case KindOHLCV:
		return c.OHLCV
	case KindDeals:
		return c.Deals
	case KindOrderBook:
		return c.OrderBook
	}
	return 0
}

// Sub returns c minus d, kind by kind: the calls made between two snapshots.
func (c Calls) Sub(d Calls) Calls {
	return Calls{c.Ticker - d.Ticker, c.OHLCV - d.OHLCV, c.Deals - d.Deals, c.OrderBook - d.OrderBook}
}

// callCounter is the atomic form of Calls.
type callCounter struct {
	ticker, ohlcv, deals, orderBook atomic.Int64
}

func (c *callCounter) snapshot() Calls {
	return Calls{c.ticker.Load(), c.ohlcv.Load(), c.deals.Load(), c.orderBook.Load()}
}

// CountedSource wraps a Source and counts the calls made to it per kind (every call, failed ones
// included). It is safe for concurrent use.
type CountedSource struct {
	src   Source
	count callCounter
}

// Counted returns src wrapped in a CountedSource.
func Counted(src Source) *CountedSource { return &CountedSource{src: src} }

// Calls returns the number of calls made so far, per kind.
func (s *CountedSource) Calls() Calls { return s.count.snapshot() }

// Ticker counts the call and forwards it.
func (s *CountedSource) Ticker(ctx context.Context, symbol string) (Ticker, error) {
	s.count.ticker.Add(1)
	return s.src.Ticker(ctx, symbol)
}

// OHLCV counts the call and forwards it.
func (s *CountedSource) OHLCV(ctx context.Context, symbol string, tf Timeframe, limit int) ([]Candle, error) {
	s.count.ohlcv.Add(1)
	return s.src.OHLCV(ctx, symbol, tf, limit)
}

// Deals counts the call and forwards it.
func (s *CountedSource) Deals(ctx context.Context, symbol string, limit int) ([]Deal, error) {
	s.count.deals.Add(1)
	return s.src.Deals(ctx, symbol, limit)
}

// OrderBook counts the call and forwards it.
func (s *CountedSource) OrderBook(ctx context.Context, symbol string, depth int) (OrderBook, error) {
	s.count.orderBook.Add(1)
	return s.src.OrderBook(ctx, symbol, depth)
}
