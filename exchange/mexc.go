package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MEXC defaults.
const (
	DefaultMEXCBaseURL      = "https://api.mexc.com"
	DefaultMEXCTimeout      = 10 * time.Second
	DefaultMEXCUserAgent    = "cachekit-exchange/1"
	DefaultMEXCMaxRetries   = 2
	DefaultMEXCBaseBackoff  = 250 * time.Millisecond
	DefaultMEXCMaxBackoff   = 5 * time.Second
	DefaultMEXCMaxRetryWait = 30 * time.Second
)

// maxBodyBytes bounds an answer (5000 depth levels are ~250 KB).
const maxBodyBytes = 16 << 20

// MEXCOptions configures NewMEXC. Zero values mean the defaults.
type MEXCOptions struct {
	BaseURL    string       // default DefaultMEXCBaseURL; an httptest server's URL in tests
	HTTPClient *http.Client // default: a client with Timeout
	Timeout    time.Duration
	UserAgent  string // default DefaultMEXCUserAgent
	// MaxRetries is how many times a request is retried after 429, 418 or 5xx (0 = the default 2; negative
	// = never). Other errors, timeouts included, are not retried.
	MaxRetries int
	// BaseBackoff and MaxBackoff shape the wait before a retry when the answer has no Retry-After:
	// BaseBackoff doubled per attempt, capped at MaxBackoff.
	BaseBackoff, MaxBackoff time.Duration
	// MaxRetryWait is the longest Retry-After the source waits out; a longer one (an IP ban) is returned at
	// once as an *APIError carrying RetryAfter.
	MaxRetryWait time.Duration
	Now          func() time.Time // clock for order-book timestamps (default time.Now)
}

// MEXC is a Source over MEXC's public Spot v3 REST API (https://mexcdevelop.github.io/apidocs/spot_v3_en/):
// GET /api/v3/ticker/24hr, /api/v3/klines, /api/v3/trades and /api/v3/depth. Symbols map as
// "QRL/USDT" ↔ "QRLUSDT" and timeframes to MEXC's interval names (1h → 60m, 1w → 1W).
//
// Error answers become *APIError (ErrRateLimited, ErrBanned, ErrBadSymbol, ErrBadRequest, ErrUnavailable);
// an answer of the wrong shape a *DecodeError (ErrMalformedResponse); no answer in time an error matching
// ErrTimeout. 429, 418 and 5xx answers are retried up to MaxRetries times, waiting Retry-After when given
// (if no longer than MaxRetryWait) or an exponential backoff, and never waiting past ctx's deadline: a wait
// that would end after it returns the last answer's error at once. It is safe for concurrent use.
type MEXC struct {
	base                    *url.URL
	hc                      *http.Client
	ua                      string
	maxRetries              int
	baseBackoff, maxBackoff time.Duration
	maxRetryWait            time.Duration
	now                     func() time.Time
	sleep                   func(ctx context.Context, d time.Duration) error // sleepCtx; replaced in tests
}

// NewMEXC returns a MEXC source. A BaseURL that is not an absolute http(s) URL, or a negative duration, is
// an error.
func NewMEXC(opts MEXCOptions) (*MEXC, error) {
	raw := opts.BaseURL
	if raw == "" {
		raw = DefaultMEXCBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("exchange: MEXC base URL %q must be an absolute http(s) URL", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	for name, d := range map[string]time.Duration{"Timeout": opts.Timeout, "BaseBackoff": opts.BaseBackoff,
		"MaxBackoff": opts.MaxBackoff, "MaxRetryWait": opts.MaxRetryWait} {
		if d < 0 {
			return nil, fmt.Errorf("exchange: MEXCOptions.%s %v must be >= 0", name, d)
		}
	}
	m := &MEXC{
		base:         u,
		hc:           opts.HTTPClient,
		ua:           orString(opts.UserAgent, DefaultMEXCUserAgent),
		maxRetries:   opts.MaxRetries,
		baseBackoff:  orDur(opts.BaseBackoff, DefaultMEXCBaseBackoff),
		maxBackoff:   orDur(opts.MaxBackoff, DefaultMEXCMaxBackoff),
		maxRetryWait: orDur(opts.MaxRetryWait, DefaultMEXCMaxRetryWait),
		now:          opts.Now,
		sleep:        sleepCtx,
	}
	if m.hc == nil {
		m.hc = &http.Client{Timeout: orDur(opts.Timeout, DefaultMEXCTimeout)}
	}
	switch {
	case m.maxRetries == 0:
		m.maxRetries = DefaultMEXCMaxRetries
	case m.maxRetries < 0:
		m.maxRetries = 0
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// MEXCSymbol maps "QRL/USDT" to MEXC's "QRLUSDT" (upper-cased). An invalid symbol wraps ErrInvalidSymbol.
func MEXCSymbol(symbol string) (string, error) {
	sym, err := NormalizeSymbol(symbol)
	if err != nil {
		return "", err
	}
	return strings.Replace(sym, "/", "", 1), nil
}

// mexcQuotes are the quote assets FromMEXCSymbol recognises, longest first so "FDUSD" wins over "USD...".
var mexcQuotes = func() []string {
	q := []string{"USDT", "USDC", "USDE", "FDUSD", "TUSD", "BTC", "ETH", "EUR", "BRL", "TRY", "MX"}
	sort.SliceStable(q, func(i, j int) bool { return len(q[i]) > len(q[j]) })
	return q
}()

// FromMEXCSymbol maps MEXC's "QRLUSDT" back to "QRL/USDT" by its quote asset (USDT, USDC, USDE, FDUSD,
// TUSD, BTC, ETH, EUR, BRL, TRY, MX). A symbol without a known quote is an error wrapping ErrInvalidSymbol.
func FromMEXCSymbol(s string) (string, error) {
	up := strings.ToUpper(s)
	for _, q := range mexcQuotes {
		if base, ok := strings.CutSuffix(up, q); ok && base != "" {
			return NormalizeSymbol(base + "/" + q)
		}
	}
	return "", fmt.Errorf("%w %q: no known quote asset at its end", ErrInvalidSymbol, s)
}

// MEXCInterval maps a timeframe to MEXC's kline interval name: 1m 5m 15m 30m 60m 4h 1d 1W 1M
// (https://mexcdevelop.github.io/apidocs/spot_v3_en/#kline_interval). An unknown one is a *TimeframeError.
func MEXCInterval(tf Timeframe) (string, error) {
	if _, err := ParseTimeframe(string(tf)); err != nil {
		return "", err
	}
	switch tf {
	case TF1h:
		return "60m", nil
	case TF1w:
		return "1W", nil
	}
	return string(tf), nil
}

// Ticker calls GET /api/v3/ticker/24hr?symbol=.
func (m *MEXC) Ticker(ctx context.Context, symbol string) (Ticker, error) {
	sym, msym, err := mexcArgs(symbol)
	if err != nil {
		return Ticker{}, err
	}
	const ep = "/api/v3/ticker/24hr"
	body, err := m.get(ctx, ep, url.Values{"symbol": {msym}})
	if err != nil {
		return Ticker{}, err
	}
	t, err := decodeTicker(body, sym, msym, m.now())
	if err != nil {
		return Ticker{}, decodeError(ep, body, err)
	}
	return t, nil
}

// OHLCV calls GET /api/v3/klines?symbol=&interval=&limit=.
func (m *MEXC) OHLCV(ctx context.Context, symbol string, tf Timeframe, limit int) ([]Candle, error) {
	_, msym, err := mexcArgs(symbol)
	if err != nil {
		return nil, err
	}
	interval, err := MEXCInterval(tf)
	if err != nil {
		return nil, err
	}
	if err := checkLimit("ohlcv limit", limit, MaxOHLCVLimit); err != nil {
		return nil, err
	}
	const ep = "/api/v3/klines"
	body, err := m.get(ctx, ep, url.Values{"symbol": {msym}, "interval": {interval}, "limit": {strconv.Itoa(limit)}})
	if err != nil {
		return nil, err
	}
	candles, err := decodeKlines(body)
	if err != nil {
		return nil, decodeError(ep, body, err)
	}
	return candles, nil
}

// Deals calls GET /api/v3/trades?symbol=&limit=.
func (m *MEXC) Deals(ctx context.Context, symbol string, limit int) ([]Deal, error) {
	sym, msym, err := mexcArgs(symbol)
	if err != nil {
		return nil, err
	}
	if err := checkLimit("deals limit", limit, MaxDealsLimit); err != nil {
		return nil, err
	}
	const ep = "/api/v3/trades"
	body, err := m.get(ctx, ep, url.Values{"symbol": {msym}, "limit": {strconv.Itoa(limit)}})
	if err != nil {
		return nil, err
	}
	deals, err := decodeTrades(body, sym)
	if err != nil {
		return nil, decodeError(ep, body, err)
	}
	return deals, nil
}

// OrderBook calls GET /api/v3/depth?symbol=&limit=.
func (m *MEXC) OrderBook(ctx context.Context, symbol string, depth int) (OrderBook, error) {
	sym, msym, err := mexcArgs(symbol)
	if err != nil {
		return OrderBook{}, err
	}
	if err := checkLimit("order book depth", depth, MaxDepth); err != nil {
		return OrderBook{}, err
	}
	const ep = "/api/v3/depth"
	body, err := m.get(ctx, ep, url.Values{"symbol": {msym}, "limit": {strconv.Itoa(depth)}})
	if err != nil {
		return OrderBook{}, err
	}
	ob, err := decodeDepth(body, sym, m.now())
	if err != nil {
		return OrderBook{}, decodeError(ep, body, err)
	}
	return ob, nil
}

func mexcArgs(symbol string) (sym, msym string, err error) {
	if sym, err = NormalizeSymbol(symbol); err != nil {
		return "", "", err
	}
	return sym, strings.Replace(sym, "/", "", 1), nil
}

// get performs the request with retries and returns the body of a successful answer.
func (m *MEXC) get(ctx context.Context, endpoint string, q url.Values) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		body, apiErr, err := m.once(ctx, endpoint, q)
		if err != nil {
			return nil, err
		}
		if apiErr == nil {
			return body, nil
		}
		wait, retry := m.retryWait(apiErr, attempt)
		if !retry || attempt >= m.maxRetries {
			return nil, apiErr
		}
		if dl, ok := ctx.Deadline(); ok && m.now().Add(wait).After(dl) {
			return nil, apiErr // waiting would outlive the caller
		}
		if err := m.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%w (gave up waiting %v to retry: %w)", apiErr, wait, err)
		}
	}
}

// retryWait says whether an error answer is worth retrying after attempt (0-based), and after how long.
func (m *MEXC) retryWait(e *APIError, attempt int) (time.Duration, bool) {
	if !e.rateLimited() && e.Status < 500 {
		return 0, false
	}
	if e.RetryAfter > 0 {
		return e.RetryAfter, e.RetryAfter <= m.maxRetryWait
	}
	d := m.baseBackoff << min(attempt, 20)
	if d > m.maxBackoff || d <= 0 {
		d = m.maxBackoff
	}
	return d, true
}

// once performs one request. It returns the body of a 200 answer without an error body, or the error
// answer as *APIError, or err for a failure to get an answer at all.
func (m *MEXC) once(ctx context.Context, endpoint string, q url.Values) ([]byte, *APIError, error) {
	u := *m.base
	u.Path += endpoint
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("exchange: mexc %s: %w", endpoint, err)
	}
	req.Header.Set("User-Agent", m.ua)
	req.Header.Set("Accept", "application/json")
	resp, err := m.hc.Do(req)
	if err != nil {
		return nil, nil, transportError(ctx, endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return nil, nil, transportError(ctx, endpoint, err)
	}
	if len(body) > maxBodyBytes {
		return nil, nil, decodeError(endpoint, body, fmt.Errorf("body over %d bytes", maxBodyBytes))
	}
	code, msg, isErr := parseErrorBody(body)
	if resp.StatusCode == http.StatusOK && !isErr {
		return body, nil, nil
	}
	if !isErr {
		msg = http.StatusText(resp.StatusCode)
	}
	return nil, &APIError{
		Endpoint:   endpoint,
		Status:     resp.StatusCode,
		Code:       code,
		Msg:        msg,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), m.now()),
	}, nil
}

// transportError classifies a failure to get an answer: a timeout (client timeout or ctx deadline) wraps
// ErrTimeout and the cause; a cancelled ctx wraps ctx's error.
func transportError(ctx context.Context, endpoint string, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("exchange: mexc %s: %w: %w", endpoint, ErrTimeout, err)
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("exchange: mexc %s: %w: %w", endpoint, ctxErr, err)
	}
	return fmt.Errorf("exchange: mexc %s: %w", endpoint, err)
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orDur(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
