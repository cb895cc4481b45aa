package codec

import (
	"reflect"
	"time"
)

// Rule: times decode as UTC instants. encoding/json keeps the offset written in the text (a fixed zone,
// or Local when the offset matches it) and msgpack decodes its timestamp extension with time.Unix, which
// is Local. After every decode, time.Time values the codec could have set — through exported or embedded
// fields, pointers, slices, arrays, map values and interfaces — are converted with Time.UTC(). Types that
// decode themselves (an UnmarshalJSON, a DecodeMsgpack, ...) are left as their method made them, and so
// are map keys. Types that cannot hold a time.Time skip the walk after one cached type lookup.

func newUTCAnalysis(msgpackRules bool) *analysis {
	a := &analysis{rules: fieldRules{msgpack: msgpackRules}}
	leaf := decodeLeaf(msgpackRules)
	target := func(t reflect.Type) bool { return t == timeType || t.Kind() == reflect.Interface }
	a.relevant = func(t reflect.Type) bool { return reaches(t, a.rules, leaf, target) }
	return a
}

var (
	utcJSON    = newUTCAnalysis(false)
	utcMsgpack = newUTCAnalysis(true)
)

// toUTC converts the times inside *ptr (ptr is a non-nil pointer) to UTC.
func toUTC(a *analysis, ptr any) {
	rv := reflect.ValueOf(ptr)
	if p := a.planFor(rv.Type()); p != nil {
		fixUTC(a, p, rv, 0)
	}
}

func fixUTC(a *analysis, p *plan, v reflect.Value, depth int) {
	if depth > maxDepth {
		return // only a cyclic target that the decoder left in place gets here
	}
	switch {
	case p.isTime:
		if v.CanSet() {
			tp := v.Addr().Interface().(*time.Time)
			if tp.Location() != time.UTC {
				*tp = tp.UTC()
			}
		}
	case p.kind == reflect.Interface:
		if v.IsNil() || !v.CanSet() {
			return
		}
		e := v.Elem()
		ep := a.planFor(e.Type())
		if ep == nil {
			return
		}
		c := reflect.New(e.Type()).Elem() // interface contents are not addressable: fix a copy
		c.Set(e)
		fixUTC(a, ep, c, depth+1)
		v.Set(c)
	case p.kind == reflect.Pointer:
		if !v.IsNil() && p.elem != nil {
			fixUTC(a, p.elem, v.Elem(), depth+1)
		}
	case p.kind == reflect.Slice || p.kind == reflect.Array:
		if p.elem != nil {
			for i := range v.Len() {
				fixUTC(a, p.elem, v.Index(i), depth+1)
			}
		}
	case p.kind == reflect.Map:
		if p.elem == nil || v.Len() == 0 || !v.CanInterface() {
			return
		}
		c := reflect.New(v.Type().Elem()).Elem() // map values are not addressable: fix a copy, store it back
		for it := v.MapRange(); it.Next(); {
			c.Set(it.Value())
			fixUTC(a, p.elem, c, depth+1)
			v.SetMapIndex(it.Key(), c)
		}
	case p.kind == reflect.Struct:
		for _, f := range p.fields {
			fixUTC(a, f.p, v.Field(f.index), depth+1)
		}
	}
}
