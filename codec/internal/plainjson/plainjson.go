// Package plainjson writes a value as json.Marshal does, except that decimals are bare JSON numbers
// with their exact digits: the form Python readers (json.loads with parse_float=Decimal) read back
// exactly. Only types that can hold a decimal are walked here; the rest of every value is written by
// encoding/json itself. Errors are plain: the caller says what they mean.
package plainjson

import (
	"cmp"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit/codec/internal/limits"
	"github.com/cachekit/cachekit/codec/internal/typegraph"
)

var (
	decimalType       = reflect.TypeFor[decimal.Decimal]()
	nullDecimalType   = reflect.TypeFor[decimal.NullDecimal]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// holdsDecimal tells which types can hold a decimal that encoding/json would quote: only those are
// walked here; everything else goes to json.Marshal whole.
var holdsDecimal = typegraph.NewFilter(func(t reflect.Type) bool {
	target := func(t reflect.Type) bool {
		return t == decimalType || t == nullDecimalType || t.Kind() == reflect.Interface
	}
	return typegraph.Reaches(t, typegraph.Rules{}, marshalsItself, target)
})

// Encode returns v as json.Marshal writes it, with every decimal.Decimal (and valid
// decimal.NullDecimal) as a JSON number with the decimal's exact digits, unless a MarshalJSON or
// MarshalText method of an enclosing type writes it. A value nesting deeper than limits.MaxDepth levels
// is an error. Panics of a type's own marshal method are not recovered.
func Encode(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || !holdsDecimal.Relevant(rv.Type()) {
		b, err := json.Marshal(v) // encoding/json itself: this output is its output by definition
		if err != nil {
			return nil, fmt.Errorf("json: %w", err)
		}
		return b, nil
	}
	e := encoder{b: make([]byte, 0, 256)}
	if err := e.value(rv, 0); err != nil {
		return nil, err
	}
	return e.b, nil
}

// marshalsItself reports whether encoding/json hands every value of t to a MarshalJSON or MarshalText
// method. A pointer whose element has the method by value is not counted: encoding/json writes it as
// null or as the element. A method on *T only (T not a pointer) is checked per value, as it applies to
// addressable values alone.
func marshalsItself(t reflect.Type) bool {
	if !t.Implements(jsonMarshalerType) && !t.Implements(textMarshalerType) {
		return false
	}
	if t.Kind() == reflect.Pointer {
		e := t.Elem()
		return !e.Implements(jsonMarshalerType) && !e.Implements(textMarshalerType)
	}
	return true
}

func pointerMarshals(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(jsonMarshalerType) || pt.Implements(textMarshalerType)
}

type encoder struct{ b []byte }

func (e *encoder) value(v reflect.Value, depth int) error {
	if depth > limits.MaxDepth {
		return fmt.Errorf("value nests deeper than %d levels", limits.MaxDepth)
	}
	t := v.Type()
	switch {
	case t == decimalType:
		e.b = append(e.b, v.Interface().(decimal.Decimal).String()...)
		return nil
	case t == nullDecimalType:
		if nd := v.Interface().(decimal.NullDecimal); nd.Valid {
			e.b = append(e.b, nd.Decimal.String()...)
		} else {
			e.b = append(e.b, "null"...)
		}
		return nil
	case !holdsDecimal.Relevant(t) || (t.Kind() != reflect.Pointer && v.CanAddr() && pointerMarshals(t)):
		return e.delegate(v)
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.b = append(e.b, "null"...)
			return nil
		}
		return e.value(v.Elem(), depth+1)
	case reflect.Struct:
		return e.structValue(v, depth)
	case reflect.Map:
		return e.mapValue(v, depth)
	case reflect.Slice:
		if v.IsNil() {
			e.b = append(e.b, "null"...)
			return nil
		}
		fallthrough
	case reflect.Array:
		e.b = append(e.b, '[')
		for i := range v.Len() {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			if err := e.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
		e.b = append(e.b, ']')
		return nil
	}
	return e.delegate(v)
}

// delegate appends json.Marshal's encoding of v, passing its address when it has one so that methods on
// the pointer apply exactly as they would inside json.Marshal.
func (e *encoder) delegate(v reflect.Value) error {
	var x any
	if v.CanAddr() {
		x = v.Addr().Interface()
	} else {
		x = v.Interface()
	}
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Errorf("json: %w", err)
	}
	e.b = append(e.b, b...)
	return nil
}

func (e *encoder) structValue(v reflect.Value, depth int) error {
	e.b = append(e.b, '{')
	first := true
	fields := jsonFieldsOf(v.Type())
nextField:
	for i := range fields {
		f := &fields[i]
		fv := v
		for _, idx := range f.index {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue nextField // promoted through a nil embedded pointer: absent
				}
				fv = fv.Elem()
			}
			fv = fv.Field(idx)
		}
		if (f.omitEmpty && isEmptyJSON(fv)) || (f.omitZero && isZeroJSON(fv)) {
			continue
		}
		if !first {
			e.b = append(e.b, ',')
		}
		first = false
		e.b = append(e.b, f.key...)
		var err error
		if f.quoted {
			err = e.quoted(fv)
		} else {
			err = e.value(fv, depth+1)
		}
		if err != nil {
			return err
		}
	}
	e.b = append(e.b, '}')
	return nil
}

// quoted writes a field with the ",string" option: the JSON text of the value inside a JSON string.
func (e *encoder) quoted(v reflect.Value) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			e.b = append(e.b, "null"...)
			return nil
		}
		v = v.Elem()
	}
	raw, err := json.Marshal(v.Interface())
	if err != nil {
		return fmt.Errorf("json: %w", err)
	}
	if v.Kind() == reflect.String {
		raw, _ = json.Marshal(string(raw))
		e.b = append(e.b, raw...)
		return nil
	}
	e.b = append(e.b, '"')
	e.b = append(e.b, raw...)
	e.b = append(e.b, '"')
	return nil
}

func (e *encoder) mapValue(v reflect.Value, depth int) error {
	if v.IsNil() {
		e.b = append(e.b, "null"...)
		return nil
	}
	type entry struct {
		key string
		val reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		k, err := jsonMapKey(it.Key())
		if err != nil {
			return err
		}
		entries = append(entries, entry{k, it.Value()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.key, b.key) })
	e.b = append(e.b, '{')
	for i, en := range entries {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		k, _ := json.Marshal(en.key)
		e.b = append(e.b, k...)
		e.b = append(e.b, ':')
		if err := e.value(en.val, depth+1); err != nil {
			return err
		}
	}
	e.b = append(e.b, '}')
	return nil
}

// jsonMapKey turns a map key into the object key encoding/json would write.
func jsonMapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		if k.Kind() == reflect.Pointer && k.IsNil() {
			return "", nil
		}
		b, err := tm.MarshalText()
		if err != nil {
			return "", fmt.Errorf("json: map key: %w", err)
		}
		return string(b), nil
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", fmt.Errorf("json: unsupported map key type %s", k.Type())
}

// isEmptyJSON is the "omitempty" test of encoding/json.
func isEmptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

type isZeroer interface{ IsZero() bool }

var isZeroerType = reflect.TypeFor[isZeroer]()

// isZeroJSON is the "omitzero" test of encoding/json: the type's IsZero method when it has one (guarding
// nil pointers and interfaces), else reflect's zero value test.
func isZeroJSON(v reflect.Value) bool {
	t := v.Type()
	switch {
	case t.Kind() == reflect.Interface && t.Implements(isZeroerType):
		return v.IsNil() || (v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil()) || v.Interface().(isZeroer).IsZero()
	case t.Kind() == reflect.Pointer && t.Implements(isZeroerType):
		return v.IsNil() || v.Interface().(isZeroer).IsZero()
	case t.Implements(isZeroerType):
		return v.Interface().(isZeroer).IsZero()
	case reflect.PointerTo(t).Implements(isZeroerType):
		if !v.CanAddr() {
			c := reflect.New(t).Elem()
			c.Set(v)
			v = c
		}
		return v.Addr().Interface().(isZeroer).IsZero()
	}
	return v.IsZero()
}
