package codec

import (
	"fmt"
	"reflect"
)

// msgpack v5 has no cycle detection: a self-referential value would recurse until Go's stack overflows,
// which kills the process and cannot be recovered. So before a msgpack encode, values whose type can
// possibly be cyclic are walked once with the set of references on the current path; all other types
// (a []Candle of decimals and times, say) skip the walk after one cached type lookup.

var cycleAnalysis = &analysis{rules: fieldRules{msgpack: true}}

func init() {
	cycleAnalysis.relevant = func(t reflect.Type) bool {
		return mayCycle(t, cycleAnalysis.rules, msgpackEncodeLeaf)
	}
}

// refKey identifies a reference on the walk path. The type is part of the key so that a struct and its
// first field, which share an address, are not mistaken for each other.
type refKey struct {
	ptr uintptr
	n   int
	typ reflect.Type
}

// checkEncodable returns an error wrapping ErrEncode if v refers back to itself or nests deeper than
// maxDepth, as msgpack would see it.
func checkEncodable(v any) error {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return nil
	}
	p := cycleAnalysis.planFor(rv.Type())
	if p == nil {
		return nil
	}
	w := cycleWalker{path: map[refKey]struct{}{}}
	return w.walk(p, rv, 0)
}

type cycleWalker struct {
	path map[refKey]struct{}
}

func (w *cycleWalker) enter(k refKey) error {
	if _, ok := w.path[k]; ok {
		return fmt.Errorf("%w: value of type %s refers back to itself (cycle)", ErrEncode, k.typ)
	}
	w.path[k] = struct{}{}
	return nil
}

func (w *cycleWalker) walk(p *plan, v reflect.Value, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: value nests deeper than %d levels", ErrEncode, maxDepth)
	}
	switch p.kind {
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		e := v.Elem()
		if ep := cycleAnalysis.planFor(e.Type()); ep != nil {
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

func (w *cycleWalker) walkElems(p *plan, v reflect.Value, depth int) error {
	for i := range v.Len() {
		if err := w.walk(p, v.Index(i), depth+1); err != nil {
			return err
		}
	}
	return nil
}
