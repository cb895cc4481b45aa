package exchange

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
)

// Scales of synthetic decimals: prices have 6 decimal places, quantities 2.
const (
	SyntheticPriceScale = 6
	SyntheticQtyScale   = 2
)

// SyntheticOptions configures NewSynthetic.
type SyntheticOptions struct {
	Seed    uint64           // seeds every symbol's walk; equal seeds and call sequences give equal data
	Latency time.Duration    // added to every call, like a network round trip (>= 0)
	Jitter  time.Duration    // extra random latency in [0, Jitter) per call (>= 0)
	Now     func() time.Time // clock for data timestamps (default time.Now)
}

// Synthetic is a deterministic simulated market: each symbol's price is a seeded random walk that moves
// one step per Ticker call, and candles, deals and order books are derived from it. With the same seed,
// clock and sequence of calls it returns the same data. Every call sleeps the configured latency
// (returning early with ctx's error when ctx ends) and is counted per kind. It is safe for concurrent use.
type Synthetic struct {
	seed  uint64
	now   func() time.Time
	count callCounter

	latency, jitter atomic.Int64 // nanoseconds

	jitterMu  sync.Mutex
	jitterRNG *rand.Rand

	mu    sync.Mutex
	walks map[string]*walk
}

// walk is one symbol's state; its fields are guarded by mu.
type walk struct {
	mu                     sync.Mutex
	hash                   uint64
	rng                    *rand.Rand
	base, price, high, low decimal.Decimal
	volume                 decimal.Decimal
	seq                    int64 // last order-book update id / deal id
}

// NewSynthetic returns a synthetic Source. A negative latency or jitter is an error.
func NewSynthetic(opts SyntheticOptions) (*Synthetic, error) {
	if opts.Latency < 0 || opts.Jitter < 0 {
		return nil, fmt.Errorf("exchange: synthetic latency %v and jitter %v must be >= 0", opts.Latency, opts.Jitter)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Synthetic{
		seed:      opts.Seed,
		now:       now,
		jitterRNG: rand.New(rand.NewPCG(opts.Seed, 0x6a09e667f3bcc908)),
		walks:     map[string]*walk{},
	}
	s.latency.Store(int64(opts.Latency))
	s.jitter.Store(int64(opts.Jitter))
	return s, nil
}

// SetLatency changes the latency and jitter of later calls. Negative values are an error.
func (s *Synthetic) SetLatency(latency, jitter time.Duration) error {
	if latency < 0 || jitter < 0 {
		return fmt.Errorf("exchange: synthetic latency %v and jitter %v must be >= 0", latency, jitter)
	}
	s.latency.Store(int64(latency))
	s.jitter.Store(int64(jitter))
	return nil
}

// Calls returns how many calls each kind has received (invalid and cancelled ones included).
func (s *Synthetic) Calls() Calls { return s.count.snapshot() }

// Ticker moves the symbol's walk one step and returns its statistics.
func (s *Synthetic) Ticker(ctx context.Context, symbol string) (Ticker, error) {
	s.count.ticker.Add(1)
	w, sym, err := s.begin(ctx, symbol)
	if err != nil {
		return Ticker{}, err
	}
	return s.step(w, sym), nil
}

// step moves the walk one step and returns the symbol's statistics.
func (s *Synthetic) step(w *walk, sym string) Ticker {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.step()
	tick := tickSize(w.price)
	return Ticker{
		Symbol:      sym,
		Time:        s.now().UTC(),
		High:        w.high,
		Low:         w.low,
		Bid:         w.price.Sub(tick),
		Ask:         w.price.Add(tick),
		Last:        w.price,
		Open:        w.base,
		Close:       w.price,
		BaseVolume:  w.volume,
		QuoteVolume: w.volume.Mul(w.price).Round(SyntheticPriceScale),
		Change:      w.price.Sub(w.base),
		Percentage:  w.price.Sub(w.base).Mul(decimal.NewFromInt(100)).DivRound(w.base, 4),
	}
}

// OHLCV returns limit candles ending with the one containing now, oldest first. The newest close is the
// current price; the history is a walk backwards seeded by symbol, timeframe and the newest open time, so
// repeated calls within one candle agree on every closed candle.
func (s *Synthetic) OHLCV(ctx context.Context, symbol string, tf Timeframe, limit int) ([]Candle, error) {
	s.count.ohlcv.Add(1)
	if _, err := ParseTimeframe(string(tf)); err != nil {
		return nil, err
	}
	if err := checkLimit("ohlcv limit", limit, MaxOHLCVLimit); err != nil {
		return nil, err
	}
	w, _, err := s.begin(ctx, symbol)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	price, h := w.price, w.hash
	w.mu.Unlock()

	start := tf.Start(s.now())
	rng := rand.New(rand.NewPCG(s.seed^h, uint64(start.Unix())^hashString(string(tf))))
	out := make([]Candle, limit)
	closePx := price
	for i := limit - 1; i >= 0; i-- {
		openPx := stepPrice(closePx, -randBps(rng, 60))
		hi := decimal.Max(openPx, closePx)
		lo := decimal.Min(openPx, closePx)
		hi = stepPrice(hi, int64(rng.IntN(30)))
		lo = stepPrice(lo, -int64(rng.IntN(30)))
		vol := randQty(rng, 100000)
		out[i] = Candle{
			OpenTime: start, Open: openPx, High: hi, Low: lo, Close: closePx, Volume: vol,
		}
		closePx = openPx
		start = tf.Prev(start)
	}
	return out, nil
}

// Deals returns limit recent deals around the current price, oldest first, the newest at now.
func (s *Synthetic) Deals(ctx context.Context, symbol string, limit int) ([]Deal, error) {
	s.count.deals.Add(1)
	if err := checkLimit("deals limit", limit, MaxDealsLimit); err != nil {
		return nil, err
	}
	w, sym, err := s.begin(ctx, symbol)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Deal, limit)
	t := s.now().UTC()
	for i := limit - 1; i >= 0; i-- {
		side := SideBuy
		if w.rng.IntN(2) == 0 {
			side = SideSell
		}
		w.seq++
		px, amount := stepPrice(w.price, randBps(w.rng, 10)), randQty(w.rng, 5000)
		out[i] = Deal{
			ID:     strconv.FormatInt(w.seq, 10),
			Time:   t,
			Symbol: sym,
			Side:   side,
			Price:  px,
			Amount: amount,
			Cost:   px.Mul(amount),
		}
		t = t.Add(-time.Duration(100+w.rng.IntN(4900)) * time.Millisecond)
	}
	return out, nil
}

// OrderBook returns depth levels per side spaced one tick apart around the current price (fewer bids when
// the price is too low to fit them above zero).
func (s *Synthetic) OrderBook(ctx context.Context, symbol string, depth int) (OrderBook, error) {
	s.count.orderBook.Add(1)
	if err := checkLimit("order book depth", depth, MaxDepth); err != nil {
		return OrderBook{}, err
	}
	w, sym, err := s.begin(ctx, symbol)
	if err != nil {
		return OrderBook{}, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	tick := tickSize(w.price)
	ob := OrderBook{Symbol: sym, Bids: make([]Level, 0, depth), Asks: make([]Level, 0, depth), Time: s.now().UTC()}
	for i := 1; i <= depth; i++ {
		off := tick.Mul(decimal.NewFromInt(int64(i)))
		if bid := w.price.Sub(off); bid.IsPositive() {
			ob.Bids = append(ob.Bids, Level{Price: bid, Amount: randQty(w.rng, 5000)})
		}
		ob.Asks = append(ob.Asks, Level{Price: w.price.Add(off), Amount: randQty(w.rng, 5000)})
	}
	w.seq++
	ob.Nonce = w.seq
	return ob, nil
}

// begin validates the symbol, waits the latency and returns the symbol's walk.
func (s *Synthetic) begin(ctx context.Context, symbol string) (*walk, string, error) {
	sym, err := NormalizeSymbol(symbol)
	if err != nil {
		return nil, "", err
	}
	if err := s.wait(ctx); err != nil {
		return nil, "", err
	}
	return s.walkOf(sym), sym, nil
}

// wait sleeps latency + random jitter, or until ctx ends.
func (s *Synthetic) wait(ctx context.Context) error {
	d := time.Duration(s.latency.Load())
	if j := s.jitter.Load(); j > 0 {
		s.jitterMu.Lock()
		d += time.Duration(s.jitterRNG.Int64N(j))
		s.jitterMu.Unlock()
	}
	if err := sleepCtx(ctx, d); err != nil {
		return fmt.Errorf("exchange: synthetic source: %w", err)
	}
	return nil
}

func (s *Synthetic) walkOf(sym string) *walk {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.walks[sym]; ok {
		return w
	}
	h := hashString(sym)
	base := basePrice(h)
	w := &walk{hash: h, rng: rand.New(rand.NewPCG(s.seed, h)), base: base, price: base, high: base, low: base}
	s.walks[sym] = w
	return w
}

// step moves the walk by up to ±0.20 %, reflecting away from a quarter or four times the base price so the
// walk stays in a plausible range.
func (w *walk) step() {
	bps := randBps(w.rng, 20)
	switch {
	case w.price.LessThan(w.base.Div(decimal.NewFromInt(4))) && bps < 0,
		w.price.GreaterThan(w.base.Mul(decimal.NewFromInt(4))) && bps > 0:
		bps = -bps
	}
	w.price = stepPrice(w.price, bps)
	w.high = decimal.Max(w.high, w.price)
	w.low = decimal.Min(w.low, w.price)
	w.volume = w.volume.Add(randQty(w.rng, 1000))
}

// basePrice derives a starting price in [0.01, 1000) with 4 significant digits from a symbol hash.
func basePrice(h uint64) decimal.Decimal {
	mantissa := int64(1000 + h%9000) // 1000..9999
	exp := int32((h>>20)%5) - 5      // 10^-5 .. 10^-1 → 0.01000 .. 999.9
	return decimal.New(mantissa, exp)
}

// stepPrice returns p * (1 + bps/10000) at the synthetic price scale, never below one unit of it.
func stepPrice(p decimal.Decimal, bps int64) decimal.Decimal {
	q := p.Mul(decimal.New(10000+bps, -4)).Round(SyntheticPriceScale)
	if minPx := decimal.New(1, -SyntheticPriceScale); q.LessThan(minPx) {
		return minPx
	}
	return q
}

// tickSize is 0.05 % of the price at the synthetic scale, at least one unit of it.
func tickSize(p decimal.Decimal) decimal.Decimal {
	t := p.Mul(decimal.New(5, -4)).Round(SyntheticPriceScale)
	if minPx := decimal.New(1, -SyntheticPriceScale); t.LessThan(minPx) {
		return minPx
	}
	return t
}

// randBps returns a uniform integer in [-max, max].
func randBps(rng *rand.Rand, max int) int64 { return int64(rng.IntN(2*max+1) - max) }

// randQty returns a quantity in [0.01, max) at the synthetic quantity scale.
func randQty(rng *rand.Rand, max int64) decimal.Decimal {
	return decimal.New(1+rng.Int64N(max*100-1), -SyntheticQtyScale)
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// sleepCtx sleeps d, or returns ctx's error if ctx ends first. d <= 0 returns at once (after checking ctx).
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
