package exchange

import (
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"
)

// Side is the taker side of a deal: SideBuy or SideSell.
type Side string

// Deal sides.
const (
	SideBuy  Side = "buy"
	SideSell Side = "sell"
)

// The exchange types have two stored forms. JSON (codec.JSON, codec.EncodePlainJSON, encoding/json) is
// exactly the CCXT unified shape the Python bot writes, by the types' MarshalJSON and UnmarshalJSON (see
// the package documentation, "Python interop"). msgpack (Go only) is the struct form: a map keyed by the
// field tags below, decimals through their MarshalBinary, times as the msgpack timestamp extension at full
// precision.

// Ticker is a symbol's 24-hour statistics and best prices, CCXT's unified ticker. A decimal the exchange
// does not give (JSON null) is zero.
type Ticker struct {
	Symbol string `json:"symbol" msgpack:"symbol"` // "QRL/USDT"
	// Time is when the statistics were computed, UTC: CCXT's timestamp and datetime.
	Time  time.Time       `json:"timestamp" msgpack:"timestamp"`
	High  decimal.Decimal `json:"high" msgpack:"high"`
	Low   decimal.Decimal `json:"low" msgpack:"low"`
	Bid   decimal.Decimal `json:"bid" msgpack:"bid"`
	Ask   decimal.Decimal `json:"ask" msgpack:"ask"`
	Last  decimal.Decimal `json:"last" msgpack:"last"`
	Open  decimal.Decimal `json:"open" msgpack:"open"`   // price at the start of the 24 hours
	Close decimal.Decimal `json:"close" msgpack:"close"` // CCXT's close: the last price of the period, as Last
	// BaseVolume is the 24-hour volume in the base asset (QRL of QRL/USDT).
	BaseVolume decimal.Decimal `json:"baseVolume" msgpack:"baseVolume"`
	// QuoteVolume is the 24-hour volume in the quote asset; zero when the exchange omits it.
	QuoteVolume decimal.Decimal `json:"quoteVolume" msgpack:"quoteVolume"`
	// Change is the absolute 24-hour change in the quote asset as the exchange reports it (Last - Open).
	Change decimal.Decimal `json:"change" msgpack:"change"`
	// Percentage is the 24-hour change in percent: 2.5 means +2.5 %.
	Percentage decimal.Decimal `json:"percentage" msgpack:"percentage"`
	// Info is CCXT's info: the exchange's own answer, as compact JSON text, or nil when there is none
	// (JSON null or absent). MarshalJSON writes it as a JSON value and fails if it is not valid JSON.
	Info json.RawMessage `json:"info" msgpack:"info"`
}

// Candle is one OHLCV bar, a CCXT OHLCV row. The bar covers [OpenTime, tf.Next(OpenTime)) of its
// timeframe tf (see End).
//
// CCXT rows carry no close time and no quote volume, so Candle has neither: a field that a Python-written
// row cannot fill would read as zero after one writer and as a value after another, and the close time
// is a function of the open time and the timeframe anyway (End). Sources drop the exchange's close time
// and quote volume.
type Candle struct {
	OpenTime time.Time       `json:"timestamp" msgpack:"timestamp"` // UTC
	Open     decimal.Decimal `json:"open" msgpack:"open"`
	High     decimal.Decimal `json:"high" msgpack:"high"`
	Low      decimal.Decimal `json:"low" msgpack:"low"`
	Close    decimal.Decimal `json:"close" msgpack:"close"`
	Volume   decimal.Decimal `json:"volume" msgpack:"volume"` // in the base asset
}

// End returns the close of the candle in timeframe tf: its exclusive end, the next candle's OpenTime.
func (c Candle) End(tf Timeframe) time.Time { return tf.Next(c.OpenTime) }

// Deal is one public trade, CCXT's unified trade.
type Deal struct {
	ID     string          `json:"id" msgpack:"id,omitempty"` // empty when the exchange sends none (MEXC sends null)
	Time   time.Time       `json:"timestamp" msgpack:"timestamp"`
	Symbol string          `json:"symbol" msgpack:"symbol"`
	Side   Side            `json:"side" msgpack:"side"` // the taker's side
	Price  decimal.Decimal `json:"price" msgpack:"price"`
	Amount decimal.Decimal `json:"amount" msgpack:"amount"` // in the base asset
	Cost   decimal.Decimal `json:"cost" msgpack:"cost"`     // in the quote asset: Price × Amount unless the exchange says otherwise
}

// Level is one order-book price level; its JSON form is CCXT's [price, amount] pair.
type Level struct {
	Price  decimal.Decimal `json:"price" msgpack:"price"`
	Amount decimal.Decimal `json:"amount" msgpack:"amount"` // in the base asset
}

// OrderBook is a depth snapshot, CCXT's unified order book: Bids best (highest) first, Asks best
// (lowest) first.
type OrderBook struct {
	Symbol string    `json:"symbol" msgpack:"symbol"`
	Bids   []Level   `json:"bids" msgpack:"bids"`
	Asks   []Level   `json:"asks" msgpack:"asks"`
	Time   time.Time `json:"timestamp" msgpack:"timestamp"` // when the snapshot was taken (received), UTC
	// Nonce is the exchange's update id of the snapshot (MEXC's lastUpdateId); 0 when unknown, which is
	// JSON null.
	Nonce int64 `json:"nonce" msgpack:"nonce"`
}

// CacheVersion is the book's update id (cachekit.Versioned): a cached book is replaced only by one
// with a higher Nonce, so a slow refresh never puts an older snapshot over a newer one another instance
// stored. A book without a Nonce (0, or negative) has no version and is written as usual.
func (b OrderBook) CacheVersion() uint64 {
	if b.Nonce > 0 {
		return uint64(b.Nonce)
	}
	return 0
}
