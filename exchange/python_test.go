package exchange

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit/codec"
)

// The Python interop tests run testdata/python_shapes.py with a real python3: it writes CCXT-shaped values
// exactly as the Python bot's cache writer does (json.dumps with its encoder), and checks with
// json.loads(..., parse_float=Decimal) what Go wrote.

// python3 returns the interpreter's path. Without one the test is skipped, unless CACHEKIT_REQUIRE_REDIS=1
// (set in CI, where every external dependency of the tests must be present): then it fails.
func python3(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CACHEKIT_REQUIRE_REDIS") == "1" {
			t.Fatalf("python3 not on PATH, and CACHEKIT_REQUIRE_REDIS=1 requires every test dependency: %v", err)
		}
		t.Skip("python3 not on PATH: the Python interop test needs it (set CACHEKIT_REQUIRE_REDIS=1 to make this a failure)")
	}
	return py
}

// runPython runs python_shapes.py in mode with stdin and returns its standard output; a non-zero exit
// fails the test with the script's standard error.
func runPython(t *testing.T, mode string, stdin []byte) []byte {
	t.Helper()
	cmd := exec.Command(python3(t), filepath.Join("testdata", "python_shapes.py"), mode)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python3 python_shapes.py %s: %v\n%s", mode, err, stderr.String())
	}
	return stdout.Bytes()
}

// pythonValues returns the values the script writes, by case name: each is the exact text the Python bot
// stores in Redis.
func pythonValues(t *testing.T) map[string][]byte {
	t.Helper()
	var texts map[string]string
	if err := json.Unmarshal(runPython(t, "write", nil), &texts); err != nil {
		t.Fatalf("python output: %v", err)
	}
	out := make(map[string][]byte, len(texts))
	for name, s := range texts {
		out[name] = []byte(s)
	}
	return out
}

// pyCase is one value of python_shapes.py with what Go must read from it.
type pyCase struct {
	target func() any // a new pointer of the Go type
	check  func(t *testing.T, got any)
}

var (
	pyMS      = time.Date(2024, 1, 2, 3, 4, 5, 123000000, time.UTC)
	pyUS      = time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	pyNaive   = time.Date(2024, 5, 1, 12, 30, 0, 250000000, time.UTC)
	pyPlus2   = time.Date(2024, 5, 1, 12, 0, 0, 500000000, time.UTC)
	pyWhole   = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	pyTickerI = `{"symbol":"QRLUSDT","lastPrice":"0.3001","raw":"mexc:QRLUSDT","n":[1,2.5,null]}`
)

func pyTicker(at time.Time) Ticker {
	d := decimal.RequireFromString
	return Ticker{Symbol: "QRL/USDT", Time: at, High: d("0.3125"), Low: d("0.2801"), Bid: d("0.01234567"),
		Ask: d("0.2998"), Last: d("0.3001"), Open: d("0.2878"), Close: d("0.3001"), BaseVolume: d("1732461.48"),
		QuoteVolume: d("518832"), Change: d("0.0123"), Percentage: d("4.273801"), Info: json.RawMessage(pyTickerI)}
}

func pyCases() map[string]pyCase {
	d := decimal.RequireFromString
	ticker := func(want Ticker) pyCase {
		return pyCase{func() any { return new(Ticker) }, func(t *testing.T, got any) { checkTicker(t, *got.(*Ticker), want) }}
	}
	nulls := pyTicker(time.Time{})
	nulls.Bid, nulls.Ask, nulls.Change, nulls.Percentage, nulls.Info = decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero, nil
	candle := func(at time.Time, o, h, l, c, v string) Candle {
		return Candle{OpenTime: at, Open: d(o), High: d(h), Low: d(l), Close: d(c), Volume: d(v)}
	}
	return map[string]pyCase{
		"ticker_ccxt":      ticker(pyTicker(pyMS)),
		"ticker_aware":     ticker(pyTicker(pyUS)),
		"ticker_naive":     ticker(pyTicker(pyNaive)),
		"ticker_str_aware": ticker(pyTicker(pyUS)),
		"ticker_str_naive": ticker(pyTicker(pyNaive)),
		"ticker_offset":    ticker(pyTicker(pyPlus2)),
		"ticker_ms_only":   ticker(pyTicker(pyMS)),
		"ticker_conflict":  ticker(pyTicker(pyMS)),
		"ticker_nulls":     ticker(nulls),
		"ohlcv": {func() any { return new([]Candle) }, func(t *testing.T, got any) {
			checkCandles(t, *got.(*[]Candle), []Candle{
				candle(time.Date(2024, 4, 29, 0, 0, 0, 0, time.UTC), "0.2811", "0.295", "0.279", "0.2903", "1532201.37"),
				candle(time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC), "0.2903", "0.3125", "0.287", "0.3001", "2019920"),
				candle(pyWhole, "0.3001", "0.305", "0.2955", "0.01234567", "87211.03"),
				candle(pyNaive, "0.00000001", "0.00000002", "0.00000001", "0.00000002", "0"),
			})
		}},
		"trades": {func() any { return new([]Deal) }, func(t *testing.T, got any) {
			checkDeals(t, *got.(*[]Deal), []Deal{
				{ID: "1714521599123-1", Time: pyMS, Symbol: "QRL/USDT", Side: SideSell, Price: d("0.3001"),
					Amount: d("1523.81"), Cost: d("457.295381")},
				{ID: "", Time: pyNaive, Symbol: "QRL/USDT", Side: SideBuy, Price: d("0.3002"), Amount: d("20"), Cost: d("6.004")},
				{ID: "987654321", Time: pyUS, Symbol: "QRL/USDT", Side: SideBuy, Price: d("0.01234567"),
					Amount: d("0.5"), Cost: d("0.006172835")},
			})
		}},
		"orderbook": {func() any { return new(OrderBook) }, func(t *testing.T, got any) {
			checkOrderBook(t, *got.(*OrderBook), OrderBook{Symbol: "QRL/USDT", Time: pyUS, Nonce: 1112416,
				Bids: []Level{{d("0.2998"), d("1500.5")}, {d("0.2997"), d("49999")}},
				Asks: []Level{{d("0.3004"), d("1")}, {d("0.3005"), d("812.33")}}})
		}},
		"orderbook_nulls": {func() any { return new(OrderBook) }, func(t *testing.T, got any) {
			checkOrderBook(t, *got.(*OrderBook), OrderBook{Symbol: "QRL/USDT", Time: pyNaive, Nonce: 0,
				Bids: []Level{}, Asks: []Level{{d("0.01234567"), d("0.1")}}})
		}},
	}
}

// decodePython decodes every value the script wrote through the Cache's read path (codec.Decode of an
// envelope-less value), checks it, and returns the decoded values by case name.
func decodePython(t *testing.T) map[string]any {
	t.Helper()
	values := pythonValues(t)
	cases := pyCases()
	if len(values) != len(cases) {
		t.Fatalf("python wrote %d cases, the test knows %d", len(values), len(cases))
	}
	out := make(map[string]any, len(cases))
	for name, tc := range cases {
		raw, ok := values[name]
		if !ok {
			t.Fatalf("python wrote no case %q", name)
		}
		v := tc.target()
		m, err := codec.Decode(raw, v)
		if err != nil {
			t.Fatalf("%s: codec.Decode(%s): %v", name, raw, err)
		}
		if m.Codec != 0 {
			t.Errorf("%s: Meta.Codec = %d, want 0 (plain JSON)", name, m.Codec)
		}
		t.Run(name, func(t *testing.T) { tc.check(t, v) })
		out[name] = v
	}
	return out
}

// Values the Python bot wrote are read as written: every field, decimals exactly, times as UTC instants
// from CCXT's timestamp, aware and naive isoformat(), str(datetime) and other offsets.
func TestPythonValuesReadAsWritten(t *testing.T) {
	decodePython(t)
}

// What Go writes in plain JSON (codec.EncodePlainJSON, the migration mode) is read by Python's json.loads:
// the script checks every field of the values Go decoded from Python's own, and a value with more digits
// than a float holds.
func TestGoPlainJSONReadByPython(t *testing.T) {
	decoded := decodePython(t)
	texts := make(map[string]string, len(decoded)+1)
	for name, v := range decoded {
		b, err := codec.EncodePlainJSON(v)
		if err != nil {
			t.Fatalf("%s: EncodePlainJSON: %v", name, err)
		}
		if codec.IsEnveloped(b) || !json.Valid(b) {
			t.Fatalf("%s: not bare JSON: %q", name, b)
		}
		texts[name] = string(b)
	}
	exact := Ticker{Symbol: "QRL/USDT", Last: dec(t, "0.30012345678901234567"),
		BaseVolume: dec(t, "123456789012345678901234567890.000000001"), Percentage: dec(t, "-2.5"),
		Time: time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)}
	b, err := codec.EncodePlainJSON(exact)
	if err != nil {
		t.Fatal(err)
	}
	texts["go_exact"] = string(b)
	in, err := json.Marshal(texts)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSpace(string(runPython(t, "check", in)))
	if want := "ok " + strconv.Itoa(len(texts)); out != want {
		t.Errorf("python check printed %q, want %q", out, want)
	}
}

func checkDecimal(t *testing.T, what string, got, want decimal.Decimal) {
	t.Helper()
	if !got.Equal(want) || got.String() != want.String() {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || (!got.IsZero() && got.Location() != time.UTC) || got.IsZero() != want.IsZero() {
		t.Errorf("%s = %v, want %v (UTC)", what, got, want)
	}
}

func checkTicker(t *testing.T, got, want Ticker) {
	t.Helper()
	if got.Symbol != want.Symbol {
		t.Errorf("symbol = %q, want %q", got.Symbol, want.Symbol)
	}
	checkTime(t, "time", got.Time, want.Time)
	for _, f := range []struct {
		name      string
		got, want decimal.Decimal
	}{
		{"high", got.High, want.High}, {"low", got.Low, want.Low}, {"bid", got.Bid, want.Bid},
		{"ask", got.Ask, want.Ask}, {"last", got.Last, want.Last}, {"open", got.Open, want.Open},
		{"close", got.Close, want.Close}, {"baseVolume", got.BaseVolume, want.BaseVolume},
		{"quoteVolume", got.QuoteVolume, want.QuoteVolume}, {"change", got.Change, want.Change},
		{"percentage", got.Percentage, want.Percentage},
	} {
		checkDecimal(t, f.name, f.got, f.want)
	}
	if !bytes.Equal(got.Info, want.Info) || (got.Info == nil) != (want.Info == nil) {
		t.Errorf("info = %q, want %q", got.Info, want.Info)
	}
}

func checkCandles(t *testing.T, got, want []Candle) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d candles, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		checkTime(t, "candle time", g.OpenTime, w.OpenTime)
		for _, f := range []struct {
			name      string
			got, want decimal.Decimal
		}{{"open", g.Open, w.Open}, {"high", g.High, w.High}, {"low", g.Low, w.Low}, {"close", g.Close, w.Close},
			{"volume", g.Volume, w.Volume}} {
			checkDecimal(t, "candle "+strconv.Itoa(i)+" "+f.name, f.got, f.want)
		}
	}
}

func checkDeals(t *testing.T, got, want []Deal) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d deals, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Symbol != w.Symbol || g.Side != w.Side {
			t.Errorf("deal %d id/symbol/side = %q/%q/%q, want %q/%q/%q", i, g.ID, g.Symbol, g.Side, w.ID, w.Symbol, w.Side)
		}
		checkTime(t, "deal time", g.Time, w.Time)
		checkDecimal(t, "deal price", g.Price, w.Price)
		checkDecimal(t, "deal amount", g.Amount, w.Amount)
		checkDecimal(t, "deal cost", g.Cost, w.Cost)
	}
}

func checkOrderBook(t *testing.T, got, want OrderBook) {
	t.Helper()
	if got.Symbol != want.Symbol || got.Nonce != want.Nonce {
		t.Errorf("symbol/nonce = %q/%d, want %q/%d", got.Symbol, got.Nonce, want.Symbol, want.Nonce)
	}
	checkTime(t, "order book time", got.Time, want.Time)
	for _, side := range []struct {
		name      string
		got, want []Level
	}{{"bids", got.Bids, want.Bids}, {"asks", got.Asks, want.Asks}} {
		if len(side.got) != len(side.want) || (side.got == nil) != (side.want == nil) {
			t.Errorf("%s = %v, want %v", side.name, side.got, side.want)
			continue
		}
		for i := range side.want {
			checkDecimal(t, side.name+" price", side.got[i].Price, side.want[i].Price)
			checkDecimal(t, side.name+" amount", side.got[i].Amount, side.want[i].Amount)
		}
	}
}
