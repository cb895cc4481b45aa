package plainjson

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit/codec/internal/limits"
)

// codec's tests compare Encode's output with encoding/json's on many shapes (through EncodePlainJSON);
// these check what is Encode's own: where it walks, and its plain errors.

func TestEncode(t *testing.T) {
	d := decimal.RequireFromString("-12.50")
	type row struct {
		P   decimal.Decimal  `json:"p"`
		N   *decimal.Decimal `json:"n,omitempty"`
		At  time.Time        `json:"at"`
		Any any              `json:"any"`
	}
	for _, tc := range []struct {
		v    any
		want string
	}{
		{d, `-12.5`},
		{[]row{{P: d, At: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Any: map[string]any{"x": d}}},
			`[{"p":-12.5,"at":"2024-01-01T00:00:00Z","any":{"x":-12.5}}]`},
		{decimal.NullDecimal{}, `null`},
		{struct{ S string }{"<&>"}, `{"S":"\u003c\u0026\u003e"}`}, // no decimal: json.Marshal whole
		{nil, `null`},
	} {
		got, err := Encode(tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("Encode(%#v) = %s, %v; want %s", tc.v, got, err, tc.want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	var nested any = decimal.Zero
	for range limits.MaxDepth {
		nested = []any{nested}
	}
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nested, "value nests deeper than 10000 levels"},
		{map[float64]any{1: decimal.Zero}, "json: unsupported map key type float64"},
		{[]any{make(chan int)}, "json: json: unsupported type: chan int"},
		{make(chan int), "json: json: unsupported type: chan int"},
	} {
		_, err := Encode(tc.v)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Encode(%T): err = %v, want %q", tc.v, err, tc.want)
		}
	}
	_, err := Encode([]any{make(chan int)})
	if ute := (*json.UnsupportedTypeError)(nil); !errors.As(err, &ute) {
		t.Errorf("err = %v: encoding/json's error is not wrapped", err)
	}
}
