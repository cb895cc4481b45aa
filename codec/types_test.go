package codec

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

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
