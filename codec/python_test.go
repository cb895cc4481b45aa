package codec

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// pyTicker is the Go side of testdata/python_ticker.json (written by testdata/make_python_ticker.py the
// way the Python bot writes: decimals as numbers, aware datetimes as ISO 8601, bytes as text).
type pyTicker struct {
	Symbol    string          `json:"symbol"`
	Last      decimal.Decimal `json:"last"`
	Bid       decimal.Decimal `json:"bid"`
	Ask       decimal.Decimal `json:"ask"`
	Volume    decimal.Decimal `json:"volume"`
	ChangePct decimal.Decimal `json:"change_pct"`
	Timestamp time.Time       `json:"timestamp"`
	Raw       string          `json:"raw"`
	Candles   []candle        `json:"candles"`
}

func TestDecodePythonFixture(t *testing.T) {
	data, err := os.ReadFile("testdata/python_ticker.json")
	if err != nil {
		t.Fatal(err)
	}
	var got pyTicker
	m, err := Decode(data, &got)
	if err != nil {
		t.Fatal(err)
	}
	if m.Codec != 0 {
		t.Errorf("Meta.Codec = %d, want 0 (plain JSON)", m.Codec)
	}
	if got.Symbol != "QRL/USDT" || got.Raw != "mexc:QRLUSDT" {
		t.Errorf("strings = %q %q", got.Symbol, got.Raw)
	}
	for name, d := range map[string]struct {
		got  decimal.Decimal
		want string
	}{
		"last": {got.Last, "0.1234"}, "bid": {got.Bid, "0.1233"}, "ask": {got.Ask, "0.1235"},
		"volume": {got.Volume, "1234567.89"}, "change_pct": {got.ChangePct, "-2.5"},
		"candle.low": {got.Candles[0].Low, "0.1229"}, "candle.volume": {got.Candles[0].Volume, "5000"},
	} {
		checkDec(t, name, d.got, mustDec(t, d.want))
	}
	checkTime(t, "timestamp", got.Timestamp, time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC))
	checkTime(t, "candle.open_time", got.Candles[0].OpenTime, time.Date(2024, 5, 1, 11, 59, 0, 0, time.UTC))
}

// Times written by Python with a non-UTC offset are the same instant, read as UTC.
func TestDecodePythonOffsetTime(t *testing.T) {
	var got struct {
		At time.Time `json:"at"`
	}
	if _, err := Decode([]byte(`{"at": "2024-05-01T14:00:00.5+02:00"}`), &got); err != nil {
		t.Fatal(err)
	}
	checkTime(t, "at", got.At, time.Date(2024, 5, 1, 12, 0, 0, 5e8, time.UTC))
}

func TestEncodePlainJSONForPython(t *testing.T) {
	in := pyTicker{
		Symbol:    "QRL/USDT",
		Last:      mustDec(t, "123456789012345678901234567890.000000001"),
		Bid:       mustDec(t, "-0.000001"),
		Volume:    mustDec(t, "0"),
		Timestamp: time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC),
		Candles:   sampleCandles(t, 1),
	}
	b, err := EncodePlainJSON(in)
	if err != nil {
		t.Fatal(err)
	}
	if IsEnveloped(b) || !json.Valid(b) {
		t.Fatalf("not bare valid JSON: %s", b)
	}
	// Decimals are bare JSON numbers with their exact digits.
	for _, want := range []string{`"last":123456789012345678901234567890.000000001,`, `"bid":-0.000001,`,
		`"volume":0,`, `"timestamp":"2024-05-01T12:00:00.123456Z"`, `"open":67000,`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("output lacks %s:\n%s", want, b)
		}
	}
	var back pyTicker
	if _, err := Decode(b, &back); err != nil {
		t.Fatal(err)
	}
	checkDec(t, "last", back.Last, in.Last)
	checkDec(t, "bid", back.Bid, in.Bid)
	checkCandles(t, back.Candles, in.Candles)
}

// Reads EncodePlainJSON output with Python itself, as a Python service would: json.loads with
// parse_float=Decimal must see the exact decimal, an aware datetime string, and our strings.
func TestEncodePlainJSONReadByPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: the interop test needs it; the pure-Go tests above check the same text")
	}
	in := pyTicker{Symbol: "QRL/USDT", Last: mustDec(t, "123456789012345678901234567890.000000001"),
		Bid: mustDec(t, "0.1"), Timestamp: time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)}
	b, err := EncodePlainJSON(in)
	if err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys
from decimal import Decimal
from datetime import datetime
d = json.load(sys.stdin, parse_float=Decimal)
assert d["last"] == Decimal("123456789012345678901234567890.000000001"), d["last"]
assert isinstance(d["bid"], Decimal) and d["bid"] == Decimal("0.1"), d["bid"]
ts = datetime.fromisoformat(d["timestamp"].replace("Z", "+00:00"))
assert ts.utcoffset().total_seconds() == 0 and ts.microsecond == 123456, ts
print(d["symbol"], d["last"])
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python rejected %s: %v\n%s", b, err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "QRL/USDT 123456789012345678901234567890.000000001" {
		t.Errorf("python read %q", got)
	}
}

// Apart from decimals, EncodePlainJSON writes exactly what json.Marshal writes; with decimals, exactly
// what json.Marshal writes when shopspring is told to write numbers (a process-wide switch the package
// must not flip, flipped here only to get the reference output).
func TestEncodePlainJSONMatchesEncodingJSON(t *testing.T) {
	type Base struct {
		ID    int             `json:"id"`
		Price decimal.Decimal `json:"price"`
		Dup   string
	}
	type other struct {
		Dup  string
		Hide decimal.Decimal `json:"-"`
	}
	type withPtrMethod struct{ D decimal.Decimal }
	type wrapper struct {
		Base
		*other
		Dup       string           `json:"Dup"`
		Empty     decimal.Decimal  `json:"empty,omitempty"`
		Zero      decimal.Decimal  `json:"zero,omitzero"`
		NonZero   decimal.Decimal  `json:"nonzero,omitzero"`
		Ptr       *decimal.Decimal `json:"ptr"`
		NilPtr    *decimal.Decimal `json:"nil_ptr,omitempty"`
		Null      decimal.NullDecimal
		Valid     decimal.NullDecimal
		Slice     []decimal.Decimal
		NilSlice  []decimal.Decimal
		Arr       [2]decimal.Decimal
		Map       map[string]decimal.Decimal
		IntMap    map[int]decimal.Decimal
		Any       any
		AnyMap    map[string]any
		Quoted    int     `json:"quoted,string"`
		QuotedStr string  `json:"qs,string"`
		QuotedPtr *string `json:"qp,string"`
		HTML      string  `json:"<html>"`
		At        time.Time
		Raw       []byte
		Candle    candle
		Inner     *inner `json:",omitempty"`
		Time      *time.Time
	}
	qs := `a"b<c>`
	d := mustDec(t, "-12.50")
	in := wrapper{
		Base:      Base{ID: 1, Price: mustDec(t, "0.1"), Dup: "base"},
		other:     &other{Dup: "other", Hide: d},
		Dup:       "top",
		NonZero:   d,
		Ptr:       &d,
		Valid:     decimal.NewNullDecimal(d),
		Slice:     []decimal.Decimal{d, decimal.Zero},
		Arr:       [2]decimal.Decimal{d, d},
		Map:       map[string]decimal.Decimal{"b": d, "a": decimal.Zero},
		IntMap:    map[int]decimal.Decimal{10: d, 9: d},
		Any:       []any{d, "x", 1.5, map[string]any{"z": &d}},
		AnyMap:    map[string]any{"k": d, "t": time.Date(2024, 1, 1, 0, 0, 0, 0, zoneTokyo)},
		Quoted:    7,
		QuotedStr: qs,
		QuotedPtr: &qs,
		HTML:      "<&>",
		At:        time.Date(2024, 1, 1, 0, 0, 0, 1, zoneTokyo),
		Raw:       []byte("raw"),
		Candle:    sampleCandles(t, 1)[0],
	}
	values := []any{in, &in, []wrapper{in}, map[string]*wrapper{"w": &in}, d, &d, decimal.NullDecimal{},
		[]any{nil, d}, struct{ X withPtrMethod }{}, sampleEverything(t), sampleCandles(t, 3)}
	for _, v := range values {
		got, err := EncodePlainJSON(v)
		if err != nil {
			t.Fatal(err)
		}
		decimal.MarshalJSONWithoutQuotes = true
		want, err := json.Marshal(v)
		decimal.MarshalJSONWithoutQuotes = false
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%T:\n got %s\nwant %s", v, got, want)
		}
	}
}
