// Package typegraph answers, once per Go type, questions about the values a type can hold as a codec
// walks them: which struct fields a codec visits, which types it hands to their own methods, whether a
// type can reach another or refer back to itself. The per-value walks in codec's other internal
// packages use it to skip types that need no walk and to descend only into the parts that matter.
package typegraph

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

var (
	timeType  = reflect.TypeFor[time.Time]()
	errorType = reflect.TypeFor[error]()

	mpCustomEncoderType   = reflect.TypeFor[msgpack.CustomEncoder]()
	mpMarshalerType       = reflect.TypeFor[msgpack.Marshaler]()
	mpCustomDecoderType   = reflect.TypeFor[msgpack.CustomDecoder]()
	mpUnmarshalerType     = reflect.TypeFor[msgpack.Unmarshaler]()
	binaryMarshalerType   = reflect.TypeFor[encoding.BinaryMarshaler]()
	binaryUnmarshalerType = reflect.TypeFor[encoding.BinaryUnmarshaler]()
	textMarshalerType     = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerType   = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshalerType   = reflect.TypeFor[json.Unmarshaler]()
)

// Rules says which struct fields a codec visits: exported ones and embedded ones, minus those its tag
// marks "-". With Msgpack set, the `msgpack` tag is read and the `json` tag is the fallback, as codec's
// msgpack codec is configured; otherwise the `json` tag.
type Rules struct{ Msgpack bool }

// Visits reports whether the codec these rules describe visits sf.
func (r Rules) Visits(sf reflect.StructField) bool {
	if !sf.IsExported() && !sf.Anonymous {
		return false
	}
	if !r.Msgpack {
		return sf.Tag.Get("json") != "-"
	}
	tag := sf.Tag.Get("msgpack")
	if tag == "" {
		tag = sf.Tag.Get("json")
	}
	name, _, _ := strings.Cut(tag, ",")
	return name != "-"
}

// Edge is one way down from a type: a struct field (Index >= 0, the field's index), an element or map
// value (EdgeElem) or a map key (EdgeKey).
type Edge struct {
	Index int
	Type  reflect.Type
}

// Edge.Index values of the edges that are not struct fields.
const (
	EdgeElem = -1 // the element of a pointer, slice, array or map
	EdgeKey  = -2 // the key of a map
)

// Edges returns the ways down from t that the rules allow: the visited fields of a struct, the element
// of a pointer, slice or array, the key and value of a map. Other kinds have none.
func Edges(t reflect.Type, r Rules) []Edge {
	switch t.Kind() {
	case reflect.Struct:
		var out []Edge
		for i := range t.NumField() {
			if sf := t.Field(i); r.Visits(sf) {
				out = append(out, Edge{i, sf.Type})
			}
		}
		return out
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return []Edge{{EdgeElem, t.Elem()}}
	case reflect.Map:
		return []Edge{{EdgeKey, t.Key()}, {EdgeElem, t.Elem()}}
	}
	return nil
}

// implementsAny reports whether t or *t implements one of the interfaces: the codecs then hand the value
// to that method instead of walking it (for *t only when the value is addressable; otherwise msgpack
// refuses it with an error). A pointer type is never a leaf: the codecs follow the pointer and the
// element decides (a *time.Time holds a time to convert).
func implementsAny(t reflect.Type, ifaces ...reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		return false
	}
	pt := reflect.PointerTo(t)
	for _, it := range ifaces {
		if t.Implements(it) || pt.Implements(it) {
			return true
		}
	}
	return false
}

// MsgpackEncodeLeaf reports whether msgpack encodes t without looking inside it.
func MsgpackEncodeLeaf(t reflect.Type) bool {
	return t == timeType || t == errorType ||
		implementsAny(t, mpCustomEncoderType, mpMarshalerType, binaryMarshalerType, textMarshalerType)
}

// DecodeLeaf returns the test of whether the codec (msgpack, or else json) decodes a type through the
// type's own method instead of field by field.
func DecodeLeaf(msgpackRules bool) func(reflect.Type) bool {
	if msgpackRules {
		return func(t reflect.Type) bool {
			return implementsAny(t, mpCustomDecoderType, mpUnmarshalerType, binaryUnmarshalerType, textUnmarshalerType)
		}
	}
	return func(t reflect.Type) bool { return implementsAny(t, jsonUnmarshalerType, textUnmarshalerType) }
}

// Reaches reports whether a value of type t can hold a value of a type for which target is true, going
// down the edges the rules allow and stopping at leaves.
func Reaches(t reflect.Type, r Rules, leaf, target func(reflect.Type) bool) bool {
	seen := map[reflect.Type]bool{}
	var visit func(reflect.Type) bool
	visit = func(u reflect.Type) bool {
		if target(u) {
			return true
		}
		if seen[u] || leaf(u) {
			return false
		}
		seen[u] = true
		for _, e := range Edges(u, r) {
			if visit(e.Type) {
				return true
			}
		}
		return false
	}
	return visit(t)
}

// MayCycle reports whether a value of type t can refer back to itself: t reaches an interface (which may
// hold anything), or reaches a pointer, map or slice type that reaches itself again.
func MayCycle(t reflect.Type, r Rules, leaf func(reflect.Type) bool) bool {
	var reachable []reflect.Type
	seen := map[reflect.Type]bool{}
	var collect func(reflect.Type)
	collect = func(u reflect.Type) {
		if seen[u] || leaf(u) {
			return
		}
		seen[u] = true
		reachable = append(reachable, u)
		for _, e := range Edges(u, r) {
			collect(e.Type)
		}
	}
	collect(t)
	for _, u := range reachable {
		switch u.Kind() {
		case reflect.Interface:
			return true
		case reflect.Pointer, reflect.Map, reflect.Slice:
			self := func(x reflect.Type) bool { return x == u }
			for _, e := range Edges(u, r) {
				if Reaches(e.Type, r, leaf, self) {
					return true
				}
			}
		}
	}
	return false
}

// Filter caches, per type, the answer of a test that is costly to compute (a Reaches or MayCycle), so
// that a walk asks it for every value it meets at the price of one map load.
type Filter struct {
	test  func(reflect.Type) bool
	cache sync.Map // reflect.Type → bool
}

// NewFilter returns a Filter for test, which must depend on the type alone.
func NewFilter(test func(reflect.Type) bool) *Filter { return &Filter{test: test} }

// Relevant returns test(t), computed once per type.
func (f *Filter) Relevant(t reflect.Type) bool {
	if v, ok := f.cache.Load(t); ok {
		return v.(bool)
	}
	r := f.test(t)
	f.cache.Store(t, r)
	return r
}
