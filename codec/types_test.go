package codec

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// maxDepth is the nesting limit doc.go states: the tests hold the code to the documented number.
const maxDepth = 10000

// Types shared by the tests and benchmarks.

type candle struct {
	OpenTime time.Time       `json:"open_time"`
	Open     decimal.Decimal `json:"open"`
	High     decimal.Decimal `json:"high"`
	Low      decimal.Decimal `json:"low"`
	Close    decimal.Decimal `json:"close"`
	Volume   decimal.Decimal `json:"volume"`
}

type inner struct {
	Label string          `json:"label"`
	At    time.Time       `json:"at"`
	Price decimal.Decimal `json:"price"`
}

type everything struct {
	Name       string               `json:"name"`
	Count      int64                `json:"count"`
	Ratio      float64              `json:"ratio"`
	Flag       bool                 `json:"flag"`
	Price      decimal.Decimal      `json:"price"`
	At         time.Time            `json:"at"`
	AtPtr      *time.Time           `json:"at_ptr"`
	Raw        []byte               `json:"raw"`
	EmptyRaw   []byte               `json:"empty_raw"`
	NilRaw     []byte               `json:"nil_raw"`
	Tags       []string             `json:"tags"`
	EmptyTags  []string             `json:"empty_tags"`
	NilTags    []string             `json:"nil_tags"`
	Attrs      map[string]string    `json:"attrs"`
	EmptyAttrs map[string]string    `json:"empty_attrs"`
	NilAttrs   map[string]string    `json:"nil_attrs"`
	Nested     inner                `json:"nested"`
	NestedPtr  *inner               `json:"nested_ptr"`
	NilPtr     *inner               `json:"nil_ptr"`
	Candles    []candle             `json:"candles"`
	ByKey      map[string]candle    `json:"by_key"`
	PtrByKey   map[string]*inner    `json:"ptr_by_key"`
	Times      []time.Time          `json:"times"`
	Grid       [2][2]int            `json:"grid"`
	Skipped    string               `json:"-"`
	unexported string               //nolint:unused // must not travel
	Levels     map[string][]float64 `json:"levels"`
}

func mustDec(t testing.TB, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("decimal %q: %v", s, err)
	}
	return d
}

// zones used to write times that are not UTC.
var (
	zoneTokyo  = time.FixedZone("JST", 9*3600)
	zoneNewYrk = time.FixedZone("EDT", -4*3600)
)

func sampleCandles(t testing.TB, n int) []candle {
	t.Helper()
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	out := make([]candle, n)
	for i := range out {
		o := decimal.New(int64(67000_00+i*7), -2)
		out[i] = candle{
			OpenTime: base.Add(time.Duration(i) * time.Minute),
			Open:     o,
			High:     o.Add(mustDec(t, "12.34")),
			Low:      o.Sub(mustDec(t, "9.87")),
			Close:    o.Add(mustDec(t, "1.01")),
			Volume:   mustDec(t, "1234.56789012"),
		}
	}
	return out
}

func sampleEverything(t testing.TB) everything {
	t.Helper()
	at := time.Date(2024, 5, 1, 12, 0, 0, 123456789, zoneTokyo)
	atPtr := time.Date(1999, 12, 31, 23, 59, 59, 999999999, zoneNewYrk)
	return everything{
		Name:       "QRL/USDT",
		Count:      -42,
		Ratio:      0.25,
		Flag:       true,
		Price:      mustDec(t, "123456789012345678901234567890.000000001"),
		At:         at,
		AtPtr:      &atPtr,
		Raw:        []byte{0, 1, 2, 0xff},
		EmptyRaw:   []byte{},
		Tags:       []string{"a", "b"},
		EmptyTags:  []string{},
		Attrs:      map[string]string{"k": "v"},
		EmptyAttrs: map[string]string{},
		Nested:     inner{Label: "n", At: at, Price: mustDec(t, "-0.1")},
		NestedPtr:  &inner{Label: "p", At: atPtr, Price: mustDec(t, "0")},
		Candles:    sampleCandles(t, 3),
		ByKey:      map[string]candle{"x": sampleCandles(t, 1)[0]},
		PtrByKey:   map[string]*inner{"y": {Label: "y", At: at, Price: mustDec(t, "7.5")}},
		Times:      []time.Time{at, atPtr, {}},
		Grid:       [2][2]int{{1, 2}, {3, 4}},
		Skipped:    "not stored",
		unexported: "not stored",
		Levels:     map[string][]float64{"bids": {1.5, 2}},
	}
}

// Benchmark payloads, shaped as package exchange's Ticker, Candle and OrderBook (which this package's
// tests cannot import): a ~200-byte ticker, 120 one-minute candles, a 100-level order book.

type benchTicker struct {
	Symbol      string          `json:"symbol"`
	Last        decimal.Decimal `json:"last"`
	Bid         decimal.Decimal `json:"bid"`
	Ask         decimal.Decimal `json:"ask"`
	High        decimal.Decimal `json:"high"`
	Low         decimal.Decimal `json:"low"`
	Volume      decimal.Decimal `json:"volume"`
	QuoteVolume decimal.Decimal `json:"quote_volume"`
	ChangePct   decimal.Decimal `json:"change_pct"`
	Time        time.Time       `json:"time"`
}

type benchCandle struct {
	OpenTime    time.Time       `json:"open_time"`
	Open        decimal.Decimal `json:"open"`
	High        decimal.Decimal `json:"high"`
	Low         decimal.Decimal `json:"low"`
	Close       decimal.Decimal `json:"close"`
	Volume      decimal.Decimal `json:"volume"`
	CloseTime   time.Time       `json:"close_time"`
	QuoteVolume decimal.Decimal `json:"quote_volume"`
}

type benchLevel struct {
	Price decimal.Decimal `json:"price"`
	Qty   decimal.Decimal `json:"qty"`
}

type benchBook struct {
	Symbol       string       `json:"symbol"`
	Bids         []benchLevel `json:"bids"`
	Asks         []benchLevel `json:"asks"`
	LastUpdateID int64        `json:"last_update_id"`
	Time         time.Time    `json:"time"`
}

// benchPayload is a value to encode and a fresh target of its type to decode into.
type benchPayload struct {
	name   string
	value  any
	target func() any
}

func benchPayloads() []benchPayload {
	at := time.Date(2026, 11, 26, 21, 41, 25, 123e6, time.UTC)
	d := decimal.New
	ticker := benchTicker{Symbol: "QRL/USDT", Last: d(1234, -4), Bid: d(1233, -4), Ask: d(1235, -4),
		High: d(1301, -4), Low: d(1188, -4), Volume: d(123456789, -2), QuoteVolume: d(15234567891, -4),
		ChangePct: d(-25, -1), Time: at}
	candles := make([]benchCandle, 120)
	for i := range candles {
		o := int64(1234 + i%17)
		open := at.Truncate(time.Minute).Add(time.Duration(i-120) * time.Minute)
		candles[i] = benchCandle{OpenTime: open, Open: d(o, -4), High: d(o+7, -4), Low: d(o-5, -4),
			Close: d(o+2, -4), Volume: d(int64(5000000+i*3331), -2), CloseTime: open.Add(time.Minute),
			QuoteVolume: d(int64(617000000+i*40111), -4)}
	}
	book := benchBook{Symbol: "QRL/USDT", LastUpdateID: 987654321, Time: at}
	for i := range 100 {
		book.Bids = append(book.Bids, benchLevel{Price: d(int64(12340-i), -5), Qty: d(int64(100000+i*977), -2)})
		book.Asks = append(book.Asks, benchLevel{Price: d(int64(12341+i), -5), Qty: d(int64(90000+i*613), -2)})
	}
	return []benchPayload{
		{"ticker", ticker, func() any { return new(benchTicker) }},
		{"candles", candles, func() any { return new([]benchCandle) }},
		{"book", book, func() any { return new(benchBook) }},
	}
}
