package exchange

import (
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

// Ticker is a symbol's 24-hour statistics and best prices.
type Ticker struct {
	Symbol      string          `json:"symbol" msgpack:"symbol"` // "QRL/USDT"
	Last        decimal.Decimal `json:"last" msgpack:"last"`
	Bid         decimal.Decimal `json:"bid" msgpack:"bid"`
	Ask         decimal.Decimal `json:"ask" msgpack:"ask"`
	High        decimal.Decimal `json:"high" msgpack:"high"`
	Low         decimal.Decimal `json:"low" msgpack:"low"`
	Volume      decimal.Decimal `json:"volume" msgpack:"volume"`             // base asset
	QuoteVolume decimal.Decimal `json:"quote_volume" msgpack:"quote_volume"` // quote asset; zero when the exchange omits it
	// ChangePct is the 24-hour change in percent: 2.5 means +2.5 %.
	ChangePct decimal.Decimal `json:"change_pct" msgpack:"change_pct"`
	Time      time.Time       `json:"time" msgpack:"time"` // when the statistics were computed, UTC
}

// Candle is one OHLCV bar. OpenTime is inclusive and CloseTime exclusive: the bar covers
// [OpenTime, CloseTime), and CloseTime is the next bar's OpenTime.
type Candle struct {
	OpenTime    time.Time       `json:"open_time" msgpack:"open_time"`
	Open        decimal.Decimal `json:"open" msgpack:"open"`
	High        decimal.Decimal `json:"high" msgpack:"high"`
	Low         decimal.Decimal `json:"low" msgpack:"low"`
	Close       decimal.Decimal `json:"close" msgpack:"close"`
	Volume      decimal.Decimal `json:"volume" msgpack:"volume"`
	CloseTime   time.Time       `json:"close_time" msgpack:"close_time"`
	QuoteVolume decimal.Decimal `json:"quote_volume" msgpack:"quote_volume"`
}

// Deal is one public trade.
type Deal struct {
	ID    string          `json:"id,omitempty" msgpack:"id,omitempty"` // empty when the exchange sends none (MEXC sends null)
	Price decimal.Decimal `json:"price" msgpack:"price"`
	Qty   decimal.Decimal `json:"qty" msgpack:"qty"`
	Time  time.Time       `json:"time" msgpack:"time"`
	Side  Side            `json:"side" msgpack:"side"` // the taker's side
}

// Level is one order-book price level.
type Level struct {
	Price decimal.Decimal `json:"price" msgpack:"price"`
	Qty   decimal.Decimal `json:"qty" msgpack:"qty"`
}

// OrderBook is a depth snapshot: Bids best (highest) first, Asks best (lowest) first.
type OrderBook struct {
	Symbol       string    `json:"symbol" msgpack:"symbol"`
	Bids         []Level   `json:"bids" msgpack:"bids"`
	Asks         []Level   `json:"asks" msgpack:"asks"`
	LastUpdateID int64     `json:"last_update_id" msgpack:"last_update_id"`
	Time         time.Time `json:"time" msgpack:"time"` // when the snapshot was taken (received), UTC
}
