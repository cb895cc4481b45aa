package exchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// flexDecimal reads a decimal sent as a JSON string ("0.0123") or number (0.0123), exactly, from the
// literal text. null and "" leave it unset (MEXC sends both for absent values).
type flexDecimal struct {
	d   decimal.Decimal
	set bool
}

func (f *flexDecimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var err error
		if s, err = strconv.Unquote(s); err != nil {
			return fmt.Errorf("bad decimal string %s", b)
		}
		if s == "" {
			return nil
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("%q is not a decimal", s)
	}
	f.d, f.set = d, true
	return nil
}

// flexInt reads an integer sent as a JSON number or string; null and "" leave it unset.
type flexInt struct {
	n   int64
	set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var err error
		if s, err = strconv.Unquote(s); err != nil {
			return fmt.Errorf("bad integer string %s", b)
		}
		if s == "" {
			return nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not an integer", s)
	}
	f.n, f.set = n, true
	return nil
}

// flexID reads a trade id sent as a string, a number or null (MEXC sends null) as text.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && b[0] == '"':
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return fmt.Errorf("bad id %s", b)
		}
		*f = flexID(s)
	default:
		if _, err := strconv.ParseFloat(string(b), 64); err != nil {
			return fmt.Errorf("id %s is neither a string nor a number", b)
		}
		*f = flexID(b)
	}
	return nil
}

func need(what string, f flexDecimal) (decimal.Decimal, error) {
	if !f.set {
		return decimal.Decimal{}, fmt.Errorf("%s is missing", what)
	}
	return f.d, nil
}

func needTime(what string, f flexInt) (time.Time, error) {
	if !f.set {
		return time.Time{}, fmt.Errorf("%s is missing", what)
	}
	return time.UnixMilli(f.n).UTC(), nil
}

// strictUnmarshal decodes exactly one JSON value with nothing after it.
func strictUnmarshal(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// errorBody is MEXC's error answer: {"code": 10007, "msg": "bad symbol"}.
type errorBody struct {
	Code *flexInt `json:"code"`
	Msg  *string  `json:"msg"`
}

// parseErrorBody returns the code and message of an error body, ok false when body is not one. Codes 0 and
// 200 mean success in MEXC's wrapped answers and are not errors.
func parseErrorBody(body []byte) (code int, msg string, ok bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return 0, "", false
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil || eb.Code == nil || !eb.Code.set || eb.Msg == nil {
		return 0, "", false
	}
	if eb.Code.n == 0 || eb.Code.n == 200 {
		return 0, "", false
	}
	return int(eb.Code.n), *eb.Msg, true
}

// mexcTicker is the /api/v3/ticker/24hr answer for one symbol.
type mexcTicker struct {
	Symbol             string      `json:"symbol"`
	PriceChange        flexDecimal `json:"priceChange"`
	PriceChangePercent flexDecimal `json:"priceChangePercent"`
	OpenPrice          flexDecimal `json:"openPrice"`
	LastPrice          flexDecimal `json:"lastPrice"`
	BidPrice           flexDecimal `json:"bidPrice"`
	AskPrice           flexDecimal `json:"askPrice"`
	HighPrice          flexDecimal `json:"highPrice"`
	LowPrice           flexDecimal `json:"lowPrice"`
	Volume             flexDecimal `json:"volume"`
	QuoteVolume        flexDecimal `json:"quoteVolume"`
	CloseTime          flexInt     `json:"closeTime"`
}

var hundred = decimal.NewFromInt(100)

// decodeTicker maps MEXC's 24-hour statistics onto the CCXT ticker, as CCXT's own MEXC driver does: open
// is openPrice, close is lastPrice, change is priceChange (Last - Open when MEXC omits it but gives the
// open), percentage is priceChangePercent in percent, and info is the answer itself, compacted.
func decodeTicker(body []byte, symbol, mexcSymbol string, now time.Time) (Ticker, error) {
	var m mexcTicker
	if err := strictUnmarshal(body, &m); err != nil {
		return Ticker{}, err
	}
	if m.Symbol != mexcSymbol {
		return Ticker{}, fmt.Errorf("answer is for symbol %q, asked for %q", m.Symbol, mexcSymbol)
	}
	last, err := need("lastPrice", m.LastPrice)
	if err != nil {
		return Ticker{}, err
	}
	var info bytes.Buffer
	if err := json.Compact(&info, body); err != nil {
		return Ticker{}, err
	}
	t := Ticker{
		Symbol: symbol, Last: last, Close: last, Open: m.OpenPrice.d,
		Bid: m.BidPrice.d, Ask: m.AskPrice.d, High: m.HighPrice.d, Low: m.LowPrice.d,
		BaseVolume: m.Volume.d, QuoteVolume: m.QuoteVolume.d,
		Change: m.PriceChange.d,
		// MEXC sends the change as a fraction ("0.0040" for +0.40 %).
		Percentage: m.PriceChangePercent.d.Mul(hundred),
		Time:       now.UTC(),
		Info:       info.Bytes(),
	}
	if !m.PriceChange.set && m.OpenPrice.set {
		t.Change = last.Sub(m.OpenPrice.d)
	}
	if m.CloseTime.set {
		t.Time = time.UnixMilli(m.CloseTime.n).UTC()
	}
	return t, nil
}

// decodeKlines reads /api/v3/klines: rows of [openTime, open, high, low, close, volume, closeTime,
// quoteVolume], where times are numbers and prices strings, though either may come as the other. The
// close time and quote volume are not kept (a CCXT row has neither; see Candle).
func decodeKlines(body []byte) ([]Candle, error) {
	var rows [][]json.RawMessage
	if err := strictUnmarshal(body, &rows); err != nil {
		return nil, err
	}
	out := make([]Candle, 0, len(rows))
	for i, row := range rows {
		c, err := decodeKline(row)
		if err != nil {
			return nil, fmt.Errorf("kline %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func decodeKline(row []json.RawMessage) (Candle, error) {
	if len(row) < 6 {
		return Candle{}, fmt.Errorf("%d fields, want at least 6", len(row))
	}
	var (
		openT flexInt
		px    [5]flexDecimal // open high low close volume
	)
	if err := json.Unmarshal(row[0], &openT); err != nil {
		return Candle{}, fmt.Errorf("open time: %w", err)
	}
	for j := range px {
		if err := json.Unmarshal(row[1+j], &px[j]); err != nil {
			return Candle{}, fmt.Errorf("field %d: %w", 1+j, err)
		}
	}
	var c Candle
	var err error
	if c.OpenTime, err = needTime("open time", openT); err != nil {
		return Candle{}, err
	}
	names := [5]string{"open", "high", "low", "close", "volume"}
	dst := [5]*decimal.Decimal{&c.Open, &c.High, &c.Low, &c.Close, &c.Volume}
	for j := range px {
		if *dst[j], err = need(names[j], px[j]); err != nil {
			return Candle{}, err
		}
	}
	return c, nil
}

// mexcTrade is one /api/v3/trades entry.
type mexcTrade struct {
	ID           flexID      `json:"id"`
	Price        flexDecimal `json:"price"`
	Qty          flexDecimal `json:"qty"`
	QuoteQty     flexDecimal `json:"quoteQty"`
	Time         flexInt     `json:"time"`
	IsBuyerMaker *bool       `json:"isBuyerMaker"`
}

// decodeTrades reads /api/v3/trades for symbol. Cost is MEXC's quoteQty, or price × qty when it is absent.
func decodeTrades(body []byte, symbol string) ([]Deal, error) {
	var rows []mexcTrade
	if err := strictUnmarshal(body, &rows); err != nil {
		return nil, err
	}
	out := make([]Deal, 0, len(rows))
	for i, r := range rows {
		d := Deal{ID: string(r.ID), Symbol: symbol, Side: SideBuy}
		var err error
		if d.Price, err = need("price", r.Price); err == nil {
			if d.Amount, err = need("qty", r.Qty); err == nil {
				d.Time, err = needTime("time", r.Time)
			}
		}
		if err == nil && r.IsBuyerMaker == nil {
			err = errors.New("isBuyerMaker is missing")
		}
		if err != nil {
			return nil, fmt.Errorf("trade %d: %w", i, err)
		}
		d.Cost = d.Price.Mul(d.Amount)
		if r.QuoteQty.set {
			d.Cost = r.QuoteQty.d
		}
		if *r.IsBuyerMaker { // the maker bought, so the taker sold
			d.Side = SideSell
		}
		out = append(out, d)
	}
	return out, nil
}

// mexcDepth is the /api/v3/depth answer.
type mexcDepth struct {
	LastUpdateID flexInt         `json:"lastUpdateId"`
	Bids         [][]flexDecimal `json:"bids"`
	Asks         [][]flexDecimal `json:"asks"`
}

func decodeDepth(body []byte, symbol string, now time.Time) (OrderBook, error) {
	var m mexcDepth
	if err := strictUnmarshal(body, &m); err != nil {
		return OrderBook{}, err
	}
	if m.Bids == nil || m.Asks == nil {
		return OrderBook{}, errors.New("bids or asks missing")
	}
	ob := OrderBook{Symbol: symbol, Nonce: m.LastUpdateID.n, Time: now.UTC()}
	var err error
	if ob.Bids, err = levels("bid", m.Bids); err != nil {
		return OrderBook{}, err
	}
	if ob.Asks, err = levels("ask", m.Asks); err != nil {
		return OrderBook{}, err
	}
	return ob, nil
}

func levels(side string, rows [][]flexDecimal) ([]Level, error) {
	out := make([]Level, 0, len(rows))
	for i, r := range rows {
		if len(r) < 2 || !r[0].set || !r[1].set {
			return nil, fmt.Errorf("%s %d: want [price, quantity]", side, i)
		}
		out = append(out, Level{Price: r[0].d, Amount: r[1].d})
	}
	return out, nil
}
