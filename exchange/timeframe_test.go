package exchange

import (
	"errors"
	"testing"
	"time"
)

func TestParseTimeframe(t *testing.T) {
	for _, tf := range Timeframes() {
		if got, err := ParseTimeframe(string(tf)); err != nil || got != tf {
			t.Errorf("ParseTimeframe(%q) = %q, %v", tf, got, err)
		}
	}
	for _, bad := range []string{"", "2h", "1H", "1D", "1W", "60m", "1mo", " 1m"} {
		_, err := ParseTimeframe(bad)
		var te *TimeframeError
		if !errors.Is(err, ErrUnknownTimeframe) || !errors.As(err, &te) || te.Timeframe != bad {
			t.Errorf("ParseTimeframe(%q) = %v, want a *TimeframeError naming it", bad, err)
		}
	}
}

func TestTimeframeBoundaries(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		tf               Timeframe
		now, start, next string
	}{
		{TF1m, "2024-05-01T12:34:56.5Z", "2024-05-01T12:34:00Z", "2024-05-01T12:35:00Z"},
		{TF1m, "2024-05-01T12:34:00Z", "2024-05-01T12:34:00Z", "2024-05-01T12:35:00Z"}, // on a boundary: next is strictly after
		{TF5m, "2024-05-01T12:34:56Z", "2024-05-01T12:30:00Z", "2024-05-01T12:35:00Z"},
		{TF15m, "2024-05-01T12:34:56Z", "2024-05-01T12:30:00Z", "2024-05-01T12:45:00Z"},
		{TF30m, "2024-05-01T12:34:56Z", "2024-05-01T12:30:00Z", "2024-05-01T13:00:00Z"},
		{TF1h, "2024-05-01T23:59:59Z", "2024-05-01T23:00:00Z", "2024-05-02T00:00:00Z"},
		{TF4h, "2024-05-01T13:00:00Z", "2024-05-01T12:00:00Z", "2024-05-01T16:00:00Z"},
		{TF1d, "2024-05-01T23:00:00Z", "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"},
		{TF1d, "2024-05-01T23:00:00+05:00", "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"}, // 18:00 UTC
		{TF1w, "2024-05-01T23:00:00Z", "2024-04-29T00:00:00Z", "2024-05-06T00:00:00Z"},      // Wednesday → Monday
		{TF1w, "2024-05-05T23:59:59Z", "2024-04-29T00:00:00Z", "2024-05-06T00:00:00Z"},      // Sunday
		{TF1w, "2024-05-06T00:00:00Z", "2024-05-06T00:00:00Z", "2024-05-13T00:00:00Z"},      // Monday midnight
		{TF1M, "2024-02-29T12:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"},
		{TF1M, "2024-12-31T23:59:59Z", "2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z"},
	} {
		now := at(tc.now)
		if got := tc.tf.Start(now); !got.Equal(at(tc.start)) || got.Location() != time.UTC {
			t.Errorf("%s.Start(%s) = %v, want %s UTC", tc.tf, tc.now, got, tc.start)
		}
		if got := tc.tf.Next(now); !got.Equal(at(tc.next)) {
			t.Errorf("%s.Next(%s) = %v, want %s", tc.tf, tc.now, got, tc.next)
		}
		if got := tc.tf.Prev(at(tc.next)); !got.Equal(at(tc.start)) {
			t.Errorf("%s.Prev(%s) = %v, want %s", tc.tf, tc.next, got, tc.start)
		}
	}
}

func TestMEXCInterval(t *testing.T) {
	want := map[Timeframe]string{TF1m: "1m", TF5m: "5m", TF15m: "15m", TF30m: "30m", TF1h: "60m", TF4h: "4h",
		TF1d: "1d", TF1w: "1W", TF1M: "1M"}
	for _, tf := range Timeframes() {
		if got, err := MEXCInterval(tf); err != nil || got != want[tf] {
			t.Errorf("MEXCInterval(%s) = %q, %v; want %q", tf, got, err, want[tf])
		}
	}
	if _, err := MEXCInterval("8h"); !errors.Is(err, ErrUnknownTimeframe) {
		t.Errorf("MEXCInterval(8h) = %v, want ErrUnknownTimeframe", err)
	}
}

func TestNormalizeSymbol(t *testing.T) {
	for in, want := range map[string]string{"QRL/USDT": "QRL/USDT", "qrl/usdt": "QRL/USDT", "1000SATS/USDT": "1000SATS/USDT"} {
		if got, err := NormalizeSymbol(in); err != nil || got != want {
			t.Errorf("NormalizeSymbol(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "QRL", "QRLUSDT", "/USDT", "QRL/", "QRL/USDT/X", "QRL-X/USDT", "QR L/USDT",
		"QRL:1/USDT", "*/USDT", "QRL/USDT\n", "ÄRL/USDT"} {
		if _, err := NormalizeSymbol(bad); !errors.Is(err, ErrInvalidSymbol) {
			t.Errorf("NormalizeSymbol(%q) = %v, want ErrInvalidSymbol", bad, err)
		}
	}
}
