package exchange

// MEXC source tests. Every server here is an httptest server on loopback answering with the fixtures in
// testdata/mexc, which follow the examples of https://mexcdevelop.github.io/apidocs/spot_v3_en/ (see
// testdata/mexc/README.md for the section each one comes from). No test contacts the real MEXC.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "mexc", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeMEXC is an httptest server serving fixtures per path. It records every request.
type fakeMEXC struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
}

// newFakeMEXC serves handler (or the fixtures of the four endpoints when handler is nil).
func newFakeMEXC(t *testing.T, handler http.HandlerFunc) *fakeMEXC {
	t.Helper()
	f := &fakeMEXC{}
	if handler == nil {
		bodies := map[string][]byte{
			"/api/v3/ticker/24hr": fixture(t, "ticker_24hr.json"),
			"/api/v3/klines":      fixture(t, "klines.json"),
			"/api/v3/trades":      fixture(t, "trades.json"),
			"/api/v3/depth":       fixture(t, "depth.json"),
		}
		handler = func(w http.ResponseWriter, r *http.Request) {
			body, ok := bodies[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		}
	}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Clone(context.Background()))
		f.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeMEXC) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func (f *fakeMEXC) last() *http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[len(f.requests)-1]
}

func newMEXC(t *testing.T, base string, opts MEXCOptions) *MEXC {
	t.Helper()
	opts.BaseURL = base
	m, err := NewMEXC(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// recordSleeps replaces m's sleep with one that records the waits and returns at once.
func recordSleeps(m *MEXC) *[]time.Duration {
	var waits []time.Duration
	var mu sync.Mutex
	m.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return &waits
}

func TestMEXCTicker(t *testing.T) {
	srv := newFakeMEXC(t, nil)
	m := newMEXC(t, srv.URL, MEXCOptions{UserAgent: "qrl-bot/2"})
	tk, err := m.Ticker(context.Background(), "qrl/usdt")
	if err != nil {
		t.Fatal(err)
	}
	req := srv.last()
	if req.URL.Path != "/api/v3/ticker/24hr" || req.URL.Query().Get("symbol") != "QRLUSDT" || req.Header.Get("User-Agent") != "qrl-bot/2" {
		t.Errorf("request = %s %s UA %q", req.URL.Path, req.URL.RawQuery, req.Header.Get("User-Agent"))
	}
	want := map[string]string{
		"last": "0.3001", "bid": "0.2998", "ask": "0.3004", "high": "0.3125", "low": "0.2801",
		"baseVolume": "1732461.48712345678901", "quoteVolume": "0", "percentage": "4.273801",
		"open": "0.2878", "close": "0.3001", "change": "0.0123",
	}
	got := map[string]string{
		"last": tk.Last.String(), "bid": tk.Bid.String(), "ask": tk.Ask.String(), "high": tk.High.String(),
		"low": tk.Low.String(), "baseVolume": tk.BaseVolume.String(), "quoteVolume": tk.QuoteVolume.String(),
		"percentage": tk.Percentage.String(), "open": tk.Open.String(), "close": tk.Close.String(),
		"change": tk.Change.String(),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	if tk.Symbol != "QRL/USDT" || !tk.Time.Equal(time.UnixMilli(1714521599808)) || tk.Time.Location() != time.UTC {
		t.Errorf("symbol/time = %q/%v", tk.Symbol, tk.Time)
	}
	// info is MEXC's answer itself, compacted, as CCXT keeps it.
	var info bytes.Buffer
	if err := json.Compact(&info, fixture(t, "ticker_24hr.json")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tk.Info, info.Bytes()) {
		t.Errorf("info = %s, want %s", tk.Info, info.Bytes())
	}
}

func TestMEXCKlines(t *testing.T) {
	srv := newFakeMEXC(t, nil)
	m := newMEXC(t, srv.URL, MEXCOptions{})
	candles, err := m.OHLCV(context.Background(), "QRL/USDT", TF1d, 3)
	if err != nil {
		t.Fatal(err)
	}
	q := srv.last().URL.Query()
	if srv.last().URL.Path != "/api/v3/klines" || q.Get("symbol") != "QRLUSDT" || q.Get("interval") != "1d" || q.Get("limit") != "3" {
		t.Errorf("request = %s?%s", srv.last().URL.Path, srv.last().URL.RawQuery)
	}
	if len(candles) != 3 {
		t.Fatalf("got %d candles, want 3", len(candles))
	}
	c := candles[2]
	if c.Open.String() != "0.3001" || c.Close.String() != "0.30012345678901234567" || c.High.String() != "0.305" ||
		c.Low.String() != "0.2955" || c.Volume.String() != "87211.03" {
		t.Errorf("candle 2 = %+v", c)
	}
	if !c.OpenTime.Equal(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)) || !c.End(TF1d).Equal(time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("candle 2 times = %v..%v", c.OpenTime, c.End(TF1d))
	}
	if !candles[0].OpenTime.Equal(time.Date(2024, 4, 29, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("candles are not oldest first: %v", candles[0].OpenTime)
	}

	// The interval name sent is MEXC's.
	for tf, want := range map[Timeframe]string{TF1h: "60m", TF1w: "1W", TF1M: "1M", TF15m: "15m"} {
		if _, err := m.OHLCV(context.Background(), "QRL/USDT", tf, 3); err != nil {
			t.Fatal(err)
		}
		if got := srv.last().URL.Query().Get("interval"); got != want {
			t.Errorf("%s sent interval=%s, want %s", tf, got, want)
		}
	}
}

func TestMEXCTrades(t *testing.T) {
	srv := newFakeMEXC(t, nil)
	m := newMEXC(t, srv.URL, MEXCOptions{})
	deals, err := m.Deals(context.Background(), "QRL/USDT", 2)
	if err != nil {
		t.Fatal(err)
	}
	if q := srv.last().URL.Query(); srv.last().URL.Path != "/api/v3/trades" || q.Get("symbol") != "QRLUSDT" || q.Get("limit") != "2" {
		t.Errorf("request = %s?%s", srv.last().URL.Path, srv.last().URL.RawQuery)
	}
	if len(deals) != 2 {
		t.Fatalf("got %d deals", len(deals))
	}
	// isBuyerMaker true: the maker bought, the taker sold.
	if d := deals[0]; d.ID != "" || d.Side != SideSell || d.Price.String() != "0.3001" || d.Amount.String() != "1523.81" ||
		d.Cost.String() != "457.295381" || d.Symbol != "QRL/USDT" ||
		!d.Time.Equal(time.UnixMilli(1714521599123)) {
		t.Errorf("deal 0 = %+v", d)
	}
	if d := deals[1]; d.Side != SideBuy || d.Amount.String() != "20" || d.Cost.String() != "6.004" {
		t.Errorf("deal 1 = %+v", d)
	}
}

func TestMEXCDepth(t *testing.T) {
	srv := newFakeMEXC(t, nil)
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	m := newMEXC(t, srv.URL, MEXCOptions{Now: fixedClock(now)})
	ob, err := m.OrderBook(context.Background(), "QRL/USDT", 2)
	if err != nil {
		t.Fatal(err)
	}
	if q := srv.last().URL.Query(); srv.last().URL.Path != "/api/v3/depth" || q.Get("symbol") != "QRLUSDT" || q.Get("limit") != "2" {
		t.Errorf("request = %s?%s", srv.last().URL.Path, srv.last().URL.RawQuery)
	}
	if ob.Symbol != "QRL/USDT" || ob.Nonce != 1112416 || !ob.Time.Equal(now) || len(ob.Bids) != 2 || len(ob.Asks) != 2 {
		t.Fatalf("order book = %+v", ob)
	}
	if ob.Bids[1].Price.String() != "0.2997" || !ob.Bids[1].Amount.Equal(dec(t, "49999")) || ob.Asks[1].Amount.String() != "812.33" {
		t.Errorf("levels = %+v / %+v", ob.Bids, ob.Asks)
	}
}

func TestMEXCErrorBody(t *testing.T) {
	body := fixture(t, "error_bad_symbol.json")
	for _, status := range []int{http.StatusBadRequest, http.StatusOK} { // MEXC may wrap an error in a 200
		srv := newFakeMEXC(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			w.Write(body)
		})
		m := newMEXC(t, srv.URL, MEXCOptions{})
		_, err := m.Ticker(context.Background(), "NOPE/USDT")
		var ae *APIError
		if !errors.As(err, &ae) {
			t.Fatalf("HTTP %d: err = %v, want *APIError", status, err)
		}
		if ae.Status != status || ae.Code != 10007 || ae.Msg != "bad symbol" || ae.Endpoint != "/api/v3/ticker/24hr" {
			t.Errorf("APIError = %+v", ae)
		}
		if !errors.Is(err, ErrBadSymbol) || !errors.Is(err, ErrBadRequest) || errors.Is(err, ErrRateLimited) {
			t.Errorf("HTTP %d: sentinels wrong for %v", status, err)
		}
		if srv.count() != 1 {
			t.Errorf("HTTP %d: a rejected request was retried (%d requests)", status, srv.count())
		}
	}
}

func TestMEXCRateLimitWaitsRetryAfter(t *testing.T) {
	var n atomic.Int32
	ticker, limited := fixture(t, "ticker_24hr.json"), fixture(t, "error_rate_limited.json")
	srv := newFakeMEXC(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write(limited)
			return
		}
		w.Write(ticker)
	})
	m := newMEXC(t, srv.URL, MEXCOptions{BaseBackoff: time.Millisecond})
	start := time.Now()
	tk, err := m.Ticker(context.Background(), "QRL/USDT")
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("retried after %v, before the 1s Retry-After", el)
	}
	if srv.count() != 2 || tk.Last.String() != "0.3001" {
		t.Errorf("requests = %d, last = %v; want 2 and the ticker", srv.count(), tk.Last)
	}
}

func TestMEXCRateLimitRetriesStop(t *testing.T) {
	limited := fixture(t, "error_rate_limited.json")
	srv := newFakeMEXC(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write(limited)
	})
	m := newMEXC(t, srv.URL, MEXCOptions{MaxRetries: 2})
	waits := recordSleeps(m)
	_, err := m.Deals(context.Background(), "QRL/USDT", 5)
	var ae *APIError
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &ae) || ae.Status != 429 || ae.Code != 429 || ae.RetryAfter != time.Second {
		t.Fatalf("err = %v, want a 429 *APIError with RetryAfter 1s", err)
	}
	if srv.count() != 3 {
		t.Errorf("requests = %d, want 3 (1 + MaxRetries)", srv.count())
	}
	if len(*waits) != 2 || (*waits)[0] != time.Second || (*waits)[1] != time.Second {
		t.Errorf("waits = %v, want [1s 1s] (Retry-After)", *waits)
	}

	// No retries at all when disabled.
	m = newMEXC(t, srv.URL, MEXCOptions{MaxRetries: -1})
	before := srv.count()
	if _, err := m.Deals(context.Background(), "QRL/USDT", 5); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	if srv.count()-before != 1 {
		t.Errorf("MaxRetries -1 made %d requests, want 1", srv.count()-before)
	}
}

func TestMEXCRateLimitNeverWaitsPastDeadline(t *testing.T) {
	srv := newFakeMEXC(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	m := newMEXC(t, srv.URL, MEXCOptions{})
	waits := recordSleeps(m)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := m.Ticker(ctx, "QRL/USDT")
	if !errors.Is(err, ErrRateLimited) || ctx.Err() != nil {
		t.Fatalf("err = %v (ctx %v), want ErrRateLimited before the deadline", err, ctx.Err())
	}
	if srv.count() != 1 || len(*waits) != 0 {
		t.Errorf("requests = %d, waits = %v; a 5s Retry-After must not be waited within a 2s deadline", srv.count(), *waits)
	}
}

func TestMEXCBanIsNotWaitedOut(t *testing.T) {
	srv := newFakeMEXC(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTeapot)
	})
	m := newMEXC(t, srv.URL, MEXCOptions{})
	waits := recordSleeps(m)
	_, err := m.OrderBook(context.Background(), "QRL/USDT", 5)
	var ae *APIError
	if !errors.Is(err, ErrBanned) || !errors.Is(err, ErrRateLimited) || !errors.As(err, &ae) || ae.RetryAfter != time.Hour {
		t.Fatalf("err = %v, want a 418 ban with RetryAfter 1h", err)
	}
	if srv.count() != 1 || len(*waits) != 0 {
		t.Errorf("requests = %d, waits = %v; a ban longer than MaxRetryWait must not be waited out", srv.count(), *waits)
	}
}

func TestMEXCServerErrorBacksOff(t *testing.T) {
	var n atomic.Int32
	depth := fixture(t, "depth.json")
	srv := newFakeMEXC(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write(depth)
	})
	m := newMEXC(t, srv.URL, MEXCOptions{BaseBackoff: 100 * time.Millisecond, MaxBackoff: 150 * time.Millisecond})
	waits := recordSleeps(m)
	if _, err := m.OrderBook(context.Background(), "QRL/USDT", 2); err != nil {
		t.Fatal(err)
	}
	if srv.count() != 3 || len(*waits) != 2 || (*waits)[0] != 100*time.Millisecond || (*waits)[1] != 150*time.Millisecond {
		t.Errorf("requests = %d, waits = %v; want 3 and [100ms 150ms] (doubled, capped)", srv.count(), *waits)
	}

	// Still failing after the retries: ErrUnavailable.
	srv2 := newFakeMEXC(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	m2 := newMEXC(t, srv2.URL, MEXCOptions{})
	recordSleeps(m2)
	if _, err := m2.OrderBook(context.Background(), "QRL/USDT", 2); !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
}

func TestMEXCMalformedBody(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		call func(m *MEXC) error
	}{
		"truncated klines": {string(fixture(t, "malformed_klines.json")), func(m *MEXC) error {
			_, err := m.OHLCV(context.Background(), "QRL/USDT", TF1d, 3)
			return err
		}},
		"kline price not a decimal": {`[[1714348800000,"0.28","abc","0.27","0.29","1",1714435200000,"1"]]`, func(m *MEXC) error {
			_, err := m.OHLCV(context.Background(), "QRL/USDT", TF1d, 1)
			return err
		}},
		"kline too short": {`[[1714348800000,"0.28"]]`, func(m *MEXC) error {
			_, err := m.OHLCV(context.Background(), "QRL/USDT", TF1d, 1)
			return err
		}},
		"ticker for another symbol": {`{"symbol":"BTCUSDT","lastPrice":"1"}`, func(m *MEXC) error {
			_, err := m.Ticker(context.Background(), "QRL/USDT")
			return err
		}},
		"ticker without price": {`{"symbol":"QRLUSDT","lastPrice":null}`, func(m *MEXC) error {
			_, err := m.Ticker(context.Background(), "QRL/USDT")
			return err
		}},
		"trade without side": {`[{"id":null,"price":"1","qty":"2","time":1}]`, func(m *MEXC) error {
			_, err := m.Deals(context.Background(), "QRL/USDT", 1)
			return err
		}},
		"depth level short": {`{"lastUpdateId":1,"bids":[["1"]],"asks":[]}`, func(m *MEXC) error {
			_, err := m.OrderBook(context.Background(), "QRL/USDT", 1)
			return err
		}},
		"html instead of json": {`<html>gateway</html>`, func(m *MEXC) error {
			_, err := m.OrderBook(context.Background(), "QRL/USDT", 1)
			return err
		}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFakeMEXC(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(tc.body)) })
			err := tc.call(newMEXC(t, srv.URL, MEXCOptions{}))
			var de *DecodeError
			if !errors.Is(err, ErrMalformedResponse) || !errors.As(err, &de) || de.Endpoint == "" {
				t.Fatalf("err = %v, want a *DecodeError naming the endpoint", err)
			}
			if srv.count() != 1 {
				t.Errorf("a malformed answer was retried (%d requests)", srv.count())
			}
		})
	}
}

func TestMEXCTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newFakeMEXC(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)

	// The HTTP client's timeout.
	m := newMEXC(t, srv.URL, MEXCOptions{Timeout: 100 * time.Millisecond})
	start := time.Now()
	_, err := m.Ticker(context.Background(), "QRL/USDT")
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("client timeout: err = %v, want ErrTimeout", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("client timeout took %v", el)
	}

	// The caller's deadline.
	m = newMEXC(t, srv.URL, MEXCOptions{Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = m.OHLCV(ctx, "QRL/USDT", TF1m, 5)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("ctx deadline: err = %v, want DeadlineExceeded and ErrTimeout", err)
	}
	if srv.count() != 2 {
		t.Errorf("requests = %d, want 2 (timeouts are not retried)", srv.count())
	}
}

func TestMEXCSymbolMapping(t *testing.T) {
	if got, err := MEXCSymbol("qrl/usdt"); err != nil || got != "QRLUSDT" {
		t.Errorf("MEXCSymbol = %q, %v", got, err)
	}
	for in, want := range map[string]string{"QRLUSDT": "QRL/USDT", "ethbtc": "ETH/BTC", "BTCFDUSD": "BTC/FDUSD", "MXUSDC": "MX/USDC"} {
		if got, err := FromMEXCSymbol(in); err != nil || got != want {
			t.Errorf("FromMEXCSymbol(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "USDT", "QRLXYZ", "QRL/USDT"} {
		if _, err := FromMEXCSymbol(bad); !errors.Is(err, ErrInvalidSymbol) {
			t.Errorf("FromMEXCSymbol(%q) = %v, want ErrInvalidSymbol", bad, err)
		}
	}
}

func TestNewMEXCRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]MEXCOptions{
		"relative URL":     {BaseURL: "api.mexc.com"},
		"ftp URL":          {BaseURL: "ftp://api.mexc.com"},
		"negative timeout": {Timeout: -time.Second},
		"negative backoff": {BaseBackoff: -1},
	} {
		if m, err := NewMEXC(o); err == nil || m != nil {
			t.Errorf("%s: NewMEXC = %v, %v; want an error", name, m, err)
		}
	}
	m, err := NewMEXC(MEXCOptions{})
	if err != nil || m.base.String() != DefaultMEXCBaseURL || m.hc.Timeout != DefaultMEXCTimeout || m.maxRetries != DefaultMEXCMaxRetries {
		t.Errorf("defaults: %v, %+v", err, m)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "1": time.Second, "120": 2 * time.Minute, "0": 0, "-3": 0, "soon": 0,
		"Wed, 01 May 2024 12:00:30 GMT": 30 * time.Second, "Wed, 01 May 2024 11:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestMEXCThroughClient checks the whole path: MEXC answer strings come out of the cache unchanged, with
// either codec, and the second request is not sent to the exchange.
func TestMEXCThroughClient(t *testing.T) {
	for _, cd := range []codec.Codec{codec.JSON, codec.Msgpack} {
		t.Run(cd.Name(), func(t *testing.T) {
			srv := newFakeMEXC(t, nil)
			client := newClient(t, newMEXC(t, srv.URL, MEXCOptions{}), newCache(t, cachekit.WithCodec(cd)))
			ctx := context.Background()
			for range 2 {
				tk, err := client.Ticker(ctx, "QRL/USDT")
				if err != nil {
					t.Fatal(err)
				}
				if tk.BaseVolume.String() != "1732461.48712345678901" || tk.Percentage.String() != "4.273801" {
					t.Errorf("ticker = %v / %v", tk.BaseVolume, tk.Percentage)
				}
				candles, err := client.OHLCV(ctx, "QRL/USDT", "1d", 3)
				if err != nil {
					t.Fatal(err)
				}
				if candles[2].Close.String() != "0.30012345678901234567" || !candles[2].OpenTime.Equal(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("candle = %+v", candles[2])
				}
			}
			if srv.count() != 2 {
				t.Errorf("exchange requests = %d, want 2 (one per kind, then cache hits)", srv.count())
			}
		})
	}
}
