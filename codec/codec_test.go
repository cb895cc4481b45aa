package codec

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

var codecs = []Codec{JSON, Msgpack}

// bareCodecs adds the json codec on encoding/json, the library it ran on before goccy/go-json, for the
// rules a bare Marshal/Unmarshal must keep.
var bareCodecs = []Codec{JSON, Msgpack, jsonCodec{stdJSON}}

func TestByName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Codec
		id   byte
	}{{"json", JSON, 1}, {"msgpack", Msgpack, 2}, {"JSON", JSON, 1}, {"MsgPack", Msgpack, 2}} {
		c, err := ByName(tc.name)
		if err != nil {
			t.Fatalf("ByName(%q): %v", tc.name, err)
		}
		if c != tc.want || c.ID() != tc.id || c.Name() != tc.want.Name() {
			t.Errorf("ByName(%q) = %s (id %d), want %s (id %d)", tc.name, c.Name(), c.ID(), tc.want.Name(), tc.id)
		}
	}
	for _, name := range []string{"", "gob", "json ", "protobuf"} {
		_, err := ByName(name)
		if !errors.Is(err, ErrUnknownCodec) {
			t.Errorf("ByName(%q) error = %v, want ErrUnknownCodec", name, err)
		}
	}
}

// roundTrips lists every way a value goes out and back in: each codec on its own, each codec through the
// envelope, and the envelope read by a reader that would itself write with the other codec (Decode does
// not take a codec: the header names it).
func roundTrips() []struct {
	name string
	run  func(in, out any) error
} {
	type path = struct {
		name string
		run  func(in, out any) error
	}
	var paths []path
	for _, c := range codecs {
		paths = append(paths,
			path{c.Name() + "/bare", func(in, out any) error {
				b, err := c.Marshal(in)
				if err != nil {
					return err
				}
				return c.Unmarshal(b, out)
			}},
			path{c.Name() + "/envelope", func(in, out any) error {
				b, err := Encode(c, in)
				if err != nil {
					return err
				}
				m, err := Decode(b, out)
				if err == nil && m.Codec != c.ID() {
					return errors.New("Meta.Codec does not name the writer")
				}
				return err
			}},
		)
	}
	// The json codec's other library, encoding/json, on its own and across: what one writes, the other
	// reads (the envelope's reader is the codec's library).
	std := jsonCodec{stdJSON}
	paths = append(paths,
		path{"json-encoding/bare", func(in, out any) error {
			b, err := std.Marshal(in)
			if err != nil {
				return err
			}
			return std.Unmarshal(b, out)
		}},
		path{"json-encoding-to-codec/envelope", func(in, out any) error {
			b, err := std.appendMarshal([]byte{magic, formatVersion, idJSON, 0}, in)
			if err != nil {
				return err
			}
			_, err = Decode(b, out)
			return err
		}},
		path{"json-codec-to-encoding/bare", func(in, out any) error {
			b, err := JSON.Marshal(in)
			if err != nil {
				return err
			}
			return std.Unmarshal(b, out)
		}},
	)
	paths = append(paths, path{"plainjson", func(in, out any) error {
		b, err := EncodePlainJSON(in)
		if err != nil {
			return err
		}
		m, err := Decode(b, out)
		if err == nil && m.Codec != 0 {
			return errors.New("plain JSON decoded with a codec id")
		}
		return err
	}})
	return paths
}

func TestRoundTripEverything(t *testing.T) {
	want := sampleEverything(t)
	for _, p := range roundTrips() {
		t.Run(p.name, func(t *testing.T) {
			var got everything
			if err := p.run(&want, &got); err != nil {
				t.Fatal(err)
			}
			checkEverything(t, got, want)
		})
	}
}

func checkEverything(t *testing.T, got, want everything) {
	t.Helper()
	if got.Name != want.Name || got.Count != want.Count || got.Ratio != want.Ratio || got.Flag != want.Flag {
		t.Errorf("scalars = %q %d %v %v, want %q %d %v %v", got.Name, got.Count, got.Ratio, got.Flag,
			want.Name, want.Count, want.Ratio, want.Flag)
	}
	checkDec(t, "Price", got.Price, want.Price)
	checkTime(t, "At", got.At, want.At)
	if got.AtPtr == nil {
		t.Error("AtPtr = nil")
	} else {
		checkTime(t, "AtPtr", *got.AtPtr, *want.AtPtr)
	}
	if string(got.Raw) != string(want.Raw) {
		t.Errorf("Raw = %v, want %v", got.Raw, want.Raw)
	}
	// Both codecs keep nil and empty apart for slices, byte slices and maps.
	checkNilEmpty(t, "EmptyRaw", got.EmptyRaw, false)
	checkNilEmpty(t, "NilRaw", got.NilRaw, true)
	checkNilEmpty(t, "EmptyTags", got.EmptyTags, false)
	checkNilEmpty(t, "NilTags", got.NilTags, true)
	checkNilEmpty(t, "EmptyAttrs", got.EmptyAttrs, false)
	checkNilEmpty(t, "NilAttrs", got.NilAttrs, true)
	if !reflect.DeepEqual(got.Tags, want.Tags) || !reflect.DeepEqual(got.Attrs, want.Attrs) ||
		!reflect.DeepEqual(got.Levels, want.Levels) || got.Grid != want.Grid {
		t.Errorf("Tags/Attrs/Levels/Grid = %v %v %v %v, want %v %v %v %v", got.Tags, got.Attrs, got.Levels, got.Grid,
			want.Tags, want.Attrs, want.Levels, want.Grid)
	}
	checkInner(t, "Nested", got.Nested, want.Nested)
	if got.NestedPtr == nil {
		t.Error("NestedPtr = nil")
	} else {
		checkInner(t, "NestedPtr", *got.NestedPtr, *want.NestedPtr)
	}
	if got.NilPtr != nil {
		t.Errorf("NilPtr = %+v, want nil", got.NilPtr)
	}
	checkCandles(t, got.Candles, want.Candles)
	if len(got.ByKey) != 1 {
		t.Errorf("ByKey = %v", got.ByKey)
	} else {
		checkCandles(t, []candle{got.ByKey["x"]}, []candle{want.ByKey["x"]})
	}
	if p := got.PtrByKey["y"]; p == nil {
		t.Errorf("PtrByKey = %v", got.PtrByKey)
	} else {
		checkInner(t, "PtrByKey[y]", *p, *want.PtrByKey["y"])
	}
	if len(got.Times) != len(want.Times) {
		t.Fatalf("Times = %v, want %v", got.Times, want.Times)
	}
	for i := range want.Times {
		checkTime(t, "Times[i]", got.Times[i], want.Times[i])
	}
	if got.Skipped != "" || got.unexported != "" {
		t.Errorf("Skipped, unexported = %q, %q: fields that must not travel did", got.Skipped, got.unexported)
	}
}

func checkNilEmpty[T any](t *testing.T, name string, got T, wantNil bool) {
	t.Helper()
	v := reflect.ValueOf(got)
	if v.IsNil() != wantNil || v.Len() != 0 {
		t.Errorf("%s = %#v (nil %v), want nil=%v and empty", name, got, v.IsNil(), wantNil)
	}
}

func checkInner(t *testing.T, name string, got, want inner) {
	t.Helper()
	if got.Label != want.Label {
		t.Errorf("%s.Label = %q, want %q", name, got.Label, want.Label)
	}
	checkTime(t, name+".At", got.At, want.At)
	checkDec(t, name+".Price", got.Price, want.Price)
}

func checkCandles(t *testing.T, got, want []candle) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d candles, want %d", len(got), len(want))
	}
	for i := range want {
		checkTime(t, "OpenTime", got[i].OpenTime, want[i].OpenTime)
		checkDec(t, "Open", got[i].Open, want[i].Open)
		checkDec(t, "High", got[i].High, want[i].High)
		checkDec(t, "Low", got[i].Low, want[i].Low)
		checkDec(t, "Close", got[i].Close, want[i].Close)
		checkDec(t, "Volume", got[i].Volume, want[i].Volume)
	}
}

// checkDec requires the same number with the same digits: no float rounding on the way.
func checkDec(t *testing.T, name string, got, want decimal.Decimal) {
	t.Helper()
	if !got.Equal(want) || got.String() != want.String() {
		t.Errorf("%s = %s, want %s", name, got, want)
	}
}

// checkTime requires the same instant, in UTC.
func checkTime(t *testing.T, name string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want the instant %s", name, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", name, got.Location())
	}
}

func TestDecimalsExact(t *testing.T) {
	for _, s := range []string{"0.1", "0.3", "123456789012345678901234567890.000000001", "-987654321.123456789",
		"0", "-0.000000000000000000000000001", "1e-30", "100000000000000000000000000000000"} {
		want := mustDec(t, s)
		for _, p := range roundTrips() {
			var got struct{ D decimal.Decimal }
			if err := p.run(struct{ D decimal.Decimal }{want}, &got); err != nil {
				t.Fatalf("%s %s: %v", p.name, s, err)
			}
			checkDec(t, p.name+" "+s, got.D, want)
		}
	}
}

// Python writes decimals as JSON numbers; the json codec (and Decode's plain-JSON path) must read them
// digit for digit, also beyond what a float64 holds.
func TestJSONDecimalFromNumberAndString(t *testing.T) {
	const digits = "123456789012345678901234567890.000000001"
	for _, in := range []string{`{"D":` + digits + `}`, `{"D":"` + digits + `"}`} {
		var got struct{ D decimal.Decimal }
		if err := JSON.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got.D.String() != digits {
			t.Errorf("%s decoded as %s", in, got.D)
		}
		var viaDecode struct{ D decimal.Decimal }
		if _, err := Decode([]byte(in), &viaDecode); err != nil || viaDecode.D.String() != digits {
			t.Errorf("Decode(%s) = %s, %v", in, viaDecode.D, err)
		}
	}
}

func TestTimesDecodeAsUTC(t *testing.T) {
	at := time.Date(2024, 2, 29, 23, 59, 59, 987654321, zoneNewYrk)
	type withTimes struct {
		T    time.Time
		P    *time.Time
		S    []time.Time
		M    map[string]time.Time
		Any  any
		Anys []any
	}
	in := withTimes{T: at, P: &at, S: []time.Time{at}, M: map[string]time.Time{"a": at}, Any: at, Anys: []any{at}}
	for _, p := range roundTrips() {
		t.Run(p.name, func(t *testing.T) {
			var got withTimes
			if err := p.run(in, &got); err != nil {
				t.Fatal(err)
			}
			checkTime(t, "T", got.T, at)
			checkTime(t, "*P", *got.P, at)
			checkTime(t, "S[0]", got.S[0], at)
			checkTime(t, "M[a]", got.M["a"], at)
			if tm, ok := got.Any.(time.Time); ok { // msgpack: a time.Time; json: an RFC 3339 string
				checkTime(t, "Any", tm, at)
			} else if s, ok := got.Any.(string); !ok || s != at.Format(time.RFC3339Nano) {
				t.Errorf("Any = %#v", got.Any)
			}
			if tm, ok := got.Anys[0].(time.Time); ok {
				checkTime(t, "Anys[0]", tm, at)
			}
		})
	}
}

// A top-level time and a time inside a map of interfaces (msgpack decodes those as time.Time).
func TestTimesDecodeAsUTCTopLevelAndDynamic(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, zoneTokyo)
	for _, c := range codecs {
		b, err := Encode(c, at)
		if err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if _, err := Decode(b, &got); err != nil {
			t.Fatal(err)
		}
		checkTime(t, c.Name(), got, at)
	}
	b, err := Encode(Msgpack, map[string]any{"at": at, "list": []any{at}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if _, err := Decode(b, &m); err != nil {
		t.Fatal(err)
	}
	checkTime(t, "m[at]", m["at"].(time.Time), at)
	checkTime(t, "m[list][0]", m["list"].([]any)[0].(time.Time), at)
}

func TestZeroValuesAndNil(t *testing.T) {
	for _, p := range roundTrips() {
		var got *inner = &inner{Label: "old"}
		if err := p.run((*inner)(nil), &got); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if got != nil {
			t.Errorf("%s: nil pointer decoded as %+v", p.name, got)
		}
		var z inner
		if err := p.run(inner{}, &z); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if !z.At.IsZero() || !z.Price.IsZero() || z.Label != "" {
			t.Errorf("%s: zero value decoded as %+v", p.name, z)
		}
	}
}

func TestNaNAndInf(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := Encode(JSON, f); !errors.Is(err, ErrEncode) {
			t.Errorf("json %v: err = %v, want ErrEncode", f, err)
		}
		if _, err := EncodePlainJSON(struct{ F float64 }{f}); !errors.Is(err, ErrEncode) {
			t.Errorf("plain json %v: err = %v, want ErrEncode", f, err)
		}
		// msgpack stores IEEE floats as they are.
		b, err := Encode(Msgpack, f)
		if err != nil {
			t.Fatal(err)
		}
		var got float64
		if _, err := Decode(b, &got); err != nil || !(got == f || (math.IsNaN(f) && math.IsNaN(got))) {
			t.Errorf("msgpack %v decoded as %v, %v", f, got, err)
		}
	}
}

func TestInvalidTarget(t *testing.T) {
	b, _ := Encode(Msgpack, 1)
	var nilPtr *int
	for _, target := range []any{nil, 3, nilPtr, struct{}{}} {
		if _, err := Decode(b, target); !errors.Is(err, ErrInvalidTarget) || errors.Is(err, ErrCorrupt) {
			t.Errorf("Decode into %#v: err = %v, want ErrInvalidTarget (and not ErrCorrupt)", target, err)
		}
		for _, c := range bareCodecs {
			if err := c.Unmarshal([]byte("1"), target); !errors.Is(err, ErrInvalidTarget) {
				t.Errorf("%s.Unmarshal into %#v: err = %v, want ErrInvalidTarget", c.Name(), target, err)
			}
		}
	}
}

// A well-formed value that does not fit the reader's type is a type mismatch, not corruption: another
// reader may own it. Malformed bytes stay corrupt whatever the target.
func TestTypeMismatchIsNotCorrupt(t *testing.T) {
	for _, c := range codecs {
		b, err := Encode(c, map[string]any{"open": []int{1}})
		if err != nil {
			t.Fatal(err)
		}
		var got candle
		_, err = Decode(b, &got)
		if !errors.Is(err, ErrTypeMismatch) || errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrTypeMismatch and not ErrCorrupt", c.Name(), err)
		}
		var s string
		n, _ := Encode(c, 42)
		if _, err := Decode(n, &s); !errors.Is(err, ErrTypeMismatch) {
			t.Errorf("%s: 42 into *string: err = %v, want ErrTypeMismatch", c.Name(), err)
		}
		if _, err := Decode(b[:len(b)-1], &got); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: truncated: err = %v, want ErrCorrupt", c.Name(), err)
		}
	}
	var s string
	if _, err := Decode([]byte(`42`), &s); !errors.Is(err, ErrTypeMismatch) {
		t.Errorf("plain JSON 42 into *string: err = %v, want ErrTypeMismatch", err)
	}
	if _, err := Decode([]byte(`{"a":`), &s); !errors.Is(err, ErrCorrupt) {
		t.Errorf("plain JSON truncated: err = %v, want ErrCorrupt", err)
	}
}

func TestMsgpackUsesJSONTags(t *testing.T) {
	type tagged struct {
		A string `json:"alpha"`
		B string `msgpack:"beta" json:"ignored"`
		C string `json:"-"`
	}
	b, err := Msgpack.Marshal(tagged{A: "a", B: "b", C: "c"})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := Msgpack.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, map[string]any{"alpha": "a", "beta": "b"}) {
		t.Errorf("msgpack wrote %v, want keys alpha and beta only", m)
	}
}

func TestConcurrentUse(t *testing.T) {
	want := sampleCandles(t, 20)
	done := make(chan error, 16)
	for i := range 16 {
		c := codecs[i%2]
		go func() {
			for range 50 {
				b, err := Encode(c, want)
				if err != nil {
					done <- err
					return
				}
				var got []candle
				if _, err := Decode(b, &got); err != nil {
					done <- err
					return
				}
				if len(got) != len(want) || !got[19].Close.Equal(want[19].Close) {
					done <- errors.New("concurrent round trip changed the value")
					return
				}
			}
			done <- nil
		}()
	}
	for range 16 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
