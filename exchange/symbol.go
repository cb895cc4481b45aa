package exchange

import (
	"errors"
	"fmt"
	"strings"
)

// Errors for arguments a Client or Source rejects before any upstream call. The wrapping error names the
// value.
var (
	// ErrInvalidSymbol means a symbol is not "BASE/QUOTE" of ASCII letters and digits.
	ErrInvalidSymbol = errors.New("exchange: invalid symbol")
	// ErrInvalidLimit means a limit or depth is outside the range the kind accepts.
	ErrInvalidLimit = errors.New("exchange: invalid limit")
)

// Upper bounds of limit and depth (MEXC's maximums).
const (
	MaxOHLCVLimit = 1000
	MaxDealsLimit = 1000
	MaxDepth      = 5000
)

// maxAssetLen bounds each side of a symbol.
const maxAssetLen = 32

// NormalizeSymbol validates a "BASE/QUOTE" symbol and returns it upper-cased ("qrl/usdt" → "QRL/USDT").
// Anything else is an error wrapping ErrInvalidSymbol that names the symbol.
func NormalizeSymbol(symbol string) (string, error) {
	base, quote, ok := strings.Cut(symbol, "/")
	if !ok {
		return "", fmt.Errorf("%w %q: want BASE/QUOTE, e.g. QRL/USDT", ErrInvalidSymbol, symbol)
	}
	for _, part := range [2]string{base, quote} {
		if err := checkAsset(part); err != nil {
			return "", fmt.Errorf("%w %q: %s", ErrInvalidSymbol, symbol, err)
		}
	}
	return strings.ToUpper(symbol), nil
}

func checkAsset(s string) error {
	if s == "" {
		return errors.New("empty asset")
	}
	if len(s) > maxAssetLen {
		return fmt.Errorf("asset longer than %d characters", maxAssetLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return fmt.Errorf("character %q at byte %d is not a letter or digit", c, i)
		}
	}
	return nil
}

// checkLimit reports a limit outside 1..max.
func checkLimit(what string, n, max int) error {
	if n < 1 || n > max {
		return fmt.Errorf("%w: %s %d is outside 1..%d", ErrInvalidLimit, what, n, max)
	}
	return nil
}
