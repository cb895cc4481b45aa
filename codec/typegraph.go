package codec

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"github.com/vmihailenco/msgpack/v5"
)

// This file analyses Go types once, so that the per-value walks (cycle check before a msgpack encode, UTC
// normalisation after a decode, decimals in EncodePlainJSON) only run for types that need them and only
// descend into the parts that matter. Results are cached per reflect.Type.

var (
	timeType        = reflect.TypeFor[time.Time]()
	errorType       = reflect.TypeFor[error]()
	decimalType     = reflect.TypeFor[decimal.Decimal]()
	nullDecimalType = reflect.TypeFor[decimal.NullDecimal]()

	mpCustomEncoderType   = reflect.TypeFor[msgpack.CustomEncoder]()
	mpMarshalerType       = reflect.TypeFor[msgpack.Marshaler]()
	mpCustomDecoderType   = reflect.TypeFor[msgpack.CustomDecoder]()
	mpUnmarshalerType     = reflect.TypeFor[msgpack.Unmarshaler]()
	binaryMarshalerType   = reflect.TypeFor[encoding.BinaryMarshaler]()
	binaryUnmarshalerType = reflect.TypeFor[encoding.BinaryUnmarshaler]()
	textMarshalerType     = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerType   = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonMarshalerType     = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshalerType   = reflect.TypeFor[json.Unmarshaler]()
)

// fieldRules says which struct fields a codec visits: exported ones and embedded ones, minus those its
// tag marks "-". Msgpack reads the `msgpack` tag and falls back to `json` (see msgpackCodec).
type fieldRules struct{ msgpack bool }

func (r fieldRules) visits(sf reflect.StructField) bool {
	if !sf.IsExported() && !sf.Anonymous {
		return false
	}
	if !r.msgpack {
		return sf.Tag.Get("json") != "-"
	}
	tag := sf.Tag.Get("msgpack")
	if tag == "" {
		tag = sf.Tag.Get("json")
	}
	name, _, _ := strings.Cut(tag, ",")
	return name != "-"
}

// edge is one way down from a type: a struct field (index >= 0), an element or map value (index -1) or a
// map key (index -2).
type edge struct {
	index int
	typ   reflect.Type
}

const (
	edgeElem = -1
	edgeKey  = -2
)

func edges(t reflect.Type, r fieldRules) []edge {
	switch t.Kind() {
	case reflect.Struct:
		var out []edge
		for i := range t.NumField() {
			if sf := t.Field(i); r.visits(sf) {
				out = append(out, edge{i, sf.Type})
			}
		}
		return out
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return []edge{{edgeElem, t.Elem()}}
	case reflect.Map:
		return []edge{{edgeKey, t.Key()}, {edgeElem, t.Elem()}}
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

// msgpackEncodeLeaf reports whether msgpack encodes t without looking inside it.
func msgpackEncodeLeaf(t reflect.Type) bool {
	return t == timeType || t == errorType ||
		implementsAny(t, mpCustomEncoderType, mpMarshalerType, binaryMarshalerType, textMarshalerType)
}

// decodeLeaf reports whether the codec decodes t through t's own method instead of field by field.
func decodeLeaf(msgpackRules bool) func(reflect.Type) bool {
	if msgpackRules {
		return func(t reflect.Type) bool {
			return implementsAny(t, mpCustomDecoderType, mpUnmarshalerType, binaryUnmarshalerType, textUnmarshalerType)
		}
	}
	return func(t reflect.Type) bool { return implementsAny(t, jsonUnmarshalerType, textUnmarshalerType) }
}

// reaches reports whether a value of type t can hold a value of a type for which target is true, going
// down the edges the rules allow and stopping at leaves.
func reaches(t reflect.Type, r fieldRules, leaf, target func(reflect.Type) bool) bool {
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
		for _, e := range edges(u, r) {
			if visit(e.typ) {
				return true
			}
		}
		return false
	}
	return visit(t)
}

// mayCycle reports whether a value of type t can refer back to itself: t reaches an interface (which may
// hold anything), or reaches a pointer, map or slice type that reaches itself again.
func mayCycle(t reflect.Type, r fieldRules, leaf func(reflect.Type) bool) bool {
	var reachable []reflect.Type
	seen := map[reflect.Type]bool{}
	var collect func(reflect.Type)
	collect = func(u reflect.Type) {
		if seen[u] || leaf(u) {
			return
		}
		seen[u] = true
		reachable = append(reachable, u)
		for _, e := range edges(u, r) {
			collect(e.typ)
		}
	}
	collect(t)
	for _, u := range reachable {
		switch u.Kind() {
		case reflect.Interface:
			return true
		case reflect.Pointer, reflect.Map, reflect.Slice:
			self := func(x reflect.Type) bool { return x == u }
			for _, e := range edges(u, r) {
				if reaches(e.typ, r, leaf, self) {
					return true
				}
			}
		}
	}
	return false
}

// plan is the part of a type that a value walk must visit; nil means "nothing to do here".
type plan struct {
	typ    reflect.Type
	kind   reflect.Kind
	isTime bool        // UTC walk: this is a time.Time
	fields []fieldPlan // struct fields worth visiting
	elem   *plan       // pointer, slice or array element, map value
	key    *plan       // map key
}

type fieldPlan struct {
	index int
	p     *plan
}

// analysis caches, per type, whether values of the type need a walk (relevant) and the plan for it.
type analysis struct {
	rules    fieldRules
	relevant func(reflect.Type) bool // exact, uncached
	rel      sync.Map                // reflect.Type → bool
	plans    sync.Map                // reflect.Type → *plan (nil when not relevant)
}

func (a *analysis) isRelevant(t reflect.Type) bool {
	if v, ok := a.rel.Load(t); ok {
		return v.(bool)
	}
	r := a.relevant(t)
	a.rel.Store(t, r)
	return r
}

// planFor returns the plan for t, or nil when values of t need no walk.
func (a *analysis) planFor(t reflect.Type) *plan {
	if v, ok := a.plans.Load(t); ok {
		return v.(*plan)
	}
	var p *plan
	if a.isRelevant(t) {
		p = a.build(t, map[reflect.Type]*plan{})
	}
	v, _ := a.plans.LoadOrStore(t, p)
	return v.(*plan)
}

func (a *analysis) build(t reflect.Type, memo map[reflect.Type]*plan) *plan {
	if p, ok := memo[t]; ok {
		return p
	}
	p := &plan{typ: t, kind: t.Kind(), isTime: t == timeType}
	memo[t] = p
	if p.isTime || p.kind == reflect.Interface {
		return p // times are fixed in place; interfaces are looked up by their dynamic type
	}
	for _, e := range edges(t, a.rules) {
		if !a.isRelevant(e.typ) {
			continue
		}
		cp := a.build(e.typ, memo)
		switch e.index {
		case edgeElem:
			p.elem = cp
		case edgeKey:
			p.key = cp
		default:
			p.fields = append(p.fields, fieldPlan{e.index, cp})
		}
	}
	return p
}
