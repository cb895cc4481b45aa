package exchange

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit/codec"
)

// The exact JSON text of each type: CCXT's shapes, decimals as bare numbers with their digits, times as
// epoch milliseconds and Python's isoformat().
func TestJSONIsTheCCXTShape(t *testing.T) {
	d := decimal.RequireFromString
	at := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.FixedZone("x", 3600)) // written in UTC
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"ticker", Ticker{Symbol: "QRL/USDT", Time: at, High: d("0.3125"), Low: d("0.2801"), Bid: d("0.01234567"),
			Ask: d("0.2998"), Last: d("0.3001"), Open: d("0.2878"), Close: d("0.3001"), BaseVolume: d("1732461.48712345678901"),
			QuoteVolume: d("0"), Change: d("-0.0123"), Percentage: d("2.5"), Info: json.RawMessage(`{ "a" : [1, "x"] }`)},
			`{"symbol":"QRL/USDT","timestamp":1704161045123,"datetime":"2024-01-02T02:04:05.123456+00:00",` +
				`"high":0.3125,"low":0.2801,"bid":0.01234567,"ask":0.2998,"last":0.3001,"open":0.2878,"close":0.3001,` +
				`"baseVolume":1732461.48712345678901,"quoteVolume":0,"change":-0.0123,"percentage":2.5,"info":{"a":[1,"x"]}}`},
		{"zero ticker", Ticker{},
			`{"symbol":"","timestamp":null,"datetime":null,"high":0,"low":0,"bid":0,"ask":0,"last":0,"open":0,` +
				`"close":0,"baseVolume":0,"quoteVolume":0,"change":0,"percentage":0,"info":null}`},
		{"ohlcv", []Candle{
			{OpenTime: time.UnixMilli(1714348800000), Open: d("0.2811"), High: d("0.295"), Low: d("0.279"), Close: d("0.2903"), Volume: d("1532201.37")},
			{OpenTime: time.UnixMilli(1714435200000), Open: d("1e-30"), High: d("12345678901234567890.123456789"), Volume: d("5")},
		}, `[[1714348800000,0.2811,0.295,0.279,0.2903,1532201.37],` +
			`[1714435200000,0.000000000000000000000000000001,12345678901234567890.123456789,0,0,5]]`},
		{"deals", []Deal{
			{ID: "42", Time: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Symbol: "QRL/USDT", Side: SideSell,
				Price: d("0.3001"), Amount: d("1523.81"), Cost: d("457.295381")},
			{Time: time.Date(2024, 5, 1, 0, 0, 0, 1, time.UTC), Symbol: `A"<B`, Price: d("1")},
		}, `[{"id":"42","timestamp":1714521600000,"datetime":"2024-05-01T00:00:00+00:00","symbol":"QRL/USDT",` +
			`"side":"sell","price":0.3001,"amount":1523.81,"cost":457.295381},` +
			`{"id":null,"timestamp":1714521600000,"datetime":"2024-05-01T00:00:00.000000001+00:00",` +
			`"symbol":"A\"\u003cB","side":null,"price":1,"amount":0,"cost":0}]`},
		{"orderbook", OrderBook{Symbol: "QRL/USDT", Bids: []Level{{d("0.2998"), d("1500.5")}, {d("0.2997"), d("49999.00000")}},
			Time: time.UnixMilli(1714521600250), Nonce: 1112416},
			`{"symbol":"QRL/USDT","bids":[[0.2998,1500.5],[0.2997,49999]],"asks":[],"timestamp":1714521600250,` +
				`"datetime":"2024-05-01T00:00:00.250000+00:00","nonce":1112416}`},
		{"orderbook without nonce", OrderBook{Symbol: "QRL/USDT"},
			`{"symbol":"QRL/USDT","bids":[],"asks":[],"timestamp":null,"datetime":null,"nonce":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain, err := codec.EncodePlainJSON(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(plain) != tc.want {
				t.Errorf("EncodePlainJSON:\n got %s\nwant %s", plain, tc.want)
			}
			std, err := json.Marshal(tc.v)
			if err != nil || string(std) != tc.want {
				t.Errorf("json.Marshal = %s, %v; want the same text", std, err)
			}
			// The enveloped JSON codec writes the same payload after its header.
			env, err := codec.Encode(codec.JSON, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if !codec.IsEnveloped(env) || !strings.HasSuffix(string(env), tc.want) {
				t.Errorf("codec.JSON payload = %q, want %s after the header", env, tc.want)
			}
		})
	}
}

func TestTickerInfoMustBeJSON(t *testing.T) {
	_, err := codec.EncodePlainJSON(Ticker{Info: json.RawMessage(`{"a":`)})
	if !errors.Is(err, codec.ErrEncode) {
		t.Errorf("invalid info: err = %v, want ErrEncode", err)
	}
}

// Every codec gives back exactly what was stored: decimals (beyond float precision), nanosecond times,
// info, empty and nil parts.
func TestExchangeTypesRoundTripEveryCodec(t *testing.T) {
	d := decimal.RequireFromString
	ns := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	ticker := Ticker{Symbol: "QRL/USDT", Time: ns, High: d("99999999999999999999999.99999999"), Low: d("1e-30"),
		Bid: d("0.30012345678901234567"), Ask: d("-2.5"), Last: d("0.1"), Open: d("0.00000001"), Close: d("0.1"),
		BaseVolume: d("1732461.48712345678901"), QuoteVolume: d("3.14159265358979323846264338327950288"),
		Change: d("-0.0000000000000000001"), Percentage: d("4.273801"), Info: json.RawMessage(`{"lastPrice":"0.3001","n":null}`)}
	candles := []Candle{
		{OpenTime: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Open: d("0.30012345678901234567"), High: d("1"),
			Low: d("0.000000000000000000000000000001"), Close: d("12345678901234567890.123456789"), Volume: d("0")},
		{OpenTime: time.UnixMilli(-1), Open: d("-1")}, // before 1970
		{}, // the zero time stays zero
	}
	deals := []Deal{
		{ID: "a-1", Time: ns, Symbol: "QRL/USDT", Side: SideBuy, Price: d("0.3001"), Amount: d("1523.81"), Cost: d("457.295381")},
		{Time: time.Date(2024, 5, 1, 0, 0, 0, 1000, time.UTC), Price: d("0.1")},
	}
	book := OrderBook{Symbol: "QRL/USDT", Time: ns, Nonce: 1 << 62,
		Bids: []Level{{d("0.000000012345678901"), d("1500.25")}}, Asks: []Level{}}

	type enc struct {
		name string
		fn   func(any) ([]byte, error)
	}
	for _, e := range []enc{
		{"json", func(v any) ([]byte, error) { return codec.Encode(codec.JSON, v) }},
		{"msgpack", func(v any) ([]byte, error) { return codec.Encode(codec.Msgpack, v) }},
		{"plain json", codec.EncodePlainJSON},
	} {
		t.Run(e.name, func(t *testing.T) {
			roundTrip := func(in, out any) {
				t.Helper()
				b, err := e.fn(in)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := codec.Decode(b, out); err != nil {
					t.Fatalf("decode %q: %v", b, err)
				}
			}
			var tk Ticker
			roundTrip(ticker, &tk)
			checkTicker(t, tk, ticker)
			var tk0 Ticker
			roundTrip(Ticker{}, &tk0)
			checkTicker(t, tk0, Ticker{})
			var cs []Candle
			roundTrip(candles, &cs)
			checkCandles(t, cs, candles)
			var ds []Deal
			roundTrip(deals, &ds)
			checkDeals(t, ds, deals)
			var ob OrderBook
			roundTrip(book, &ob)
			checkOrderBook(t, ob, book)
		})
	}
}

func TestTimeForms(t *testing.T) {
	ms := time.Date(2024, 1, 2, 3, 4, 5, 123000000, time.UTC)
	us := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	for in, want := range map[string]time.Time{
		`1704164645123`:                              ms,
		`1704164645123.456`:                          ms.Add(456 * time.Microsecond),
		`1.704164645123e12`:                          ms,
		`"1704164645123"`:                            ms,
		`0`:                                          time.Unix(0, 0).UTC(),
		`-1`:                                         time.UnixMilli(-1).UTC(),
		`"2024-01-02T03:04:05.123456+00:00"`:         us, // aware isoformat()
		`"2024-01-02T03:04:05.123456"`:               us, // naive isoformat(): UTC
		`"2024-01-02 03:04:05.123456+00:00"`:         us, // str(aware)
		`"2024-01-02 03:04:05.123456"`:               us, // str(naive)
		`"2024-01-02T03:04:05.123Z"`:                 ms, // CCXT's iso8601()
		`"2024-01-02T05:04:05.123456+02:00"`:         us,
		`"2024-01-01T22:04:05.123456-05:00"`:         us,
		`"2024-01-02T03:04:05"`:                      us.Truncate(time.Second),
		`"2024-01-02T03:04:05.123456789+00:00"`:      us.Add(789),
		`"2024-01-02T08:34:35.123456+05:30:30"`:      us, // an offset with seconds, as isoformat() writes one
		`"2024-01-02T03:04:05.123456+0000"`:          us,
		"\"2024-01-02T03:04:05.123456\\u002b00:00\"": us, // escaped
	} {
		got, ok, err := parseTime([]byte(in))
		if err != nil || !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%s) = %v, %v, %v; want %v UTC", in, got, ok, err, want)
		}
	}
	for _, in := range []string{`null`, `""`, ``, ` `} {
		if got, ok, err := parseTime([]byte(in)); err != nil || ok || !got.IsZero() {
			t.Errorf("parseTime(%q) = %v, %v, %v; want the zero time, absent", in, got, ok, err)
		}
	}
	for _, in := range []string{`"yesterday"`, `"2024-01-02"`, `"2024-13-02T03:04:05"`, `true`, `[1]`, `{}`,
		`1e20`, `-1e20`, `"2024-01-02T03:04:05+25:00"`, `1e999999999`, `1e-999999999`} {
		if _, _, err := parseTime([]byte(in)); err == nil {
			t.Errorf("parseTime(%s) accepted it", in)
		}
	}
}

// timestamp wins over datetime; datetime refines it within the same millisecond; either alone is used.
func TestTimestampDatetimePrecedence(t *testing.T) {
	ms := time.Date(2024, 1, 2, 3, 4, 5, 123000000, time.UTC)
	for _, tc := range []struct {
		ts, dt string
		want   time.Time
	}{
		{`1704164645123`, `"2024-01-02T03:04:05.123Z"`, ms},
		{`1704164645123`, `"2024-01-02T03:04:05.123456789+00:00"`, ms.Add(456789)}, // the same millisecond
		{`1704164645123`, `"2024-05-01T00:00:00+00:00"`, ms},                       // disagreeing: timestamp
		{`1704164645123`, `"2024-01-02T03:04:05.124+00:00"`, ms},                   // the next millisecond
		{`1704164645123.5`, `"2024-01-02T03:04:05.123999+00:00"`, ms.Add(500000)},  // a finer timestamp stays
		{`1704164645123`, `null`, ms},
		{``, `"2024-01-02T03:04:05.123456"`, ms.Add(456000)},
		{`null`, `null`, time.Time{}},
	} {
		got, err := readTimes(json.RawMessage(tc.ts), json.RawMessage(tc.dt))
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("timestamp %s, datetime %s: %v, %v; want %v", tc.ts, tc.dt, got, err, tc.want)
		}
	}
	// An unreadable datetime is an error even beside a timestamp.
	var tk Ticker
	if err := json.Unmarshal([]byte(`{"timestamp":1704164645123,"datetime":"soon"}`), &tk); err == nil {
		t.Error("an unreadable datetime was accepted")
	}
}

// A well-formed value of another shape (an old Go object candle, a string for a price) is a type
// mismatch for the cache, which keeps the entry for its owner, never corrupt; and the target is left
// untouched.
func TestForeignShapesAreTypeMismatches(t *testing.T) {
	keep := Candle{Open: decimal.NewFromInt(7)}
	for _, tc := range []struct {
		name string
		data string
		dst  any
	}{
		{"object candle", `[{"open_time":"2024-05-01T00:00:00Z","open":"1"}]`, &[]Candle{keep}},
		{"short row", `[[1714348800000, 1, 2]]`, &[]Candle{keep}},
		{"price not a decimal", `[[1714348800000, "abc", 1, 1, 1, 1]]`, &[]Candle{keep}},
		{"nested price", `[[1714348800000, [1], 1, 1, 1, 1]]`, &[]Candle{keep}},
		{"bad row time", `[["soon", 1, 1, 1, 1, 1]]`, &[]Candle{keep}},
		{"level object", `{"bids":[{"price":"1","qty":"2"}]}`, &OrderBook{}},
		{"level short", `{"bids":[[1]]}`, &OrderBook{}},
		{"ticker array", `[1,2]`, &Ticker{}},
		{"ticker bad price", `{"last":"x"}`, &Ticker{}},
		{"deal side number", `[{"side":1}]`, &[]Deal{}},
		{"nonce not an integer", `{"nonce":1.5}`, &OrderBook{}},
	} {
		_, err := codec.Decode([]byte(tc.data), tc.dst)
		if !errors.Is(err, codec.ErrTypeMismatch) || errors.Is(err, codec.ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrTypeMismatch", tc.name, err)
		}
	}
	// The methods themselves leave their receiver as it was on error.
	c := keep
	if err := c.UnmarshalJSON([]byte(`[1714348800000, 2, 2, 2, 2, "x"]`)); err == nil || !c.Open.Equal(keep.Open) || !c.OpenTime.IsZero() {
		t.Errorf("Candle.UnmarshalJSON on error: %v, %+v", err, c)
	}
	tk := Ticker{Symbol: "KEEP/USDT"}
	if err := tk.UnmarshalJSON([]byte(`{"symbol":"QRL/USDT","timestamp":"soon"}`)); err == nil || tk.Symbol != "KEEP/USDT" {
		t.Errorf("Ticker.UnmarshalJSON on error: %v, %+v", err, tk)
	}
}

func TestArrayElems(t *testing.T) {
	for in, want := range map[string][]string{
		`[]`:                          nil,
		` [ 1 , "a,]b" , null ] `:     {`1`, `"a,]b"`, `null`},
		`[[1,2],{"a":[3]},"\"],"]`:    {`[1,2]`, `{"a":[3]}`, `"\"],"`},
		`[1704164645123,0.1,1e-08,2]`: {`1704164645123`, `0.1`, `1e-08`, `2`},
	} {
		got, err := arrayElems([]byte(in), nil)
		if err != nil || len(got) != len(want) {
			t.Errorf("arrayElems(%s) = %q, %v; want %q", in, got, err, want)
			continue
		}
		for i := range want {
			if string(got[i]) != want[i] {
				t.Errorf("arrayElems(%s)[%d] = %s, want %s", in, i, got[i], want[i])
			}
		}
	}
	for _, in := range []string{``, `{}`, `[`, `["a]`, `[[1]`, `1`} {
		if _, err := arrayElems([]byte(in), nil); err == nil {
			t.Errorf("arrayElems(%s) accepted it", in)
		}
	}
}

func TestCandleEnd(t *testing.T) {
	c := Candle{OpenTime: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}
	if got := c.End(TF1M); !got.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("1M candle of February 2024 ends %v", got)
	}
	if got := c.End(TF4h); !got.Equal(c.OpenTime.Add(4 * time.Hour)) {
		t.Errorf("4h candle ends %v", got)
	}
}
