package codec

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// The json codec runs on goccy/go-json; these tests hold it to encoding/json's output and results, so
// that switching libraries changed nothing a reader (or a mixed deployment) can see.

var (
	codecJSON = jsonCodec{goccyJSON}
	stdCodec  = jsonCodec{stdJSON}
)

func TestJSONLibsWriteTheSameBytes(t *testing.T) {
	type Embedded struct {
		Dup string
		ID  int `json:"id"`
	}
	type tagged struct {
		Embedded
		Dup      string           `json:"Dup"`
		Omit     string           `json:"omit,omitempty"`
		Zero     time.Time        `json:"zero,omitzero"`
		Quoted   int64            `json:"quoted,string"`
		HTML     string           `json:"<html>"`
		Raw      []byte           `json:"raw"`
		IntKeys  map[int]string   `json:"int_keys"`
		Floats   []float64        `json:"floats"`
		Float32s []float32        `json:"float32s"`
		Any      any              `json:"any"`
		Ptr      *decimal.Decimal `json:"ptr"`
		Null     decimal.NullDecimal
		TextKeys map[decimal.Decimal]int
	}
	d := mustDec(t, "-1.50")
	values := []any{
		sampleEverything(t),
		pyTicker{Symbol: "QRL/USDT", Last: d, Timestamp: time.Date(2024, 5, 1, 12, 0, 0, 5, zoneTokyo)},
		tagged{Embedded: Embedded{Dup: "inner", ID: 7}, Dup: "outer", Quoted: -3, HTML: "<a href=\"x\">&amp;</a>\u2028\u2029",
			Raw: []byte{0, 255}, IntKeys: map[int]string{10: "b", -1: "a"},
			Floats:   []float64{0, math.Copysign(0, -1), 1e21, 1e20, 1e-7, 1e-6, 123.456, math.MaxFloat64, math.SmallestNonzeroFloat64},
			Float32s: []float32{1e21, 1e-7, 3.4028235e38, 0.1}, Any: map[string]any{"z": 1, "a": []any{"\x00\x1f", nil}},
			Ptr: &d, Null: decimal.NewNullDecimal(d), TextKeys: map[decimal.Decimal]int{d: 1}},
		"invalid UTF-8: \xff\xfe and a lone \xed\xa0\x80 surrogate",
		map[string]any{"b": 1, "a": 2, "<": 3},
		[]any{int64(math.MinInt64), uint64(math.MaxUint64), true, nil},
	}
	for _, p := range benchPayloads() {
		values = append(values, p.value)
	}
	for _, v := range values {
		want, err := stdCodec.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := codecJSON.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%T:\ngoccy/go-json %s\nencoding/json %s", v, got, want)
		}
		enc, err := Encode(JSON, v)
		if err != nil || !bytes.Equal(enc[headerLen:], want) {
			t.Errorf("%T: Encode payload differs from encoding/json (%v):\n%s\n%s", v, err, enc[headerLen:], want)
		}
	}
}

// jsonDecodeTargets are the types FuzzJSONLibsAgree decodes into.
func jsonDecodeTargets() []func() any {
	return []func() any{
		func() any { return new(everything) }, func() any { return new([]candle) }, func() any { return new(any) },
		func() any { return new(map[string]any) }, func() any { return new(node) }, func() any { return new(time.Time) },
		func() any { return new(pyTicker) }, func() any { return new(benchBook) }, func() any { return new(decimal.Decimal) },
		func() any {
			return new(struct {
				I8 int8
				U  uint
				F  float32
				S  string
				B  []byte
				P  *int
			})
		},
	}
}

// FuzzJSONLibsAgree decodes arbitrary bytes with both libraries through the json codec: they must both
// fail (with ErrCorrupt) or both succeed with equal values. go test -run '^$' -fuzz FuzzJSONLibsAgree ./codec/
func FuzzJSONLibsAgree(f *testing.F) {
	for _, v := range []any{sampleEverything(f), sampleCandles(f, 2), benchPayloads()[2].value} {
		b, err := stdCodec.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"open_time":"2024-05-01T12:00:00.123456+00:00","open":0.1}`, `{"name":"a","NAME":"b","Name":"c"}`,
		`{"name":"\ud800x\udfff"}`, "{\"name\":\"\xff\"}", `{"count":1e3}`, `{"count":9223372036854775808}`,
		`{"ratio":1e400}`, `{"I8":300}`, `{"U":-1}`, `{"F":1e39}`, `{"B":"!!"}`, `{"P":null}`, `{"count":null}`,
		`{"price":" 1.5"}`, `{"price":1.5e2}`, `{"price":"1e-3"}`, `"2024-02-30T00:00:00Z"`, `"24:00"`, `[1,2,]`,
		`{"a":1,"a":2}`, ` [ ] `, "\ufeff{}", `{"bids":[{"price":"1","qty":2}],"time":"2024-05-01T12:00:00Z"}`,
		`{"grid":[[1,2,3],[4]]}`, `{"raw":"AAE="}`, `{"raw":"AAE"}`, `{"levels":{"x":[1,"2"]}}`, `nul`, `-`, `0x10`,
		`{"times":["2024-05-01T12:00:00+01:00", null]}`, `{"Next":{"Next":{"Name":"deep"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, target := range jsonDecodeTargets() {
			a, b := target(), target()
			errA, errB := stdCodec.Unmarshal(data, a), codecJSON.Unmarshal(data, b)
			for _, err := range []error{errA, errB} {
				if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTypeMismatch) {
					t.Fatalf("%T %q: %v, want nil, ErrCorrupt or ErrTypeMismatch", a, data, err)
				}
			}
			if errors.Is(errA, ErrCorrupt) != errors.Is(errB, ErrCorrupt) {
				t.Fatalf("%T %q: libraries classify differently: encoding/json: %v; goccy/go-json: %v", a, data, errA, errB)
			}
			if (errA == nil) != (errB == nil) {
				t.Fatalf("%T %q: encoding/json: %v; goccy/go-json: %v", a, data, errA, errB)
			}
			if errA == nil && !reflect.DeepEqual(a, b) {
				t.Fatalf("%T %q:\nencoding/json %#v\ngoccy/go-json %#v", a, data, a, b)
			}
		}
	})
}
