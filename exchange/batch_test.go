package exchange

import (
	"context"
	"net/http"
	"testing"
)

// Tickers loads every missing ticker in ONE upstream call of a batch source, serves cached ones
// without calling it, and leaves unknown symbols out.
func TestTickersUseOneBatchCall(t *testing.T) {
	ctx := context.Background()
	src := newSynthetic(t, 0)
	c := newClient(t, src, newCache(t))
	if _, err := c.Ticker(ctx, "ETH/USDT"); err != nil { // one cached already
		t.Fatal(err)
	}
	waitForEntries(t, c.Cache(), 1)
	before := src.Calls().Ticker
	got, err := c.Tickers(ctx, []string{"qrl/usdt", "BTC/USDT", "ETH/USDT", "QRL/USDT"})
	if err != nil || len(got) != 3 || got["QRL/USDT"].Symbol != "QRL/USDT" || got["ETH/USDT"].Last.IsZero() {
		t.Fatalf("Tickers = %v, %v", got, err)
	}
	if n := src.Calls().Ticker - before; n != 1 {
		t.Fatalf("Tickers of 2 missing symbols made %d upstream calls; want 1", n)
	}
	waitForEntries(t, c.Cache(), 3)
	before = src.Calls().Ticker
	if got, err := c.Tickers(ctx, []string{"QRL/USDT", "BTC/USDT"}); err != nil || len(got) != 2 || src.Calls().Ticker != before {
		t.Fatalf("cached Tickers = %v, %v, %d calls; want 0", got, err, src.Calls().Ticker-before)
	}
	if _, err := c.Tickers(ctx, []string{"QRL"}); err == nil {
		t.Fatal("an invalid symbol was accepted")
	}
}

// MEXC's batch ticker is one GET of /api/v3/ticker/24hr without a symbol; symbols it does not list are
// absent.
func TestMEXCTickersIsOneRequest(t *testing.T) {
	f := newFakeMEXC(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v3/ticker/24hr" || r.URL.Query().Has("symbol") {
			http.Error(w, `{"code":400,"msg":"unexpected"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[{"symbol":"QRLUSDT","lastPrice":"0.01234567","openPrice":"0.012","priceChangePercent":"0.0040","closeTime":1735787045000},
			{"symbol":"BTCUSDT","lastPrice":"97000.5","closeTime":1735787045000},
			{"symbol":"XYZUSDT","lastPrice":"1"}]`))
	})
	m := newMEXC(t, f.URL, MEXCOptions{})
	got, err := m.Tickers(context.Background(), []string{"QRL/USDT", "BTC/USDT", "NOPE/USDT"})
	if err != nil || len(got) != 2 {
		t.Fatalf("Tickers = %v, %v", got, err)
	}
	if q := got["QRL/USDT"]; q.Last.String() != "0.01234567" || q.Percentage.String() != "0.4" {
		t.Fatalf("QRL/USDT = last %s, percentage %s", q.Last, q.Percentage)
	}
	if f.count() != 1 {
		t.Fatalf("%d requests; want 1", f.count())
	}
}
