package exchange

import (
	"errors"
	"fmt"
	"time"
)

// Timeframe is a candle interval: one of "1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M".
// Boundaries are in UTC: days start at midnight, weeks on Monday, months on the 1st.
type Timeframe string

// The supported timeframes.
const (
	TF1m  Timeframe = "1m"
	TF5m  Timeframe = "5m"
	TF15m Timeframe = "15m"
	TF30m Timeframe = "30m"
	TF1h  Timeframe = "1h"
	TF4h  Timeframe = "4h"
	TF1d  Timeframe = "1d"
	TF1w  Timeframe = "1w"
	TF1M  Timeframe = "1M"
)

// ErrUnknownTimeframe is wrapped by every *TimeframeError.
var ErrUnknownTimeframe = errors.New("exchange: unknown timeframe")

// TimeframeError reports a timeframe that is not supported. errors.Is(err, ErrUnknownTimeframe) holds.
type TimeframeError struct {
	Timeframe string
}

// Error names the timeframe and the valid ones.
func (e *TimeframeError) Error() string {
	return fmt.Sprintf("exchange: unknown timeframe %q (valid: 1m 5m 15m 30m 1h 4h 1d 1w 1M)", e.Timeframe)
}

// Is reports whether target is ErrUnknownTimeframe.
func (e *TimeframeError) Is(target error) bool { return target == ErrUnknownTimeframe }

// fixed holds the length of every timeframe with a fixed length; 1M is absent (months vary).
var fixed = map[Timeframe]time.Duration{
	TF1m: time.Minute, TF5m: 5 * time.Minute, TF15m: 15 * time.Minute, TF30m: 30 * time.Minute,
	TF1h: time.Hour, TF4h: 4 * time.Hour, TF1d: 24 * time.Hour, TF1w: 7 * 24 * time.Hour,
}

// Timeframes returns every supported timeframe, shortest first.
func Timeframes() []Timeframe {
	return []Timeframe{TF1m, TF5m, TF15m, TF30m, TF1h, TF4h, TF1d, TF1w, TF1M}
}

// ParseTimeframe returns s as a Timeframe, or a *TimeframeError naming it. Matching is exact: "1M" is a
// month, "1m" a minute.
func ParseTimeframe(s string) (Timeframe, error) {
	tf := Timeframe(s)
	if _, ok := fixed[tf]; ok || tf == TF1M {
		return tf, nil
	}
	return "", &TimeframeError{Timeframe: s}
}

// Start returns the open time of the candle containing t, in UTC. For an unsupported timeframe it returns
// t in UTC.
func (tf Timeframe) Start(t time.Time) time.Time {
	t = t.UTC()
	switch tf {
	case TF1M:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	case TF1w:
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, -back)
	}
	if d, ok := fixed[tf]; ok {
		// Truncate counts from the zero time, a UTC midnight; every fixed length up to a day divides a
		// day, so this aligns to UTC midnight.
		return t.Truncate(d)
	}
	return t
}

// Next returns the close of the candle containing t, that is the first boundary strictly after t, in UTC.
func (tf Timeframe) Next(t time.Time) time.Time {
	start := tf.Start(t)
	switch tf {
	case TF1M:
		return start.AddDate(0, 1, 0)
	case TF1w:
		return start.AddDate(0, 0, 7)
	}
	if d, ok := fixed[tf]; ok {
		return start.Add(d)
	}
	return t.UTC()
}

// Prev returns the open time of the candle before the one opening at start.
func (tf Timeframe) Prev(start time.Time) time.Time {
	switch tf {
	case TF1M:
		return start.AddDate(0, -1, 0)
	case TF1w:
		return start.AddDate(0, 0, -7)
	}
	return start.Add(-fixed[tf])
}
