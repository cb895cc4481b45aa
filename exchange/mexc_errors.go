package exchange

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Errors of upstream calls. *APIError and *DecodeError match them with errors.Is; the wrapping error
// names the endpoint and what the exchange said.
var (
	// ErrRateLimited means the exchange refused the request for its rate (HTTP 429, or 418 for an IP ban).
	ErrRateLimited = errors.New("exchange: rate limited")
	// ErrBanned means the exchange banned this IP for ignoring rate limits (HTTP 418); Retry-After says
	// for how long. It also matches ErrRateLimited.
	ErrBanned = errors.New("exchange: IP banned")
	// ErrBadSymbol means the exchange does not know the symbol.
	ErrBadSymbol = errors.New("exchange: unknown symbol")
	// ErrBadRequest means the exchange rejected the request itself (a 4xx other than 418/429, or an error
	// code in a 200 answer).
	ErrBadRequest = errors.New("exchange: request rejected")
	// ErrUnavailable means the exchange failed on its side (HTTP 5xx).
	ErrUnavailable = errors.New("exchange: upstream unavailable")
	// ErrMalformedResponse means an answer that is not the documented shape (see *DecodeError).
	ErrMalformedResponse = errors.New("exchange: malformed response")
	// ErrTimeout means the exchange did not answer in time: the HTTP client's timeout or the context's
	// deadline (then context.DeadlineExceeded matches too).
	ErrTimeout = errors.New("exchange: upstream timeout")
)

// APIError is an error answer of the exchange: an HTTP status other than 200, or an error body.
type APIError struct {
	Endpoint   string        // "/api/v3/klines"
	Status     int           // HTTP status
	Code       int           // the exchange's error code from the body, 0 when the body had none
	Msg        string        // the exchange's message from the body, or the HTTP status text
	RetryAfter time.Duration // the Retry-After header, 0 when absent or unparsable
}

// Error names the endpoint, status, code and message.
func (e *APIError) Error() string {
	s := fmt.Sprintf("exchange: mexc %s: HTTP %d", e.Endpoint, e.Status)
	if e.Code != 0 {
		s += ", code " + strconv.Itoa(e.Code)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %v)", e.RetryAfter)
	}
	return s
}

// badSymbolCodes are MEXC error codes meaning an unknown symbol (documented: 10007 bad symbol,
// 30014/30021 invalid symbol, 730001 pair not found; -1121 "Invalid symbol." is what the Binance-style
// public endpoints answer).
var badSymbolCodes = map[int]bool{10007: true, 30014: true, 30021: true, 730001: true, -1121: true}

// Is matches the sentinels: ErrRateLimited (429, 418 or code 429), ErrBanned (418), ErrBadSymbol (an
// unknown-symbol code), ErrUnavailable (5xx), ErrBadRequest (any other rejection).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrRateLimited:
		return e.rateLimited()
	case ErrBanned:
		return e.Status == http.StatusTeapot
	case ErrBadSymbol:
		return badSymbolCodes[e.Code]
	case ErrUnavailable:
		return e.Status >= 500
	case ErrBadRequest:
		return !e.rateLimited() && e.Status < 500
	}
	return false
}

func (e *APIError) rateLimited() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusTeapot || e.Code == 429
}

// DecodeError reports an answer that is not the documented shape. errors.Is(err, ErrMalformedResponse)
// holds; Unwrap returns the parse error.
type DecodeError struct {
	Endpoint string
	Body     string // the start of the body, for the log
	Err      error
}

// Error names the endpoint and the problem.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("exchange: mexc %s: malformed response: %v (body starts %q)", e.Endpoint, e.Err, e.Body)
}

// Unwrap returns the parse error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformedResponse.
func (e *DecodeError) Is(target error) bool { return target == ErrMalformedResponse }

// bodySnippet is how much of a body a DecodeError keeps.
const bodySnippet = 120

func decodeError(endpoint string, body []byte, err error) *DecodeError {
	if len(body) > bodySnippet {
		body = body[:bodySnippet]
	}
	return &DecodeError{Endpoint: endpoint, Body: string(body), Err: err}
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date. Anything else is 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(7*24*time.Hour/time.Second) { // beyond any ban MEXC documents (3 days): clamp
			n = int64(7 * 24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
