package exchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json" // the JSON codec's engine: encoding/json's rules, about twice as fast
	"github.com/shopspring/decimal"
)

// The JSON form of the exchange types: CCXT's unified shapes. The rules (decimals as exact JSON numbers,
// timestamp and datetime, null, precedence) are in the package documentation, "Python interop".

// MarshalJSON writes the CCXT ticker object: symbol, timestamp, datetime, high, low, bid, ask, last,
// open, close, baseVolume, quoteVolume, change, percentage and info (null when Info is nil). It fails
// only when Info is not valid JSON.
func (t Ticker) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 384+len(t.Info))
	b = append(b, `{"symbol":`...)
	b = appendString(b, t.Symbol)
	b = appendTimeFields(b, t.Time)
	for _, f := range [...]struct {
		key string
		d   decimal.Decimal
	}{
		{"high", t.High}, {"low", t.Low}, {"bid", t.Bid}, {"ask", t.Ask}, {"last", t.Last},
		{"open", t.Open}, {"close", t.Close}, {"baseVolume", t.BaseVolume},
		{"quoteVolume", t.QuoteVolume}, {"change", t.Change}, {"percentage", t.Percentage},
	} {
		b = appendDecField(b, f.key, f.d)
	}
	b = append(b, `,"info":`...)
	if len(t.Info) == 0 {
		b = append(b, "null"...)
	} else {
		buf := bytes.NewBuffer(b)
		if err := json.Compact(buf, t.Info); err != nil {
			return nil, fmt.Errorf("exchange: ticker info is not valid JSON: %w", err)
		}
		b = buf.Bytes()
	}
	return append(b, '}'), nil
}

// tickerJSON is the shape UnmarshalJSON reads.
type tickerJSON struct {
	Symbol      string          `json:"symbol"`
	Timestamp   json.RawMessage `json:"timestamp"`
	Datetime    json.RawMessage `json:"datetime"`
	High        decimal.Decimal `json:"high"`
	Low         decimal.Decimal `json:"low"`
	Bid         decimal.Decimal `json:"bid"`
	Ask         decimal.Decimal `json:"ask"`
	Last        decimal.Decimal `json:"last"`
	Open        decimal.Decimal `json:"open"`
	Close       decimal.Decimal `json:"close"`
	BaseVolume  decimal.Decimal `json:"baseVolume"`
	QuoteVolume decimal.Decimal `json:"quoteVolume"`
	Change      decimal.Decimal `json:"change"`
	Percentage  decimal.Decimal `json:"percentage"`
	Info        json.RawMessage `json:"info"`
}

// UnmarshalJSON reads a CCXT ticker object (see MarshalJSON); Info is set to the compact text of info, or
// nil when info is null or absent. On error t is unchanged.
func (t *Ticker) UnmarshalJSON(b []byte) error {
	var m tickerJSON
	if err := gojson.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("exchange: ticker: %w", err)
	}
	at, err := readTimes(m.Timestamp, m.Datetime)
	if err != nil {
		return fmt.Errorf("exchange: ticker: %w", err)
	}
	var info json.RawMessage
	if raw := bytes.TrimSpace(m.Info); len(raw) > 0 && string(raw) != "null" {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return fmt.Errorf("exchange: ticker info: %w", err)
		}
		info = buf.Bytes()
	}
	*t = Ticker{
		Symbol: m.Symbol, Time: at, High: m.High, Low: m.Low, Bid: m.Bid, Ask: m.Ask, Last: m.Last,
		Open: m.Open, Close: m.Close, BaseVolume: m.BaseVolume, QuoteVolume: m.QuoteVolume,
		Change: m.Change, Percentage: m.Percentage, Info: info,
	}
	return nil
}

// MarshalJSON writes the CCXT OHLCV row [timestamp_ms, open, high, low, close, volume]; the zero
// OpenTime is null.
func (c Candle) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 96)
	b = append(b, '[')
	b = appendMillis(b, c.OpenTime)
	for _, d := range [...]decimal.Decimal{c.Open, c.High, c.Low, c.Close, c.Volume} {
		b = append(b, ',')
		b = append(b, d.String()...)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads a CCXT OHLCV row [timestamp, open, high, low, close, volume]: the time as epoch
// milliseconds or an ISO 8601 string, the others as decimals (null is zero). Elements after the sixth
// are ignored; fewer than six is an error. On error c is unchanged.
func (c *Candle) UnmarshalJSON(b []byte) error {
	var buf [8][]byte
	el, err := arrayElems(b, buf[:0])
	if err != nil {
		return fmt.Errorf("exchange: candle: %w", err)
	}
	if len(el) < 6 {
		return fmt.Errorf("exchange: candle: %d elements, want [timestamp, open, high, low, close, volume]", len(el))
	}
	var out Candle
	if out.OpenTime, _, err = parseTime(el[0]); err != nil {
		return fmt.Errorf("exchange: candle timestamp: %w", err)
	}
	names := [5]string{"open", "high", "low", "close", "volume"}
	dst := [5]*decimal.Decimal{&out.Open, &out.High, &out.Low, &out.Close, &out.Volume}
	for i := range dst {
		if *dst[i], err = parseDecimal(el[1+i]); err != nil {
			return fmt.Errorf("exchange: candle %s: %w", names[i], err)
		}
	}
	*c = out
	return nil
}

// MarshalJSON writes the CCXT trade object: id, timestamp, datetime, symbol, side, price, amount and
// cost. An empty ID or Side is null.
func (d Deal) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 224)
	b = append(b, `{"id":`...)
	b = appendStringOrNull(b, d.ID)
	b = appendTimeFields(b, d.Time)
	b = append(b, `,"symbol":`...)
	b = appendString(b, d.Symbol)
	b = append(b, `,"side":`...)
	b = appendStringOrNull(b, string(d.Side))
	b = appendDecField(b, "price", d.Price)
	b = appendDecField(b, "amount", d.Amount)
	b = appendDecField(b, "cost", d.Cost)
	return append(b, '}'), nil
}

type dealJSON struct {
	ID        flexID          `json:"id"`
	Timestamp json.RawMessage `json:"timestamp"`
	Datetime  json.RawMessage `json:"datetime"`
	Symbol    string          `json:"symbol"`
	Side      *string         `json:"side"`
	Price     decimal.Decimal `json:"price"`
	Amount    decimal.Decimal `json:"amount"`
	Cost      decimal.Decimal `json:"cost"`
}

// UnmarshalJSON reads a CCXT trade object (see MarshalJSON). The id may be a string, a number (kept as
// its text) or null (""); side is taken as written, null being "". On error d is unchanged.
func (d *Deal) UnmarshalJSON(b []byte) error {
	var m dealJSON
	if err := gojson.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("exchange: trade: %w", err)
	}
	at, err := readTimes(m.Timestamp, m.Datetime)
	if err != nil {
		return fmt.Errorf("exchange: trade: %w", err)
	}
	out := Deal{ID: string(m.ID), Time: at, Symbol: m.Symbol, Price: m.Price, Amount: m.Amount, Cost: m.Cost}
	if m.Side != nil {
		out.Side = Side(*m.Side)
	}
	*d = out
	return nil
}

// MarshalJSON writes the CCXT level [price, amount].
func (l Level) MarshalJSON() ([]byte, error) {
	return appendLevel(make([]byte, 0, 48), l), nil
}

// UnmarshalJSON reads a CCXT level [price, amount, ...]: two decimals (numbers or strings), elements after
// the second ignored. On error l is unchanged.
func (l *Level) UnmarshalJSON(b []byte) error {
	var buf [4][]byte
	el, err := arrayElems(b, buf[:0])
	if err != nil {
		return fmt.Errorf("exchange: order book level: %w", err)
	}
	if len(el) < 2 {
		return fmt.Errorf("exchange: order book level: %d elements, want [price, amount]", len(el))
	}
	var out Level
	if out.Price, err = parseDecimal(el[0]); err != nil {
		return fmt.Errorf("exchange: order book level price: %w", err)
	}
	if out.Amount, err = parseDecimal(el[1]); err != nil {
		return fmt.Errorf("exchange: order book level amount: %w", err)
	}
	*l = out
	return nil
}

// MarshalJSON writes the CCXT order book object: symbol, bids, asks (lists of [price, amount], [] when
// empty or nil), timestamp, datetime and nonce (null when 0).
func (ob OrderBook) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 160+48*(len(ob.Bids)+len(ob.Asks)))
	b = append(b, `{"symbol":`...)
	b = appendString(b, ob.Symbol)
	b = append(b, `,"bids":`...)
	b = appendLevels(b, ob.Bids)
	b = append(b, `,"asks":`...)
	b = appendLevels(b, ob.Asks)
	b = appendTimeFields(b, ob.Time)
	b = append(b, `,"nonce":`...)
	if ob.Nonce == 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, ob.Nonce, 10)
	}
	return append(b, '}'), nil
}

type orderBookJSON struct {
	Symbol    string          `json:"symbol"`
	Bids      []Level         `json:"bids"`
	Asks      []Level         `json:"asks"`
	Timestamp json.RawMessage `json:"timestamp"`
	Datetime  json.RawMessage `json:"datetime"`
	Nonce     flexInt         `json:"nonce"`
}

// UnmarshalJSON reads a CCXT order book object (see MarshalJSON); a null nonce is 0. On error ob is
// unchanged.
func (ob *OrderBook) UnmarshalJSON(b []byte) error {
	var m orderBookJSON
	if err := gojson.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("exchange: order book: %w", err)
	}
	at, err := readTimes(m.Timestamp, m.Datetime)
	if err != nil {
		return fmt.Errorf("exchange: order book: %w", err)
	}
	*ob = OrderBook{Symbol: m.Symbol, Bids: m.Bids, Asks: m.Asks, Time: at, Nonce: m.Nonce.n}
	return nil
}

func appendLevel(b []byte, l Level) []byte {
	b = append(b, '[')
	b = append(b, l.Price.String()...)
	b = append(b, ',')
	b = append(b, l.Amount.String()...)
	return append(b, ']')
}

func appendLevels(b []byte, ls []Level) []byte {
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendLevel(b, l)
	}
	return append(b, ']')
}

// appendDecField appends `,"key":` and d as a JSON number with its exact digits.
func appendDecField(b []byte, key string, d decimal.Decimal) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return append(b, d.String()...)
}

// appendString appends s as a JSON string (encoding/json's escaping for anything but plain ASCII).
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendStringOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

// appendMillis appends t as integer epoch milliseconds (rounded down), or null for the zero time.
func appendMillis(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, t.UnixMilli(), 10)
}

// appendTimeFields appends `,"timestamp":ms,"datetime":"iso"`, both null for the zero time.
func appendTimeFields(b []byte, t time.Time) []byte {
	b = append(b, `,"timestamp":`...)
	b = appendMillis(b, t)
	b = append(b, `,"datetime":`...)
	if t.IsZero() {
		return append(b, "null"...)
	}
	t = t.UTC()
	layout := "2006-01-02T15:04:05" // Python's isoformat(): no fraction for a whole second
	switch ns := t.Nanosecond(); {
	case ns == 0:
	case ns%1000 == 0:
		layout = "2006-01-02T15:04:05.000000" // microseconds, Python's precision
	default:
		layout = "2006-01-02T15:04:05.000000000" // Go's: Python 3.11+ reads it, truncated to microseconds
	}
	b = append(b, '"')
	b = t.AppendFormat(b, layout)
	return append(b, `+00:00"`...)
}

// arrayElems appends to dst the raw text of each element of the JSON array b, surrounding white space
// removed. Nested arrays and objects are kept whole; strings may hold commas and brackets.
func arrayElems(b []byte, dst [][]byte) ([][]byte, error) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, errors.New("not a JSON array")
	}
	inner := bytes.TrimSpace(b[1 : len(b)-1])
	if len(inner) == 0 {
		return dst, nil
	}
	depth, start, inString := 0, 0, false
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 0 {
				dst = append(dst, bytes.TrimSpace(inner[start:i]))
				start = i + 1
			}
		}
	}
	if inString || depth != 0 {
		return nil, errors.New("malformed JSON array")
	}
	return append(dst, bytes.TrimSpace(inner[start:])), nil
}

// parseDecimal reads a JSON number or string as an exact decimal; null is zero.
func parseDecimal(raw []byte) (decimal.Decimal, error) {
	var d decimal.Decimal
	if string(raw) == "null" {
		return d, nil
	}
	if err := d.UnmarshalJSON(raw); err != nil {
		return decimal.Decimal{}, fmt.Errorf("%s is not a decimal", truncate(raw))
	}
	return d, nil
}

// readTimes returns the time given by a CCXT object's timestamp and datetime (the rules are in the
// package documentation).
func readTimes(ts, dt json.RawMessage) (time.Time, error) {
	t1, ok1, err := parseTime(ts)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp: %w", err)
	}
	t2, ok2, err := parseTime(dt)
	if err != nil {
		return time.Time{}, fmt.Errorf("datetime: %w", err)
	}
	switch {
	case ok1 && ok2 && t1.UnixMilli() == t2.UnixMilli() && t1.Nanosecond()%1e6 == 0:
		return t2, nil // the same millisecond: datetime may carry finer digits
	case ok1:
		return t1, nil
	case ok2:
		return t2, nil
	}
	return time.Time{}, nil
}

// Epoch milliseconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the years a time may have.
const minMs, maxMs = -62135596800000, 253402300799999

var minMillis, maxMillis = decimal.NewFromInt(minMs), decimal.NewFromInt(maxMs)

// parseTime reads one JSON time value: a number or numeric string of epoch milliseconds, or an ISO 8601
// string. ok is false for null, "" and absence (the zero time).
func parseTime(raw []byte) (t time.Time, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, false, nil
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil { // the usual case: integer milliseconds
		if n < minMs || n > maxMs {
			return time.Time{}, false, fmt.Errorf("epoch milliseconds %d are outside the years 1 to 9999", n)
		}
		return time.UnixMilli(n).UTC(), true, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, false, fmt.Errorf("%s is not a JSON string", truncate(raw))
		}
		if s = strings.TrimSpace(s); s == "" {
			return time.Time{}, false, nil
		}
	}
	if c := s[0]; c == '-' || c == '+' || c >= '0' && c <= '9' {
		if ms, err := decimal.NewFromString(s); err == nil {
			t, err := fromMillis(ms)
			return t, err == nil, err
		}
	}
	t, err = parseISO(s)
	return t, err == nil, err
}

func fromMillis(ms decimal.Decimal) (time.Time, error) {
	// An exponent far from any millisecond count is out of range; checked first, since comparing such a
	// decimal would build a huge number.
	if exp := ms.Exponent(); exp > 15 || exp < -30 || ms.LessThan(minMillis) || ms.GreaterThan(maxMillis) {
		return time.Time{}, fmt.Errorf("epoch milliseconds %s are outside the years 1 to 9999", ms)
	}
	whole := ms.Floor()
	ns := ms.Sub(whole).Shift(6).Round(0).IntPart() // 0..1e6 nanoseconds
	return time.UnixMilli(whole.IntPart()).Add(time.Duration(ns)).UTC(), nil
}

// isoLayouts are the forms of Python's isoformat(): with an offset (Z or ±hh:mm, ±hh:mm:ss, ±hhmm) or
// naive. time.Parse accepts a fraction of any length after the seconds in each.
var isoLayouts = [...]string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05Z07:00:00",
	"2006-01-02T15:04:05Z0700",
}

// parseISO reads an ISO 8601 date and time as Python writes it, with "T" or a space between date and
// time; a naive one is UTC. The result is UTC.
func parseISO(s string) (time.Time, error) {
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither epoch milliseconds nor an ISO 8601 date and time", truncateString(s))
}

// truncate bounds the echo of a bad value in an error.
func truncate(raw []byte) string { return truncateString(string(raw)) }

func truncateString(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
