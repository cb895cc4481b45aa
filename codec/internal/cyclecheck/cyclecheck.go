// Package cyclecheck finds the values msgpack would recurse on without end: msgpack v5 has no cycle
// detection, and a self-referential value would recurse until Go's stack overflows, which kills the
// process and cannot be recovered. Check walks a value once, with the set of references on the current
// path, only when its type can be cyclic at all; every other type (a []Candle of decimals and times, say)
// costs one cached type lookup.
package cyclecheck

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/cachekit/cachekit/codec/internal/limits"
	"github.com/cachekit/cachekit/codec/internal/typegraph"
)

// rules are msgpack's: the walk must see the value as the msgpack encoder will.
var rules = typegraph.Rules{Msgpack: true}

var mayCycle = typegraph.NewFilter(func(t reflect.Type) bool {
	return typegraph.MayCycle(t, rules, typegraph.MsgpackEncodeLeaf)
})

// Check returns an error if v refers back to itself, or nests deeper than limits.MaxDepth levels, as
// msgpack would see it.
func Check(v any) error {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return nil
	}
	p := planFor(rv.Type())
	if p == nil {
		return nil
	}
	w := walker{path: map[refKey]struct{}{}}
	return w.walk(p, rv, 0)
}

// plan is the part of a type that the walk must visit; nil means "nothing to do here".
type plan struct {
	typ    reflect.Type
	kind   reflect.Kind
	fields []fieldPlan // struct fields worth visiting
	elem   *plan       // pointer, slice or array element, map value
	key    *plan       // map key
}

type fieldPlan struct {
	index int
	p     *plan
}

var plans sync.Map // reflect.Type → *plan (nil when values of the type cannot be cyclic)

// planFor returns the plan for t, or nil when values of t need no walk.
func planFor(t reflect.Type) *plan {
	if v, ok := plans.Load(t); ok {
		return v.(*plan)
	}
	var p *plan
	if mayCycle.Relevant(t) {
		p = build(t, map[reflect.Type]*plan{})
	}
	v, _ := plans.LoadOrStore(t, p)
	return v.(*plan)
}

// build makes the plan for t; memo holds the plans being built, so that recursive types refer to
// themselves instead of recursing forever.
func build(t reflect.Type, memo map[reflect.Type]*plan) *plan {
	if p, ok := memo[t]; ok {
		return p
	}
	p := &plan{typ: t, kind: t.Kind()}
	memo[t] = p
	if p.kind == reflect.Interface {
		return p // looked up by the dynamic type of each value
	}
	for _, e := range typegraph.Edges(t, rules) {
		if !mayCycle.Relevant(e.Type) {
			continue
		}
		cp := build(e.Type, memo)
		switch e.Index {
		case typegraph.EdgeElem:
			p.elem = cp
		case typegraph.EdgeKey:
			p.key = cp
		default:
			p.fields = append(p.fields, fieldPlan{e.Index, cp})
		}
	}
	return p
}

// refKey identifies a reference on the walk path. The type is part of the key so that a struct and its
// first field, which share an address, are not mistaken for each other.
type refKey struct {
	ptr uintptr
	n   int
	typ reflect.Type
}

type walker struct {
	path map[refKey]struct{}
}

func (w *walker) enter(k refKey) error {
	if _, ok := w.path[k]; ok {
		return fmt.Errorf("value of type %s refers back to itself (cycle)", k.typ)
	}
	w.path[k] = struct{}{}
	return nil
}

func (w *walker) walk(p *plan, v reflect.Value, depth int) error {
	if depth > limits.MaxDepth {
		return fmt.Errorf("value nests deeper than %d levels", limits.MaxDepth)
	}
	switch p.kind {
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		e := v.Elem()
		if ep := planFor(e.Type()); ep != nil {
			return w.walk(ep, e, depth+1)
		}
	case reflect.Pointer:
		if v.IsNil() || p.elem == nil {
			return nil
		}
		k := refKey{ptr: v.Pointer(), typ: p.typ}
		if err := w.enter(k); err != nil {
			return err
		}
		defer delete(w.path, k)
		return w.walk(p.elem, v.Elem(), depth+1)
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		k := refKey{ptr: v.Pointer(), typ: p.typ}
		if err := w.enter(k); err != nil {
			return err
		}
		defer delete(w.path, k)
		for it := v.MapRange(); it.Next(); {
			if p.key != nil {
				if err := w.walk(p.key, it.Key(), depth+1); err != nil {
					return err
				}
			}
			if p.elem != nil {
				if err := w.walk(p.elem, it.Value(), depth+1); err != nil {
					return err
				}
			}
		}
	case reflect.Slice:
		if v.Len() == 0 || p.elem == nil {
			return nil
		}
		k := refKey{ptr: v.Pointer(), n: v.Len(), typ: p.typ}
		if err := w.enter(k); err != nil {
			return err
		}
		defer delete(w.path, k)
		return w.walkElems(p.elem, v, depth)
	case reflect.Array:
		if p.elem != nil {
			return w.walkElems(p.elem, v, depth)
		}
	case reflect.Struct:
		for _, f := range p.fields {
			if err := w.walk(f.p, v.Field(f.index), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *walker) walkElems(p *plan, v reflect.Value, depth int) error {
	for i := range v.Len() {
		if err := w.walk(p, v.Index(i), depth+1); err != nil {
			return err
		}
	}
	return nil
}
