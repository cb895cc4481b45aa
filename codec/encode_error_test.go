package codec

import (
	"errors"
	"testing"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/shopspring/decimal"
)

type node struct {
	Name string
	Next *node
}

type tree struct {
	Kids []*tree
	Meta map[string]any
}

type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error)    { panic("boom") }
func (panicky) MarshalMsgpack() ([]byte, error) { panic("boom") }

type failing struct{}

func (failing) MarshalJSON() ([]byte, error)    { return nil, errors.New("refused") }
func (failing) MarshalMsgpack() ([]byte, error) { return nil, errors.New("refused") }

// encoders lists every way to encode; each must turn a bad value into ErrEncode.
var encoders = []struct {
	name string
	enc  func(v any) ([]byte, error)
}{
	{"json/bare", JSON.Marshal},
	{"json-encoding/bare", jsonCodec{stdJSON}.Marshal},
	{"json/append", func(v any) ([]byte, error) { return AppendEncode(nil, JSON, v) }},
	{"msgpack/append", func(v any) ([]byte, error) { return AppendEncode(nil, Msgpack, v) }},
	{"msgpack/bare", Msgpack.Marshal},
	{"json/envelope", func(v any) ([]byte, error) { return Encode(JSON, v) }},
	{"msgpack/envelope", func(v any) ([]byte, error) { return Encode(Msgpack, v) }},
	{"plainjson", EncodePlainJSON},
}

func cyclicValues() map[string]any {
	selfPtr := &node{Name: "a"}
	selfPtr.Next = selfPtr

	twoStep := &node{Name: "a", Next: &node{Name: "b"}}
	twoStep.Next.Next = twoStep

	selfMap := map[string]any{}
	selfMap["me"] = selfMap

	selfSlice := []any{nil, 1}
	selfSlice[0] = selfSlice

	var selfIface any
	selfIface = &selfIface

	viaTree := &tree{Meta: map[string]any{}}
	viaTree.Kids = []*tree{{Meta: map[string]any{"parent": viaTree}}}

	withDecimal := map[string]any{"price": decimal.RequireFromString("1.5")}
	withDecimal["self"] = []any{withDecimal}

	return map[string]any{
		"pointer":          selfPtr,
		"pointer two-step": twoStep,
		"map":              selfMap,
		"slice":            selfSlice,
		"interface":        &selfIface,
		"struct tree":      viaTree,
		"map with decimal": withDecimal,
	}
}

func TestNonEncodableValuesAreErrEncode(t *testing.T) {
	bad := map[string]any{
		"chan":            make(chan int),
		"func":            func() {},
		"complex":         complex(1, 2),
		"unsafe pointer":  unsafe.Pointer(new(int)),
		"chan in struct":  struct{ C chan int }{make(chan int)},
		"func in map":     map[string]any{"f": func() {}},
		"marshaler error": failing{},
		"marshaler panic": panicky{},
	}
	for name, v := range cyclicValues() {
		bad["cycle: "+name] = v
	}
	for name, v := range bad {
		for _, e := range encoders {
			b, err := e.enc(v)
			if !errors.Is(err, ErrEncode) {
				t.Errorf("%s %s: err = %v (output %q), want ErrEncode", e.name, name, err, b)
			}
		}
	}
}

func TestDeepNestingIsErrEncode(t *testing.T) {
	var head *node
	for range maxDepth + 10 {
		head = &node{Next: head}
	}
	for _, c := range codecs {
		if _, err := Encode(c, head); !errors.Is(err, ErrEncode) {
			t.Errorf("%s: err = %v, want ErrEncode", c.Name(), err)
		}
	}
	var nested any = 1
	for range maxDepth + 10 {
		nested = []any{nested, decimal.Zero}
	}
	if _, err := EncodePlainJSON(nested); !errors.Is(err, ErrEncode) {
		t.Errorf("plainjson: err = %v, want ErrEncode", err)
	}
	// Just under the limit is fine, and decodes back.
	head = nil
	for range maxDepth / 2 {
		head = &node{Next: head}
	}
	for _, c := range codecs {
		b, err := Encode(c, head)
		if err != nil {
			t.Fatal(err)
		}
		var got *node
		if _, err := Decode(b, &got); err != nil {
			t.Fatal(err)
		}
		n := 0
		for ; got != nil; got = got.Next {
			n++
		}
		if n != maxDepth/2 {
			t.Errorf("%s: decoded a list of %d nodes, want %d", c.Name(), n, maxDepth/2)
		}
	}
}

// Shared (non-cyclic) references are not cycles: the value is written twice.
func TestSharedReferencesAreNotCycles(t *testing.T) {
	shared := &node{Name: "shared"}
	m := map[string]any{"a": shared, "b": shared}
	s := []any{m, m}
	for _, e := range encoders {
		if _, err := e.enc(s); err != nil {
			t.Errorf("%s: %v", e.name, err)
		}
	}
}

type panicOnDecode struct{}

func (*panicOnDecode) UnmarshalJSON([]byte) error           { panic("boom") }
func (*panicOnDecode) DecodeMsgpack(*msgpack.Decoder) error { panic("boom") }

// A panic inside decoding (here a type's own decode method) is reported as ErrCorrupt, not raised.
func TestDecodePanicIsErrCorrupt(t *testing.T) {
	for _, c := range codecs {
		b, err := Encode(c, map[string]int{"A": 1})
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ A panicOnDecode }
		if _, err := Decode(b, &v); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", c.Name(), err)
		}
	}
}
